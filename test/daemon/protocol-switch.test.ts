/**
 * A reload's protocol switch (daemon/protocol-switch.ts, group-supervisor.ts): on a MASTER whose
 * addresses stay where they are, the old instance hands over without removing them and the new
 * one is MASTER at once (reason protocol-switch); a peer of the old protocol heard within the
 * master-down interval, a BACKUP, or a macvlan keep today's restart. On fakes: FakeHostNetlink
 * records every address removal, the VirtualClock never moves unless told.
 */
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupConfig, VrrpGroupConfig } from '../../src/config/config-types.ts';
import { handOverRefusal, isProtocolSwitch } from '../../src/daemon/protocol-switch.ts';
import { changedFields } from '../../src/daemon/reload-plan.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { groupConfig, simPeer, vrrpGroupConfig } from '../helpers/fake-platform.ts';
import { supervisorRig, type SupervisorRig } from './supervisor-rig.ts';

/** groupConfig's inline passphrase, as the daemon derives the key (so simPeer's adverts authenticate). */
const KEY = carpKeyFromPassphrase('secret');
const NONE = new Uint8Array(0);
const S = 1_000_000;
const NAME = 'eth0/GW';
const VIP = '198.51.100.7';

const carp = (options: Parameters<typeof groupConfig>[0] = {}): GroupConfig => groupConfig({ name: NAME, vmac: false, ...options });
const vrrp = (options: Parameters<typeof vrrpGroupConfig>[0] = {}): VrrpGroupConfig => vrrpGroupConfig({ name: NAME, vhid: 7, vmac: false, ...options });
const v2 = (config: VrrpGroupConfig): VrrpGroupConfig => ({ ...config, vrrp: { ...config.vrrp, version: 2 } });
const keyed = (config: GroupConfig) => ({ config, key: config.protocol === 'vrrp' ? NONE : KEY });

describe('isProtocolSwitch: the reload plan\'s changed fields', () => {
  it('CARP -> VRRP, VRRPv2 -> v3 and back, with other settings changing along: a switch', () => {
    assert.ok(isProtocolSwitch(changedFields(keyed(carp()), keyed(vrrp()))));
    assert.ok(isProtocolSwitch(changedFields(keyed(v2(vrrp())), keyed(vrrp({ preempt: false })))));
    assert.ok(isProtocolSwitch(changedFields(keyed(vrrp()), keyed(carp({ advskew: 100 })))));
  });
  it('a switch that also moves the addresses (interface, vhid, addresses) is not one; nor is a change without a protocol change', () => {
    assert.ok(!isProtocolSwitch(changedFields(keyed(carp()), keyed(vrrp({ addresses: ['198.51.100.8'] })))));
    assert.ok(!isProtocolSwitch(changedFields(keyed(carp()), keyed(vrrp({ vhid: 8, name: NAME })))));
    assert.ok(!isProtocolSwitch(changedFields(keyed(carp()), keyed(vrrp({ interface: 'eth1', name: NAME })))));
    assert.ok(!isProtocolSwitch(changedFields(keyed(carp()), keyed(carp({ vmac: true })))));
  });
});

describe('handOverRefusal', () => {
  const master = { config: carp(), isMaster: true, lastPeerHeardAt: undefined, masterDownMicros: 3 * S };
  it('a MASTER that heard no peer, no macvlan, no owner: handed over', () => {
    assert.equal(handOverRefusal(master, vrrp(), 10 * S), undefined);
  });
  it('a peer heard within the master-down interval: refused; heard longer ago: handed over', () => {
    assert.equal(handOverRefusal({ ...master, lastPeerHeardAt: 8 * S }, vrrp(), 10 * S), 'old-protocol-peer-heard');
    assert.equal(handOverRefusal({ ...master, lastPeerHeardAt: 6 * S }, vrrp(), 10 * S), undefined);
  });
  it('a BACKUP, a macvlan before or after, an address owner: refused', () => {
    assert.equal(handOverRefusal({ ...master, isMaster: false }, vrrp(), 10 * S), 'not-master');
    assert.equal(handOverRefusal({ ...master, config: carp({ vmac: true }) }, vrrp(), 10 * S), 'virtual-mac-interface');
    assert.equal(handOverRefusal(master, vrrp({ vmac: true }), 10 * S), 'virtual-mac-interface');
    assert.equal(handOverRefusal(master, vrrp({ priority: 255 }), 10 * S), 'address-owner');
  });
});

