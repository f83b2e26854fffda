import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { CarpAuthenticator, carpHmacPrefix } from '../../src/protocols/carp/carp-hmac.ts';
import type { HmacVariant } from '../../src/protocols/carp/carp-hmac.ts';
import { decodeCarpHeader } from '../../src/protocols/carp/carp-header.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { decodeIpPacket } from '../../src/wire/ip-packet.ts';
import { hexBytes, toHex } from '../helpers/bytes.ts';
import { fixtureIpPackets } from '../helpers/fixtures.ts';
import { PCAPS, T1, T2, V1 } from '../fixtures/carp-vectors.ts';

const addresses = (...texts: string[]) => texts.map(parseIpAddress);
const t2All = addresses(...T2.ipv4, ...T2.ipv6);
/** Hex of a message without its trailing 8-byte counter. */
const withoutCounter = (hex: string) => hex.slice(0, -16);

describe('carpHmacPrefix', () => {
  const cases: { name: string; vhid: number; addrs: string[]; variant: HmacVariant; want: string }[] = [
    {
      name: 'ok, T1: ucarp hashes its one --addr',
      vhid: T1.vhid,
      addrs: [T1.address],
      variant: 'no-link-local',
      want: withoutCounter(toHex(hexBytes(T1.message))),
    },
    {
      name: 'ok, T2 no-link-local (OpenBSD HMAC_NOV6LL)',
      vhid: T2.vhid,
      addrs: [...T2.ipv4, ...T2.ipv6],
      variant: 'no-link-local',
      want: withoutCounter(T2.noLinkLocal.message),
    },
    {
      name: 'ok, T2 with-link-local (HMAC_ORIG, FreeBSD)',
      vhid: T2.vhid,
      addrs: [...T2.ipv4, ...T2.ipv6],
      variant: 'with-link-local',
      want: T2.withLinkLocal.prefix,
    },
    {
      name: 'ok, T2 IPv4 only',
      vhid: T2.vhid,
      addrs: [...T2.ipv4],
      variant: 'no-link-local',
      want: withoutCounter(T2.ipv4Only.message),
    },
    {
      name: 'ok, IPv4 sorted numerically, not as strings (10.0.0.10 after 10.0.0.2)',
      vhid: 1,
      addrs: ['10.0.0.10', '10.0.0.2', '9.255.255.255'],
      variant: 'no-link-local',
      want: '020101' + '09ffffff' + '0a000002' + '0a00000a',
    },
    {
      name: 'ok, duplicates collapsed',
      vhid: 1,
      addrs: ['192.0.2.100', '192.0.2.100', '2001:db8::1', '2001:db8:0::1'],
      variant: 'with-link-local',
      want: '020101' + 'c0000264' + '20010db8000000000000000000000001',
    },
    {
      name: 'ok, IPv4 list before IPv6 list whatever the input order',
      vhid: 255,
      addrs: ['2001:db8::1', '192.0.2.1'],
      variant: 'no-link-local',
      want: '0201ff' + 'c0000201' + '20010db8000000000000000000000001',
    },
    {
      name: 'ok, no-link-local drops all of fe80::/10 but keeps fec0::/10',
      vhid: 2,
      addrs: ['febf::1', 'fe80::2', 'fec0::1'],
      variant: 'no-link-local',
      want: '020102' + 'fec00000000000000000000000000001',
    },
    { name: 'ok, no addresses: version, type and vhid only', vhid: 9, addrs: [], variant: 'no-link-local', want: '020109' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(toHex(carpHmacPrefix(c.vhid, addresses(...c.addrs), c.variant)), c.want));
  }

  it('bad, vhid 256', () => assert.throws(() => carpHmacPrefix(256, [], 'no-link-local'), RangeError));
});

