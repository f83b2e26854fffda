/**
 * VRRP adverts on a lab segment, decoded twice: by tshark (Wireshark's VRRP dissector, an
 * independent reading of every field and of the checksum) and by carpd's own pcap reader and
 * checksum code, which says *which* checksum variant each advert verifies under (docs/protocol-vrrp.md
 * "Checksum": IPv4 pseudo-header with the real destination, with 224.0.0.18, or none).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Lab, LabCapture, LabHost } from '../../src/lab/lab.ts';
import { ipPacketFromLinkLayer, readPcap } from '../../src/capture/pcap.ts';
import { decodeIpPacket } from '../../src/wire/ip-packet.ts';
import { recognizeVrrpChecksum, type VrrpChecksumVariant } from '../../src/protocols/vrrp/vrrp-checksum.ts';

/** One advert as tshark decodes it. */
export interface VrrpAdvertRow {
  /** Capture time, ms since the epoch. */
  readonly atMs: number;
  readonly ethSrc: string;
  readonly ethDst: string;
  readonly family: 4 | 6;
  readonly ipSrc: string;
  readonly ipDst: string;
  /** IPv4 TTL or IPv6 hop limit. */
  readonly ttl: number;
  readonly version: number;
  readonly vrid: number;
  readonly priority: number;
  /** VRRPv3 Max Adver Int in centiseconds (tshark's vrrp.short_adver_int); 0 in a VRRPv2 advert. */
  readonly intervalCentis: number;
  /** VRRPv2 Adver Int in whole seconds (tshark's vrrp.adver_int); 0 in a VRRPv3 advert. */
  readonly adverIntSeconds: number;
  /** VRRPv2 Auth Type (0 none, 1 simple text password, 2 IP AH); undefined in a VRRPv3 advert. */
  readonly authType: number | undefined;
  /** VRRPv2 Authentication String as tshark shows it (auth type 1 only; '' otherwise). */
  readonly authString: string;
  /** tshark's vrrp.checksum.status: 'good', 'bad' or 'unverified' (older tshark prints 1/0/2). */
  readonly checksum: 'good' | 'bad' | 'unverified' | string;
  readonly addresses: readonly string[];
  /** IPv4 DSCP/ECN byte or IPv6 traffic class. */
  readonly tos: number;
}

/** Whether tshark runs here (Debian package `tshark`). */
export function tsharkAvailable(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const FIELDS = [
  'frame.time_epoch', 'eth.src', 'eth.dst', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'ip.ttl', 'ipv6.hlim',
  'vrrp.version', 'vrrp.virt_rtr_id', 'vrrp.prio', 'vrrp.short_adver_int', 'vrrp.checksum.status', 'vrrp.ip_addr', 'vrrp.ipv6_addr',
  'ip.dsfield', 'ipv6.tclass', 'vrrp.adver_int', 'vrrp.auth_type', 'vrrp.auth_string',
] as const;

const STATUS_NAMES: Readonly<Record<string, string>> = { '0': 'bad', '1': 'good', '2': 'unverified' };

/** Decodes every VRRP advert of a pcap with tshark. */
export function decodeVrrpPcap(path: string): VrrpAdvertRow[] {
  const out = execFileSync('tshark', ['-n', '-r', path, '-Y', 'vrrp', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const rows: VrrpAdvertRow[] = [];
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.split('\t');
    const get = (name: (typeof FIELDS)[number]): string => f[FIELDS.indexOf(name)] ?? '';
    const family = get('ipv6.src') !== '' ? 6 : 4;
    const status = get('vrrp.checksum.status').toLowerCase();
    rows.push({
      atMs: Number(get('frame.time_epoch')) * 1000,
      ethSrc: get('eth.src'),
      ethDst: get('eth.dst'),
      family,
      ipSrc: family === 6 ? get('ipv6.src') : get('ip.src'),
      ipDst: family === 6 ? get('ipv6.dst') : get('ip.dst'),
      ttl: Number(family === 6 ? get('ipv6.hlim') : get('ip.ttl')),
      version: Number(get('vrrp.version')),
      vrid: Number(get('vrrp.virt_rtr_id')),
      priority: Number(get('vrrp.prio')),
      intervalCentis: Number(get('vrrp.short_adver_int')),
      adverIntSeconds: Number(get('vrrp.adver_int')),
      authType: get('vrrp.auth_type') === '' ? undefined : Number(get('vrrp.auth_type')),
      authString: get('vrrp.auth_string'),
      checksum: STATUS_NAMES[status] ?? status,
      addresses: (family === 6 ? get('vrrp.ipv6_addr') : get('vrrp.ip_addr')).split(',').filter((a) => a !== ''),
      tos: Number(family === 6 ? get('ipv6.tclass') : get('ip.dsfield')),
    });
  }
  return rows;
}

/** One advert as carpd's pcap reader sees it, with the checksum variant it verifies under. */
export interface VrrpChecksumRow {
  readonly atMs: number;
  readonly ipSrc: string;
  readonly ipDst: string;
  /** undefined: no variant verifies. */
  readonly variant: VrrpChecksumVariant | undefined;
}

/** Classifies the checksum of every protocol-112 packet of a pcap (IPv4 variants; IPv6 has one). */
export function vrrpChecksumVariants(path: string): VrrpChecksumRow[] {
  const pcap = readPcap(new Uint8Array(readFileSync(path)));
  if (!pcap.ok) throw new Error(`pcap ${path}: ${pcap.error.code}: ${pcap.error.detail}`);
  const rows: VrrpChecksumRow[] = [];
  for (const record of pcap.value) {
    const ip = ipPacketFromLinkLayer(record.linkType, record.data);
    if (ip === undefined) continue;
    const datagram = decodeIpPacket(ip);
    if (!datagram.ok || datagram.value.protocol !== 112) continue;
    const d = datagram.value;
    rows.push({
      atMs: Number(record.timestampMicros / 1000n),
      ipSrc: d.source.text,
      ipDst: d.destination.text,
      variant: recognizeVrrpChecksum(d.payload, { source: d.source, destination: d.destination }),
    });
  }
  return rows;
}

/**
 * The checksum variant a speaker of this version and family must use: VRRPv3 the pseudo-header
 * (docs/protocol-vrrp.md "Checksum"), VRRPv2 (IPv4 only) the message alone (RFC 3768 §5.3.8).
 */
export function expectedChecksumVariant(version: 2 | 3): VrrpChecksumVariant {
  return version === 2 ? 'no-pseudo-header' : 'pseudo-header';
}

/** A bridge-wide capture of IP protocol 112 (VRRP and CARP), started before the speakers. */
export async function startVrrpCapture(lab: Lab, target: LabHost | string = 'bridge'): Promise<LabCapture> {
  return lab.startCapture(target, 'ip proto 112 or ip6 proto 112');
}
