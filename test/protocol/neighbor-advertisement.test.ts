import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipAddressFromBytes, parseIpAddress } from '../../src/wire/ip-address.ts';
import { decodeEthernetFrame, ETHERTYPE_IPV6 } from '../../src/wire/ethernet-frame.ts';
import {
  decodeNeighborAdvertisement,
  encodedNeighborAdvertisementLength,
  encodeNeighborAdvertisement,
  icmpv6Checksum,
  unsolicitedNeighborAdvertisement,
  unsolicitedNeighborAdvertisementFrame,
} from '../../src/wire/neighbor-advertisement.ts';
import type { NeighborAdvertisement } from '../../src/wire/neighbor-advertisement.ts';
import { carpVirtualMac, macAddressFromBytes } from '../../src/wire/mac-address.ts';
import { hexBytes, toHex } from '../helpers/bytes.ts';

/**
 * An independent reference for the ICMPv6 checksum: the RFC 8200 §8.1 pseudo-header written out
 * as hex, then a word-by-word one's-complement sum folded at every step (not the code under test).
 */
function referenceChecksum(sourceHex: string, destinationHex: string, messageHex: string): number {
  const length = (messageHex.length / 2).toString(16).padStart(8, '0');
  // source, destination, upper-layer length (32 bits), 3 zero bytes, next header 58 (0x3a)
  const all = Buffer.from(`${sourceHex}${destinationHex}${length}0000003a${messageHex}`, 'hex');
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) {
    sum += (all[i] as number) * 256 + (all[i + 1] ?? 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

/** An NA as plain comparable values. */
function plain(na: NeighborAdvertisement): Record<string, unknown> {
  return { ...na, source: na.source.text, destination: na.destination.text, target: na.target.text, targetMac: na.targetMac?.text };
}

const VIP = '20010db8000000000000000000000007'; // 2001:db8::7
const ALL_NODES_HEX = 'ff020000000000000000000000000001'; // ff02::1

/** The ICMPv6 part of the NA with a zero checksum, per field. */
function naMessageHex(flags: string): string {
  return toHex(
    hexBytes(`
      88                                 # type 136, Neighbor Advertisement
      00                                 # code 0
      0000                               # checksum (zero while computing)
      ${flags} 000000                    # flags R S O, 29 reserved bits
      ${VIP}                             # target 2001:db8::7
      02                                 # option 2, target link-layer address
      01                                 # option length 1 (8 bytes)
      00005e000107                       # the virtual MAC
    `),
  );
}

describe('unsolicited Neighbor Advertisement', () => {
  const cases: ReadonlyArray<[string, boolean, string]> = [
    ['ok, Override only (FreeBSD, a host)', false, '20'],
    ['ok, Router + Override (OpenBSD forwarding, FRR)', true, 'a0'],
  ];
  for (const [name, router, flags] of cases) {
    it(name, () => {
      const packet = unsolicitedNeighborAdvertisement({ mac: carpVirtualMac(7), target: parseIpAddress('2001:db8::7'), router });
      const message = naMessageHex(flags);
      const checksum = referenceChecksum(VIP, ALL_NODES_HEX, message).toString(16).padStart(4, '0');
      const want = hexBytes(`
        60000000      # version 6, traffic class 0, flow label 0
        0020          # payload length 32
        3a            # next header 58, ICMPv6
        ff            # hop limit 255
        ${VIP}        # source: the VIP itself
        ${ALL_NODES_HEX} # destination ff02::1
        ${message.slice(0, 4)} ${checksum} ${message.slice(8)} # the NA, checksum filled in
      `);
      assert.equal(toHex(packet), toHex(want));
      const decoded = decodeNeighborAdvertisement(packet);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.detail);
      assert.deepEqual(plain(decoded.value), {
        source: '2001:db8::7',
        destination: 'ff02::1',
        hopLimit: 255,
        router,
        solicited: false,
        override: true,
        target: '2001:db8::7',
        targetMac: '00:00:5e:00:01:07',
      });
    });
  }

  it('ok, icmpv6Checksum agrees with the reference for random messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 64 }),
        (s, d, m) => {
          assert.equal(icmpv6Checksum(ipAddressFromBytes(s), ipAddressFromBytes(d), m), referenceChecksum(toHex(s), toHex(d), toHex(m)));
        },
      ),
    );
  });

  it('ok, the frame goes from the MAC to 33:33:00:00:00:01 as IPv6', () => {
    const options = { mac: carpVirtualMac(7), target: parseIpAddress('2001:db8::7'), router: false };
    const frame = decodeEthernetFrame(unsolicitedNeighborAdvertisementFrame(options));
    assert.ok(frame.ok);
    assert.equal(frame.value.destination.text, '33:33:00:00:00:01');
    assert.equal(frame.value.source.text, '00:00:5e:00:01:07');
    assert.equal(frame.value.etherType, ETHERTYPE_IPV6);
    assert.equal(toHex(frame.value.payload), toHex(unsolicitedNeighborAdvertisement(options)));
  });

  it('bad, an IPv4 target is refused', () => {
    assert.throws(() => unsolicitedNeighborAdvertisement({ mac: carpVirtualMac(7), target: parseIpAddress('192.0.2.1'), router: false }), RangeError);
  });
});

