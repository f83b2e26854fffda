import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ipPacketFromLinkLayer,
  isSupportedLinkType,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_RAW,
  readPcap,
} from '../../src/capture/pcap.ts';
import type { PcapRecord } from '../../src/capture/pcap.ts';
import type { DecodeErrorCode } from '../../src/wire/decode-result.ts';
import { hexBytes, toHex } from '../helpers/bytes.ts';
import { fixtureBytes, fixtureRecords } from '../helpers/fixtures.ts';
import { buildPcap } from '../helpers/pcap-builder.ts';
import { PCAPS, V1 } from '../fixtures/carp-vectors.ts';

function mustRead(bytes: Uint8Array): PcapRecord[] {
  const result = readPcap(bytes);
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.detail}`);
  return result.value;
}

function errorCode(bytes: Uint8Array): DecodeErrorCode | 'ok' {
  const result = readPcap(bytes);
  return result.ok ? 'ok' : result.error.code;
}

const ipv4Packet = hexBytes(V1.frame2Ip);
const ethernetFrame = hexBytes(`
  01005e000012  # destination 01:00:5e:00:00:12
  00005e000007  # source 00:00:5e:00:00:07 (ucarp's advert MAC for vhid 7)
  0800          # IPv4
  ${V1.frame2Ip}
