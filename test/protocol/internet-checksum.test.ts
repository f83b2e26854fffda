import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { internetChecksum } from '../../src/wire/internet-checksum.ts';
import { hexBytes } from '../helpers/bytes.ts';

/** A straightforward reference: fold after every word. */
function referenceChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += ((bytes[i] as number) << 8) | (bytes[i + 1] ?? 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

describe('internetChecksum', () => {
  const cases: { name: string; bytes: Uint8Array; want: number }[] = [
    { name: 'ok, empty buffer sums to zero, complement 0xffff', bytes: new Uint8Array(0), want: 0xffff },
    { name: 'ok, RFC 1071 §3 example (sum 0xddf2)', bytes: hexBytes('0001 f203 f4f5 f6f7'), want: 0x220d },
    { name: 'ok, odd length pads with a zero byte', bytes: hexBytes('01'), want: 0xfeff },
    { name: 'ok, all-ones word', bytes: hexBytes('ffff'), want: 0x0000 },
    { name: 'ok, carry wraps around', bytes: hexBytes('ffff 0001'), want: 0xfffe },
    {
      name: 'ok, ucarp IPv4 header with its checksum field zeroed (V1 frame 2, ip_cksum 0xa5d6)',
      bytes: hexBytes('4510 0038 335b 4000 ff70 0000 c000 0201 e000 0012'),
      want: 0xa5d6,
    },
    {
      name: 'ok, T2 CARP header with its checksum field zeroed (docs/protocol-carp.md "Test vectors", 0x6398)',
      bytes: hexBytes('2107000700010000 0000000000000001 8cd6d3312407dc33c8ccdcbb3d30d59505c25d03'),
      want: 0x6398,
    },
    { name: 'ok, 64 KiB of 0xff folds many carries', bytes: new Uint8Array(65536).fill(0xff), want: 0x0000 },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(internetChecksum(c.bytes), c.want));
  }

  it('property: equals a fold-every-word reference', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        assert.equal(internetChecksum(bytes), referenceChecksum(bytes));
      }),
    );
  });

  it('property: a buffer carrying its own checksum verifies to zero', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 300 }), fc.nat(), (input, at) => {
        const bytes = Uint8Array.from(input.length % 2 === 0 ? input : [...input, 0]);
        const offset = (at % (bytes.length / 2)) * 2;
        bytes[offset] = 0;
        bytes[offset + 1] = 0;
        const sum = internetChecksum(bytes);
        bytes[offset] = sum >> 8;
        bytes[offset + 1] = sum & 0xff;
        assert.equal(internetChecksum(bytes), 0);
      }),
    );
  });
});
