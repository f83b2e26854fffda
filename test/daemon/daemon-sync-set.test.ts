/**
 * Sync sets share fate through a down link (issue 19): a group whose parent link is down counts
 * as fully demoted, as OpenBSD demotes the carp group when a carpdev goes down, so the set's
 * other members step down to a better peer instead of splitting the set across two nodes. On
 * the Daemon with fakes (FakeHostNetlink, SimLan, VirtualClock) and simulated CARP peers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupConfig, makeDaemon, simPeer, type DaemonRig } from '../helpers/fake-platform.ts';

/** A firewall: vhid 7 on eth0 (inside) and vhid 8 on eth1 (outside), one sync set, both MASTER; peers at advskew 100 (no preemption: a more demoted master is taken over anyway). */
async function firewallRig(): Promise<DaemonRig> {
  const rig = makeDaemon({
    groups: [groupConfig({ syncSet: 'fw' }), groupConfig({ interface: 'eth1', vhid: 8, addresses: ['203.0.113.8'], syncSet: 'fw' })],
    prepare: (netlink) => {
      const eth1 = netlink.addLink({ name: 'eth1', up: true, running: true });
      netlink.addHostAddress(eth1.index, '203.0.113.10', 24);
    },
  });
  await rig.daemon.start();
  await rig.becomeMaster();
  simPeer(rig, { address: '198.51.100.20', advskew: 100, vhid: 7 });
  simPeer(rig, { address: '203.0.113.20', advskew: 100, vhid: 8, addresses: ['203.0.113.8'] });
  await rig.advance(4_000_000);
  assert.deepEqual(states(rig), { 'eth0/vhid7': 'MASTER', 'eth1/vhid8': 'MASTER' });
  assert.deepEqual(vips(rig), ['carp7 198.51.100.7/24', 'carp8 203.0.113.8/24']);
  return rig;
}

/** The VIPs on this node (eth1's own address left out). */
function vips(rig: DaemonRig): string[] {
  return rig.vips().filter((v) => v !== 'eth1 203.0.113.10/24');
}

function states(rig: DaemonRig): Record<string, string> {
  return Object.fromEntries(rig.daemon.status().groups.map((g) => [g.name, g.state]));
}

/** The demotion of the last advert this daemon sent for a vhid. */
function lastDemote(rig: DaemonRig, vhid: number): number | undefined {
  return rig.platform.adverts().filter((a) => a.vhid === vhid && a.from.startsWith('carpd:')).at(-1)?.demote;
}

test('sync set, eth1 link down: vhid 8 goes INIT, vhid 7 advertises demotion 255 and steps down to the better peer; link up: withdrawn', async () => {
  const rig = await firewallRig();
  rig.netlink.setLinkStateExternally('eth1', { running: false });
  await rig.settle();
  const inside = rig.daemon.status().groups.find((g) => g.name === 'eth0/vhid7');
  const outside = rig.daemon.status().groups.find((g) => g.name === 'eth1/vhid8');
  assert.equal(outside?.state, 'INIT');
  assert.equal(outside?.demotion.linkDown, true);
  assert.equal(inside?.demotion.total, 255, 'the set takes the down member\'s full demotion');
  assert.deepEqual(inside?.demotion.syncSet, { name: 'fw', demotion: 255 });
  await rig.advance(3_000_000);
  assert.equal(lastDemote(rig, 7), 255, 'advertised');
  assert.equal(states(rig)['eth0/vhid7'], 'BACKUP', 'stepped down: the peer took over from the more demoted master');
  assert.deepEqual(vips(rig), [], 'no VIP of the set left on this node');
  assert.ok(rig.events.some((e) => e.type === 'demotion' && e.group === 'eth0/vhid7' && e.demotion === 255));

  rig.netlink.setLinkStateExternally('eth1', { running: true });
  await rig.settle();
  const back = rig.daemon.status().groups;
  assert.deepEqual(back.map((g) => g.demotion.total), [0, 0], 'withdrawn when the link returns');
  assert.equal(back.find((g) => g.name === 'eth1/vhid8')?.demotion.linkDown, undefined);
  await rig.advance(3_000_000);
  assert.equal(lastDemote(rig, 8), 0);
  await rig.daemon.stop();
});

test('sync set, a group alone in no set: its link down demotes nothing else', async () => {
  const rig = makeDaemon({
    groups: [groupConfig(), groupConfig({ interface: 'eth1', vhid: 8, addresses: ['203.0.113.8'] })],
    prepare: (netlink) => {
      const eth1 = netlink.addLink({ name: 'eth1', up: true, running: true });
      netlink.addHostAddress(eth1.index, '203.0.113.10', 24);
    },
  });
  await rig.daemon.start();
  await rig.becomeMaster();
  rig.netlink.setLinkStateExternally('eth1', { running: false });
  await rig.settle();
  await rig.advance(2_000_000);
  assert.deepEqual(states(rig), { 'eth0/vhid7': 'MASTER', 'eth1/vhid8': 'INIT' });
  assert.equal(rig.daemon.status().groups.find((g) => g.name === 'eth0/vhid7')?.demotion.total, 0);
  assert.equal(lastDemote(rig, 7), 0);
  await rig.daemon.stop();
});
