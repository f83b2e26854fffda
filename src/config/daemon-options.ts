/**
 * The daemon's command line for one group (issue 3's contract):
 *
 *   carpd --interface IF --vhid N (--pass SECRET | --passfile FILE) --addr IP[/PREFIX] [--addr ...]
 *         [--srcip IP] [--advbase N] [--advskew N] [--preempt] [-m PATH] [-b PATH] [--vmac | --no-vmac]
 *
 * plus ucarp's --upscript/--downscript (the same as -m/-b) and a few operational settings; and
 * with `--protocol vrrp` one VRRPv3 virtual router (issue 12), whose flags mirror the file's
 * VRRP keys. Values are checked by the same functions as the file's (each protocol's
 * config part, protocol-keys.ts), so a flag and its key are refused with the same words. Parsing is pure: it
 * returns typed options or a list of errors that name the flag.
 */
import { parseArgs } from 'node:util';
import { tryParseIpAddress, type IpAddress } from '../wire/ip-address.ts';
import { CONFIG_DEFAULTS, type GroupConfig, type GroupProtocol } from './config-types.ts';
import { integerProblem } from './config-schema.ts';
import { aliasConflictDetail, appliesTo, DEFAULT_PROTOCOL, FLAG_NAMES, flagsNotFor, GROUP_PROTOCOLS } from './protocol-keys.ts';
import { protocolModule, type FlagParseContext, type ProtocolFields, type SecretLimit, type ValueProblem } from '../protocols/index.ts';
import { DEFAULT_SECRET_LIMIT } from './build-group.ts';

/** A virtual address with its prefix length (undefined: take the parent's subnet, else a host route). */
export interface VirtualAddress {
  readonly address: IpAddress;
  readonly prefixLength?: number;
}

/** Where the passphrase comes from (read by the daemon, never logged); 'none' for a VRRP group. */
export type PassphraseSource = { readonly kind: 'inline'; readonly value: string } | { readonly kind: 'file'; readonly path: string } | { readonly kind: 'none' };

