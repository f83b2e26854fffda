import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import {
  carpVirtualMac,
  formatMac,
  InvalidMacAddressError,
  ipv4MulticastMac,
  ipv6MulticastMac,
  macAddressEquals,
  macAddressFromBytes,
  parseMacAddress,
  ucarpAdvertSourceMac,
} from '../../src/wire/mac-address.ts';

describe('parseMacAddress', () => {
  const ok: ReadonlyArray<[string, string, string]> = [
    ['ok, colon lowercase', '00:00:5e:00:01:07', '00005e000107'],
    ['ok, uppercase is canonicalised', '9E:23:B2:FB:75:D0', '9e23b2fb75d0'],
    ['ok, dashes', '01-00-5e-00-00-12', '01005e000012'],
    ['ok, broadcast', 'ff:ff:ff:ff:ff:ff', 'ffffffffffff'],
  ];
  for (const [name, text, hex] of ok) {
    it(name, () => {
      const mac = parseMacAddress(text);
      assert.equal(Buffer.from(mac.bytes).toString('hex'), hex);
      assert.equal(mac.text, hex.match(/../g)?.join(':'));
    });
  }
  const bad: ReadonlyArray<[string, string]> = [
    ['bad, empty', ''],
    ['bad, five bytes', '00:00:5e:00:01'],
    ['bad, seven bytes', '00:00:5e:00:01:07:08'],
    ['bad, one-digit byte', '0:00:5e:00:01:07'],
    ['bad, mixed separators', '00:00-5e:00:01:07'],
    ['bad, not hex', '00:00:5e:00:01:zz'],
    ['bad, no separators', '00005e000107'],
  ];
  for (const [name, text] of bad) {
    it(name, () => assert.throws(() => parseMacAddress(text), InvalidMacAddressError));
  }
  it('ok, format → parse round trip for any 6 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (bytes) => {
        const mac = macAddressFromBytes(bytes);
        assert.ok(macAddressEquals(parseMacAddress(formatMac(bytes)), mac));
      }),
    );
  });
  it('bad, macAddressFromBytes refuses other lengths', () => {
    assert.throws(() => macAddressFromBytes(new Uint8Array(5)), RangeError);
  });
});

describe('well-known MACs', () => {
  it('ok, carpVirtualMac(7) = 00:00:5e:00:01:07 and 255 = ...:ff', () => {
    assert.equal(carpVirtualMac(7).text, '00:00:5e:00:01:07');
    assert.equal(carpVirtualMac(255).text, '00:00:5e:00:01:ff');
  });
  it('ok, ucarpAdvertSourceMac(7) = 00:00:5e:00:00:07 (as captured)', () => {
    assert.equal(ucarpAdvertSourceMac(7).text, '00:00:5e:00:00:07');
  });
  it('bad, vhid 0 and 256 are refused', () => {
    assert.throws(() => carpVirtualMac(0), RangeError);
    assert.throws(() => carpVirtualMac(256), RangeError);
    assert.throws(() => ucarpAdvertSourceMac(1.5), RangeError);
  });
  const v4: ReadonlyArray<[string, string]> = [
    ['224.0.0.18', '01:00:5e:00:00:12'],
    ['224.0.0.1', '01:00:5e:00:00:01'],
    ['239.255.1.2', '01:00:5e:7f:01:02'], // bit 24 (0x80 of the 2nd byte) dropped
    ['225.128.1.2', '01:00:5e:00:01:02'],
  ];
  for (const [ip, mac] of v4) {
    it(`ok, IPv4 multicast ${ip} → ${mac}`, () => assert.equal(ipv4MulticastMac(parseIpAddress(ip)).text, mac));
  }
  const v6: ReadonlyArray<[string, string]> = [
    ['ff02::12', '33:33:00:00:00:12'],
    ['ff02::1', '33:33:00:00:00:01'],
    ['ff02::1:ff00:1234', '33:33:ff:00:12:34'],
  ];
  for (const [ip, mac] of v6) {
    it(`ok, IPv6 multicast ${ip} → ${mac}`, () => assert.equal(ipv6MulticastMac(parseIpAddress(ip)).text, mac));
  }
  it('bad, unicast or wrong-family addresses have no multicast MAC', () => {
    assert.throws(() => ipv4MulticastMac(parseIpAddress('192.0.2.1')), RangeError);
    assert.throws(() => ipv4MulticastMac(parseIpAddress('ff02::12')), RangeError);
    assert.throws(() => ipv6MulticastMac(parseIpAddress('2001:db8::1')), RangeError);
    assert.throws(() => ipv6MulticastMac(parseIpAddress('224.0.0.18')), RangeError);
  });
});
