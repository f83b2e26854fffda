import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipAddressFromBytes, parseIpAddress } from '../../src/wire/ip-address.ts';
import {
  acceptedVrrpChecksumVariants,
  computeVrrpChecksum,
  recognizeVrrpChecksum,
  vrrpChecksumVariantsFor,
  vrrpChecksumVerifies,
  VRRP_CHECKSUM_VARIANTS,
  VRRP_GROUP_V4,
  VRRP_GROUP_V6,
  type VrrpChecksumVariant,
  type VrrpEndpoints,
} from '../../src/protocols/vrrp/vrrp-checksum.ts';
import { encodeVrrpHeader } from '../../src/protocols/vrrp/vrrp-header.ts';
import { hexBytes } from '../helpers/bytes.ts';
import { K1, V6 } from '../fixtures/vrrp-vectors.ts';

const A = parseIpAddress('192.0.2.1');
const B = parseIpAddress('192.0.2.2');
const MULTICAST: VrrpEndpoints = { source: A, destination: VRRP_GROUP_V4 };
const UNICAST: VrrpEndpoints = { source: A, destination: B };
const V6_MULTICAST: VrrpEndpoints = { source: parseIpAddress(V6.source), destination: VRRP_GROUP_V6 };

/** K1 frame 1's message with its checksum field replaced. */
function frame1With(checksum: number): Uint8Array {
  const bytes = hexBytes(K1.frame1);
  bytes[6] = checksum >> 8;
  bytes[7] = checksum & 0xff;
  return bytes;
}

describe('computeVrrpChecksum', () => {
  const cases: { name: string; endpoints: VrrpEndpoints; variant: VrrpChecksumVariant; want: number }[] = [
    { name: 'ok, K1 frame 1: pseudo-header with 224.0.0.18, as keepalived sent it', endpoints: MULTICAST, variant: 'pseudo-header', want: 0xd39d },
    { name: 'ok, the same message to 192.0.2.2 (keepalived unicast)', endpoints: UNICAST, variant: 'pseudo-header', want: K1.frame1UnicastTo192_0_2_2 },
    { name: 'ok, to 192.0.2.2 with the group in the pseudo-header (keepalived ≤ 1.3.6)', endpoints: UNICAST, variant: 'pseudo-header-group', want: 0xd39d },
    { name: 'ok, no pseudo-header (v3_checksum_as_v2, RFC 9568 §5.2.8 for IPv4)', endpoints: MULTICAST, variant: 'no-pseudo-header', want: K1.frame1NoPseudoHeader },
    { name: 'ok, V6: the RFC 8200 pseudo-header', endpoints: V6_MULTICAST, variant: 'pseudo-header', want: V6.checksum },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const message = c.endpoints === V6_MULTICAST ? hexBytes(V6.message) : hexBytes(K1.frame1);
      assert.equal(computeVrrpChecksum(message, c.endpoints, c.variant), c.want);
      // Whatever the checksum field holds, it is summed as zero.
      message[6] = 0xbe;
      message[7] = 0xef;
      assert.equal(computeVrrpChecksum(message, c.endpoints, c.variant), c.want);
    });
  }

  it('bad, IPv6 has only the pseudo-header', () => {
    assert.throws(() => computeVrrpChecksum(hexBytes(V6.message), V6_MULTICAST, 'no-pseudo-header'), RangeError);
    assert.throws(() => computeVrrpChecksum(hexBytes(V6.message), V6_MULTICAST, 'pseudo-header-group'), RangeError);
  });

  it('bad, endpoints of two families', () => {
    assert.throws(() => computeVrrpChecksum(hexBytes(K1.frame1), { source: A, destination: VRRP_GROUP_V6 }), RangeError);
  });
});

