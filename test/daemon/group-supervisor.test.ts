/**
 * Group supervision (daemon/group-supervisor.ts) on fakes: a group started with its macvlan,
 * sysctls and guard update; a group that fails to start leaving nothing; a stop releasing what
 * the group alone used; a reload applied with its result, or undone whole when a step fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StartupError } from '../../src/daemon/startup-error.ts';
import { groupConfig } from '../helpers/fake-platform.ts';
import type { CarpGroupConfig } from '../../src/config/config-types.ts';
import { supervisorRig } from './supervisor-rig.ts';

const KEY = new Uint8Array(20).fill(7);
const prepared = (config: ReturnType<typeof groupConfig>) => ({ config, key: KEY });

test('addGroup: the group runs on its macvlan, the ARP sysctls are set, the guard is told', async () => {
  const rig = supervisorRig();
  const config = groupConfig();
  await rig.supervisor.addGroup(prepared(config), [config]);
  assert.deepEqual(rig.supervisor.names(), [config.name]);
  assert.equal(rig.netlink.links().find((l) => l.name === 'carp7')?.kind, 'macvlan');
  assert.equal(rig.platform.sysctlsPrepared.length, 1);
  assert.ok(rig.guardRefreshes() >= 1);
  assert.notEqual(rig.hosts.get('eth0'), undefined);
});

test('addGroup that fails to start leaves nothing: no group, no open interface, the coded error', async () => {
  const rig = supervisorRig();
  rig.netlink.addLink({ name: 'carp7', kind: 'dummy', mac: '02:00:00:00:00:01' });
  const config = groupConfig();
  await assert.rejects(rig.supervisor.addGroup(prepared(config), [config]), (error: unknown) => error instanceof StartupError && error.code === 'CARPD_VIRTUAL_INTERFACE_TAKEN');
  assert.equal(rig.supervisor.size, 0);
  assert.equal(rig.hosts.get('eth0'), undefined);
});

test('removeGroup: macvlan deleted, parent sysctls restored, interface closed', async () => {
  const rig = supervisorRig();
  const config = groupConfig();
  await rig.supervisor.addGroup(prepared(config), [config]);
  await rig.supervisor.removeGroup(config.name);
  assert.equal(rig.supervisor.size, 0);
  assert.equal(rig.netlink.links().some((l) => l.name === 'carp7'), false);
  assert.equal(rig.platform.sysctlsRestored.length, 1);
  assert.equal(rig.hosts.get('eth0'), undefined);
});

test('apply: added, removed, changed in place; committed once, after the changes', async () => {
  const rig = supervisorRig();
  const a = groupConfig();
  const b = groupConfig({ vhid: 8 });
  await rig.supervisor.addGroup(prepared(a), [a, b]);
  await rig.supervisor.addGroup(prepared(b), [a, b]);
  const c = groupConfig({ vhid: 9 });
  let commits = 0;
  const result = await rig.supervisor.apply([prepared({ ...a, advskew: 50 }), prepared(c)], () => {
    commits++;
    assert.deepEqual(rig.supervisor.names().sort(), [a.name, c.name].sort(), 'committed after the groups changed');
  });
  assert.deepEqual(result, { added: [c.name], removed: [b.name], changed: [a.name], inPlace: [a.name] });
  assert.equal(commits, 1);
  assert.equal((rig.supervisor.get(a.name)?.config as CarpGroupConfig | undefined)?.advskew, 50);
});

test('apply failing part way puts the groups back as they were, and does not commit', async () => {
  const rig = supervisorRig();
  const a = groupConfig();
  await rig.supervisor.addGroup(prepared(a), [a]);
  rig.netlink.addLink({ name: 'carp8', kind: 'dummy', mac: '02:00:00:00:00:01' });
  const b = groupConfig({ vhid: 8 });
  let commits = 0;
  await assert.rejects(
    rig.supervisor.apply([prepared(b)], () => commits++),
    (error: unknown) => error instanceof StartupError && error.code === 'CARPD_VIRTUAL_INTERFACE_TAKEN',
  );
  assert.equal(commits, 0);
  assert.deepEqual(rig.supervisor.names(), [a.name], 'a is back');
  assert.ok(rig.logger.records.some((r) => r.level === 'error' && r.message.startsWith('reload failed part way')));
});

test('setHealth: the demotion is shared with the sync set and emitted for each group that moved', async () => {
  const rig = supervisorRig();
  const a = groupConfig({ syncSet: 'edge' });
  const b = groupConfig({ vhid: 8, syncSet: 'edge' });
  await rig.supervisor.addGroup(prepared(a), [a, b]);
  await rig.supervisor.addGroup(prepared(b), [a, b]);
  rig.heard.length = 0;
  rig.supervisor.setHealth(a.name, 40, []);
  assert.equal(rig.supervisor.get(b.name)?.totalDemotion, 40);
  assert.deepEqual(
    rig.heard.filter((e) => e.type === 'demotion').map((e) => (e.type === 'demotion' ? [e.group, e.demotion] : [])),
    [[b.name, 40], [a.name, 40]],
  );
  rig.supervisor.setHealth('no-such-group', 40, []);
});
