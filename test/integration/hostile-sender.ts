/**
 * Run inside an attacker's lab namespace: floods the segment with a mix of hostile protocol-112
 * frames, built with carpd's own encoders (no scapy), through an AF_PACKET socket, at a fixed
 * rate for a bounded time. Prints one JSON summary line: frames sent per kind, send errors, the
 * elapsed time and the rate achieved.
 *
 *   node --import tsx test/integration/hostile-sender.ts SPEC_JSON
 *
 * SPEC_JSON is a HostileSpec. Every frame is precomputed before the clock starts; the send loop
 * only cycles through them, so the rate measures the socket, not the encoders.
 */
import { readFileSync } from 'node:fs';
import { readPcap } from '../../src/capture/pcap.ts';
import { loadNativeBinding } from '../../src/linux/native-binding.ts';
import { decodeAdvertFrame } from '../../src/wire/advert-frame.ts';
import { encodeCarpHeader, decodeCarpHeader, CARP_HEADER_LENGTH, type CarpHeader } from '../../src/protocols/carp/carp-header.ts';
import { CarpAuthenticator } from '../../src/protocols/carp/carp-hmac.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { encodeEthernetFrame, ETHERTYPE_IPV4 } from '../../src/wire/ethernet-frame.ts';
import { internetChecksum } from '../../src/wire/internet-checksum.ts';
import { parseIpAddress, type IpAddress } from '../../src/wire/ip-address.ts';
import { encodeIpv4Packet } from '../../src/wire/ip-packet.ts';
import { ipv4MulticastMac, parseMacAddress, type MacAddress } from '../../src/wire/mac-address.ts';

/** What to attack. */
export interface HostileSpec {
  /** Bridge capture holding the real master's adverts (replayed and tampered). */
  readonly pcap: string;
  readonly ifname: string;
  /** The attacker's own eth0 MAC and IPv4 address. */
  readonly mac: string;
  readonly ip: string;
  /** The attacked group: vhid, its addresses (part of the HMAC) and the real passphrase. */
  readonly vhid: number;
  readonly addresses: readonly string[];
  readonly passphrase: string;
  /** Frames per second and total duration. */
  readonly rate: number;
  readonly durationMs: number;
}

/** The kinds of hostile frame, each with the drop reason carpd should count on a backup. */
export const HOSTILE_KINDS = {
  'forged-hmac': 'bad-auth', // right vhid, fresh counter, wrong key
  'wrong-vhid': 'unknown-vhid', // vhid + 1, correctly signed for that vhid: unattributed
  'ttl-254': 'bad-ttl', // a genuine-looking advert one hop away
  truncated: 'short', // the first 20 bytes of a CARP header
  'oversized-44': 'vrrp', // 36 bytes + 8: the shape of a VRRPv2 packet with 7 addresses (protocol-112.ts)
  'oversized-100': 'bad-length', // 36 bytes + 64
  vrrpv2: 'vrrp', // RFC 3768, vrid = vhid
  vrrpv3: 'vrrp', // RFC 5798, vrid = vhid
  replay: 'replay', // the master's captured adverts, verbatim
  'tampered-advskew': 'replay', // captured, advbase 1 / advskew 0, checksum fixed, spoofed source
  'tampered-bow-out': 'replay', // captured, advbase/advskew 255/255 (bow-out), checksum fixed
  'bad-carp-checksum': 'bad-checksum', // otherwise valid advert, checksum off by one
  'bad-ip-checksum': 'none', // IPv4 header checksum wrong: the kernel drops it before any raw socket
  'bad-version': 'bad-version', // protocol-112 junk: version nibble 5
  'bad-type': 'bad-type', // CARP v2, type 2, checksum valid
} as const;

/** One kind of hostile frame. */
export type HostileKind = keyof typeof HOSTILE_KINDS;

const CARP_GROUP = parseIpAddress('224.0.0.18');
const GROUP_MAC = ipv4MulticastMac(CARP_GROUP);
/** Distinct frames built per generated kind (distinct counters and IP ids). */
const VARIANTS = 16;

