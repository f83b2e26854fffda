import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classifyProtocol112 } from '../../src/protocols/protocol-112.ts';
import type { Protocol112Kind } from '../../src/protocols/protocol-112.ts';
import { decodeIpPacket } from '../../src/wire/ip-packet.ts';
import { hexBytes } from '../helpers/bytes.ts';
import { fixtureIpPackets } from '../helpers/fixtures.ts';
import { PCAPS, T1 } from '../fixtures/carp-vectors.ts';

/** A payload of `length` bytes starting with `first`, byte 3 = `byte3`. */
function shaped(first: number, length: number, byte3?: number): Uint8Array {
  const bytes = new Uint8Array(length);
  if (length > 0) bytes[0] = first;
  if (byte3 !== undefined && length > 3) bytes[3] = byte3;
  return bytes;
}

describe('classifyProtocol112', () => {
  const cases: { name: string; payload: Uint8Array; want: Protocol112Kind }[] = [
    { name: 'carp, T1 header (36 bytes, byte 3 = 7)', payload: hexBytes(T1.header), want: 'carp' },
    { name: 'vrrp-v3, version nibble 3 (12 bytes, one IPv4 address)', payload: shaped(0x31, 12, 1), want: 'vrrp-v3' },
    { name: 'vrrp-v3, even a 1-byte payload', payload: shaped(0x31, 1), want: 'vrrp-v3' },
    { name: 'vrrp-v2, 20 bytes with one address', payload: shaped(0x21, 20, 1), want: 'vrrp-v2' },
    { name: 'vrrp-v2, 36 bytes with five addresses (byte 3 = 5)', payload: shaped(0x21, 36, 5), want: 'vrrp-v2' },
    { name: 'vrrp-v2, 44 bytes with seven addresses (byte 3 = 7)', payload: shaped(0x21, 44, 7), want: 'vrrp-v2' },
    { name: 'vrrp-v2, 8-byte header with no addresses', payload: shaped(0x21, 8, 0), want: 'vrrp-v2' },
    { name: 'vrrp-v2, longer than 36 and byte 3 not 7', payload: shaped(0x21, 60, 12), want: 'vrrp-v2' },
    { name: 'carp-oversized, 40 bytes with byte 3 = 7', payload: shaped(0x21, 40, 7), want: 'carp-oversized' },
    { name: 'carp-oversized, 37 bytes with byte 3 = 7', payload: shaped(0x21, 37, 7), want: 'carp-oversized' },
    { name: 'short, empty payload', payload: new Uint8Array(0), want: 'short' },
    { name: 'short, 35 bytes with byte 3 = 7 (truncated CARP)', payload: shaped(0x21, 35, 7), want: 'short' },
    { name: 'short, 7 bytes with byte 3 = 1', payload: shaped(0x21, 7, 1), want: 'short' },
    { name: 'short, 2 bytes (no byte 3)', payload: shaped(0x21, 2), want: 'short' },
    { name: 'other-version, version 1', payload: shaped(0x11, 36, 7), want: 'other-version' },
    { name: 'other-version, version 0', payload: shaped(0x01, 36, 7), want: 'other-version' },
    { name: 'other-version, version 15', payload: shaped(0xf1, 3), want: 'other-version' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(classifyProtocol112(c.payload), c.want));
  }

  const captures: { name: string; pcap: string; want: Protocol112Kind; count: number }[] = [
    { name: 'ucarp capture: every advert is carp', pcap: PCAPS.ucarp, want: 'carp', count: 11 },
    { name: 'keepalived VRRPv3 capture: every advert is vrrp-v3', pcap: PCAPS.vrrpV3, want: 'vrrp-v3', count: 11 },
    { name: 'keepalived VRRPv2 capture: every advert is vrrp-v2', pcap: PCAPS.vrrpV2, want: 'vrrp-v2', count: 11 },
    { name: 'keepalived VRRPv2 PASS capture: every advert is vrrp-v2', pcap: PCAPS.vrrpV2AuthPass, want: 'vrrp-v2', count: 4 },
  ];
  for (const c of captures) {
    it(c.name, () => {
      const kinds = fixtureIpPackets(c.pcap).map(({ ip }) => {
        const datagram = decodeIpPacket(ip);
        assert.ok(datagram.ok);
        assert.equal(datagram.value.protocol, 112);
        return classifyProtocol112(datagram.value.payload);
      });
      assert.deepEqual(kinds, new Array<Protocol112Kind>(c.count).fill(c.want));
    });
  }

  it('property: never throws and is "carp" only for 36 bytes with 0x2? and byte 3 = 7', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (payload) => {
        const kind = classifyProtocol112(payload);
        const carpShaped = payload.length === 36 && (payload[0] as number) >> 4 === 2 && payload[3] === 7;
        assert.equal(kind === 'carp', carpShaped);
      }),
    );
  });
});