describe('recognizeVrrpChecksum', () => {
  const cases: { name: string; message: Uint8Array; endpoints: VrrpEndpoints; want: VrrpChecksumVariant | undefined }[] = [
    { name: 'ok, multicast with the pseudo-header: the standard variant first', message: hexBytes(K1.frame1), endpoints: MULTICAST, want: 'pseudo-header' },
    { name: 'ok, unicast with the real destination', message: frame1With(K1.frame1UnicastTo192_0_2_2), endpoints: UNICAST, want: 'pseudo-header' },
    { name: 'ok, unicast with the group address summed (old keepalived)', message: hexBytes(K1.frame1), endpoints: UNICAST, want: 'pseudo-header-group' },
    { name: 'ok, multicast without a pseudo-header', message: frame1With(K1.frame1NoPseudoHeader), endpoints: MULTICAST, want: 'no-pseudo-header' },
    { name: 'ok, unicast without a pseudo-header', message: frame1With(K1.frame1NoPseudoHeader), endpoints: UNICAST, want: 'no-pseudo-header' },
    { name: 'ok, IPv6 with the pseudo-header', message: hexBytes(V6.message), endpoints: V6_MULTICAST, want: 'pseudo-header' },
    { name: 'bad, a checksum off by one matches nothing', message: frame1With(0xd39c), endpoints: MULTICAST, want: undefined },
    { name: 'bad, a summed source that is not the sender', message: hexBytes(K1.frame1), endpoints: { source: B, destination: VRRP_GROUP_V4 }, want: undefined },
    { name: 'bad, IPv6 has no plain-sum variant', message: plainSumV6(), endpoints: V6_MULTICAST, want: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(recognizeVrrpChecksum(c.message, c.endpoints), c.want));

  it('ok, only the accepted variants are tried', () => {
    assert.equal(recognizeVrrpChecksum(hexBytes(K1.frame1), UNICAST, ['pseudo-header']), undefined);
    assert.equal(recognizeVrrpChecksum(frame1With(K1.frame1NoPseudoHeader), MULTICAST, ['pseudo-header', 'pseudo-header-group']), undefined);
    assert.equal(recognizeVrrpChecksum(frame1With(K1.frame1NoPseudoHeader), MULTICAST, ['no-pseudo-header']), 'no-pseudo-header');
  });
});

describe('checksum modes', () => {
  const cases: { name: string; mode: 'strict' | 'compatible'; family: 4 | 6; want: readonly VrrpChecksumVariant[] }[] = [
    { name: 'ok, strict IPv4: the real destination only', mode: 'strict', family: 4, want: ['pseudo-header'] },
    { name: 'ok, compatible IPv4: all three (docs/protocol-vrrp.md "Checksum")', mode: 'compatible', family: 4, want: ['pseudo-header', 'pseudo-header-group', 'no-pseudo-header'] },
    { name: 'ok, strict IPv6', mode: 'strict', family: 6, want: ['pseudo-header'] },
    { name: 'ok, compatible IPv6: still only the pseudo-header', mode: 'compatible', family: 6, want: ['pseudo-header'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(acceptedVrrpChecksumVariants(c.mode, c.family), c.want));
  it('ok, the variants of each family', () => {
    assert.deepEqual(vrrpChecksumVariantsFor(4), VRRP_CHECKSUM_VARIANTS);
    assert.deepEqual(vrrpChecksumVariantsFor(6), ['pseudo-header']);
  });
});

describe('checksum properties', () => {
  const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(ipAddressFromBytes);
  const fields = fc.record({
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    maxAdvertInterval: fc.integer({ min: 1, max: 4095 }),
    addresses: fc.array(ipv4, { minLength: 1, maxLength: 8 }),
  });

  it('property: each IPv4 variant encodes to a message that verifies under it and is recognised', () => {
    fc.assert(
      fc.property(fields, ipv4, ipv4, fc.constantFrom(...VRRP_CHECKSUM_VARIANTS), (f, source, destination, variant) => {
        const endpoints = { source, destination };
        const message = encodeVrrpHeader(f, endpoints, variant);
        assert.ok(vrrpChecksumVerifies(message, endpoints, variant));
        assert.equal(recognizeVrrpChecksum(message, endpoints, [variant]), variant);
        assert.ok(recognizeVrrpChecksum(message, endpoints) !== undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('property: a single changed byte never verifies under the variant it was encoded with', () => {
    fc.assert(
      fc.property(fields, ipv4, fc.constantFrom(...VRRP_CHECKSUM_VARIANTS), fc.nat(), fc.integer({ min: 1, max: 255 }), (f, source, variant, at, xor) => {
        const endpoints = { source, destination: VRRP_GROUP_V4 };
        const message = encodeVrrpHeader(f, endpoints, variant);
        message[at % message.length] = (message[at % message.length] as number) ^ xor;
        assert.equal(vrrpChecksumVerifies(message, endpoints, variant), false);
      }),
      { numRuns: 300 },
    );
  });
});

/** V6's message with the plain sum (no pseudo-header) in its checksum field, as no IPv6 peer sends. */
function plainSumV6(): Uint8Array {
  const bytes = hexBytes(V6.message);
  bytes[6] = 0;
  bytes[7] = 0;
  const sum = computeVrrpChecksum(bytes, { source: A, destination: B }, 'no-pseudo-header');
  bytes[6] = sum >> 8;
  bytes[7] = sum & 0xff;
  return bytes;
}
