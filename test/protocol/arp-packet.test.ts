import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ARP_REPLY,
  ARP_REQUEST,
  decodeArpPacket,
  encodeArpPacket,
  encodedArpPacketLength,
  gratuitousArp,
  gratuitousArpFrame,
} from '../../src/wire/arp-packet.ts';
import type { ArpPacket } from '../../src/wire/arp-packet.ts';
import { decodeEthernetFrame, ETHERTYPE_ARP } from '../../src/wire/ethernet-frame.ts';
import { ipAddressFromBytes, parseIpAddress } from '../../src/wire/ip-address.ts';
import { carpVirtualMac, macAddressFromBytes, parseMacAddress } from '../../src/wire/mac-address.ts';
import { hexBytes, toHex } from '../helpers/bytes.ts';

/** An ARP packet as plain comparable values. */
function plain(p: ArpPacket): Record<string, unknown> {
  return {
    operation: p.operation,
    senderMac: p.senderMac.text,
    senderIp: p.senderIp.text,
    targetMac: p.targetMac.text,
    targetIp: p.targetIp.text,
  };
}

/**
 * The ucarp gratuitous ARP, frame 1 of test/fixtures/ucarp-vhid7-secret-pass.pcap (test/fixtures/PROVENANCE.md), captured
 * in the lab right after ucarp's up-script returned. ucarp puts its own MAC in the target hardware
 * address; carpd (like OpenBSD/FreeBSD and RFC 5227 §3) puts zeros there, keepalived and FRR put
 * ff:ff:ff:ff:ff:ff. Receivers learn from the sender fields only, so all three interoperate.
 */
const UCARP_GARP = hexBytes(`
  ffffffffffff  # Ethernet destination: broadcast
  9e23b2fb75d0  # Ethernet source: the real NIC MAC (ucarp has no virtual MAC)
  0806          # EtherType ARP
  0001          # hardware type Ethernet
  0800          # protocol type IPv4
  06            # hardware address length
  04            # protocol address length
  0001          # operation: request
  9e23b2fb75d0  # sender MAC
  c0000264      # sender IP 192.0.2.100
  9e23b2fb75d0  # target MAC: ucarp's own (carpd: 00:00:00:00:00:00)
  c0000264      # target IP 192.0.2.100
`);

describe('ARP', () => {
  it('ok, decodes the captured ucarp gratuitous ARP', () => {
    const frame = decodeEthernetFrame(UCARP_GARP);
    assert.ok(frame.ok);
    assert.equal(frame.value.destination.text, 'ff:ff:ff:ff:ff:ff');
    assert.equal(frame.value.etherType, ETHERTYPE_ARP);
    const arp = decodeArpPacket(frame.value.payload);
    assert.ok(arp.ok);
    assert.deepEqual(plain(arp.value), {
      operation: ARP_REQUEST,
      senderMac: '9e:23:b2:fb:75:d0',
      senderIp: '192.0.2.100',
      targetMac: '9e:23:b2:fb:75:d0',
      targetIp: '192.0.2.100',
    });
    assert.equal(toHex(encodeArpPacket(arp.value)), toHex(frame.value.payload));
  });

  it('ok, gratuitousArpFrame: the ucarp frame but with a zero target MAC', () => {
    const mac = parseMacAddress('9e:23:b2:fb:75:d0');
    const frame = gratuitousArpFrame(mac, parseIpAddress('192.0.2.100'));
    const want = Uint8Array.from(UCARP_GARP);
    want.fill(0, 14 + 18, 14 + 24); // target MAC → zeros
    assert.equal(toHex(frame), toHex(want));
  });

  it('ok, gratuitousArp with the virtual MAC, byte for byte', () => {
    const packet = gratuitousArp(carpVirtualMac(7), parseIpAddress('198.51.100.7'));
    const want = hexBytes(`
      0001          # hardware type Ethernet
      0800          # protocol type IPv4
      06 04         # address lengths
      0001          # request
      00005e000107  # sender MAC = virtual MAC
      c6336407      # sender IP 198.51.100.7
      000000000000  # target MAC unknown
      c6336407      # target IP = sender IP
    `);
    assert.equal(toHex(encodeArpPacket(packet)), toHex(want));
    assert.equal(encodedArpPacketLength(), want.length);
  });

  it('ok, Ethernet padding after the 28 bytes is ignored', () => {
    const padded = new Uint8Array(46);
    padded.set(UCARP_GARP.subarray(14));
    const result = decodeArpPacket(padded);
    assert.ok(result.ok);
    assert.equal(result.value.targetIp.text, '192.0.2.100');
  });

  const bad: ReadonlyArray<[string, (b: Uint8Array) => Uint8Array, string]> = [
    ['bad, short buffer', (b) => b.subarray(0, 27), 'short'],
    ['bad, hardware type 6 (IEEE 802)', (b) => (b.set([0, 6], 0), b), 'unsupported-arp-format'],
    ['bad, protocol IPv6', (b) => (b.set([0x86, 0xdd], 2), b), 'unsupported-arp-format'],
    ['bad, hardware length 8', (b) => ((b[4] = 8), b), 'unsupported-arp-format'],
    ['bad, protocol length 16', (b) => ((b[5] = 16), b), 'unsupported-arp-format'],
  ];
  for (const [name, edit, code] of bad) {
    it(name, () => {
      const result = decodeArpPacket(edit(Uint8Array.from(UCARP_GARP.subarray(14))));
      assert.equal(result.ok ? 'ok' : result.error.code, code);
    });
  }

  it('bad, encoder refuses IPv6 addresses', () => {
    assert.throws(() => encodeArpPacket(gratuitousArp(carpVirtualMac(1), parseIpAddress('2001:db8::1'))), RangeError);
  });

  it('ok, random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const result = decodeArpPacket(bytes);
        if (result.ok) assert.equal(toHex(encodeArpPacket(result.value)), toHex(bytes.subarray(0, 28)));
      }),
      { numRuns: 2000 },
    );
    // Random bytes rarely pass the format check: also fuzz behind a valid fixed header.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (tail) => {
        const bytes = new Uint8Array(28);
        bytes.set(UCARP_GARP.subarray(14, 14 + 8));
        bytes.set(tail, 8);
        const result = decodeArpPacket(bytes);
        assert.ok(result.ok);
        assert.equal(toHex(encodeArpPacket(result.value)), toHex(bytes));
      }),
    );
  });

  it('ok, encode → decode round trip', () => {
    const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map(macAddressFromBytes);
    const ip = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(ipAddressFromBytes);
    fc.assert(
      fc.property(fc.constantFrom(ARP_REQUEST, ARP_REPLY), mac, ip, mac, ip, (operation, senderMac, senderIp, targetMac, targetIp) => {
        const packet: ArpPacket = { operation, senderMac, senderIp, targetMac, targetIp };
        const back = decodeArpPacket(encodeArpPacket(packet));
        assert.ok(back.ok);
        assert.deepEqual(plain(back.value), plain(packet));
      }),
    );
  });
});