/** The group started and alone on the segment: MASTER after its master-down interval. */
async function masterOf(config: GroupConfig): Promise<SupervisorRig> {
  const rig = supervisorRig();
  await rig.supervisor.addGroup(keyed(config), [config]);
  rig.clock.advanceBy(5 * S);
  await rig.settle();
  assert.equal(rig.supervisor.get(NAME)?.isMaster, true);
  assert.deepEqual(vips(rig), [VIP]);
  return rig;
}

function vips(rig: SupervisorRig): string[] {
  return rig.netlink.addresses().filter((a) => a.address.text === VIP).map((a) => a.address.text);
}

function removals(rig: SupervisorRig): number {
  return rig.netlink.mutations().filter((m) => m.op === 'removeAddress').length;
}

for (const [label, from, to] of [
  ['CARP -> VRRPv3', carp(), vrrp()],
  ['VRRPv2 -> VRRPv3', v2(vrrp()), vrrp()],
  ['VRRPv3 -> CARP', vrrp(), carp()],
] as const) {
  test(`protocol switch ${label} on a MASTER: the VIP is never removed, the new instance is MASTER at once (protocol-switch), no clock time passes`, async () => {
    const rig = await masterOf(from);
    const removedBefore = removals(rig);
    const heardBefore = rig.heard.length;
    const jobsBefore = rig.jobs.length;
    const before = rig.clock.nowMicros();
    const result = await rig.supervisor.apply([keyed(to)], () => {});
    assert.deepEqual(result.changed, [NAME]);
    const instance = rig.supervisor.get(NAME);
    assert.equal(instance?.config.protocol ?? 'carp', to.protocol ?? 'carp');
    assert.equal(instance?.isMaster, true, 'MASTER without waiting');
    assert.equal(rig.clock.nowMicros(), before, 'no master-down interval passed');
    await rig.settle();
    assert.equal(removals(rig), removedBefore, 'no address removed');
    assert.deepEqual(vips(rig), [VIP]);
    const transitions = rig.heard.slice(heardBefore).filter((e) => e.type === 'transition');
    assert.deepEqual(
      transitions.map((e) => (e.type === 'transition' ? [e.from, e.to, e.reason] : [])),
      [['INIT', 'MASTER', 'protocol-switch']],
      'the old instance reports nothing, the new one INIT -> MASTER',
    );
    assert.deepEqual(
      rig.jobs.slice(jobsBefore).map((j) => j.phase),
      [],
      'no scripts configured: none queued (the old one runs none; see the scripts test)',
    );
    assert.ok(rig.logger.records.some((r) => r.message === `${NAME}: protocol switched in place, the addresses kept`));
  });
}

test('protocol switch: the old instance runs no script, the new one its master script once with CARP_REASON protocol-switch', async () => {
  const scripts = { timeoutSeconds: 5, style: 'carpd' as const, neutral: false, master: '/bin/true', backup: '/bin/true', stop: '/bin/true' };
  const rig = await masterOf(carp({ scripts }));
  const jobsBefore = rig.jobs.length;
  await rig.supervisor.apply([keyed(vrrp({ scripts }))], () => {});
  await rig.settle();
  const jobs = rig.jobs.slice(jobsBefore);
  assert.deepEqual(
    jobs.map((j) => [j.phase, j.env['CARP_REASON']]),
    [['master', 'protocol-switch']],
  );
});

test('protocol switch refused when a peer of the old protocol was heard within the master-down interval: a warning, today\'s restart (the VIP removed, BACKUP first)', async () => {
  const rig = await masterOf(carp());
  const peer = simPeer({ lan: rig.platform.lan, clock: rig.clock }, { address: '198.51.100.30', advskew: 100 });
  peer.force('master');
  for (let i = 0; i < 10; i++) {
    rig.clock.advanceBy(S / 100);
    await rig.settle();
  }
  assert.equal(peer.state.phase, 'backup', 'the worse peer stepped down');
  const removedBefore = removals(rig);
  await rig.supervisor.apply([keyed(vrrp())], () => {});
  await rig.settle();
  assert.ok(rig.logger.records.some((r) => r.level === 'warn' && r.fields?.['refusal'] === 'old-protocol-peer-heard'));
  assert.equal(rig.supervisor.get(NAME)?.isMaster, false, 'restarted: BACKUP first');
  assert.ok(removals(rig) > removedBefore, 'the VIP was removed (a failover)');
  peer.halt();
});