/** Validated options of one daemon process. */
export interface DaemonOptions {
  /** The default protocol unless --protocol names another. */
  readonly protocol: GroupProtocol;
  /** The protocol's own fields of the group, from its flags (its module's ProtocolConfigPart.fromFlags). */
  readonly protocolFields: ProtocolFields<GroupConfig>;
  readonly interfaceName: string;
  /** The vhid; for VRRP the VRID (--vrid or --vhid). */
  readonly vhid: number;
  readonly addresses: readonly VirtualAddress[];
  readonly sourceAddress?: IpAddress;
  readonly preempt: boolean;
  /** keepalived's preempt_delay: no preemption for this long after start-up or link-up (0 = none). */
  readonly preemptDelaySeconds: number;
  readonly masterScript?: string;
  readonly backupScript?: string;
  readonly vmac: boolean;
  readonly virtualInterfaceName: string;
  readonly stateDirectory: string;
  /** Seconds between gratuitous ARP / NA refreshes while MASTER; 0 disables. */
  readonly announceIntervalSeconds: number;
  readonly scriptTimeoutSeconds: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** The result of parsing. */
export type DaemonOptionsResult = { readonly ok: true; readonly options: DaemonOptions } | { readonly ok: false; readonly errors: readonly string[] };

/** Usage text for the daemon flags. */
export const DAEMON_USAGE = `usage: carpd --interface IF --vhid N (--pass SECRET | --passfile FILE) --addr IP[/PREFIX] [--addr ...]
             [--srcip IP] [--advbase N] [--advskew N] [--preempt] [-m PATH] [-b PATH] [--vmac | --no-vmac]
       carpd --protocol vrrp --interface IF --vrid N --addr IP[/PREFIX] [--addr ...]
             [--priority N] [--advert-interval S] [--no-preempt] [--accept-mode] [--checksum-mode MODE] ...

  -i, --interface IF        interface the group lives on (adverts are sent and received there)
  -v, --vhid N              virtual host id, 1..255 (VRRP: the VRID; also --vrid)
  -a, --addr IP[/PREFIX]    virtual address (repeatable); without /PREFIX the parent's subnet is used
  -s, --srcip IP            source address of adverts (default: the interface's first address)
  -P, --preempt             take over from a worse master (the default for VRRP)
      --no-preempt          do not (the default for CARP)
      --preempt-delay S     while preempting: not within S seconds of start-up or link-up, 0..3600 (default 0)
  -m, --master-script PATH  run on becoming MASTER (also --upscript)
  -b, --backup-script PATH  run on becoming BACKUP (also --downscript)
      --vmac / --no-vmac    virtual interface carp<vhid> with MAC 00:00:5e:00:01:<vhid> (default on;
                            VRRP: vrrp<vrid>, or vrrp6-<vrid> with 00:00:5e:00:02:<vrid> for IPv6)
      --vif-name NAME       name of the virtual interface (default carp<vhid>, vrrp<vrid>, vrrp6-<vrid>)
      --state-dir DIR       where counters and locks are kept (default /var/lib/carpd)
      --announce-interval S gratuitous ARP / NA refresh while MASTER, seconds (default 60, 0 = off)
      --script-timeout S    kill a script after S seconds (default 30)
      --log-level LEVEL     debug, info (default), warn, error
      --protocol P          carp (default) or vrrp (VRRPv3, RFC 5798: one address family per group)

CARP only:
  -p, --pass SECRET         passphrase, at most ${DEFAULT_SECRET_LIMIT.maxBytes} bytes (shared by every node)
      --passfile FILE       read the passphrase from the first line of FILE
      --advbase N           advertisement base interval in seconds, 0..254 (default 1)
  -k, --advskew N           skew in 1/256 s, 0..254 (default 0); lower wins
      --replay MODE         strict (default) or compat (needed for ucarp / BSD peers)
      --master-down F       openbsd (default), freebsd or ucarp

VRRP only (--protocol vrrp; no passphrase: VRRPv3 has no authentication; with --vrrp-version 2,
--pass/--passfile give VRRPv2's simple password, at most 8 bytes, sent in clear):
      --vrid N              the VRID, 1..255 (the same as --vhid)
      --vrrp-version 2|3    3 (default, RFC 5798) or 2 (RFC 3768, IPv4 only: keepalived's default)
      --priority N          1..255 (default 100); the higher wins; 255 = the owner of the addresses
      --advert-interval S   seconds between adverts, 0.01..40.95 in steps of 0.01 (default 1);
                            VRRPv2: whole seconds, 1..255
      --auth-type T         VRRPv2 only: none, or pass (default with --pass/--passfile): a simple
                            password of at most 8 bytes, SENT IN CLEAR in every advert
      --accept-mode         a master that does not own the addresses accepts packets for them
      --checksum-mode MODE  compatible (default: also keepalived's and FRR's IPv4 variants) or strict
`;

const FLAGS = {
  protocol: { type: 'string' },
  interface: { type: 'string', short: 'i' },
  vhid: { type: 'string', short: 'v' },
  vrid: { type: 'string' },
  pass: { type: 'string', short: 'p' },
  passfile: { type: 'string' },
  addr: { type: 'string', short: 'a', multiple: true },
  srcip: { type: 'string', short: 's' },
  advbase: { type: 'string' },
  advskew: { type: 'string', short: 'k' },
  preempt: { type: 'boolean', short: 'P' },
  'no-preempt': { type: 'boolean' },
  'preempt-delay': { type: 'string' },
  'master-script': { type: 'string', short: 'm' },
  'backup-script': { type: 'string', short: 'b' },
  upscript: { type: 'string' },
  downscript: { type: 'string' },
  vmac: { type: 'boolean' },
  'no-vmac': { type: 'boolean' },
  'vif-name': { type: 'string' },
  replay: { type: 'string' },
  'master-down': { type: 'string' },
  'state-dir': { type: 'string' },
  'announce-interval': { type: 'string' },
  'script-timeout': { type: 'string' },
  'log-level': { type: 'string' },
  priority: { type: 'string' },
  'advert-interval': { type: 'string' },
  'accept-mode': { type: 'boolean' },
  'checksum-mode': { type: 'string' },
  'vrrp-version': { type: 'string' },
  'auth-type': { type: 'string' },
} as const;

/** The parsed flags, by long name. */
type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** Parses and validates the daemon's flags. */
export function parseDaemonOptions(args: readonly string[]): DaemonOptionsResult {
  let values: FlagValues;
  try {
    values = parseArgs({ args: [...args], options: FLAGS, strict: true, allowPositionals: false }).values as FlagValues;
  } catch (error) {
    return { ok: false, errors: [error instanceof Error ? error.message : String(error)] };
  }
  const errors: string[] = [];
  const str = (name: string) => values[name] as string | undefined;
  const int = (name: string, min: number, max: number, fallback: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      errors.push(`--${name}: ${JSON.stringify(raw)} is not an integer in ${min}..${max}`);
      return fallback;
    }
    return Number(raw);
  };
  const protocol = oneOf(str('protocol'), GROUP_PROTOCOLS, DEFAULT_PROTOCOL, '--protocol', errors);
  // Which flags are required or refused depends on the protocol: without one, judge nothing else.
  if (errors.length > 0) return { ok: false, errors };
  const part = protocolModule(protocol).config;
  for (const misplaced of flagsNotFor(protocol, new Set(Object.keys(values).filter((k) => values[k] !== undefined)), flagVariant(values))) errors.push(misplaced.detail);
  const interfaceName = str('interface');
  if (interfaceName === undefined || interfaceName === '') errors.push('--interface: required');
  else if (interfaceName.length > 15 || /[\s/]/.test(interfaceName)) errors.push(`--interface: ${JSON.stringify(interfaceName)} is not an interface name`);
  const vhid = parseId(values, protocol, int, errors);
  const addresses = (values['addr'] as string[] | undefined ?? []).map((text) => parseVirtualAddress(text, errors)).filter((a): a is VirtualAddress => a !== undefined);
  if (values['addr'] === undefined) errors.push('--addr: at least one virtual address is required');
  const srcipText = str('srcip');
  const sourceAddress = srcipText === undefined ? undefined : tryParseIpAddress(srcipText);
  if (srcipText !== undefined && sourceAddress === undefined) errors.push(`--srcip: ${JSON.stringify(srcipText)} is not an IP address`);
  const protocolFields = part.fromFlags(flagContext(values, addresses.map((a) => a.address), int, errors));
  if (values['preempt'] === true && values['no-preempt'] === true) errors.push('--preempt and --no-preempt: choose one');
  if (values['vmac'] === true && values['no-vmac'] === true) errors.push('--vmac and --no-vmac: choose one');
  const masterScript = pickScript(str('master-script'), str('upscript'), '--master-script/--upscript', errors);
  const backupScript = pickScript(str('backup-script'), str('downscript'), '--backup-script/--downscript', errors);
  const logLevel = oneOf(str('log-level'), ['debug', 'info', 'warn', 'error'] as const, 'info', '--log-level', errors);
  const announceIntervalSeconds = int('announce-interval', 0, 86_400, 60);
  const scriptTimeoutSeconds = int('script-timeout', 1, 3_600, 30);
  const preemptDelaySeconds = int('preempt-delay', 0, 3_600, 0);
  const family = addresses[0]?.address.family ?? 4;
  const virtualInterfaceName = str('vif-name') ?? part.defaultVirtualInterface(vhid, family);
  if (virtualInterfaceName.length > 15) errors.push(`--vif-name: ${JSON.stringify(virtualInterfaceName)} is longer than 15 characters`);
  if (errors.length > 0 || interfaceName === undefined || protocolFields === undefined) return { ok: false, errors };
  const preemptDefault = part.defaultPreempt;
  return {
    ok: true,
    options: {
      protocol,
      protocolFields,
      interfaceName,
      vhid,
      addresses,
      ...(sourceAddress === undefined ? {} : { sourceAddress }),
      preempt: values['preempt'] === true || (values['no-preempt'] !== true && preemptDefault),
      preemptDelaySeconds,
      ...(masterScript === undefined ? {} : { masterScript }),
      ...(backupScript === undefined ? {} : { backupScript }),
      vmac: values['no-vmac'] !== true,
      virtualInterfaceName,
      stateDirectory: str('state-dir') ?? '/var/lib/carpd',
      announceIntervalSeconds,
      scriptTimeoutSeconds,
      logLevel,
    },
  };
}