function ethernet(source: MacAddress, packet: Uint8Array): Uint8Array {
  return encodeEthernetFrame({ destination: GROUP_MAC, source, etherType: ETHERTYPE_IPV4, payload: packet });
}

function ipv4(source: IpAddress, payload: Uint8Array, ttl = 255, identification = 0): Uint8Array {
  return encodeIpv4Packet({ source, destination: CARP_GROUP, payload, ttl, identification });
}

/** Re-encodes a captured header with some fields replaced; the checksum is recomputed, the HMAC kept. */
function rewrite(header: CarpHeader, fields: Partial<Pick<CarpHeader, 'advbase' | 'advskew' | 'demote'>>): Uint8Array {
  return encodeCarpHeader({ ...header, ...fields });
}

/** VRRPv2 (RFC 3768 §5.1): one address, no authentication; 20 bytes. */
function vrrpv2(vrid: number, address: IpAddress): Uint8Array {
  const out = Uint8Array.of(0x21, vrid, 100, 1, 0, 1, 0, 0, ...address.bytes, 0, 0, 0, 0, 0, 0, 0, 0);
  new DataView(out.buffer).setUint16(6, internetChecksum(out), false);
  return out;
}

/** VRRPv3 (RFC 5798 §5.1): one address, max advert interval 100 cs; the checksum is left 0 (not checked by carpd). */
function vrrpv3(vrid: number, address: IpAddress): Uint8Array {
  return Uint8Array.of(0x31, vrid, 100, 1, 0, 100, 0, 0, ...address.bytes);
}

/** The master's adverts of the group in the capture, as (frame, header). */
function capturedAdverts(path: string, vhid: number): { frame: Uint8Array; header: CarpHeader; source: IpAddress }[] {
  const pcap = readPcap(new Uint8Array(readFileSync(path)));
  if (!pcap.ok) throw new Error(`bad pcap ${path}: ${pcap.error.detail}`);
  const out: { frame: Uint8Array; header: CarpHeader; source: IpAddress }[] = [];
  for (const record of pcap.value) {
    if (record.linkType !== 1) continue;
    const frame = decodeAdvertFrame(record.data);
    if (!frame.ok || frame.value.datagram.protocol !== 112) continue;
    const header = decodeCarpHeader(frame.value.datagram.payload);
    if (!header.ok || header.value.vhid !== vhid || frame.value.datagram.payload.length !== CARP_HEADER_LENGTH) continue;
    out.push({ frame: record.data, header: header.value, source: frame.value.datagram.source });
  }
  return out;
}

