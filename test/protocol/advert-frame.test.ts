import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { advertFrame, decodeAdvertFrame } from '../../src/wire/advert-frame.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { carpVirtualMac, parseMacAddress, ucarpAdvertSourceMac } from '../../src/wire/mac-address.ts';
import { hexBytes, toHex } from '../helpers/bytes.ts';

/**
 * A ucarp advert as captured in the lab: frame 14 of
 * test/fixtures/ucarp-vhid7-secret-pass.pcap (test/fixtures/PROVENANCE.md), the full Ethernet frame (192.0.2.2 → 224.0.0.18, IP id 0x8ba6).
 */
const UCARP_ADVERT_FRAME = hexBytes(`
  01005e000012  # Ethernet destination: 224.0.0.18's multicast MAC
  00005e000007  # Ethernet source: ucarp's 00:00:5e:00:00:{vhid}
  0800          # EtherType IPv4
  45 10 0038    # IPv4, IHL 5, TOS 0x10, total length 56
  8ba6 4000     # identification 0x8ba6, DF
  ff 70 4d8a    # TTL 255, protocol 112, header checksum
  c0000202      # source 192.0.2.2
  e0000012      # destination 224.0.0.18
  2107320700017a1df14f7101fcb2a93901c6e6e32cc434d21640292b37a57c3f46a4a660 # CARP header + HMAC
`);
const CARP_PAYLOAD = UCARP_ADVERT_FRAME.subarray(34);

describe('advertFrame', () => {
  it('ok, reproduces the captured ucarp advert frame', () => {
    const frame = advertFrame({
      family: 4,
      sourceMac: ucarpAdvertSourceMac(7),
      sourceIp: parseIpAddress('192.0.2.2'),
      payload: CARP_PAYLOAD,
      ipId: 0x8ba6,
    });
    assert.equal(toHex(frame), toHex(UCARP_ADVERT_FRAME));
  });

  it('ok, IPv6 to ff02::12 from the virtual MAC', () => {
    const payload = new Uint8Array(36).fill(0xab);
    const frame = advertFrame({ family: 6, sourceMac: carpVirtualMac(7), sourceIp: parseIpAddress('fe80::7'), payload });
    const want = hexBytes(`
      333300000012  # Ethernet destination: ff02::12's multicast MAC
      00005e000107  # Ethernet source: the virtual MAC
      86dd          # EtherType IPv6
      60000000      # version 6, traffic class 0, flow label 0
      0024          # payload length 36
      70            # next header 112
      ff            # hop limit 255
      fe800000000000000000000000000007 # source fe80::7
      ff020000000000000000000000000012 # destination ff02::12
      ${'ab'.repeat(36)} # the CARP payload
    `);
    assert.equal(toHex(frame), toHex(want));
  });

  it('ok, unicast destination uses the given peer MAC', () => {
    const frame = advertFrame({
      family: 4,
      sourceMac: carpVirtualMac(7),
      sourceIp: parseIpAddress('198.51.100.1'),
      destination: parseIpAddress('198.51.100.2'),
      destinationMac: parseMacAddress('02:00:00:00:00:02'),
      payload: CARP_PAYLOAD,
    });
    const decoded = decodeAdvertFrame(frame);
    assert.ok(decoded.ok);
    assert.equal(decoded.value.destinationMac.text, '02:00:00:00:00:02');
    assert.equal(decoded.value.datagram.destination.text, '198.51.100.2');
  });

  it('bad, unicast destination without a MAC, and a family mismatch', () => {
    const base = { family: 4 as const, sourceMac: carpVirtualMac(7), sourceIp: parseIpAddress('198.51.100.1'), payload: CARP_PAYLOAD };
    assert.throws(() => advertFrame({ ...base, destination: parseIpAddress('198.51.100.2') }), RangeError);
    assert.throws(() => advertFrame({ ...base, family: 6 }), RangeError);
  });
});

describe('decodeAdvertFrame', () => {
  it('ok, decodes the ucarp frame', () => {
    const decoded = decodeAdvertFrame(UCARP_ADVERT_FRAME);
    assert.ok(decoded.ok);
    assert.equal(decoded.value.sourceMac.text, '00:00:5e:00:00:07');
    assert.equal(decoded.value.destinationMac.text, '01:00:5e:00:00:12');
    assert.equal(decoded.value.datagram.source.text, '192.0.2.2');
    assert.equal(decoded.value.datagram.ttl, 255);
    assert.equal(toHex(decoded.value.datagram.payload), toHex(CARP_PAYLOAD));
  });

  const bad: ReadonlyArray<[string, (b: Uint8Array) => Uint8Array, string]> = [
    ['bad, short Ethernet header', (b) => b.subarray(0, 10), 'short'],
    ['bad, ARP EtherType', (b) => (b.set([0x08, 0x06], 12), b), 'bad-ip-version'],
    ['bad, EtherType IPv6 over an IPv4 packet', (b) => (b.set([0x86, 0xdd], 12), b), 'bad-ip-version'],
    ['bad, IP header checksum', (b) => ((b[14 + 10] = 0), b), 'bad-ip-checksum'],
  ];
  for (const [name, edit, code] of bad) {
    it(name, () => {
      const result = decodeAdvertFrame(edit(Uint8Array.from(UCARP_ADVERT_FRAME)));
      assert.equal(result.ok ? 'ok' : result.error.code, code);
    });
  }

  it('ok, random bytes never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => void decodeAdvertFrame(bytes)), { numRuns: 2000 });
  });

  it('ok, encode → decode round trip for any payload and IP id', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(4 as const, 6 as const), (payload, ipId, family) => {
        const sourceIp = parseIpAddress(family === 4 ? '198.51.100.1' : 'fe80::1');
        const decoded = decodeAdvertFrame(advertFrame({ family, sourceMac: carpVirtualMac(1), sourceIp, payload, ipId }));
        assert.ok(decoded.ok);
        assert.equal(toHex(decoded.value.datagram.payload), toHex(payload));
        assert.equal(decoded.value.datagram.destination.text, family === 4 ? '224.0.0.18' : 'ff02::12');
      }),
    );
  });
});
