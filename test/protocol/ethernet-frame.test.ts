import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeEthernetFrame,
  encodedEthernetFrameLength,
  encodeEthernetFrame,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
} from '../../src/wire/ethernet-frame.ts';
import type { EthernetFrame } from '../../src/wire/ethernet-frame.ts';
import { macAddressFromBytes, parseMacAddress } from '../../src/wire/mac-address.ts';
import { hexBytes, toHex } from '../helpers/bytes.ts';

/** A frame as plain comparable values. */
function plain(f: EthernetFrame): Record<string, unknown> {
  return { destination: f.destination.text, source: f.source.text, etherType: f.etherType, payload: toHex(f.payload) };
}

describe('Ethernet II', () => {
  it('ok, constants', () => {
    assert.equal(ETHERTYPE_IPV4, 0x0800);
    assert.equal(ETHERTYPE_ARP, 0x0806);
    assert.equal(ETHERTYPE_IPV6, 0x86dd);
  });

  it('ok, encodes header fields in order', () => {
    const frame: EthernetFrame = {
      destination: parseMacAddress('01:00:5e:00:00:12'),
      source: parseMacAddress('00:00:5e:00:01:07'),
      etherType: ETHERTYPE_IPV4,
      payload: Uint8Array.of(0xde, 0xad),
    };
    const want = hexBytes(`
      01005e000012  # destination 01:00:5e:00:00:12
      00005e000107  # source 00:00:5e:00:01:07
      0800          # EtherType IPv4
      dead          # payload
    `);
    const encoded = encodeEthernetFrame(frame);
    assert.equal(toHex(encoded), toHex(want));
    assert.equal(encoded.length, encodedEthernetFrameLength(2));
    const back = decodeEthernetFrame(encoded);
    assert.ok(back.ok);
    assert.deepEqual(plain(back.value), plain(frame));
  });

  const bad: ReadonlyArray<[string, string, string]> = [
    ['bad, short buffer', 'ffffffffffff000000000001', 'short'],
    ['bad, 802.3 length field', 'ffffffffffff000000000001 05dc', 'not-ethernet-ii'],
  ];
  for (const [name, hex, code] of bad) {
    it(name, () => {
      const result = decodeEthernetFrame(hexBytes(hex));
      assert.equal(result.ok ? 'ok' : result.error.code, code);
    });
  }

  it('ok, an empty payload decodes', () => {
    const result = decodeEthernetFrame(hexBytes('ffffffffffff 000000000001 86dd'));
    assert.ok(result.ok);
    assert.equal(result.value.payload.length, 0);
  });

  it('bad, encoder refuses an 802.3 length as EtherType', () => {
    const mac = parseMacAddress('00:00:00:00:00:01');
    assert.throws(() => encodeEthernetFrame({ destination: mac, source: mac, etherType: 100, payload: new Uint8Array() }), RangeError);
  });

  it('ok, random bytes never throw; what decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const result = decodeEthernetFrame(bytes);
        if (result.ok) assert.equal(toHex(encodeEthernetFrame(result.value)), toHex(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('ok, encode → decode round trip', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0x0600, max: 0xffff }),
        fc.uint8Array({ maxLength: 100 }),
        (d, s, etherType, payload) => {
          const frame = { destination: macAddressFromBytes(d), source: macAddressFromBytes(s), etherType, payload };
          const back = decodeEthernetFrame(encodeEthernetFrame(frame));
          assert.ok(back.ok);
          assert.deepEqual(plain(back.value), plain(frame));
        },
      ),
    );
  });
});