/** Every hostile frame, by kind. */
export function buildHostileFrames(spec: HostileSpec, nowMicros: bigint): Map<HostileKind, Uint8Array[]> {
  const mac = parseMacAddress(spec.mac);
  const self = parseIpAddress(spec.ip);
  const addresses = spec.addresses.map(parseIpAddress);
  const right = new CarpAuthenticator(carpKeyFromPassphrase(spec.passphrase), spec.vhid, addresses);
  const wrongKey = new CarpAuthenticator(carpKeyFromPassphrase(`${spec.passphrase}-not`), spec.vhid, addresses);
  const otherVhid = (spec.vhid % 255) + 1;
  const otherGroup = new CarpAuthenticator(carpKeyFromPassphrase(spec.passphrase), otherVhid, addresses);
  const frames = new Map<HostileKind, Uint8Array[]>();
  const add = (kind: HostileKind, frame: Uint8Array): void => {
    frames.set(kind, [...(frames.get(kind) ?? []), frame]);
  };

  for (let i = 0; i < VARIANTS; i++) {
    // Counters far in the future: fresh by any high-water mark, so only the failing check can drop them.
    const counter = nowMicros + 3_600_000_000n + BigInt(i);
    const good = (vhid: number, auth: CarpAuthenticator): Uint8Array =>
      encodeCarpHeader({ vhid, advskew: 0, demote: 0, advbase: 1, counter, digest: auth.sign(counter) });
    const header = good(spec.vhid, right);
    add('forged-hmac', ethernet(mac, ipv4(self, encodeCarpHeader({ vhid: spec.vhid, advskew: 0, demote: 0, advbase: 1, counter, digest: wrongKey.sign(counter) }), 255, i)));
    add('wrong-vhid', ethernet(mac, ipv4(self, good(otherVhid, otherGroup), 255, i)));
    add('ttl-254', ethernet(mac, ipv4(self, header, 254, i)));
    add('truncated', ethernet(mac, ipv4(self, header.subarray(0, 20), 255, i)));
    add('oversized-44', ethernet(mac, ipv4(self, Uint8Array.from([...header, ...new Uint8Array(8)]), 255, i)));
    add('oversized-100', ethernet(mac, ipv4(self, Uint8Array.from([...header, ...new Uint8Array(64)]), 255, i)));
    add('vrrpv2', ethernet(mac, ipv4(self, vrrpv2(spec.vhid, addresses[0] ?? self), 255, i)));
    add('vrrpv3', ethernet(mac, ipv4(self, vrrpv3(spec.vhid, addresses[0] ?? self), 255, i)));
    const badSum = Uint8Array.from(header);
    badSum[7] = ((badSum[7] ?? 0) + 1) & 0xff;
    add('bad-carp-checksum', ethernet(mac, ipv4(self, badSum, 255, i)));
    const badIp = ipv4(self, header, 255, i);
    badIp[10] = (badIp[10] ?? 0) ^ 0x5a;
    add('bad-ip-checksum', ethernet(mac, badIp));
    const junk = Uint8Array.from(header);
    junk[0] = 0x51;
    add('bad-version', ethernet(mac, ipv4(self, junk, 255, i)));
    add('bad-type', ethernet(mac, ipv4(self, encodeCarpHeader({ type: 2, vhid: spec.vhid, advskew: 0, demote: 0, advbase: 1, counter, digest: right.sign(counter) }), 255, i)));
  }

  const captured = capturedAdverts(spec.pcap, spec.vhid);
  if (captured.length === 0) throw new Error(`no adverts of vhid ${spec.vhid} in ${spec.pcap}`);
  for (const advert of captured) {
    add('replay', advert.frame);
    // Fields outside the HMAC rewritten on a *stale* advert: authentic digest, old counter.
    add('tampered-advskew', ethernet(mac, ipv4(self, rewrite(advert.header, { advbase: 1, advskew: 0, demote: 0 }))));
    add('tampered-bow-out', ethernet(mac, ipv4(advert.source, rewrite(advert.header, { advbase: 255, advskew: 255 }))));
  }
  return frames;
}

function main(): void {
  const specText = process.argv[2];
  if (specText === undefined) throw new Error('usage: hostile-sender SPEC_JSON');
  const spec = JSON.parse(specText) as HostileSpec;
  const byKind = buildHostileFrames(spec, BigInt(Date.now()) * 1000n);
  // Interleave the kinds so every kind is spread over the whole attack.
  const schedule: { kind: HostileKind; frame: Buffer }[] = [];
  const longest = Math.max(...[...byKind.values()].map((f) => f.length));
  for (let i = 0; i < longest; i++) {
    for (const [kind, frames] of byKind) schedule.push({ kind, frame: Buffer.from(frames[i % frames.length] as Uint8Array) });
  }
  const socket = loadNativeBinding().openPacketSocket(spec.ifname);
  const sent: Record<string, number> = {};
  let errors = 0;
  let total = 0;
  const start = performance.now();
  const tick = (): void => {
    const elapsed = performance.now() - start;
    if (elapsed >= spec.durationMs) {
      socket.close();
      console.log(JSON.stringify({ sent, total, errors, elapsedMs: Math.round(elapsed), rate: Math.round((total / elapsed) * 1000), captured: byKind.get('replay')?.length ?? 0 }));
      return;
    }
    // Catch up to the schedule: the number due by now at the target rate.
    const due = Math.floor((elapsed / 1000) * spec.rate);
    for (; total < due; total++) {
      const item = schedule[total % schedule.length] as { kind: HostileKind; frame: Buffer };
      try {
        socket.sendFrame(item.frame);
        sent[item.kind] = (sent[item.kind] ?? 0) + 1;
      } catch {
        errors++;
      }
    }
    setTimeout(tick, 2);
  };
  tick();
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) main();
