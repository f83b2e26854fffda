/**
 * Issue 18 item 3, "careless configs refused", on fakes: carpd removes only addresses that carry
 * its mark (CARPD_ADDRESS_PROTOCOL), and a VIP that is an address of the host (any interface,
 * unmarked) refuses start and reload with CARPD_HOST_ADDRESS without touching the host. The
 * pure check (host-address-check.ts) is table-tested at the end, with the subnet warning.
 * Every daemon test asserts the fake kernel's addresses, not only the code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StartupError } from '../../src/daemon/daemon.ts';
import { checkHostAddresses, type HostAddresses } from '../../src/daemon/host-address-check.ts';
import { CARPD_ADDRESS_PROTOCOL, type InterfaceAddress } from '../../src/ports/host-netlink.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { carpdConfig, groupConfig, makeDaemon, PARENT, vrrpGroupConfig } from '../helpers/fake-platform.ts';

/** The code of a StartupError, or what was thrown instead. */
async function startupCode(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof StartupError ? error.code : `not a StartupError: ${String(error)}`),
  );
}

test('item 3, start: a VIP left on eth0 by a killed run (carpd mark) is removed, and the group starts', async () => {
  const rig = makeDaemon({
    groups: [groupConfig({ vmac: false })],
    prepare: (netlink) => void netlink.addHostAddress(1, '198.51.100.7', 24, { protocol: CARPD_ADDRESS_PROTOCOL }),
  });
  await rig.daemon.start();
  await rig.settle();
  assert.deepEqual(rig.vips(), [], 'the marked leftover is gone');
  assert.equal(rig.daemon.status().groups[0]?.state, 'BACKUP');
  assert.ok(rig.logger.records.some((r) => r.level === 'warn' && r.fields['address'] === '198.51.100.7/24'));
  await rig.daemon.stop();
});

test("item 3, start: a VIP equal to eth0's own address is refused (CARPD_HOST_ADDRESS) and the address is kept", async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vmac: false, addresses: [PARENT.address] })] });
  assert.equal(await startupCode(rig.daemon.start()), 'CARPD_HOST_ADDRESS');
  await rig.settle();
  assert.deepEqual(rig.netlink.mutations(), [], 'nothing added, removed or created');
  assert.ok(rig.netlink.addresses().some((a) => a.address.text === PARENT.address && a.ifindex === rig.eth0.index), 'the host address is still on eth0');
});

test('item 3, start: a VIP equal to an address of another interface (eth1) is refused too, with --vmac', async () => {
  const rig = makeDaemon({
    groups: [groupConfig({ addresses: ['198.51.100.77'] })],
    prepare: (netlink) => {
      const eth1 = netlink.addLink({ name: 'eth1' });
      netlink.addHostAddress(eth1.index, '198.51.100.77', 32);
    },
  });
  assert.equal(await startupCode(rig.daemon.start()), 'CARPD_HOST_ADDRESS');
  assert.deepEqual(rig.netlink.mutations(), []);
  assert.equal(rig.link('carp7'), undefined, 'no macvlan created');
});

test('item 3, start: a VRRP address owner (priority 255) uses its own address: allowed, never removed', async () => {
  const rig = makeDaemon({ groups: [vrrpGroupConfig({ priority: 255, addresses: [PARENT.address] })] });
  await rig.daemon.start();
  await rig.settle();
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  await rig.daemon.stop();
  assert.ok(rig.netlink.addresses().some((a) => a.address.text === PARENT.address), 'still on eth0 after the stop');
});

