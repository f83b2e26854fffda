/**
 * The frames of the LAN flood test (flood.test.ts), built before the clock starts so that the
 * sender (flood-sender.ts) measures the socket, not the encoders. Three floods:
 *
 *   replay      one captured authentic advert per family, replayed verbatim under many spoofed
 *               IP sources. The source is outside the CARP HMAC and the CARP checksum covers
 *               the 36-byte CARP header only, with no pseudo-header (docs/protocol-carp.md "Checksum"):
 *               only the IPv4 header checksum changes (encodeIpv4Packet recomputes it).
 *   wrong-vhid  adverts for every vhid 1..255 the pair does not run, alternately signed with
 *               the attacked group's passphrase and addresses under that vhid (carpd's
 *               vhid-mismatch check, src/protocols/carp/carp-node.ts, finds that they authenticate and
 *               warns: the log's worst case) and with a random digest (no group authenticates
 *               them, so a check that tries every group's key costs an HMAC per group).
 *   garbage     protocol-112 payloads of random bytes and length 0..80, and, every other frame,
 *               a well-formed advert for our vhid with a random digest and a valid checksum: it
 *               reaches the HMAC and is counted bad-auth (each one a new "peer" to warn about).
 *
 * Every frame carries the attacker's own Ethernet source: a frame sent from the attacker's port
 * under the master's (virtual) MAC would attack the bridge's forwarding table, not carpd.
 * Spoofed sources stay in the lab ranges (test/helpers/netns.ts): 2001:db8:f100::/48 for IPv6,
 * 198.51.100.0/24 and 203.0.113.0/24 for IPv4 minus the addresses the lab uses.
 */