type IntFlag = (name: string, min: number, max: number, fallback: number) => number;

/** --vhid, or for VRRP its alias --vrid (not both); 0 after an error. */
function parseId(values: FlagValues, protocol: GroupProtocol, int: IntFlag, errors: string[]): number {
  const given = (name: string) => values[name] !== undefined;
  if (given('vhid') && given('vrid')) {
    errors.push(`--vrid: ${aliasConflictDetail(FLAG_NAMES)}`);
    return 0;
  }
  // --vrid where the protocol has no such alias was refused already (flagsNotFor).
  const alias = appliesTo('vrid', protocol);
  const flag = alias && given('vrid') ? 'vrid' : 'vhid';
  if (!given(flag)) errors.push(alias ? '--vrid (or --vhid): required (1..255)' : '--vhid: required (1..255)');
  return int(flag, 1, 255, 0);
}

/**
 * The flags given, as the file keys they stand for (numbers as numbers), for keys that only some
 * variants of a protocol have (VRRPv2's password): what protocol-keys.ts judges a group's keys by.
 */
function flagVariant(values: FlagValues): Record<string, unknown> {
  const variant: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string') variant[name.replaceAll('-', '_')] = /^[0-9]+$/.test(value) ? Number(value) : value;
  }
  return variant;
}