test("item 3, reload: a new VIP equal to the host's address is refused (CARPD_HOST_ADDRESS); the running group and its VIP stay", async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vmac: false })] });
  await rig.daemon.start();
  await rig.becomeMaster();
  assert.deepEqual(rig.vips(), ['eth0 198.51.100.7/24']);
  rig.next = carpdConfig([groupConfig({ vmac: false, addresses: ['198.51.100.7', PARENT.address] })]);
  const result = await rig.daemon.reload();
  await rig.settle();
  assert.equal(result.ok, false);
  assert.equal(result.ok ? '' : result.code, 'CARPD_HOST_ADDRESS');
  assert.deepEqual(rig.vips(), ['eth0 198.51.100.7/24'], 'the VIP stays');
  assert.ok(rig.netlink.addresses().some((a) => a.address.text === PARENT.address), 'the host address stays');
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.equal(rig.daemon.currentConfig.groups[0]?.addresses.length, 1, 'the old configuration is in force');
  await rig.daemon.stop();
  assert.deepEqual(rig.vips(), []);
});

test("item 3, reload: a master's own VIPs carry carpd's mark, so reloading the same file passes", async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vmac: false })] });
  await rig.daemon.start();
  await rig.becomeMaster();
  rig.next = carpdConfig([groupConfig({ vmac: false, advskew: 10 })]);
  const result = await rig.daemon.reload();
  assert.equal(result.ok, true, result.ok ? '' : result.message);
  assert.deepEqual(rig.vips(), ['eth0 198.51.100.7/24']);
  await rig.daemon.stop();
});

test('item 3, release: an unmarked copy of the VIP (an operator re-added it by hand) is not removed when the master stops', async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vmac: false })] });
  await rig.daemon.start();
  await rig.becomeMaster();
  rig.netlink.removeAddressExternally(rig.eth0.index, '198.51.100.7');
  // Before drift repair runs, the operator adds it themselves, without carpd's mark.
  rig.netlink.addHostAddress(rig.eth0.index, '198.51.100.7', 24);
  await rig.settle();
  await rig.daemon.stop();
  assert.deepEqual(rig.vips(), ['eth0 198.51.100.7/24'], "the operator's address stays");
  assert.ok(rig.logger.records.some((r) => r.level === 'warn' && r.fields['address'] === '198.51.100.7'));
});

// ---- the pure check -----------------------------------------------------------------------

const eth0 = { index: 1, name: 'eth0' };
const eth1 = { index: 2, name: 'eth1' };

function address(ifindex: number, text: string, prefixLength: number, protocol?: number): InterfaceAddress {
  return { ifindex, address: parseIpAddress(text), prefixLength, ...(protocol === undefined ? {} : { protocol }) };
}

const HOST: HostAddresses = {
  links: [eth0, eth1],
  addresses: [address(1, '198.51.100.10', 24), address(1, 'fe80::1', 64), address(1, '2001:db8::10', 64), address(2, '203.0.113.5', 24), address(1, '198.51.100.50', 24, CARPD_ADDRESS_PROTOCOL)],
};

