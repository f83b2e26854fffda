/**
 * Cross-checks the VRRPv3 checksum against Wireshark's VRRP dissector, an independent
 * implementation: carpd-encoded adverts are written to a pcap and tshark must call their
 * checksums good (its default for VRRPv3 is the pseudo-header with the real destination, both
 * families). Skips itself when tshark is not installed (Debian package `tshark`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINKTYPE_RAW } from '../../src/capture/pcap.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { encodeIpv4Packet, encodeIpv6Packet } from '../../src/wire/ip-packet.ts';
import { VRRP_GROUP_V4, VRRP_GROUP_V6, type VrrpChecksumVariant } from '../../src/protocols/vrrp/vrrp-checksum.ts';
import { encodeVrrpHeader } from '../../src/protocols/vrrp/vrrp-header.ts';
import { buildPcap } from '../helpers/pcap-builder.ts';

/** True when tshark runs at all. */
function tsharkAvailable(): boolean {
  const result = spawnSync('tshark', ['--version'], { encoding: 'utf8', timeout: 20000 });
  return result.error === undefined && result.status === 0;
}

const available = tsharkAvailable();

/** One advert to write: its IP packet and the checksum status tshark must report. */
interface Case {
  readonly name: string;
  readonly ip: Uint8Array;
  readonly good: boolean;
}

function ipv4Advert(destination: string, variant: VrrpChecksumVariant): Uint8Array {
  const source = parseIpAddress('192.0.2.1');
  const to = destination === 'group' ? VRRP_GROUP_V4 : parseIpAddress(destination);
  const payload = encodeVrrpHeader({ vrid: 7, priority: 150, maxAdvertInterval: 100, addresses: [parseIpAddress('192.0.2.100'), parseIpAddress('192.0.2.101')] }, { source, destination: to }, variant);
  return encodeIpv4Packet({ source, destination: to, payload, tos: 0xc0 });
}

function ipv6Advert(destination: string): Uint8Array {
  const source = parseIpAddress('fe80::5054:ff:fe12:3401');
  const to = destination === 'group' ? VRRP_GROUP_V6 : parseIpAddress(destination);
  const payload = encodeVrrpHeader({ vrid: 7, priority: 100, maxAdvertInterval: 100, addresses: [parseIpAddress('2001:db8::100')] }, { source, destination: to });
  return encodeIpv6Packet({ source, destination: to, payload, trafficClass: 0xc0 });
}

describe('VRRPv3 checksum against tshark', { skip: available ? false : 'tshark not available' }, () => {
  const cases: readonly Case[] = [
    { name: 'ok, IPv4 to 224.0.0.18', ip: ipv4Advert('group', 'pseudo-header'), good: true },
    { name: 'ok, IPv4 unicast to a peer, its address in the pseudo-header', ip: ipv4Advert('192.0.2.2', 'pseudo-header'), good: true },
    { name: 'ok, IPv6 to ff02::12', ip: ipv6Advert('group'), good: true },
    { name: 'ok, IPv6 unicast to a peer', ip: ipv6Advert('fe80::5054:ff:fe12:3402'), good: true },
    // The control: without the pseudo-header tshark must disagree, or it checked nothing.
    { name: 'bad, IPv4 without the pseudo-header', ip: ipv4Advert('group', 'no-pseudo-header'), good: false },
  ];
  it('tshark reads each checksum as the case says', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'carpd-vrrp-tshark-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'vrrp.pcap');
    writeFileSync(file, buildPcap({ linkType: LINKTYPE_RAW, records: cases.map((c, i) => ({ seconds: i, fraction: 0, data: c.ip })) }));
    const result = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'vrrp.checksum.status'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(result.status, 0, result.stderr);
    const statuses = result.stdout.trim().split('\n').map((s) => s.trim().toLowerCase());
    assert.equal(statuses.length, cases.length, result.stdout);
    // Older tshark prints the number (1 good, 0 bad), newer ones the name.
    cases.forEach((c, i) => assert.ok((c.good ? ['1', 'good'] : ['0', 'bad']).includes(statuses[i] as string), `${c.name}: tshark says ${statuses[i]}`));
  });
});
