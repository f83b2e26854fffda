import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeIpPacket, type Datagram } from '../../src/wire/ip-packet.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { recognizeVrrpChecksum, VRRP_GROUP_V4 } from '../../src/protocols/vrrp/vrrp-checksum.ts';
import { decodeVrrp2Header, encodeVrrp2Header, vrrp2AuthData, vrrp2FieldsOf, vrrp2HeaderLength, type Vrrp2HeaderFields } from '../../src/protocols/vrrp/vrrp2-header.ts';
import { vrrpProfile } from '../../src/protocols/vrrp/vrrp-version.ts';
import { fixtureIpPackets } from '../helpers/fixtures.ts';
import { PCAPS } from '../fixtures/carp-vectors.ts';

const A = parseIpAddress('192.0.2.1');
const VIP = parseIpAddress('192.0.2.100');
const TO_GROUP = { source: A, destination: VRRP_GROUP_V4 };
const text = (s: string) => new TextEncoder().encode(s);

function vrrpDatagrams(name: string): Datagram[] {
  return fixtureIpPackets(name)
    .map(({ ip }) => decodeIpPacket(ip))
    .flatMap((d) => (d.ok && d.value.protocol === 112 ? [d.value] : []));
}

describe('encodeVrrp2Header: RFC 3768 §5.1 byte for byte', () => {
  it('ok, priority 150, one address, password "secret"', () => {
    const fields: Vrrp2HeaderFields = { vrid: 7, priority: 150, advertIntervalSeconds: 1, addresses: [VIP], authType: 1, authData: text('secret') };
    const bytes = encodeVrrp2Header(fields, TO_GROUP);
    assert.equal(bytes.length, 20);
    assert.deepEqual([...bytes.subarray(0, 6)], [
      0x21, // version 2, type 1
      7, // VRID
      150, // priority
      1, // one address
      1, // Auth Type 1: simple text password
      1, // Advertisement Interval: 1 s
    ]);
    assert.deepEqual([...bytes.subarray(8, 12)], [192, 0, 2, 100]);
    assert.deepEqual([...bytes.subarray(12)], [...text('secret'), 0, 0], 'the password zero-padded to 8 bytes');
    assert.equal(recognizeVrrpChecksum(bytes, TO_GROUP), 'no-pseudo-header', 'the checksum covers the message alone');
  });

  it('ok, no authentication: Auth Type 0 and 8 zero bytes', () => {
    const bytes = encodeVrrp2Header({ vrid: 7, priority: 100, advertIntervalSeconds: 3, addresses: [VIP], authType: 0, authData: new Uint8Array(0) }, TO_GROUP);
    assert.equal(bytes[4], 0);
    assert.equal(bytes[5], 3);
    assert.deepEqual([...bytes.subarray(12)], [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('bad, a password over 8 bytes, an IPv6 address, an interval of 256 s', () => {
    assert.throws(() => vrrp2AuthData(text('123456789')), RangeError);
    assert.throws(() => encodeVrrp2Header({ vrid: 7, priority: 100, advertIntervalSeconds: 1, addresses: [parseIpAddress('2001:db8::1')], authType: 0, authData: new Uint8Array(0) }, TO_GROUP), RangeError);
    assert.throws(() => encodeVrrp2Header({ vrid: 7, priority: 100, advertIntervalSeconds: 256, addresses: [VIP], authType: 0, authData: new Uint8Array(0) }, TO_GROUP), RangeError);
  });
});

describe('decodeVrrp2Header: keepalived 2.2.7 captures (test/fixtures/PROVENANCE.md)', () => {
  it('ok, every advert of the no-auth capture decodes and re-encodes to the same bytes', () => {
    const adverts = vrrpDatagrams(PCAPS.vrrpV2);
    assert.ok(adverts.length > 10);
    for (const d of adverts) {
      const decoded = decodeVrrp2Header(d.payload);
      assert.ok(decoded.ok);
      assert.equal(decoded.value.vrid, 7);
      assert.equal(decoded.value.maxAdvertInterval, 1);
      assert.equal(decoded.value.auth?.type, 0);
      assert.deepEqual(decoded.value.addresses.map((a) => a.text), ['192.0.2.100']);
      assert.deepEqual([...encodeVrrp2Header(vrrp2FieldsOf(decoded.value), d)], [...d.payload]);
    }
  });

  it('ok, the auth_pass capture carries "secret" zero-padded, and carpd encodes the same bytes', () => {
    const adverts = vrrpDatagrams(PCAPS.vrrpV2AuthPass);
    assert.ok(adverts.length > 0);
    for (const d of adverts) {
      const decoded = decodeVrrp2Header(d.payload);
      assert.ok(decoded.ok);
      assert.equal(decoded.value.auth?.type, 1);
      assert.deepEqual([...(decoded.value.auth?.data ?? [])], [...vrrp2AuthData(text('secret'))]);
      const ours = vrrpProfile(2).encode(
        { vrid: 7, priority: decoded.value.priority, advertIntervalCentis: 100, addresses: decoded.value.addresses, auth: { type: 'pass', password: text('secret') } },
        d,
      );
      assert.deepEqual([...ours], [...d.payload], 'the profile encodes what keepalived sent');
    }
  });
});

describe('decodeVrrp2Header: every failure is a typed result', () => {
  const good = encodeVrrp2Header({ vrid: 7, priority: 100, advertIntervalSeconds: 1, addresses: [VIP], authType: 1, authData: text('pw') }, TO_GROUP);
  const cases: { name: string; payload: Uint8Array; code: string }[] = [
    { name: 'bad, 7 bytes', payload: good.subarray(0, 7), code: 'short' },
    { name: 'bad, version 3', payload: Uint8Array.from(good, (b, i) => (i === 0 ? 0x31 : b)), code: 'bad-version' },
    { name: 'bad, without the auth data', payload: good.subarray(0, 12), code: 'bad-length' },
    { name: 'bad, count 2 with one address', payload: Uint8Array.from(good, (b, i) => (i === 3 ? 2 : b)), code: 'bad-length' },
    { name: 'bad, a trailing byte', payload: Uint8Array.from([...good, 0]), code: 'bad-length' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = decodeVrrp2Header(c.payload);
      assert.ok(!result.ok);
      assert.equal(result.error.code, c.code);
    });
  }

  it('property: random bytes never throw; what decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const result = decodeVrrp2Header(bytes);
        if (result.ok) {
          const again = encodeVrrp2Header(vrrp2FieldsOf(result.value), TO_GROUP);
          // Equal but for the checksum, which encode computes.
          assert.deepEqual([...again.subarray(0, 6), ...again.subarray(8)], [...bytes.subarray(0, 6), ...bytes.subarray(8)]);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('property: valid fields round-trip', () => {
    fc.assert(
      fc.property(
        fc.record({
          vrid: fc.integer({ min: 0, max: 255 }),
          priority: fc.integer({ min: 0, max: 255 }),
          advertIntervalSeconds: fc.integer({ min: 0, max: 255 }),
          authType: fc.integer({ min: 0, max: 2 }),
          authData: fc.uint8Array({ maxLength: 8 }),
          addresses: fc.array(fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => parseIpAddress(`${a}.0.2.${b}`)), { maxLength: 20 }),
        }),
        (fields) => {
          const bytes = encodeVrrp2Header(fields, TO_GROUP);
          assert.equal(bytes.length, vrrp2HeaderLength(fields.addresses.length));
          const decoded = decodeVrrp2Header(bytes);
          assert.ok(decoded.ok);
          assert.deepEqual([...encodeVrrp2Header(vrrp2FieldsOf(decoded.value), TO_GROUP)], [...bytes]);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
