/**
 * What a netlink event means for a group (daemon/address-drift.ts): the verdict table, and the
 * kernel asked again before a late 'new' event is called a conflict (FakeHostNetlink).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { driftVerdict, stillPresent, type DriftView, type HostEvent } from '../../src/daemon/address-drift.ts';
import { FakeHostNetlink } from '../../src/linux/netlink/fake-host-netlink.ts';
import type { InterfaceAddress, LinkInfo } from '../../src/ports/host-netlink.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

const VIP: InterfaceAddress = { ifindex: 5, address: parseIpAddress('198.51.100.7'), prefixLength: 24 };
const OTHER: InterfaceAddress = { ifindex: 5, address: parseIpAddress('198.51.100.99'), prefixLength: 24 };
const OWN_LINK = { index: 5, name: 'carp7', mac: '00:00:5e:00:01:07', up: true, running: true } as LinkInfo;

function view(overrides: Partial<DriftView> = {}): DriftView {
  return {
    managing: true,
    addressOwner: false,
    addresses: [{ address: VIP.address, prefixLength: 24 }],
    holdingAddresses: true,
    busy: false,
    isOwnLink: (link) => link.index === OWN_LINK.index,
    ...overrides,
  };
}

const address = (type: 'new' | 'del', a: InterfaceAddress): HostEvent => ({ kind: 'address', event: { type, address: a } });
const link = (type: 'new' | 'del', l: LinkInfo): HostEvent => ({ kind: 'link', event: { type, link: l } });

const cases: { name: string; event: HostEvent; view: DriftView; verdict: string }[] = [
  { name: 'ok, a VIP deleted while holding: repair', event: address('del', VIP), view: view(), verdict: 'repair' },
  { name: 'ok, a VIP deleted while not holding: nothing', event: address('del', VIP), view: view({ holdingAddresses: false }), verdict: 'none' },
  { name: 'ok, a VIP added while not holding: check for a conflict', event: address('new', VIP), view: view({ holdingAddresses: false }), verdict: 'check-conflict' },
  { name: 'ok, a VIP added while the effects work: nothing (it is ours)', event: address('new', VIP), view: view({ holdingAddresses: false, busy: true }), verdict: 'none' },
  { name: 'ok, a VIP added while holding: nothing', event: address('new', VIP), view: view(), verdict: 'none' },
  { name: 'ok, another address: nothing', event: address('del', OTHER), view: view(), verdict: 'none' },
  { name: "ok, an address owner's address: never touched", event: address('del', VIP), view: view({ addressOwner: true }), verdict: 'none' },
  { name: 'ok, manage_addresses off: nothing', event: address('del', VIP), view: view({ managing: false }), verdict: 'none' },
  { name: 'ok, our macvlan deleted while holding: repair', event: link('del', OWN_LINK), view: view(), verdict: 'repair' },
  { name: 'ok, our macvlan down while holding: repair', event: link('new', { ...OWN_LINK, up: false }), view: view(), verdict: 'repair' },
  { name: 'ok, our macvlan up while holding: nothing', event: link('new', OWN_LINK), view: view(), verdict: 'none' },
  { name: 'ok, our macvlan deleted while not holding: nothing', event: link('del', OWN_LINK), view: view({ holdingAddresses: false }), verdict: 'none' },
  { name: "ok, someone else's link deleted: nothing", event: link('del', { ...OWN_LINK, index: 9, name: 'eth1' }), view: view(), verdict: 'none' },
];

for (const c of cases) {
  test(`driftVerdict: ${c.name}`, () => {
    assert.equal(driftVerdict(c.event, c.view).kind, c.verdict);
  });
}

test('a conflict check carries the address reported', () => {
  const verdict = driftVerdict(address('new', VIP), view({ holdingAddresses: false }));
  assert.deepEqual(verdict, { kind: 'check-conflict', address: VIP });
});

test('stillPresent asks the kernel: present, gone, or its interface gone', async () => {
  const netlink = new FakeHostNetlink();
  const eth0 = netlink.addLink({ name: 'eth0' });
  const here = netlink.addHostAddress(eth0.index, '198.51.100.7', 24);
  assert.equal(await stillPresent(netlink, here), true);
  netlink.removeAddressExternally(eth0.index, '198.51.100.7');
  assert.equal(await stillPresent(netlink, here), false);
  assert.equal(await stillPresent(netlink, { ...here, ifindex: 4242 }), false, 'no such interface: no such address');
});