describe('decodeNeighborAdvertisement', () => {
  const good = unsolicitedNeighborAdvertisement({ mac: carpVirtualMac(7), target: parseIpAddress('2001:db8::7'), router: true });

  /** Edits the ICMPv6 message (offset relative to it) and, unless told not to, fixes the checksum. */
  function edited(edit: (message: Uint8Array) => void, fixChecksum = true): Uint8Array {
    const packet = Uint8Array.from(good);
    const message = packet.subarray(40);
    edit(message);
    if (fixChecksum) {
      message[2] = 0;
      message[3] = 0;
      const sum = referenceChecksum(toHex(packet.subarray(8, 24)), toHex(packet.subarray(24, 40)), toHex(message));
      message[2] = sum >> 8;
      message[3] = sum & 0xff;
    }
    return packet;
  }

  const bad: ReadonlyArray<[string, () => Uint8Array, string]> = [
    ['bad, short buffer', () => good.subarray(0, 30), 'short'],
    ['bad, next header UDP', () => ((p) => ((p[6] = 17), p))(Uint8Array.from(good)), 'not-icmpv6'],
    ['bad, type 135 (solicitation)', () => edited((m) => (m[0] = 135)), 'not-neighbor-advertisement'],
    ['bad, code 1', () => edited((m) => (m[1] = 1)), 'not-neighbor-advertisement'],
    ['bad, checksum off by one', () => edited((m) => (m[3] = ((m[3] as number) + 1) & 0xff), false), 'bad-icmpv6-checksum'],
    ['bad, multicast target', () => edited((m) => (m[8] = 0xff)), 'bad-nd-target'],
    ['bad, option length 0', () => edited((m) => (m[25] = 0)), 'bad-nd-option'],
    ['bad, option runs past the end', () => edited((m) => (m[25] = 2)), 'bad-nd-option'],
  ];
  for (const [name, bytes, code] of bad) {
    it(name, () => {
      const result = decodeNeighborAdvertisement(bytes());
      assert.equal(result.ok ? 'ok' : result.error.code, code);
    });
  }

  it('ok, an NA without options has no targetMac', () => {
    const na: NeighborAdvertisement = {
      source: parseIpAddress('fe80::1'),
      destination: parseIpAddress('ff02::1'),
      hopLimit: 255,
      router: false,
      solicited: false,
      override: true,
      target: parseIpAddress('2001:db8::1'),
    };
    const bytes = encodeNeighborAdvertisement(na);
    assert.equal(bytes.length, encodedNeighborAdvertisementLength(na));
    const back = decodeNeighborAdvertisement(bytes);
    assert.ok(back.ok);
    assert.equal(back.value.targetMac, undefined);
  });

  it('ok, random bytes never throw, also behind a valid IPv6 header', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => void decodeNeighborAdvertisement(bytes)), { numRuns: 2000 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (tail) => {
        const packet = new Uint8Array(40 + tail.length);
        packet.set(good.subarray(0, 40));
        packet[4] = tail.length >> 8;
        packet[5] = tail.length & 0xff;
        packet.set(tail, 40);
        decodeNeighborAdvertisement(packet);
      }),
      { numRuns: 2000 },
    );
  });

  it('ok, encode → decode → encode round trip', () => {
    const ip6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(ipAddressFromBytes);
    const unicast6 = ip6.filter((a) => a.bytes[0] !== 0xff);
    const mac = fc.option(fc.uint8Array({ minLength: 6, maxLength: 6 }).map(macAddressFromBytes), { nil: undefined });
    fc.assert(
      fc.property(ip6, ip6, fc.integer({ min: 0, max: 255 }), fc.boolean(), fc.boolean(), fc.boolean(), unicast6, mac, (source, destination, hopLimit, router, solicited, override, target, targetMac) => {
        const na: NeighborAdvertisement = { source, destination, hopLimit, router, solicited, override, target, ...(targetMac ? { targetMac } : {}) };
        const bytes = encodeNeighborAdvertisement(na);
        const back = decodeNeighborAdvertisement(bytes);
        assert.ok(back.ok, back.ok ? '' : back.error.detail);
        assert.deepEqual(plain(back.value), plain(na));
        assert.equal(toHex(encodeNeighborAdvertisement(back.value)), toHex(bytes));
      }),
    );
  });
});