`);

describe('readPcap on the captures', () => {
  const cases = [
    { name: 'ucarp', pcap: PCAPS.ucarp, records: 15 },
    { name: 'keepalived VRRPv3', pcap: PCAPS.vrrpV3, records: 26 },
    { name: 'keepalived VRRPv2', pcap: PCAPS.vrrpV2, records: 26 },
    { name: 'keepalived VRRPv2 PASS', pcap: PCAPS.vrrpV2AuthPass, records: 9 },
  ];
  for (const c of cases) {
    it(`ok, ${c.name}: ${c.records} Ethernet records`, () => {
      const records = fixtureRecords(c.pcap);
      assert.equal(records.length, c.records);
      assert.ok(records.every((r) => r.linkType === LINKTYPE_ETHERNET));
    });
  }

  it('ok, ucarp: frame 1 is a gratuitous ARP, frame 2 the advert of V1', () => {
    const [arp, advert] = fixtureRecords(PCAPS.ucarp);
    assert.ok(arp !== undefined && advert !== undefined);
    assert.equal(arp.timestampMicros, 1795552768391449n);
    assert.equal(arp.data.length, 42);
    assert.equal(ipPacketFromLinkLayer(arp.linkType, arp.data), undefined);
    assert.equal(advert.timestampMicros, 1795552768391472n);
    assert.equal(advert.data.length, 70); // docs/protocol-carp.md "The 36-byte header": a 70-byte frame without FCS
    assert.equal(toHex(ipPacketFromLinkLayer(advert.linkType, advert.data) ?? new Uint8Array()), V1.frame2Ip);
  });
});

describe('readPcap on synthetic files', () => {
  const formats = [
    { name: 'little-endian, microseconds', littleEndian: true, nanoseconds: false, fraction: 391472, micros: 1795552768391472n },
    { name: 'big-endian, microseconds', littleEndian: false, nanoseconds: false, fraction: 391472, micros: 1795552768391472n },
    {
      name: 'little-endian, nanoseconds (truncated to µs)',
      littleEndian: true,
      nanoseconds: true,
      fraction: 391472999,
      micros: 1795552768391472n,
    },
    { name: 'big-endian, nanoseconds', littleEndian: false, nanoseconds: true, fraction: 5000, micros: 1795552768000005n },
  ];
  for (const f of formats) {
    it(`ok, ${f.name}`, () => {
      const written = [{ seconds: 1795552768, fraction: f.fraction, data: ethernetFrame }];
      const bytes = buildPcap({ ...f, linkType: LINKTYPE_ETHERNET, records: written });
      const records = mustRead(bytes);
      assert.equal(records.length, 1);
      assert.equal(records[0]?.timestampMicros, f.micros);
      assert.equal(toHex(records[0]?.data ?? new Uint8Array()), toHex(ethernetFrame));
    });
  }

  it('ok, a header with no records', () => {
    assert.deepEqual(mustRead(buildPcap({ littleEndian: true, nanoseconds: false, linkType: 1, records: [] })), []);
  });

  it('ok, FCS bits above the link type are masked off', () => {
    const linkType = 0x14000000 | LINKTYPE_ETHERNET; // F bit set, FCS length 1 (in 16-bit words)
    const bytes = buildPcap({ linkType, records: [{ seconds: 0, fraction: 0, data: ethernetFrame }] });
    assert.equal(mustRead(bytes)[0]?.linkType, LINKTYPE_ETHERNET);
  });

  const bad: { name: string; bytes: Uint8Array; want: DecodeErrorCode }[] = [
    { name: 'bad, empty file', bytes: new Uint8Array(0), want: 'short' },
    { name: 'bad, file header cut at 23 bytes', bytes: fixtureBytes(PCAPS.ucarp).subarray(0, 23), want: 'short' },
    { name: 'bad, record header cut', bytes: fixtureBytes(PCAPS.ucarp).subarray(0, 24 + 10), want: 'short' },
    { name: 'bad, record data cut', bytes: fixtureBytes(PCAPS.ucarp).subarray(0, 24 + 16 + 41), want: 'short' },
    { name: 'bad, last record cut by one byte', bytes: fixtureBytes(PCAPS.ucarp).subarray(0, -1), want: 'short' },
    {
      name: 'bad, pcapng section header block',
      bytes: hexBytes('0a0d0d0a 1c000000 4d3c2b1a 01000000 ffffffffffffffff 1c000000'),
      want: 'bad-pcap',
    },
    { name: 'bad, unknown magic', bytes: new Uint8Array(24).fill(0x42), want: 'bad-pcap' },
    { name: 'bad, a short file that is not a pcap', bytes: new TextEncoder().encode('hello'), want: 'bad-pcap' },
    { name: 'bad, three bytes', bytes: hexBytes('d4c3b2'), want: 'short' },
    { name: 'bad, major version 1', bytes: hexBytes('d4c3b2a1 0100 0400 00000000 00000000 00000400 01000000'), want: 'bad-pcap' },
  ];
  for (const c of bad) it(c.name, () => assert.equal(errorCode(c.bytes), c.want));

  it('bad, every truncation of a real capture is an error or a whole-record prefix, never a throw', () => {
    const bytes = fixtureBytes(PCAPS.ucarp);
    const boundaries = new Set<number>([24]);
    let offset = 24;
    for (const record of fixtureRecords(PCAPS.ucarp)) boundaries.add((offset += 16 + record.data.length));
    for (let length = 0; length < bytes.length; length++) {
      const code = errorCode(bytes.subarray(0, length));
      assert.equal(code, boundaries.has(length) ? 'ok' : 'short', `length ${length}`);
    }
  });
});

describe('ipPacketFromLinkLayer', () => {
  const ipv6Packet = hexBytes(`
    60000000 0008 70 40               # version 6, payload length 8, next header 112, hop limit 64
    fe800000000000000000000000000001  # fe80::1
    ff020000000000000000000000000012  # ff02::12
    0000000000000000                  # payload
  `);
  const cases: { name: string; linkType: number; frame: Uint8Array; want: Uint8Array | undefined }[] = [
    { name: 'ok, Ethernet IPv4', linkType: LINKTYPE_ETHERNET, frame: ethernetFrame, want: ipv4Packet },
    {
      name: 'ok, Ethernet IPv6',
      linkType: LINKTYPE_ETHERNET,
      frame: hexBytes(`333300000012 00005e000107 86dd ${toHex(ipv6Packet)}`),
      want: ipv6Packet,
    },
    {
      name: 'ok, Ethernet with an 802.1Q tag',
      linkType: LINKTYPE_ETHERNET,
      frame: hexBytes(`01005e000012 00005e000007 8100 0064 0800 ${V1.frame2Ip}`), // VLAN 100
      want: ipv4Packet,
    },
    {
      name: 'ok, Ethernet with QinQ tags (802.1ad outer, 802.1Q inner)',
      linkType: LINKTYPE_ETHERNET,
      frame: hexBytes(`01005e000012 00005e000007 88a8 00c8 8100 0064 0800 ${V1.frame2Ip}`),
      want: ipv4Packet,
    },
    {
      name: 'ok, Ethernet ARP is not IP',
      linkType: LINKTYPE_ETHERNET,
      frame: hexBytes('ffffffffffff 9e23b2fb75d0 0806 0001 0800 0604 0001'),
      want: undefined,
    },
    {
      name: 'ok, VLAN-tagged ARP is not IP',
      linkType: LINKTYPE_ETHERNET,
      frame: hexBytes('ffffffffffff 9e23b2fb75d0 8100 0064 0806 0001'),
      want: undefined,
    },
    { name: 'bad, Ethernet header cut at 13 bytes', linkType: LINKTYPE_ETHERNET, frame: ethernetFrame.subarray(0, 13), want: undefined },
    {
      name: 'bad, Ethernet header with no IP bytes after it',
      linkType: LINKTYPE_ETHERNET,
      frame: ethernetFrame.subarray(0, 14),
      want: undefined,
    },
    { name: 'bad, VLAN tag cut off', linkType: LINKTYPE_ETHERNET, frame: hexBytes('01005e000012 00005e000007 8100 00'), want: undefined },
    {
      name: 'ok, Linux cooked SLL',
      linkType: LINKTYPE_LINUX_SLL,
      frame: hexBytes(`
        0000              # packet type: to us
        0001              # ARPHRD_ETHER
        0006              # address length
        00005e0000070000  # source address, padded to 8
        0800              # protocol IPv4
        ${V1.frame2Ip}
      `),
      want: ipv4Packet,
    },
    {
      name: 'ok, Linux cooked SLL2',
      linkType: LINKTYPE_LINUX_SLL2,
      frame: hexBytes(`
        0800              # protocol IPv4
        0000              # reserved
        00000003          # interface index 3
        0001              # ARPHRD_ETHER
        02                # packet type: multicast
        06                # address length
        00005e0000070000  # source address, padded to 8
        ${V1.frame2Ip}
      `),
      want: ipv4Packet,
    },
    { name: 'bad, SLL2 header cut', linkType: LINKTYPE_LINUX_SLL2, frame: hexBytes('0800 0000 00000003 0001 02'), want: undefined },
    { name: 'ok, raw IP (101) IPv4', linkType: LINKTYPE_RAW, frame: ipv4Packet, want: ipv4Packet },
    { name: 'ok, raw IP (101) IPv6', linkType: LINKTYPE_RAW, frame: ipv6Packet, want: ipv6Packet },
    { name: 'ok, DLT_RAW 12', linkType: 12, frame: ipv4Packet, want: ipv4Packet },
    { name: 'ok, OpenBSD DLT_RAW 14', linkType: 14, frame: ipv6Packet, want: ipv6Packet },
    { name: 'ok, LINKTYPE_IPV4 (228)', linkType: 228, frame: ipv4Packet, want: ipv4Packet },
    { name: 'bad, raw IP with version 5', linkType: LINKTYPE_RAW, frame: new Uint8Array(20).fill(0x55), want: undefined },
    { name: 'bad, raw IP empty', linkType: LINKTYPE_RAW, frame: new Uint8Array(0), want: undefined },
    { name: 'bad, unsupported link type 105 (802.11)', linkType: 105, frame: ethernetFrame, want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ip = ipPacketFromLinkLayer(c.linkType, c.frame);
      assert.equal(ip === undefined ? undefined : toHex(ip), c.want === undefined ? undefined : toHex(c.want));
    });
  }

  it('isSupportedLinkType', () => {
    for (const linkType of [1, 12, 14, 101, 113, 228, 229, 276]) assert.equal(isSupportedLinkType(linkType), true, `${linkType}`);
    for (const linkType of [0, 105, 127, 192]) assert.equal(isSupportedLinkType(linkType), false, `${linkType}`);
  });
});
