/**
 * Start-up as a transaction (docs/development.md "Code principles", 11b), on fakes: read-only checks (keys, interfaces) come
 * before anything changes the host, a group that fails takes back the groups already started,
 * and a stop during start-up starts nothing more. Every test asserts the fake kernel's links
 * and addresses, not only what was logged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareGroups, StartupError } from '../../src/daemon/daemon.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { CARPD_ADDRESS_PROTOCOL } from '../../src/ports/host-netlink.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { carpVirtualMac } from '../../src/wire/mac-address.ts';
import { FakePlatform, groupConfig, makeDaemon, PARENT } from '../helpers/fake-platform.ts';
import { SimLan } from '../../src/sim/sim-lan.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const PASSFILE = '/etc/carpd/web.pass';

/** The code of a StartupError, or a description of what was thrown instead. */
async function startupCode(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof StartupError ? error.code : `not a StartupError: ${String(error)}`),
  );
}

test('ok, a group starts in BACKUP on a new carp7 and a clean stop leaves nothing behind', async () => {
  const rig = makeDaemon({ groups: [groupConfig()] });
  await rig.daemon.start();
  await rig.settle();
  const carp7 = rig.link('carp7');
  assert.ok(carp7, 'carp7 created');
  assert.equal(carp7.kind, 'macvlan');
  assert.equal(carp7.parentIndex, rig.eth0.index);
  assert.equal(carp7.mac, carpVirtualMac(7).text);
  assert.equal(carp7.up, false, 'down until the group is MASTER');
  assert.deepEqual(rig.vips(), []);
  assert.equal(rig.daemon.status().groups[0]?.state, 'BACKUP');
  const guard = rig.platform.guards[0];
  assert.ok(guard);
  assert.deepEqual(guard.spec.items, [{ interfaceName: 'eth0', virtualInterface: 'carp7', virtualInterfaceIndex: carp7.index, addresses: [] }]);
  assert.deepEqual(rig.platform.sysctlsPrepared.map((s) => `${s.parent}/${s.virtualInterface}`), ['eth0/carp7']);

  await rig.daemon.stop();
  assert.equal(rig.link('carp7'), undefined);
  assert.deepEqual(rig.vips(), []);
  assert.equal(guard.released, true);
  assert.deepEqual(rig.platform.restoredPaths, ['net/ipv4/conf/eth0/arp_ignore', 'net/ipv4/conf/eth0/arp_announce']);
});

test("ok, two --vmac groups on eth0: stopping both puts eth0's kernel settings back", async () => {
  const rig = makeDaemon({ groups: [groupConfig(), groupConfig({ vhid: 8 })] });
  await rig.daemon.start();
  for (const path of ['eth0/arp_ignore', 'carp7/arp_ignore', 'carp8/arp_ignore']) assert.equal(rig.platform.sysctl(`net/ipv4/conf/${path}`), '1', path);
  await rig.daemon.stop();
  assert.equal(rig.platform.sysctl('net/ipv4/conf/eth0/arp_ignore'), '0');
  assert.equal(rig.platform.sysctl('net/ipv4/conf/eth0/arp_announce'), '0');
  assert.deepEqual(rig.netlink.links().map((l) => l.name), [PARENT.name]);
});

test('ok, without --vmac nothing is created and no kernel setting changes', async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vmac: false })] });
  await rig.daemon.start();
  await rig.settle();
  assert.deepEqual(rig.netlink.mutations(), []);
  assert.deepEqual(rig.platform.sysctlsPrepared, []);
  assert.deepEqual(rig.platform.guards[0]?.spec.items, [{ interfaceName: 'eth0', addresses: ['198.51.100.7/24'] }]);
  await rig.daemon.stop();
});

test('ok, leftovers of a killed run (carp7, a VIP on eth0) are removed before the group starts', async () => {
  const rig = makeDaemon({
    groups: [groupConfig()],
    prepare: (netlink) => {
      const eth0 = netlink.links()[0];
      assert.ok(eth0);
      netlink.addLink({ name: 'carp7', kind: 'macvlan', parentIndex: eth0.index, mac: carpVirtualMac(7).text });
      // Marked as carpd's: a killed run added it (issue 18: only marked addresses are removed).
      netlink.addHostAddress(eth0.index, '198.51.100.7', 24, { protocol: CARPD_ADDRESS_PROTOCOL });
    },
  });
  const leftover = rig.link('carp7');
  assert.ok(leftover);
  await rig.daemon.start();
  await rig.settle();
  assert.deepEqual(rig.vips(), [], 'the stale VIP is gone from eth0');
  const carp7 = rig.link('carp7');
  assert.ok(carp7);
  assert.notEqual(carp7.index, leftover.index, 'a new carp7');
  await rig.daemon.stop();
});

