/**
 * `carpd inspect`: decode CARP adverts from a pcap file or a hex string and print one JSON
 * object per line, optionally checking each HMAC. A field tool for "why does my peer not
 * accept us?": it shows what the wire carries, not what a configuration says.
 */
import { parseArgs } from 'node:util';
import { ipPacketFromLinkLayer, isSupportedLinkType, LINKTYPE_ETHERNET, readPcap } from '../capture/pcap.ts';
import type { PcapRecord } from '../capture/pcap.ts';
import { CarpAuthenticator } from '../protocols/carp/carp-hmac.ts';
import { carpKeyFromHex, carpKeyFromPassphrase } from '../protocols/carp/carp-key.ts';
import type { IpAddress } from '../wire/ip-address.ts';
import { tryParseIpAddress } from '../wire/ip-address.ts';
import { describeIpPacket } from './inspect-report.ts';
import type { AuthCheck, AuthOutcome, Report } from './inspect-report.ts';

/** What runInspect needs from the outside world; tests pass a fake. */
export interface InspectIo {
  stdout(line: string): void;
  stderr(line: string): void;
  readFile(path: string): Promise<Uint8Array>;
}

/** The --help text. */
export const INSPECT_USAGE = `usage: carpd inspect [--pass SECRET | --key-hex HEX40] [--addr IP ...] (--hex HEX | FILE.pcap)

Decodes CARP adverts and prints one JSON object per line.
  FILE.pcap        a classic pcap file (tcpdump -w); Ethernet, VLAN, Linux cooked or raw IP
  --hex HEX        one whole IPv4 or IPv6 packet in hex, or an Ethernet frame carrying one
                   (whitespace and a 0x prefix are allowed)
  --pass SECRET    check each HMAC with this passphrase (at most 19 bytes)
  --key-hex HEX40  check each HMAC with this raw 20-byte key instead
  --addr IP        an address of the vhid, as every node hashes it (repeat for several;
                   a /prefix is ignored). Without --addr an empty list is hashed.
  -h, --help       show this text`;

const BAD_AUTH_HINT = 'check vhid, passphrase and the address list: every node must hash the same addresses';
const NO_ADDR_HINT =
  'no --addr given, so the HMAC was checked with an empty address list; pass every address of the vhid with --addr';

/** Where the packets come from. */
type InspectInput = { readonly kind: 'hex'; readonly bytes: Uint8Array } | { readonly kind: 'file'; readonly path: string };

/** The validated command line. */
interface InspectOptions {
  readonly input: InspectInput;
  readonly auth: AuthCheck | undefined;
}

type ParsedArgs =
  | { readonly kind: 'help' }
  | { readonly kind: 'usage-error'; readonly message: string }
  | { readonly kind: 'run'; readonly options: InspectOptions };

/** Runs `carpd inspect`; returns the exit code (0 done, 1 unreadable input, 2 usage error). */
export async function runInspect(args: string[], io: InspectIo): Promise<number> {
  try {
    const parsed = parseInspectArgs(args);
    if (parsed.kind === 'help') {
      io.stdout(INSPECT_USAGE);
      return 0;
    }
    if (parsed.kind === 'usage-error') {
      io.stderr(`carpd inspect: ${parsed.message}`);
      io.stderr("run 'carpd inspect --help' for usage");
      return 2;
    }
    const { input, auth } = parsed.options;
    if (input.kind === 'hex') {
      // A single packet: say what it was even when it is not CARP.
      io.stdout(JSON.stringify(describeIpPacket(ipFromHexInput(input.bytes), auth)));
      return 0;
    }
    return await inspectFile(input.path, auth, io);
  } catch (error) {
    // Never a stack trace: anything unexpected is reported as one line.
    io.stderr(JSON.stringify({ error: 'internal', detail: errorMessage(error) }));
    return 1;
  }
}

/** Reads a pcap and prints a line per CARP advert or malformed protocol-112 packet. */
async function inspectFile(path: string, auth: AuthCheck | undefined, io: InspectIo): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = await io.readFile(path);
  } catch (error) {
    io.stderr(JSON.stringify({ error: 'unreadable-file', file: path, detail: errorMessage(error) }));
    return 1;
  }
  const pcap = readPcap(bytes);
  if (!pcap.ok) {
    io.stderr(JSON.stringify({ error: pcap.error.code, file: path, detail: pcap.error.detail }));
    return 1;
  }
  const linkType = pcap.value[0]?.linkType;
  if (linkType !== undefined && !isSupportedLinkType(linkType)) {
    const detail = `link type ${linkType} is not supported (Ethernet, Linux cooked SLL/SLL2 and raw IP are)`;
    io.stderr(JSON.stringify({ error: 'unsupported-link-type', file: path, detail }));
    return 1;
  }
  pcap.value.forEach((record, index) => {
    const line = describeRecord(record, index + 1, auth);
    if (line !== undefined) io.stdout(JSON.stringify(line));
  });
  return 0;
}