const cases: { name: string; groups: Parameters<typeof checkHostAddresses>[0]['groups']; errors: string[]; warnings: string[] }[] = [
  { name: 'ok, a free VIP in the subnet', groups: [groupConfig()], errors: [], warnings: [] },
  { name: 'ok, a VIP carpd already holds (marked)', groups: [groupConfig({ addresses: ['198.51.100.50'] })], errors: [], warnings: [] },
  { name: "bad, the host's own address on its interface", groups: [groupConfig({ addresses: ['198.51.100.10'] })], errors: ['CARPD_HOST_ADDRESS groups[0].addresses[0]'], warnings: [] },
  { name: "bad, another interface's address", groups: [groupConfig({ addresses: ['198.51.100.7', '203.0.113.5'] })], errors: ['CARPD_HOST_ADDRESS groups[0].addresses[1]'], warnings: [] },
  { name: 'bad, an IPv6 host address', groups: [groupConfig({ addresses: ['2001:db8::10'] })], errors: ['CARPD_HOST_ADDRESS groups[0].addresses[0]'], warnings: [] },
  { name: 'ok, a VRRP owner (priority 255) names its own address', groups: [vrrpGroupConfig({ priority: 255, addresses: ['198.51.100.10'] })], errors: [], warnings: [] },
  { name: 'bad, a VRRP backup (priority 100) names the host address', groups: [vrrpGroupConfig({ addresses: ['198.51.100.10'] })], errors: ['CARPD_HOST_ADDRESS groups[0].addresses[0]'], warnings: [] },
  { name: 'ok, ucarp mode (the scripts own the address) is not checked', groups: [groupConfig({ manageAddresses: false, addresses: ['198.51.100.10'] })], errors: [], warnings: [] },
  { name: 'warning, a VIP outside every subnet of eth0', groups: [groupConfig({ addresses: ['203.0.113.9'] })], errors: [], warnings: ['CARPD_VIP_OUTSIDE_SUBNET groups[0].addresses[0]'] },
  { name: 'ok, an IPv6 VIP in the global /64', groups: [groupConfig({ addresses: ['2001:db8::7'] })], errors: [], warnings: [] },
  { name: 'warning, an IPv6 VIP only inside the link-local /64', groups: [groupConfig({ addresses: ['fe80::7'] })], errors: [], warnings: ['CARPD_VIP_OUTSIDE_SUBNET groups[0].addresses[0]'] },
  { name: 'warning, an interface with no IPv4 subnet', groups: [groupConfig({ interface: 'eth1', addresses: ['2001:db8::9'] })], errors: [], warnings: ['CARPD_VIP_OUTSIDE_SUBNET groups[0].addresses[0]'] },
  { name: 'ok, a missing interface is left to the interface check', groups: [groupConfig({ interface: 'eth9', addresses: ['203.0.113.9'] })], errors: [], warnings: [] },
];

for (const c of cases) {
  test(`item 3, checkHostAddresses: ${c.name}`, () => {
    const found = checkHostAddresses({ groups: c.groups }, HOST);
    assert.deepEqual(found.errors.map((p) => `${p.code} ${p.path}`), c.errors);
    assert.deepEqual(found.warnings.map((p) => `${p.code} ${p.path}`), c.warnings);
  });
}

test('item 3, start: a link named carp7 that carpd did not create (a veth) is refused (CARPD_VIRTUAL_INTERFACE_TAKEN), not deleted', async () => {
  const rig = makeDaemon({ groups: [groupConfig()], prepare: (netlink) => void netlink.addLink({ name: 'carp7', kind: 'veth' }) });
  const before = rig.link('carp7');
  assert.equal(await startupCode(rig.daemon.start()), 'CARPD_VIRTUAL_INTERFACE_TAKEN');
  await rig.settle();
  assert.equal(rig.link('carp7')?.index, before?.index, 'the same carp7 is still there');
  assert.ok(!rig.netlink.mutations().some((c) => c.op === 'deleteLink'), 'nothing deleted');
});

test("item 3, start: a macvlan carp7 of another vhid's MAC is not this group's leftover: refused, kept", async () => {
  const rig = makeDaemon({
    groups: [groupConfig()],
    prepare: (netlink) => void netlink.addLink({ name: 'carp7', kind: 'macvlan', parentIndex: 1, mac: '00:00:5e:00:01:08' }),
  });
  assert.equal(await startupCode(rig.daemon.start()), 'CARPD_VIRTUAL_INTERFACE_TAKEN');
  assert.ok(rig.link('carp7') !== undefined);
});

test('item 3, start: a VIP on a leftover carp7 (macvlan with the virtual MAC) is carpd\'s by construction even unmarked (a kernel before 6.1): carp7 is replaced', async () => {
  const rig = makeDaemon({
    groups: [groupConfig()],
    prepare: (netlink) => {
      const carp7 = netlink.addLink({ name: 'carp7', kind: 'macvlan', parentIndex: 1, mac: '00:00:5e:00:01:07' });
      netlink.addHostAddress(carp7.index, '198.51.100.7', 24);
    },
  });
  const leftover = rig.link('carp7');
  await rig.daemon.start();
  await rig.settle();
  assert.notEqual(rig.link('carp7')?.index, leftover?.index, 'a new carp7');
  assert.deepEqual(rig.vips(), [], 'the leftover went with its carp7');
  await rig.daemon.stop();
});