/** The readers a protocol's part parses its flags with (ProtocolConfigPart.fromFlags). */
function flagContext(values: FlagValues, addresses: readonly IpAddress[], int: IntFlag, errors: string[]): FlagParseContext {
  const str = (name: string) => values[name] as string | undefined;
  return {
    str,
    given: (name) => values[name] !== undefined && values[name] !== false,
    int,
    oneOf: (name, allowed, fallback) => oneOf(str(name), allowed, fallback, `--${name}`, errors),
    integerIn: (name, min, max) => numberFlag(str(name), `--${name}`, (v) => integerProblem(v, min, max), errors),
    number: (name, check) => numberFlag(str(name), `--${name}`, check, errors),
    passphrase: (limit) => parsePassphrase(str('pass'), str('passfile'), errors, limit),
    addresses,
    errors,
  };
}

/** A decimal number flag whose value `check` accepts; undefined when absent or refused. */
function numberFlag(raw: string | undefined, flag: string, check: (value: number) => ValueProblem | undefined, errors: string[]): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(raw)) {
    errors.push(`${flag}: ${JSON.stringify(raw)} is not a number`);
    return undefined;
  }
  const problem = check(Number(raw));
  if (problem === undefined) return Number(raw);
  errors.push(`${flag}: ${problem.detail}`);
  return undefined;
}

function parsePassphrase(inline: string | undefined, file: string | undefined, errors: string[], limit: SecretLimit = DEFAULT_SECRET_LIMIT): PassphraseSource | undefined {
  if (inline !== undefined && file !== undefined) {
    errors.push('--pass and --passfile: choose one');
    return undefined;
  }
  if (file !== undefined) return { kind: 'file', path: file };
  if (inline === undefined) {
    errors.push('--pass or --passfile: a passphrase is required (every node of the group uses the same one)');
    return undefined;
  }
  const bytes = Buffer.byteLength(inline, 'utf8');
  if (bytes > limit.maxBytes) {
    errors.push(`--pass: ${limit.flagDetail?.(bytes) ?? `the password is ${bytes} bytes; ${limit.what} 1..${limit.maxBytes}`}`);
    return undefined;
  }
  return { kind: 'inline', value: inline };
}

function parseVirtualAddress(text: string, errors: string[]): VirtualAddress | undefined {
  const [addressText, prefixText, extra] = text.split('/');
  const address = addressText === undefined ? undefined : tryParseIpAddress(addressText);
  if (address === undefined || extra !== undefined) {
    errors.push(`--addr: ${JSON.stringify(text)} is not IP[/PREFIX]`);
    return undefined;
  }
  if (prefixText === undefined) return { address };
  const max = address.family === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) < 1 || Number(prefixText) > max) {
    errors.push(`--addr: prefix in ${JSON.stringify(text)} must be 1..${max}`);
    return undefined;
  }
  return { address, prefixLength: Number(prefixText) };
}

function pickScript(primary: string | undefined, alias: string | undefined, names: string, errors: string[]): string | undefined {
  if (primary !== undefined && alias !== undefined && primary !== alias) errors.push(`${names}: given twice with different paths`);
  return primary ?? alias;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, flag: string, errors: string[]): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  errors.push(`${flag}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return fallback;
}