describe('CarpAuthenticator', () => {
  const key = carpKeyFromPassphrase(T2.passphrase);

  const signCases: { name: string; passphrase: string; vhid: number; addrs: string[]; counter: bigint; want: string }[] = [
    {
      name: 'ok, T1 (captured ucarp)',
      passphrase: T1.passphrase,
      vhid: T1.vhid,
      addrs: [T1.address],
      counter: T1.counter,
      want: T1.digest,
    },
    {
      name: 'ok, T2 sends no-link-local',
      passphrase: T2.passphrase,
      vhid: T2.vhid,
      addrs: [...T2.ipv4, ...T2.ipv6],
      counter: T2.counter,
      want: T2.noLinkLocal.digest,
    },
    {
      name: 'ok, T2 IPv4 only',
      passphrase: T2.passphrase,
      vhid: T2.vhid,
      addrs: [...T2.ipv4],
      counter: T2.counter,
      want: T2.ipv4Only.digest,
    },
  ];
  for (const c of signCases) {
    it(`sign: ${c.name}`, () => {
      const auth = new CarpAuthenticator(carpKeyFromPassphrase(c.passphrase), c.vhid, addresses(...c.addrs));
      assert.equal(toHex(auth.sign(c.counter)), c.want);
    });
  }

  it('verify: T2 accepts both the no-link-local and the with-link-local digest', () => {
    const auth = new CarpAuthenticator(key, 7, t2All);
    assert.equal(auth.verify(1n, hexBytes(T2.noLinkLocal.digest)), true);
    assert.equal(auth.verify(1n, hexBytes(T2.withLinkLocal.digest)), true);
    assert.equal(auth.verify(1n, hexBytes(T2.ipv4Only.digest)), false);
  });

  it('verify: without link-local addresses only the one variant exists', () => {
    const auth = new CarpAuthenticator(key, 7, addresses(...T2.ipv4));
    assert.equal(auth.verify(1n, hexBytes(T2.ipv4Only.digest)), true);
    assert.equal(auth.verify(1n, hexBytes(T2.noLinkLocal.digest)), false);
  });

  it('sign agrees with a plain node:crypto HMAC over prefix ‖ counter', () => {
    const auth = new CarpAuthenticator(key, 7, t2All);
    const counter = 0x0123456789abcdefn;
    const message = Buffer.concat([carpHmacPrefix(7, t2All, 'no-link-local'), hexBytes('0123456789abcdef')]);
    assert.equal(toHex(auth.sign(counter)), createHmac('sha1', key).update(message).digest('hex'));
  });

  it('sign returns a fresh array each time', () => {
    const auth = new CarpAuthenticator(key, 7, t2All);
    const first = auth.sign(1n);
    const firstHex = toHex(first);
    auth.sign(2n);
    assert.equal(toHex(first), firstHex);
  });

  it('verify: every ucarp advert in the capture (V1, "secret-pass", 192.0.2.100)', () => {
    const auth = new CarpAuthenticator(carpKeyFromPassphrase(V1.passphrase), V1.vhid, addresses(V1.address));
    let verified = 0;
    for (const { frame, ip } of fixtureIpPackets(PCAPS.ucarp)) {
      const datagram = decodeIpPacket(ip);
      assert.ok(datagram.ok);
      if (datagram.value.protocol !== 112) continue;
      const header = decodeCarpHeader(datagram.value.payload);
      assert.ok(header.ok);
      assert.ok(auth.verify(header.value.counter, header.value.digest), `frame ${frame}`);
      assert.equal(toHex(auth.sign(header.value.counter)), toHex(header.value.digest), `frame ${frame}`);
      verified++;
    }
    assert.equal(verified, V1.advertFrames.length);
  });

  describe('tampering fails verification', () => {
    /** T1 exactly as captured; each case changes one thing. */
    interface Input {
      passphrase: string;
      vhid: number;
      addrs: string[];
      counter: bigint;
      digest: Uint8Array;
    }
    const t1: Input = { passphrase: T1.passphrase, vhid: 7, addrs: [T1.address], counter: T1.counter, digest: hexBytes(T1.digest) };
    const flipped = (bytes: Uint8Array, index: number) => {
      const copy = Uint8Array.from(bytes);
      copy[index] = (copy[index] as number) ^ 0x80;
      return copy;
    };
    const cases: { name: string; input: Input; want: boolean }[] = [
      { name: 'ok, untouched T1', input: t1, want: true },
      { name: 'bad, one digest bit flipped', input: { ...t1, digest: flipped(t1.digest, 19) }, want: false },
      { name: 'bad, counter + 1', input: { ...t1, counter: t1.counter + 1n }, want: false },
      { name: 'bad, vhid 8', input: { ...t1, vhid: 8 }, want: false },
      { name: 'bad, another address', input: { ...t1, addrs: ['10.99.0.101'] }, want: false },
      { name: 'bad, an extra address', input: { ...t1, addrs: [T1.address, '10.99.0.101'] }, want: false },
      { name: 'bad, no address', input: { ...t1, addrs: [] }, want: false },
      { name: 'bad, wrong passphrase', input: { ...t1, passphrase: 'secretpas' }, want: false },
      { name: 'bad, digest of 19 bytes', input: { ...t1, digest: t1.digest.subarray(0, 19) }, want: false },
      { name: 'bad, empty digest', input: { ...t1, digest: new Uint8Array(0) }, want: false },
      { name: 'bad, counter out of range', input: { ...t1, counter: -1n }, want: false },
    ];
    for (const { name, input, want } of cases) {
      it(name, () => {
        const key = carpKeyFromPassphrase(input.passphrase);
        const auth = new CarpAuthenticator(key, input.vhid, addresses(...input.addrs));
        assert.equal(auth.verify(input.counter, input.digest), want);
      });
    }
  });

  it('bad, a key that is not 20 bytes', () => {
    assert.throws(() => new CarpAuthenticator(new TextEncoder().encode('secret'), 7, []), RangeError);
  });

  it('bad, signing a counter beyond 64 bits', () => {
    const auth = new CarpAuthenticator(key, 7, []);
    assert.throws(() => auth.sign(1n << 64n), RangeError);
    assert.throws(() => auth.sign(-1n), RangeError);
  });

  it('ok, counter 2^64 - 1 and 0 sign and verify', () => {
    const auth = new CarpAuthenticator(key, 7, t2All);
    for (const counter of [0n, (1n << 64n) - 1n]) assert.ok(auth.verify(counter, auth.sign(counter)));
  });
});