import { randomBytes } from 'node:crypto';
import { readPcap } from '../../src/capture/pcap.ts';
import { advertFrame, decodeAdvertFrame } from '../../src/wire/advert-frame.ts';
import { CARP_HEADER_LENGTH, decodeCarpHeader, encodeCarpHeader } from '../../src/protocols/carp/carp-header.ts';
import { CarpAuthenticator } from '../../src/protocols/carp/carp-hmac.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { encodeEthernetFrame, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../../src/wire/ethernet-frame.ts';
import { ipAddressFromBytes, parseIpAddress, type IpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import { encodeIpv4Packet, encodeIpv6Packet } from '../../src/wire/ip-packet.ts';
import { ipv4MulticastMac, ipv6MulticastMac, type MacAddress } from '../../src/wire/mac-address.ts';

/** The floods, in the order the test runs them. */
export const FLOODS = ['replay', 'wrong-vhid', 'garbage'] as const;
export type FloodKind = (typeof FLOODS)[number];

/** How many frames of each flood, and from how many distinct IPv6 sources. */
export interface FloodSize {
  /** Distinct spoofed IPv6 sources (2001:db8:f100::/48). */
  readonly v6Sources: number;
  /** Passes over the sources: frames = passes × (IPv6 + IPv4 sources). */
  readonly passes: number;
}

/** One flood's frames and the distinct sources they carry. */
export interface FloodFrames {
  readonly frames: Buffer[];
  readonly v4Sources: number;
  readonly v6Sources: number;
}

/** What the frames are built from. */
export interface FloodInput {
  readonly attackerMac: MacAddress;
  /** The attacked group: vhid, addresses (in the HMAC) and passphrase (wrong-vhid signs with it). */
  readonly vhid: number;
  /** Every vhid the pair runs (the attacked one included): the wrong-vhid flood avoids them. */
  readonly pairVhids: readonly number[];
  readonly addresses: readonly IpAddress[];
  readonly passphrase: string;
  /** IPv4 addresses never spoofed (the lab's hosts and VIPs). */
  readonly reservedV4: readonly string[];
}

const GROUP: Readonly<Record<IpFamily, IpAddress>> = { 4: parseIpAddress('224.0.0.18'), 6: parseIpAddress('ff02::12') };
const GROUP_MAC: Readonly<Record<IpFamily, MacAddress>> = { 4: ipv4MulticastMac(GROUP[4]), 6: ipv6MulticastMac(GROUP[6]) };

/** IPv6 source number i (1-based): 2001:db8:f100::<i>. */
function spoofedV6(i: number): IpAddress {
  const bytes = new Uint8Array(16);
  bytes.set([0x20, 0x01, 0x0d, 0xb8, 0xf1, 0x00]);
  new DataView(bytes.buffer).setUint32(12, i);
  return ipAddressFromBytes(bytes);
}

/** Every usable IPv4 address of the two lab /24s except the reserved ones (about 500). */
export function spoofedV4(reserved: readonly string[]): IpAddress[] {
  const out: IpAddress[] = [];
  for (const prefix of ['198.51.100', '203.0.113']) {
    for (let host = 1; host <= 254; host++) {
      const text = `${prefix}.${host}`;
      if (!reserved.includes(text)) out.push(parseIpAddress(text));
    }
  }
  return out;
}

/** The sources of one pass: IPv4 ones spread evenly among the IPv6 ones. */
function sourcesOfPass(v4: readonly IpAddress[], v6: readonly IpAddress[]): IpAddress[] {
  const out: IpAddress[] = [];
  const every = Math.max(1, Math.floor(v6.length / Math.max(1, v4.length)));
  let next4 = 0;
  for (const [i, source] of v6.entries()) {
    out.push(source);
    if (i % every === 0 && next4 < v4.length) out.push(v4[next4++] as IpAddress);
  }
  while (next4 < v4.length) out.push(v4[next4++] as IpAddress);
  return out;
}

/**
 * Writes the captured CARP payload of each frame's family over its last 36 bytes (where the
 * replay flood was built with a blank one): the IPv4 header checksum does not cover the payload
 * and IPv6 has none, so every frame stays valid. Lets the sender build its frames while the
 * capture is still running.
 */
export function fillReplayPayloads(frames: readonly Buffer[], pcap: Uint8Array, vhid: number): void {
  const captured = capturedPayloads(pcap, vhid);
  const v4 = captured[4];
  const v6 = captured[6];
  if (v4 === undefined || v6 === undefined) throw new Error(`the capture lacks an IPv${v4 === undefined ? 4 : 6} advert of vhid ${vhid}`);
  for (const frame of frames) frame.set(frame.readUInt16BE(12) === ETHERTYPE_IPV4 ? v4 : v6, frame.length - CARP_HEADER_LENGTH);
}

/** The newest advert of the vhid per family in the capture, as its 36-byte CARP payload. */
export function capturedPayloads(pcap: Uint8Array, vhid: number): Partial<Record<IpFamily, Uint8Array>> {
  const records = readPcap(pcap);
  if (!records.ok) throw new Error(`bad pcap: ${records.error.detail}`);
  const out: Partial<Record<IpFamily, Uint8Array>> = {};
  for (const record of records.value) {
    if (record.linkType !== 1) continue;
    const frame = decodeAdvertFrame(record.data);
    if (!frame.ok || frame.value.datagram.protocol !== 112) continue;
    const payload = frame.value.datagram.payload;
    const header = decodeCarpHeader(payload);
    if (!header.ok || header.value.vhid !== vhid || payload.length !== CARP_HEADER_LENGTH) continue;
    out[frame.value.datagram.family] = Uint8Array.from(payload);
  }
  return out;
}

function carpFrame(mac: MacAddress, source: IpAddress, payload: Uint8Array): Buffer {
  return Buffer.from(advertFrame({ family: source.family, sourceMac: mac, sourceIp: source, payload }));
}

function rawFrame(mac: MacAddress, source: IpAddress, payload: Uint8Array): Buffer {
  const family = source.family;
  const packet = family === 4 ? encodeIpv4Packet({ source, destination: GROUP[4], payload }) : encodeIpv6Packet({ source, destination: GROUP[6], payload });
  return Buffer.from(encodeEthernetFrame({ destination: GROUP_MAC[family], source: mac, etherType: family === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, payload: packet }));
}

/** Builds one flood's frames: `size.passes` passes, each over every source once (replay: blank payloads). */
export function buildFlood(kind: FloodKind, input: FloodInput, size: FloodSize, nowMicros: bigint): FloodFrames {
  const v4 = spoofedV4(input.reservedV4);
  const v6 = Array.from({ length: size.v6Sources }, (_, i) => spoofedV6(i + 1));
  const pass = sourcesOfPass(v4, v6);
  const frameFor = framer(kind, input, nowMicros);
  const frames: Buffer[] = [];
  for (let p = 0; p < size.passes; p++) {
    for (const [i, source] of pass.entries()) frames.push(frameFor(source, p * pass.length + i));
  }
  return { frames, v4Sources: v4.length, v6Sources: v6.length };
}

/** The frame of flood `kind` for source number `index` of the whole flood. */
function framer(kind: FloodKind, input: FloodInput, nowMicros: bigint): (source: IpAddress, index: number) => Buffer {
  const mac = input.attackerMac;
  // The replay flood's payloads come from the capture later (fillReplayPayloads).
  if (kind === 'replay') return (source) => carpFrame(mac, source, new Uint8Array(CARP_HEADER_LENGTH));
  // Counters an hour ahead: fresh by any high-water mark, so only the vhid (or the HMAC) can drop them.
  const counter = nowMicros * 256n + 3_600_000_000n * 256n;
  if (kind === 'wrong-vhid') {
    const key = carpKeyFromPassphrase(input.passphrase);
    const signed: Uint8Array[] = [];
    const forged: Uint8Array[] = [];
    for (let vhid = 1; vhid <= 255; vhid++) {
      if (input.pairVhids.includes(vhid)) continue;
      const digest = new CarpAuthenticator(key, vhid, input.addresses).sign(counter);
      signed.push(encodeCarpHeader({ vhid, advbase: 1, advskew: 0, demote: 0, counter, digest }));
      forged.push(encodeCarpHeader({ vhid, advbase: 1, advskew: 0, demote: 0, counter, digest: randomBytes(20) }));
    }
    return (source, index) => carpFrame(mac, source, (index % 2 === 0 ? signed : forged)[Math.floor(index / 2) % signed.length] as Uint8Array);
  }
  return (source, index) => {
    if (index % 2 === 1) {
      const forged = encodeCarpHeader({ vhid: input.vhid, advbase: 1, advskew: 0, demote: 0, counter: counter + BigInt(index), digest: randomBytes(20) });
      return carpFrame(mac, source, forged);
    }
    return rawFrame(mac, source, randomBytes(index % 81));
  };
}
