/**
 * Host watching (daemon/host-watch.ts) on FakeHostNetlink with a real GroupSupervisor: a down
 * parent demotes its groups fully (and their sync set) and an up one withdraws it; a rename is
 * followed by ifindex and said once; a re-created parent has its groups restarted on it, but not
 * once the daemon is stopping; the link state is known for the health monitors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostWatch } from '../../src/daemon/host-watch.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { groupConfig } from '../helpers/fake-platform.ts';
import { supervisorRig, type SupervisorRig } from './supervisor-rig.ts';

const KEY = new Uint8Array(20).fill(7);

async function started(groups: ReturnType<typeof groupConfig>[], stopping = false): Promise<SupervisorRig & { watch: HostWatch }> {
  const rig = supervisorRig();
  const watch = new HostWatch({ netlink: rig.netlink, logger: rig.logger, hosts: rig.hosts, groups: rig.supervisor, monitors: rig.monitors, stopping: () => stopping });
  await watch.readLinkStates();
  watch.watch();
  for (const config of groups) await rig.supervisor.addGroup({ config, key: KEY }, groups);
  await rig.settle();
  return { ...rig, watch };
}

test('the parent down: its groups fully demoted, the sync set with them; up again: withdrawn', async () => {
  const a = groupConfig({ syncSet: 'edge' });
  const other = groupConfig({ vhid: 8, interface: 'eth1', syncSet: 'edge' });
  const rig = supervisorRig();
  rig.netlink.addLink({ name: 'eth1', mac: '52:54:00:00:00:02', up: true, running: true });
  rig.netlink.addHostAddress(rig.netlink.links().find((l) => l.name === 'eth1')?.index ?? -1, '203.0.113.10', 24);
  const watch = new HostWatch({ netlink: rig.netlink, logger: rig.logger, hosts: rig.hosts, groups: rig.supervisor, monitors: rig.monitors, stopping: () => false });
  await watch.readLinkStates();
  watch.watch();
  const b = { ...other, addresses: [{ address: parseIpAddress('203.0.113.8') }] };
  for (const config of [a, b]) await rig.supervisor.addGroup({ config, key: KEY }, [a, b]);
  await rig.settle();
  assert.equal(watch.linkState('eth0'), true);
  rig.netlink.setLinkStateExternally('eth0', { running: false });
  await rig.settle();
  assert.equal(watch.linkState('eth0'), false);
  assert.equal(rig.supervisor.get(a.name)?.totalDemotion, 255);
  assert.equal(rig.supervisor.get(b.name)?.totalDemotion, 255, 'the sync set follows');
  rig.netlink.setLinkStateExternally('eth0', { running: true });
  await rig.settle();
  assert.equal(rig.supervisor.get(a.name)?.totalDemotion, 0);
  assert.equal(rig.supervisor.get(b.name)?.totalDemotion, 0);
});

test('a renamed parent is followed by ifindex and said once at warn; renamed back, said at info', async () => {
  const rig = await started([groupConfig()]);
  rig.netlink.renameLinkExternally('eth0', 'lan0');
  await rig.settle();
  rig.netlink.setLinkStateExternally('lan0', { up: true });
  await rig.settle();
  assert.equal(rig.hosts.kernelName('eth0'), 'lan0');
  assert.equal(rig.logger.records.filter((r) => r.level === 'warn' && r.fields['to'] === 'lan0').length, 1);
  rig.netlink.renameLinkExternally('lan0', 'eth0');
  await rig.settle();
  assert.equal(rig.hosts.kernelName('eth0'), 'eth0');
  assert.ok(rig.logger.records.some((r) => r.level === 'info' && r.message.includes('renamed back')));
});

test('a re-created parent: its groups restarted on the new one; not while stopping', async () => {
  const rig = await started([groupConfig()]);
  const before = rig.hosts.get('eth0');
  rig.netlink.removeLinkExternally('eth0');
  const eth0 = rig.netlink.addLink({ name: 'eth0', mac: '52:54:00:12:34:56', up: true, running: true });
  rig.netlink.addHostAddress(eth0.index, '198.51.100.10', 24);
  await rig.settle();
  await rig.settle();
  assert.equal(rig.hosts.get('eth0')?.link.index, eth0.index);
  assert.notEqual(rig.hosts.get('eth0'), before);
  assert.equal(rig.supervisor.size, 1);

  const stopping = await started([groupConfig()], true);
  const old = stopping.hosts.get('eth0');
  stopping.netlink.removeLinkExternally('eth0');
  stopping.netlink.addLink({ name: 'eth0', mac: '52:54:00:12:34:56', up: true, running: true });
  await stopping.settle();
  assert.equal(stopping.hosts.get('eth0'), old, 'nothing rebuilt while stopping');
});

test('close: no more events reach the groups', async () => {
  const rig = await started([groupConfig()]);
  rig.watch.close();
  rig.netlink.setLinkStateExternally('eth0', { running: false });
  await rig.settle();
  assert.equal(rig.watch.linkState('eth0'), true);
  assert.equal(rig.supervisor.get(groupConfig().name)?.totalDemotion, 0);
});
