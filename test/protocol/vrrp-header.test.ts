import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipAddressFromBytes, parseIpAddress, type IpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import { decodeIpPacket } from '../../src/wire/ip-packet.ts';
import { recognizeVrrpChecksum, vrrpChecksumVerifies, VRRP_GROUP_V4, VRRP_GROUP_V6, type VrrpEndpoints } from '../../src/protocols/vrrp/vrrp-checksum.ts';
import {
  decodeVrrpHeader,
  encodeVrrpHeader,
  vrrpHeaderLength,
  type VrrpHeader,
  type VrrpHeaderFields,
} from '../../src/protocols/vrrp/vrrp-header.ts';
import { hexBytes, toHex } from '../helpers/bytes.ts';
import { fixtureIpPackets } from '../helpers/fixtures.ts';
import { PCAPS } from '../fixtures/carp-vectors.ts';
import { K1, V6 } from '../fixtures/vrrp-vectors.ts';

const A = parseIpAddress('192.0.2.1');
const VIP = parseIpAddress(K1.address);
const TO_GROUP_V4: VrrpEndpoints = { source: A, destination: VRRP_GROUP_V4 };
const TO_GROUP_V6: VrrpEndpoints = { source: parseIpAddress(V6.source), destination: VRRP_GROUP_V6 };