/** The report for one pcap record, or undefined for what is silently skipped (non-IP, non-112, VRRP). */
function describeRecord(record: PcapRecord, frame: number, auth: AuthCheck | undefined): Report | undefined {
  const ip = ipPacketFromLinkLayer(record.linkType, record.data);
  if (ip === undefined) return undefined;
  const report = describeIpPacket(ip, auth);
  if ('skipped' in report) return undefined;
  return { frame, time: isoTimeMicros(record.timestampMicros), ...report };
}

/** The options `carpd inspect` accepts (node:util parseArgs); anything else is a usage error. */
const ARG_OPTIONS = {
  pass: { type: 'string' },
  'key-hex': { type: 'string' },
  addr: { type: 'string', multiple: true },
  hex: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function readArgs(args: string[]) {
  return parseArgs({ args, options: ARG_OPTIONS, allowPositionals: true, strict: true });
}

/** Parses and validates the command line; every failure becomes a usage error with a message. */
function parseInspectArgs(args: string[]): ParsedArgs {
  let parsed: ReturnType<typeof readArgs>;
  try {
    parsed = readArgs(args);
  } catch (error) {
    return usageError(errorMessage(error)); // unknown option, missing value
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  const input = parseInput(values.hex, positionals);
  if (typeof input === 'string') return usageError(input);
  const auth = parseAuth(values.pass, values['key-hex'], values.addr ?? []);
  if (typeof auth === 'string') return usageError(auth);
  return { kind: 'run', options: { input, auth } };
}

function parseInput(hex: string | undefined, positionals: string[]): InspectInput | string {
  if (hex !== undefined && positionals.length > 0) return 'give either --hex or a pcap file, not both';
  if (positionals.length > 1) return `one pcap file at a time, got ${positionals.length}`;
  if (hex !== undefined) {
    const bytes = parseHexPacket(hex);
    if (bytes === undefined) return '--hex needs an even number of hex digits (whitespace and a 0x prefix are allowed)';
    return { kind: 'hex', bytes };
  }
  const path = positionals[0];
  return path === undefined ? 'nothing to inspect: give a pcap file or --hex' : { kind: 'file', path };
}

/**
 * The IP packet in --hex input. An Ethernet frame (what tcpdump -xx prints, and the test
 * fixtures' captures hold) is unwrapped; its first nibble (a MAC byte) is rarely 4 or 6.
 */
function ipFromHexInput(bytes: Uint8Array): Uint8Array {
  const version = (bytes[0] as number) >> 4;
  if (version === 4 || version === 6) return bytes;
  return ipPacketFromLinkLayer(LINKTYPE_ETHERNET, bytes) ?? bytes;
}

/** Hex text → bytes; undefined when empty, odd-length or not hex. */
export function parseHexPacket(text: string): Uint8Array | undefined {
  const digits = text.replace(/\s+/g, '').replace(/^0x/i, '');
  if (digits.length === 0 || digits.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(digits)) return undefined;
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function parseAuth(pass: string | undefined, keyHex: string | undefined, addrs: string[]): AuthCheck | undefined | string {
  if (pass !== undefined && keyHex !== undefined) return 'give either --pass or --key-hex, not both';
  const addresses: IpAddress[] = [];
  for (const text of addrs) {
    const address = parseAddrOption(text);
    if (address === undefined) return `--addr ${JSON.stringify(text)} is not an IPv4 or IPv6 address`;
    addresses.push(address);
  }
  if (pass === undefined && keyHex === undefined) {
    return addrs.length > 0 ? '--addr is only used with --pass or --key-hex' : undefined;
  }
  let key: Uint8Array;
  try {
    key = pass !== undefined ? carpKeyFromPassphrase(pass) : carpKeyFromHex(keyHex as string);
  } catch (error) {
    return errorMessage(error); // the messages name lengths, never the secret itself
  }
  return new PassphraseCheck(key, addresses, addrs.length > 0);
}

/** An --addr value: an address with an optional /prefix, which is ignored (ifconfig-style input). */
function parseAddrOption(text: string): IpAddress | undefined {
  const match = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  return match === null ? undefined : tryParseIpAddress(match[1] as string);
}

/** Checks HMACs with one key and address list, one CarpAuthenticator per vhid seen. */
class PassphraseCheck implements AuthCheck {
  private readonly byVhid = new Map<number, CarpAuthenticator>();

  constructor(
    private readonly key: Uint8Array,
    private readonly addresses: readonly IpAddress[],
    private readonly addressesGiven: boolean,
  ) {}

  check(vhid: number, counter: bigint, digest: Uint8Array): AuthOutcome {
    let authenticator = this.byVhid.get(vhid);
    if (authenticator === undefined) {
      authenticator = new CarpAuthenticator(this.key, vhid, this.addresses);
      this.byVhid.set(vhid, authenticator);
    }
    if (authenticator.verify(counter, digest)) return { auth: 'ok' };
    return { auth: 'bad', hint: this.addressesGiven ? BAD_AUTH_HINT : NO_ADDR_HINT };
  }
}

/** ISO 8601 UTC with microseconds, e.g. 2026-11-24T20:39:28.391472Z. */
export function isoTimeMicros(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0');
  const whole = new Date(Number(seconds) * 1000).toISOString(); // ends in .000Z
  return `${whole.slice(0, -5)}.${fraction}Z`;
}

function usageError(message: string): ParsedArgs {
  return { kind: 'usage-error', message };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