test('prepareGroups reads every key, and names the group whose passphrase cannot be read', () => {
  const platform = new FakePlatform(new SimLan(new VirtualClock(), () => 0));
  platform.files.set(PASSFILE, 'filesecret\nignored second line\n');
  const groups = [groupConfig(), groupConfig({ vhid: 8, passphrase: { kind: 'file', path: PASSFILE } })];
  const prepared = prepareGroups(groups, platform, new MemoryLogger());
  assert.deepEqual(prepared[0]?.key, carpKeyFromPassphrase('secret'));
  assert.deepEqual(prepared[1]?.key, carpKeyFromPassphrase('filesecret'));
  platform.files.delete(PASSFILE);
  assert.throws(
    () => prepareGroups(groups, platform, new MemoryLogger()),
    (error: unknown) => error instanceof StartupError && error.code === 'CARPD_PASSPHRASE' && error.message.startsWith('group eth0/vhid8:'),
  );
});

test('bad, a missing passphrase file: CARPD_PASSPHRASE before anything touches the host', async () => {
  const rig = makeDaemon({ groups: [groupConfig(), groupConfig({ vhid: 8, passphrase: { kind: 'file', path: PASSFILE } })] });
  assert.equal(await startupCode(rig.daemon.start()), 'CARPD_PASSPHRASE');
  await rig.settle();
  assert.deepEqual(rig.netlink.mutations(), []);
  assert.equal(rig.platform.guards.length, 0, 'no guard started');
  assert.equal(rig.platform.opened.length, 0, 'no socket opened');
  assert.deepEqual(rig.daemon.status().groups, []);
});

test('bad, a missing interface: CARPD_NO_INTERFACE before anything touches the host', async () => {
  const rig = makeDaemon({ groups: [groupConfig(), groupConfig({ vhid: 8, interface: 'eth1' })] });
  assert.equal(await startupCode(rig.daemon.start()), 'CARPD_NO_INTERFACE');
  await rig.settle();
  assert.deepEqual(rig.netlink.mutations(), []);
  assert.equal(rig.platform.guards.length, 0);
  assert.equal(rig.platform.opened.length, 0);
});

test('bad, the second group cannot create carp8: the first is taken back, nothing is left', async () => {
  const rig = makeDaemon({ groups: [groupConfig(), groupConfig({ vhid: 8 })] });
  rig.netlink.failWhen((op, args) => (op === 'createMacvlan' && (args[0] as { name: string }).name === 'carp8' ? 'EPERM' : undefined));
  await assert.rejects(rig.daemon.start(), (error: { code?: string }) => error.code === 'EPERM');
  await rig.settle();
  assert.ok(rig.netlink.calls.some((c) => c.op === 'createMacvlan' && (c.args[0] as { name: string }).name === 'carp7'), 'carp7 was created first');
  assert.deepEqual(
    rig.netlink.links().map((l) => l.name),
    [PARENT.name],
    'carp7 removed again, carp8 never made',
  );
  assert.deepEqual(rig.vips(), []);
  assert.deepEqual(rig.platform.restoredPaths, ['net/ipv4/conf/eth0/arp_ignore', 'net/ipv4/conf/eth0/arp_announce']);
  const guard = rig.platform.guards[0];
  assert.ok(guard);
  assert.equal(guard.released, true);
  assert.deepEqual(guard.spec.items, [], 'the guard was told the host is clean');
  assert.deepEqual(rig.daemon.status().groups, []);
});

test('bad, stopped before start-up: no group is started', async () => {
  const rig = makeDaemon({ groups: [groupConfig(), groupConfig({ vhid: 8 })] });
  const abort = new AbortController();
  abort.abort();
  assert.equal(await startupCode(rig.daemon.start(undefined, abort.signal)), 'CARPD_STOPPED');
  await rig.settle();
  assert.deepEqual(rig.netlink.mutations(), []);
  assert.deepEqual(rig.netlink.links().map((l) => l.name), [PARENT.name]);
  assert.equal(rig.platform.guards[0]?.released ?? true, true, 'any guard started is released');
  assert.deepEqual(rig.daemon.status().groups, []);
});

test('bad, stopped between groups: the first group is taken back, the second never started', async () => {
  const rig = makeDaemon({ groups: [groupConfig(), groupConfig({ vhid: 8 })] });
  const abort = new AbortController();
  // The signal comes while the first group is being set up (its carp7 is being created).
  rig.netlink.failWhen((op) => {
    if (op === 'createMacvlan') abort.abort();
    return undefined;
  });
  assert.equal(await startupCode(rig.daemon.start(undefined, abort.signal)), 'CARPD_STOPPED');
  await rig.settle();
  const created = rig.netlink.calls.filter((c) => c.op === 'createMacvlan').map((c) => (c.args[0] as { name: string }).name);
  assert.deepEqual(created, ['carp7']);
  assert.deepEqual(rig.netlink.links().map((l) => l.name), [PARENT.name]);
  assert.equal(rig.platform.guards[0]?.released, true);
});