test('a BACKUP switched by a reload restarts as before (no resume)', async () => {
  const rig = supervisorRig();
  const config = carp();
  await rig.supervisor.addGroup(keyed(config), [config]);
  rig.clock.advanceBy(S);
  await rig.supervisor.apply([keyed(vrrp())], () => {});
  assert.equal(rig.supervisor.get(NAME)?.isMaster, false);
  assert.equal(rig.heard.some((e) => e.type === 'transition' && e.reason === 'protocol-switch'), false);
});

test('a reload that switches a MASTER and then fails (another group cannot start) hands it back in place: CARP MASTER again, the VIP never removed', async () => {
  const rig = await masterOf(carp());
  rig.netlink.addLink({ name: 'carp8', kind: 'dummy', mac: '02:00:00:00:00:01' });
  const removedBefore = removals(rig);
  const heardBefore = rig.heard.length;
  await assert.rejects(rig.supervisor.apply([keyed(vrrp()), keyed(groupConfig({ vhid: 8 }))], () => {}), (error: Error & { code?: string }) => error.code === 'CARPD_VIRTUAL_INTERFACE_TAKEN');
  await rig.settle();
  const instance = rig.supervisor.get(NAME);
  assert.deepEqual([instance?.config.protocol, instance?.isMaster], [undefined, true], 'the CARP group, MASTER');
  assert.equal(removals(rig), removedBefore, 'no address removed');
  assert.deepEqual(vips(rig), [VIP]);
  assert.deepEqual(
    rig.heard.slice(heardBefore).flatMap((e) => (e.type === 'transition' ? [`${e.from}->${e.to} ${e.reason}`] : [])),
    ['INIT->MASTER protocol-switch', 'INIT->MASTER protocol-switch'],
  );
});

test('a switch whose new instance cannot start (a VRRP group with no address to send from) puts the old one back in place and reports the coded error', async () => {
  const v6 = ['2001:db8::7'];
  const rig = await masterOfAt(carp({ addresses: v6 }), '2001:db8::7');
  const removedBefore = removals(rig);
  await assert.rejects(rig.supervisor.apply([keyed(vrrp({ addresses: v6 }))], () => {}), (error: Error & { code?: string }) => error.code === 'CARPD_VRRP_NO_SOURCE');
  await rig.settle();
  const instance = rig.supervisor.get(NAME);
  assert.deepEqual([instance?.config.protocol, instance?.isMaster], [undefined, true]);
  assert.equal(removals(rig), removedBefore, 'no address removed');
});

async function masterOfAt(config: GroupConfig, address: string): Promise<SupervisorRig> {
  const rig = supervisorRig();
  await rig.supervisor.addGroup(keyed(config), [config]);
  rig.clock.advanceBy(5 * S);
  await rig.settle();
  assert.equal(rig.supervisor.get(NAME)?.isMaster, true);
  assert.ok(rig.netlink.addresses().some((a) => a.address.text === address));
  return rig;
}

test('a switch where neither the new nor the old instance can start removes the kept addresses: no VIP left that no group manages', async () => {
  const rig = await masterOf(carp());
  // Both starts fail on reading the interface's addresses (the prechecks read every interface's, unindexed).
  const failing = rig.netlink.failWhen((op, args) => (op === 'listAddresses' && args[0] !== undefined ? 'EIO' : undefined));
  try {
    await assert.rejects(rig.supervisor.apply([keyed(vrrp())], () => {}));
  } finally {
    failing.close();
  }
  await rig.settle();
  assert.equal(rig.supervisor.get(NAME), undefined, 'no instance runs');
  assert.deepEqual(vips(rig), [], 'the VIP was taken off the interface');
});
