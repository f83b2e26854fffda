/**
 * A group's macvlan (daemon/virtual-interface.ts) on FakeHostNetlink: created at start, a
 * leftover of carpd's removed first, anyone else's link refused; re-created when deleted; deleted
 * at stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StartupError } from '../../src/daemon/startup-error.ts';
import { VirtualInterface } from '../../src/daemon/virtual-interface.ts';
import { FakeHostNetlink } from '../../src/linux/netlink/fake-host-netlink.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { carpVirtualMac } from '../../src/wire/mac-address.ts';

function rig() {
  const netlink = new FakeHostNetlink();
  const parent = netlink.addLink({ name: 'eth0', mac: '52:54:00:12:34:56' });
  const logger = new MemoryLogger();
  let changed = 0;
  const vif = new VirtualInterface({
    netlink,
    host: { link: parent, name: 'eth0' },
    logger,
    group: () => 'web',
    name: () => 'carp7',
    mac: () => carpVirtualMac(7),
    onChanged: () => changed++,
  });
  return { netlink, parent, logger, vif, changedCount: () => changed };
}

test('create makes a macvlan with the virtual MAC on the parent and reports it', async () => {
  const { netlink, parent, vif, changedCount } = rig();
  await vif.create();
  const link = netlink.links().find((l) => l.name === 'carp7');
  assert.equal(link?.kind, 'macvlan');
  assert.equal(link?.parentIndex, parent.index);
  assert.equal(link?.mac, '00:00:5e:00:01:07');
  assert.equal(vif.index, link?.index);
  assert.equal(changedCount(), 1);
  assert.equal(vif.isOurs({ index: link?.index ?? -1, name: 'other' }), true);
  assert.equal(vif.isOurs({ index: 999, name: 'carp7' }), true, 'a re-created one, by name');
  assert.equal(vif.isOurs({ index: 999, name: 'carp8' }), false);
});

test("a leftover of carpd's own is deleted and made again; anyone else's link is refused and left", async () => {
  const leftover = rig();
  const old = leftover.netlink.addLink({ name: 'carp7', kind: 'macvlan', parentIndex: leftover.parent.index, mac: '00:00:5e:00:01:07' });
  await leftover.vif.create();
  assert.notEqual(leftover.vif.index, old.index);
  assert.ok(leftover.logger.records.some((r) => r.level === 'warn' && r.fields['interface'] === 'carp7'));

  const taken = rig();
  const foreign = taken.netlink.addLink({ name: 'carp7', kind: 'dummy', mac: '02:00:00:00:00:01' });
  await assert.rejects(taken.vif.create(), (error: unknown) => error instanceof StartupError && error.code === 'CARPD_VIRTUAL_INTERFACE_TAKEN');
  assert.ok(taken.netlink.links().some((l) => l.index === foreign.index), 'left in place');
  assert.equal(taken.vif.index, undefined);
});

test('ensure: nothing while it is there; re-created when deleted; refused (EEXIST) when a stranger took the name', async () => {
  const { netlink, vif, changedCount } = rig();
  await vif.create();
  assert.equal(await vif.ensure(), false);
  assert.equal(await vif.isUp(), false, 'created down: the effects set it up');
  await netlink.setLinkUp(vif.index ?? -1, true);
  assert.equal(await vif.isUp(), true);
  netlink.removeLinkExternally('carp7');
  assert.equal(await vif.isUp(), false);
  assert.equal(await vif.ensure(), true);
  assert.equal(netlink.links().find((l) => l.name === 'carp7')?.index, vif.index);
  assert.equal(changedCount(), 2);
  netlink.removeLinkExternally('carp7');
  netlink.addLink({ name: 'carp7', kind: 'dummy', mac: '02:00:00:00:00:01' });
  await assert.rejects(vif.ensure(), (error: unknown) => (error as { code?: string }).code === 'EEXIST');
});

test('delete removes it once; one already gone is no error', async () => {
  const { netlink, vif, logger } = rig();
  await vif.create();
  await vif.delete();
  assert.equal(netlink.links().some((l) => l.name === 'carp7'), false);
  assert.equal(vif.index, undefined);
  await vif.create();
  netlink.removeLinkExternally('carp7');
  await vif.delete();
  assert.equal(logger.records.filter((r) => r.level === 'warn').length, 0);
});
