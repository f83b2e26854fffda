/**
 * RawCarpTransport.setOwnAddresses on a fake addon (issue 19 item 2): the socket's source is
 * re-bound when the interface is renumbered, a --srcip / source_address source stays pinned, and
 * own-advert detection follows; with a virtual MAC the framed adverts carry the new source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CarpSocket, CarpSocketBinding } from '../../src/linux/native-binding.ts';
import { RawCarpTransport } from '../../src/linux/raw-carp-transport.ts';
import { VirtualMacAdvertTransport } from '../../src/linux/virtual-mac-advert-transport.ts';
import { decodeAdvertFrame } from '../../src/wire/advert-frame.ts';
import { parseIpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import { carpVirtualMac } from '../../src/wire/mac-address.ts';

const ip = (text: string) => parseIpAddress(text);

/** A fake addon recording each socket's bindSource calls. */
function fakeBinding(): { binding: CarpSocketBinding; bound: Map<IpFamily, string[]> } {
  const bound = new Map<IpFamily, string[]>();
  const binding = {
    openCarpSocket: (options: { family: IpFamily }) => {
      bound.set(options.family, []);
      const socket: CarpSocket = {
        send: () => {},
        bindSource: (address) => void bound.get(options.family)?.push(address),
        close: () => {},
        ref: () => {},
        unref: () => {},
      };
      return socket;
    },
  } as unknown as CarpSocketBinding;
  return { binding, bound };
}

test('renumbered: the source is re-bound to the new address, once, and own-advert detection follows', () => {
  const { binding, bound } = fakeBinding();
  const transport = new RawCarpTransport({ ifname: 'eth0', families: [4, 6], addresses: [ip('198.51.100.10'), ip('fe80::1')], onError: () => {}, binding });
  assert.deepEqual(bound.get(4), ['198.51.100.10']);
  assert.deepEqual(transport.setOwnAddresses([ip('fe80::1')]), [], 'no IPv4 left: nothing to move to');
  const changes = transport.setOwnAddresses([ip('fe80::1'), ip('198.51.100.50')]);
  assert.deepEqual(changes.map((c) => [c.family, c.from?.text, c.to.text]), [[4, '198.51.100.10', '198.51.100.50']]);
  assert.deepEqual(bound.get(4), ['198.51.100.10', '198.51.100.50']);
  assert.deepEqual(bound.get(6), ['fe80::1'], 'the IPv6 source did not move');
  assert.equal(transport.sourceAddress(4)?.text, '198.51.100.50');
  assert.equal(transport.isOwnAddress(ip('198.51.100.50')), true);
  assert.equal(transport.isOwnAddress(ip('198.51.100.10')), false);
  assert.deepEqual(transport.setOwnAddresses([ip('fe80::1'), ip('198.51.100.50')]), [], 'the same list again moves nothing');
});

test('pinned (--srcip, source_address): the source stays when the interface is renumbered', () => {
  const { binding, bound } = fakeBinding();
  const transport = new RawCarpTransport({ ifname: 'eth0', families: [4], addresses: [ip('198.51.100.10')], sources: { 4: ip('198.51.100.10') }, onError: () => {}, binding });
  assert.deepEqual(transport.setOwnAddresses([ip('198.51.100.50')]), []);
  assert.deepEqual(bound.get(4), ['198.51.100.10']);
  assert.equal(transport.sourceAddress(4)?.text, '198.51.100.10');
  assert.equal(transport.isOwnAddress(ip('198.51.100.50')), true, 'own-advert detection still follows');
});

test('an interface with no IPv4 at start gets a source when one is added', () => {
  const { binding, bound } = fakeBinding();
  const transport = new RawCarpTransport({ ifname: 'eth0', families: [4], addresses: [], onError: () => {}, binding });
  assert.equal(transport.sourceAddress(4), undefined);
  assert.equal(transport.setOwnAddresses([ip('198.51.100.50')]).length, 1);
  assert.deepEqual(bound.get(4), ['198.51.100.50']);
});

test('vmac: the framed adverts carry the new source IP after the renumbering', () => {
  const { binding } = fakeBinding();
  const raw = new RawCarpTransport({ ifname: 'eth0', families: [4], addresses: [ip('198.51.100.10')], onError: () => {}, binding });
  const frames: Buffer[] = [];
  const transport = new VirtualMacAdvertTransport(raw, { ifname: 'eth0', sourceMac: carpVirtualMac(7), openPacketSocket: () => ({ sendFrame: (f) => void frames.push(f), close: () => {} }) });
  transport.send(4, new Uint8Array(36));
  raw.setOwnAddresses([ip('198.51.100.50')]);
  transport.send(4, new Uint8Array(36));
  const sources = frames.map((f) => {
    const decoded = decodeAdvertFrame(f);
    assert.ok(decoded.ok);
    return decoded.value.datagram.source.text;
  });
  assert.deepEqual(sources, ['198.51.100.10', '198.51.100.50']);
});
