import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { DecodeErrorCode } from '../../src/wire/decode-result.ts';
import { ipAddressFromBytes, parseIpAddress } from '../../src/wire/ip-address.ts';
import { internetChecksum } from '../../src/wire/internet-checksum.ts';
import {
  decodeIpPacket,
  decodeIpv4Packet,
  decodeIpv6Packet,
  encodedIpPacketLength,
  encodeIpv4Packet,
  encodeIpv6Packet,
} from '../../src/wire/ip-packet.ts';
import type { Datagram } from '../../src/wire/ip-packet.ts';
import { hexBytes, toHex } from '../helpers/bytes.ts';
import { fixtureIpPackets } from '../helpers/fixtures.ts';
import { PCAPS, T1, V1 } from '../fixtures/carp-vectors.ts';

/** Decodes or fails the test. */
function mustDecode(bytes: Uint8Array): Datagram {
  const result = decodeIpPacket(bytes);
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.detail}`);
  return result.value;
}

/** A datagram as plain comparable values. */
function plain(d: Datagram): Record<string, unknown> {
  return { ...d, source: d.source.text, destination: d.destination.text, payload: toHex(d.payload) };
}

/** Rewrites an IPv4 header checksum after a test edited the header. */
function withIpv4Checksum(bytes: Uint8Array): Uint8Array {
  const headerLength = ((bytes[0] as number) & 0xf) * 4;
  bytes[10] = 0;
  bytes[11] = 0;
  const sum = internetChecksum(bytes.subarray(0, headerLength));
  bytes[10] = sum >> 8;
  bytes[11] = sum & 0xff;
  return bytes;
}

const carpHeader = hexBytes(T1.header);

describe('IPv4', () => {
  it('ok, decodes the captured ucarp advert (V1 frame 2)', () => {
    assert.deepEqual(plain(mustDecode(hexBytes(V1.frame2Ip))), {
      family: 4,
      source: '192.0.2.1',
      destination: '224.0.0.18',
      ttl: 255,
      protocol: 112,
      payload: V1.frame2Ip.slice(40),
    });
  });

  it('ok, encoder defaults (TOS 0x10, DF, TTL 255, protocol 112) reproduce the ucarp packet', () => {
    const encoded = encodeIpv4Packet({
      source: parseIpAddress('192.0.2.1'),
      destination: parseIpAddress('224.0.0.18'),
      identification: 0x335b, // ucarp's random IP ID in that frame
      payload: hexBytes(V1.frame2Ip.slice(40)),
    });
    const wantHeader = hexBytes(`
      45          # version 4, IHL 5
      10          # TOS 0x10 (IPTOS_LOWDELAY)
      0038        # total length 56
      335b        # identification
      4000        # flags DF, fragment offset 0
      ff          # TTL 255
      70          # protocol 112
      a5d6        # header checksum
      c0000201    # source 192.0.2.1
      e0000012    # destination 224.0.0.18
    `);
    assert.equal(toHex(encoded.subarray(0, 20)), toHex(wantHeader));
    assert.equal(toHex(encoded), V1.frame2Ip);
  });

  it('ok, every IPv4 packet of every capture decodes and re-encodes to the same bytes', () => {
    let count = 0;
    for (const name of Object.values(PCAPS)) {
      for (const { frame, ip } of fixtureIpPackets(name)) {
        const d = mustDecode(ip);
        const flags = ((ip[6] as number) << 8) | (ip[7] as number);
        const encoded = encodeIpv4Packet({
          source: d.source,
          destination: d.destination,
          payload: d.payload,
          protocol: d.protocol,
          ttl: d.ttl,
          tos: ip[1] as number,
          identification: ((ip[4] as number) << 8) | (ip[5] as number),
          dontFragment: flags === 0x4000,
        });
        assert.equal(toHex(encoded), toHex(ip), `${name} frame ${frame}`);
        count++;
      }
    }
    assert.equal(count, 11 + 11 + 11 + 4); // ucarp, VRRPv3, VRRPv2, VRRPv2 with PASS
  });

  it('ok, Ethernet padding after the total length is ignored', () => {
    const padded = Uint8Array.from([...hexBytes(V1.frame2Ip), ...new Uint8Array(10)]);
    assert.equal(mustDecode(padded).payload.length, 36);
  });

  it('ok, header options are skipped (IHL 6)', () => {
    const packet = hexBytes(`
      46 10 003c 0001 4000 ff 70 0000  # IHL 6, total length 60, checksum filled in below
      c0000201 e0000012                # 192.0.2.1 -> 224.0.0.18
      01010101                         # four NOP options
    `);
    const bytes = withIpv4Checksum(Uint8Array.from([...packet, ...carpHeader]));
    assert.equal(toHex(mustDecode(bytes).payload), toHex(carpHeader));
  });

  const bad: { name: string; edit: (b: Uint8Array) => Uint8Array; want: DecodeErrorCode }[] = [
    { name: 'bad, short buffer (19 bytes)', edit: (b) => b.subarray(0, 19), want: 'short' },
    { name: 'bad, version 5', edit: (b) => withIpv4Checksum(set(b, 0, 0x55)), want: 'bad-ip-version' },
    { name: 'bad, IHL 4', edit: (b) => set(b, 0, 0x44), want: 'bad-ip-header-length' },
    { name: 'bad, IHL 15 longer than the 56 bytes present', edit: (b) => set(b, 0, 0x4f), want: 'short' },
    { name: 'bad, total length beyond the buffer', edit: (b) => withIpv4Checksum(set(b, 3, 57)), want: 'bad-ip-total-length' },
    { name: 'bad, total length below the header length', edit: (b) => withIpv4Checksum(set(b, 3, 19)), want: 'bad-ip-total-length' },
    { name: 'bad, header checksum', edit: (b) => set(b, 11, 0xd7), want: 'bad-ip-checksum' },
    { name: 'bad, TTL changed in flight without a checksum fix', edit: (b) => set(b, 8, 254), want: 'bad-ip-checksum' },
  ];
  for (const c of bad) {
    it(c.name, () => {
      const result = decodeIpv4Packet(c.edit(hexBytes(V1.frame2Ip)));
      assert.equal(result.ok ? 'ok' : result.error.code, c.want);
    });
  }
});

describe('IPv6', () => {
  const source = parseIpAddress('fe80::1');
  const destination = parseIpAddress('ff02::12');
  const fixedHeader = (nextHeader: string, payloadLength: string): string => `
    60000000                          # version 6, traffic class 0, flow label 0
    ${payloadLength}                  # payload length
    ${nextHeader}                     # next header
    ff                                # hop limit 255
    fe800000000000000000000000000001  # source fe80::1
    ff020000000000000000000000000012  # destination ff02::12
  `;

  it('ok, encodes a CARP advert (hop limit 255, next header 112)', () => {
    const encoded = encodeIpv6Packet({ source, destination, payload: carpHeader });
    assert.equal(toHex(encoded), toHex(hexBytes(fixedHeader('70', '0024') + T1.header)));
    assert.equal(encoded.length, encodedIpPacketLength(6, 36));
  });

  it('ok, decodes what it encodes', () => {
    const d = mustDecode(encodeIpv6Packet({ source, destination, payload: carpHeader, trafficClass: 0xe0, flowLabel: 0xabcde }));
    assert.deepEqual(plain(d), {
      family: 6,
      source: 'fe80::1',
      destination: 'ff02::12',
      ttl: 255,
      protocol: 112,
      payload: toHex(carpHeader),
    });
  });

  const extensionCases: { name: string; hex: string; want: DecodeErrorCode | { protocol: number; payloadLength: number } }[] = [
    {
      name: 'ok, hop-by-hop header skipped',
      hex: fixedHeader('00', '002c') + '70 00 010400000000' + T1.header, // next 112, 8 bytes, PadN
      want: { protocol: 112, payloadLength: 36 },
    },
    {
      name: 'ok, hop-by-hop, routing and destination options skipped',
      hex: fixedHeader('00', '0044') + '2b 00 010400000000' + '3c 01 0000000000000000000000000000' + '70 00 010400000000' + T1.header,
      want: { protocol: 112, payloadLength: 36 },
    },
    {
      name: 'bad, fragment header',
      hex: fixedHeader('2c', '002c') + '70 00 0001 12345678' + T1.header,
      want: 'unsupported-ipv6-extension',
    },
    {
      name: 'bad, fragment header after hop-by-hop',
      hex: fixedHeader('00', '0034') + '2c 00 010400000000' + '70 00 0001 12345678' + T1.header,
      want: 'unsupported-ipv6-extension',
    },
    {
      name: 'bad, extension header longer than the payload',
      hex: fixedHeader('00', '0008') + '70 01 010400000000',
      want: 'short',
    },
    {
      name: 'bad, extension header cut after one byte',
      hex: fixedHeader('00', '0001') + '70',
      want: 'short',
    },
    {
      name: 'bad, payload length beyond the buffer',
      hex: fixedHeader('70', '0025') + T1.header,
      want: 'bad-ip-total-length',
    },
  ];
  for (const c of extensionCases) {
    it(c.name, () => {
      const result = decodeIpv6Packet(hexBytes(c.hex));
      if (typeof c.want === 'string') {
        assert.equal(result.ok ? 'ok' : result.error.code, c.want);
      } else {
        assert.ok(result.ok);
        assert.deepEqual({ protocol: result.value.protocol, payloadLength: result.value.payload.length }, c.want);
      }
    });
  }

  it('ok, bytes after the payload length are ignored', () => {
    const bytes = hexBytes(fixedHeader('70', '0024') + T1.header + '00000000');
    assert.equal(mustDecode(bytes).payload.length, 36);
  });

  it('bad, short buffer (39 bytes)', () => {
    const result = decodeIpv6Packet(new Uint8Array(39).fill(0x60));
    assert.equal(result.ok ? 'ok' : result.error.code, 'short');
  });

  it('bad, an IPv4 packet given to decodeIpv6Packet', () => {
    const result = decodeIpv6Packet(Uint8Array.from([...hexBytes(V1.frame2Ip), ...new Uint8Array(4)]));
    assert.equal(result.ok ? 'ok' : result.error.code, 'bad-ip-version');
  });
});

describe('decodeIpPacket', () => {
  const cases: { name: string; bytes: Uint8Array; want: DecodeErrorCode | number }[] = [
    { name: 'ok, version 4 goes to IPv4', bytes: hexBytes(V1.frame2Ip), want: 4 },
    {
      name: 'ok, version 6 goes to IPv6',
      bytes: encodeIpv6Packet({ source: parseIpAddress('::1'), destination: parseIpAddress('::2'), payload: carpHeader }),
      want: 6,
    },
    { name: 'bad, empty buffer', bytes: new Uint8Array(0), want: 'short' },
    { name: 'bad, version 5', bytes: new Uint8Array(60).fill(0x55), want: 'bad-ip-version' },
    { name: 'bad, version 0', bytes: new Uint8Array(60), want: 'bad-ip-version' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = decodeIpPacket(c.bytes);
      assert.equal(result.ok ? result.value.family : result.error.code, c.want);
    });
  }
});

describe('encoders', () => {
  const v4 = parseIpAddress('198.51.100.1');
  const v6 = parseIpAddress('2001:db8::1');
  const payload = carpHeader;
  const bad: { name: string; encode: () => unknown }[] = [
    { name: 'bad, IPv6 source in an IPv4 packet', encode: () => encodeIpv4Packet({ source: v6, destination: v4, payload }) },
    { name: 'bad, IPv4 destination in an IPv6 packet', encode: () => encodeIpv6Packet({ source: v6, destination: v4, payload }) },
    {
      name: 'bad, IPv4 payload too long (65516 bytes)',
      encode: () => encodeIpv4Packet({ source: v4, destination: v4, payload: new Uint8Array(65516) }),
    },
    { name: 'bad, TTL 256', encode: () => encodeIpv4Packet({ source: v4, destination: v4, payload, ttl: 256 }) },
    {
      name: 'bad, flow label over 20 bits',
      encode: () => encodeIpv6Packet({ source: v6, destination: v6, payload, flowLabel: 0x100000 }),
    },
  ];
  for (const c of bad) it(c.name, () => assert.throws(c.encode, RangeError));

  it('ok, encodedIpPacketLength', () => {
    assert.equal(encodedIpPacketLength(4, 36), 56);
    assert.equal(encodedIpPacketLength(6, 36), 76);
    assert.equal(encodedIpPacketLength(4, 65515), 65535);
    assert.equal(encodedIpPacketLength(6, 65535), 65575);
  });

  it('ok, dontFragment false clears DF', () => {
    const encoded = encodeIpv4Packet({ source: v4, destination: v4, payload: carpHeader, dontFragment: false });
    assert.equal(encoded[6], 0);
  });
});

describe('IP round trip', () => {
  const bytesOf = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
  const octet = fc.integer({ min: 0, max: 255 });
  const payload = fc.uint8Array({ maxLength: 200 });

  it('property: IPv4 encode → decode', () => {
    const fields = fc.record({ src: bytesOf(4), dst: bytesOf(4), data: payload, ttl: octet, protocol: octet });
    fc.assert(
      fc.property(fields, ({ src, dst, data, ttl, protocol }) => {
        const source = ipAddressFromBytes(src);
        const destination = ipAddressFromBytes(dst);
        const bytes = encodeIpv4Packet({ source, destination, payload: data, ttl, protocol });
        assert.equal(bytes.length, encodedIpPacketLength(4, data.length));
        assert.deepEqual(plain(mustDecode(bytes)), {
          family: 4,
          source: source.text,
          destination: destination.text,
          ttl,
          protocol,
          payload: toHex(data),
        });
      }),
    );
  });

  it('property: IPv6 encode → decode (upper-layer next headers)', () => {
    const upperLayer = octet.filter((n) => ![0, 43, 44, 60].includes(n));
    const fields = fc.record({ src: bytesOf(16), dst: bytesOf(16), data: payload, hopLimit: octet, nextHeader: upperLayer });
    fc.assert(
      fc.property(fields, ({ src, dst, data, hopLimit, nextHeader }) => {
        const source = ipAddressFromBytes(src);
        const destination = ipAddressFromBytes(dst);
        const bytes = encodeIpv6Packet({ source, destination, payload: data, hopLimit, nextHeader });
        assert.equal(bytes.length, encodedIpPacketLength(6, data.length));
        assert.deepEqual(plain(mustDecode(bytes)), {
          family: 6,
          source: source.text,
          destination: destination.text,
          ttl: hopLimit,
          protocol: nextHeader,
          payload: toHex(data),
        });
      }),
    );
  });
});

function set(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  bytes[offset] = value;
  return bytes;
}

describe('IPv4 fragments', () => {
  const whole = encodeIpv4Packet({ source: parseIpAddress('198.51.100.1'), destination: parseIpAddress('224.0.0.18'), payload: new Uint8Array(36) });
  const withFragmentField = (value: number): Uint8Array => {
    const bytes = Uint8Array.from(whole);
    bytes[6] = value >> 8;
    bytes[7] = value & 0xff;
    bytes[10] = 0;
    bytes[11] = 0;
    const sum = internetChecksum(bytes.subarray(0, 20));
    bytes[10] = sum >> 8;
    bytes[11] = sum & 0xff;
    return bytes;
  };
  for (const [name, field] of [
    ['bad, more-fragments flag', 0x2000],
    ['bad, non-zero fragment offset', 0x0001],
    ['bad, last fragment (offset, DF clear)', 0x0010],
  ] as const) {
    it(name, () => {
      const result = decodeIpv4Packet(withFragmentField(field));
      assert.equal(result.ok, false);
      assert.equal(result.ok ? undefined : result.error.code, 'ipv4-fragment');
    });
  }
  it('ok, DF set and offset 0', () => {
    assert.equal(decodeIpv4Packet(withFragmentField(0x4000)).ok, true);
  });
});