/** Decodes or fails the test. */
function mustDecode(payload: Uint8Array, family: IpFamily): VrrpHeader {
  const result = decodeVrrpHeader(payload, family);
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.detail}`);
  return result.value;
}

/** The fields of a decoded header that a sender chooses (everything but the checksum and family). */
function fieldsOf(header: VrrpHeader): VrrpHeaderFields {
  const { checksum: _checksum, family: _family, ...fields } = header;
  return fields;
}

/** A header as plain text values, for deepEqual. */
function plain(header: VrrpHeader): unknown {
  return { ...header, addresses: header.addresses.map((a) => a.text) };
}

describe('encodeVrrpHeader', () => {
  it('ok, reproduces keepalived frame 1 byte for byte (K1)', () => {
    const encoded = encodeVrrpHeader({ vrid: 7, priority: 150, maxAdvertInterval: 100, addresses: [VIP] }, TO_GROUP_V4);
    const want = hexBytes(`
      31        # version 3, type 1 (advertisement)
      07        # VRID 7
      96        # priority 150
      01        # count of IPv4 addresses: 1
      0064      # reserved 0, Max Advertisement Interval 100 cs
      d39d      # checksum over the IPv4 pseudo-header (192.0.2.1 → 224.0.0.18, 0, 112, 12) and the message
      c0000264  # 192.0.2.100
    `);
    assert.equal(toHex(encoded), toHex(want));
    assert.equal(toHex(encoded), toHex(hexBytes(K1.frame1)));
  });

  it('ok, IPv6 vector V6 (checksum computed independently)', () => {
    const encoded = encodeVrrpHeader(
      { vrid: V6.vrid, priority: V6.priority, maxAdvertInterval: V6.maxAdvertInterval, addresses: V6.addresses.map((a) => parseIpAddress(a)) },
      TO_GROUP_V6,
    );
    const want = hexBytes(`
      31                                # version 3, type 1
      07                                # VRID 7
      64                                # priority 100
      02                                # count of IPv6 addresses: 2
      0064                              # reserved 0, interval 100 cs
      8b89                              # checksum over the RFC 8200 pseudo-header and the message
      20010db8000000000000000000000100  # 2001:db8::100
      20010db8000000000000000000000101  # 2001:db8::101
    `);
    assert.equal(toHex(encoded), toHex(want));
    assert.equal(toHex(encoded), toHex(hexBytes(V6.message)));
  });

  it('ok, the unicast destination goes into the pseudo-header (docs/protocol-vrrp.md "Checksum", keepalived unicast)', () => {
    const encoded = encodeVrrpHeader({ vrid: 7, priority: 150, maxAdvertInterval: 100, addresses: [VIP] }, { source: A, destination: parseIpAddress('192.0.2.2') });
    assert.equal((encoded[6] as number) * 256 + (encoded[7] as number), K1.frame1UnicastTo192_0_2_2);
  });

  it('ok, the other variants on request: no pseudo-header, and the group address for a unicast copy', () => {
    const fields = { vrid: 7, priority: 150, maxAdvertInterval: 100, addresses: [VIP] };
    const unicast = { source: A, destination: parseIpAddress('192.0.2.2') };
    assert.equal(toHex(encodeVrrpHeader(fields, unicast, 'no-pseudo-header').subarray(6, 8)), K1.frame1NoPseudoHeader.toString(16));
    assert.equal(toHex(encodeVrrpHeader(fields, unicast, 'pseudo-header-group')), toHex(hexBytes(K1.frame1)));
  });

  it('ok, non-default version, type and reserved bits are written as given', () => {
    const encoded = encodeVrrpHeader({ version: 2, type: 3, reserved: 0xa, vrid: 1, priority: 1, maxAdvertInterval: 0xfff, addresses: [] }, TO_GROUP_V4);
    assert.equal(toHex(encoded.subarray(0, 6)), '230101' + '00' + 'afff');
    assert.ok(vrrpChecksumVerifies(encoded, TO_GROUP_V4, 'pseudo-header'));
  });

  it('ok, no addresses: the 8-byte fixed part alone', () => {
    assert.equal(encodeVrrpHeader({ vrid: 1, priority: 100, maxAdvertInterval: 100, addresses: [] }, TO_GROUP_V6).length, 8);
  });

  const base: VrrpHeaderFields = { vrid: 7, priority: 100, maxAdvertInterval: 100, addresses: [VIP] };
  const bad: { name: string; fields: VrrpHeaderFields; endpoints?: VrrpEndpoints }[] = [
    { name: 'bad, VRID 256', fields: { ...base, vrid: 256 } },
    { name: 'bad, negative VRID', fields: { ...base, vrid: -1 } },
    { name: 'bad, priority 256', fields: { ...base, priority: 256 } },
    { name: 'bad, fractional priority', fields: { ...base, priority: 1.5 } },
    { name: 'bad, interval 4096 (12 bits)', fields: { ...base, maxAdvertInterval: 4096 } },
    { name: 'bad, negative interval', fields: { ...base, maxAdvertInterval: -1 } },
    { name: 'bad, reserved 16 (4 bits)', fields: { ...base, reserved: 16 } },
    { name: 'bad, version 16', fields: { ...base, version: 16 } },
    { name: 'bad, type 16', fields: { ...base, type: 16 } },
    { name: 'bad, 256 addresses (the count is one byte)', fields: { ...base, addresses: new Array<IpAddress>(256).fill(VIP) } },
    { name: 'bad, an IPv6 address in an IPv4 advert', fields: { ...base, addresses: [VIP, parseIpAddress('2001:db8::1')] } },
    { name: 'bad, an IPv4 address in an IPv6 advert', fields: base, endpoints: TO_GROUP_V6 },
    { name: 'bad, endpoints of two families', fields: base, endpoints: { source: A, destination: VRRP_GROUP_V6 } },
  ];
  for (const c of bad) {
    it(c.name, () => assert.throws(() => encodeVrrpHeader(c.fields, c.endpoints ?? TO_GROUP_V4), RangeError));
  }

  it('bad, a variant IPv6 does not have', () => {
    assert.throws(() => encodeVrrpHeader({ ...base, addresses: [] }, TO_GROUP_V6, 'no-pseudo-header'), RangeError);
    assert.throws(() => encodeVrrpHeader({ ...base, addresses: [] }, TO_GROUP_V6, 'pseudo-header-group'), RangeError);
  });
});

describe('vrrpHeaderLength', () => {
  const cases = [
    { name: 'ok, IPv4 with 1 address', family: 4 as const, count: 1, want: 12 },
    { name: 'ok, IPv4 with 2 addresses (keepalived [LAB]: 16)', family: 4 as const, count: 2, want: 16 },
    { name: 'ok, IPv6 with 2 addresses (keepalived [LAB]: 40)', family: 6 as const, count: 2, want: 40 },
    { name: 'ok, IPv6 with 255 addresses', family: 6 as const, count: 255, want: 8 + 255 * 16 },
    { name: 'ok, no addresses', family: 4 as const, count: 0, want: 8 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(vrrpHeaderLength(c.family, c.count), c.want));
  it('bad, 256 addresses', () => assert.throws(() => vrrpHeaderLength(4, 256), RangeError));
});

describe('decodeVrrpHeader', () => {
  it('ok, K1 frame 1 fields', () => {
    assert.deepEqual(plain(mustDecode(hexBytes(K1.frame1), 4)), {
      family: 4,
      version: 3,
      type: 1,
      vrid: 7,
      priority: 150,
      reserved: 0,
      maxAdvertInterval: 100,
      checksum: 0xd39d,
      addresses: ['192.0.2.100'],
    });
  });

  it('ok, V6 fields', () => {
    assert.deepEqual(plain(mustDecode(hexBytes(V6.message), 6)), {
      family: 6,
      version: 3,
      type: 1,
      vrid: V6.vrid,
      priority: V6.priority,
      reserved: 0,
      maxAdvertInterval: V6.maxAdvertInterval,
      checksum: V6.checksum,
      addresses: [...V6.addresses],
    });
  });

  it('ok, the reserved bits are kept apart from the 12-bit interval (FRR and keepalived mask them)', () => {
    const bytes = hexBytes(K1.frame1);
    bytes[4] = 0xf0;
    const header = mustDecode(bytes, 4);
    assert.equal(header.reserved, 0xf);
    assert.equal(header.maxAdvertInterval, 100);
  });

  it('ok, the addresses are copies, not views of the receive buffer', () => {
    const buffer = hexBytes(K1.frame1);
    const header = mustDecode(buffer, 4);
    buffer.fill(0);
    assert.equal(header.addresses[0]?.text, K1.address);
  });

  it('ok, decodes at a non-zero byte offset', () => {
    const backing = new Uint8Array(64);
    backing.set(hexBytes(V6.message), 9);
    assert.equal(mustDecode(backing.subarray(9, 9 + 40), 6).addresses[1]?.text, V6.addresses[1]);
  });

  const bad: { name: string; bytes: Uint8Array; family: IpFamily; code: string }[] = [
    { name: 'bad, empty buffer', bytes: new Uint8Array(0), family: 4, code: 'short' },
    { name: 'bad, 7 bytes', bytes: hexBytes(K1.frame1).subarray(0, 7), family: 4, code: 'short' },
    { name: 'bad, VRRPv2 (version 2)', bytes: hexBytes('21079601 00018691 c0000264 00000000 00000000'), family: 4, code: 'bad-version' },
    { name: 'bad, version 4', bytes: hexBytes('41079601 0064d39d c0000264'), family: 4, code: 'bad-version' },
    { name: 'bad, count 1 but no address', bytes: hexBytes(K1.frame1).subarray(0, 8), family: 4, code: 'bad-length' },
    { name: 'bad, count 1 and a cut address', bytes: hexBytes(K1.frame1).subarray(0, 11), family: 4, code: 'bad-length' },
    { name: 'bad, a trailing byte', bytes: Uint8Array.from([...hexBytes(K1.frame1), 0]), family: 4, code: 'bad-length' },
    { name: 'bad, an IPv4 advert read as IPv6', bytes: hexBytes(K1.frame1), family: 6, code: 'bad-length' },
    { name: 'bad, an IPv6 advert read as IPv4', bytes: hexBytes(V6.message), family: 4, code: 'bad-length' },
  ];
  for (const c of bad) {
    it(c.name, () => {
      const result = decodeVrrpHeader(c.bytes, c.family);
      assert.equal(result.ok ? 'ok' : result.error.code, c.code);
    });
  }
});

describe('golden: keepalived-vrrpv3-vrid7.pcap (K1)', () => {
  it('ok, every advert decodes with the expected fields, verifies with the real destination, and re-encodes to the same bytes', () => {
    const seen: number[] = [];
    for (const { frame, ip } of fixtureIpPackets(PCAPS.vrrpV3)) {
      const datagram = decodeIpPacket(ip);
      assert.ok(datagram.ok);
      const { source, destination, payload, ttl } = datagram.value;
      const want = K1.adverts.find((a) => a.frame === frame);
      assert.ok(want !== undefined, `frame ${frame} is not an advert of K1`);
      seen.push(frame);
      assert.equal(source.text, want.source);
      assert.equal(destination.text, '224.0.0.18');
      assert.equal(ttl, 255);
      const header = mustDecode(payload, 4);
      assert.deepEqual(plain(header), {
        family: 4,
        version: 3,
        type: 1,
        vrid: K1.vrid,
        priority: want.priority,
        reserved: 0,
        maxAdvertInterval: K1.maxAdvertInterval,
        checksum: want.checksum,
        addresses: [K1.address],
      });
      // keepalived used the pseudo-header with the real destination, and not the plain sum.
      assert.equal(recognizeVrrpChecksum(payload, datagram.value), 'pseudo-header', `frame ${frame}`);
      assert.equal(vrrpChecksumVerifies(payload, datagram.value, 'no-pseudo-header'), false, `frame ${frame}`);
      assert.equal(toHex(encodeVrrpHeader(fieldsOf(header), datagram.value)), toHex(payload), `frame ${frame}`);
    }
    assert.deepEqual(seen, K1.adverts.map((a) => a.frame));
  });

  it('bad, the VRRPv2 captures are not VRRPv3', () => {
    for (const name of [PCAPS.vrrpV2, PCAPS.vrrpV2AuthPass]) {
      for (const { frame, ip } of fixtureIpPackets(name)) {
        const datagram = decodeIpPacket(ip);
        assert.ok(datagram.ok);
        const result = decodeVrrpHeader(datagram.value.payload, 4);
        assert.equal(result.ok ? 'ok' : result.error.code, 'bad-version', `${name} frame ${frame}`);
      }
    }
  });
});

describe('VRRP header round trip', () => {
  const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(ipAddressFromBytes);
  const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(ipAddressFromBytes);
  const advert = (family: IpFamily) => {
    const address = family === 4 ? ipv4 : ipv6;
    return fc.record({
      fields: fc.record({
        version: fc.integer({ min: 0, max: 15 }),
        type: fc.integer({ min: 0, max: 15 }),
        vrid: fc.integer({ min: 0, max: 255 }),
        priority: fc.integer({ min: 0, max: 255 }),
        reserved: fc.integer({ min: 0, max: 15 }),
        maxAdvertInterval: fc.integer({ min: 0, max: 4095 }),
        addresses: fc.array(address, { maxLength: 20 }),
      }),
      endpoints: fc.record({ source: address, destination: address }),
    });
  };

  for (const family of [4, 6] as const) {
    it(`property: IPv${family} encode → decode gives the fields back, with a checksum that verifies`, () => {
      fc.assert(
        fc.property(advert(family), ({ fields, endpoints }) => {
          const version3 = { ...fields, version: 3 };
          const encoded = encodeVrrpHeader(version3, endpoints);
          assert.equal(encoded.length, vrrpHeaderLength(family, fields.addresses.length));
          assert.ok(vrrpChecksumVerifies(encoded, endpoints, 'pseudo-header'));
          const header = mustDecode(encoded, family);
          assert.deepEqual(plain({ ...header, checksum: 0 }), plain({ ...version3, family, checksum: 0 }));
          assert.equal(toHex(encodeVrrpHeader(fieldsOf(header), endpoints)), toHex(encoded));
        }),
        { numRuns: 300 },
      );
    });
  }

  it('property: random bytes never throw from decodeVrrpHeader, only decode or fail with a closed code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(4 as const, 6 as const), (bytes, family) => {
        const result = decodeVrrpHeader(bytes, family);
        if (!result.ok) assert.ok(['short', 'bad-version', 'bad-length'].includes(result.error.code));
      }),
      { numRuns: 1000 },
    );
  });
});
