/**
 * carpctl's commands (daemon/control-commands.ts) on a GroupSupervisor on fakes: demote/promote
 * one group or all, an unknown group (CARPD_NO_GROUP), maintenance with its event, and the
 * status of the daemon and its groups.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlCommands } from '../../src/daemon/control-commands.ts';
import { groupConfig } from '../helpers/fake-platform.ts';
import { supervisorRig } from './supervisor-rig.ts';

const KEY = new Uint8Array(20).fill(7);

async function rig() {
  const parts = supervisorRig();
  const a = groupConfig();
  const b = groupConfig({ vhid: 8 });
  for (const config of [a, b]) await parts.supervisor.addGroup({ config, key: KEY }, [a, b]);
  const commands = new ControlCommands({
    clock: parts.clock,
    groups: parts.supervisor,
    hosts: parts.hosts,
    events: parts.events,
    scripts: { stats: () => ({ runs: 0, failures: 0, timeouts: 0, lastDurationMs: undefined, superseded: 0 }) },
    startedAt: '2026-01-01T00:00:00.000Z',
    configFile: '/etc/carpd/carpd.yaml',
    pid: 4242,
  });
  parts.heard.length = 0;
  return { ...parts, a, b, commands };
}

test('demote and promote one group: the demotion moves, is kept within 0..255, and each change is an event', async () => {
  const { commands, supervisor, a, b, heard } = await rig();
  assert.deepEqual(commands.demote(a.name, 30), { ok: true, message: `${a.name} demoted: demotion 30` });
  assert.equal(supervisor.get(b.name)?.totalDemotion, 0, 'the other group is untouched');
  assert.deepEqual(commands.promote(a.name, 100), { ok: true, message: `${a.name} promoted: demotion 0` });
  assert.deepEqual(commands.promote(a.name, 1), { ok: true, message: `${a.name} promoted: demotion 0` });
  assert.deepEqual(
    heard.map((e) => (e.type === 'demotion' ? e.demotion : -1)),
    [30, 0],
    'no event when nothing moved',
  );
});

test('all: every group; an unknown group: CARPD_NO_GROUP and nothing changes', async () => {
  const { commands, supervisor, a, b } = await rig();
  const result = commands.demote('all', -20);
  assert.equal(result.ok, true);
  assert.deepEqual([supervisor.get(a.name)?.totalDemotion, supervisor.get(b.name)?.totalDemotion], [20, 20], 'a negative amount demotes too');
  const unknown = commands.maintenance('nope', true);
  assert.equal(unknown.ok, false);
  assert.equal(unknown.ok === false ? unknown.code : undefined, 'CARPD_NO_GROUP');
});

test('maintenance: full demotion and an event even when it was already there', async () => {
  const { commands, supervisor, a, heard } = await rig();
  commands.maintenance(a.name, true);
  commands.maintenance(a.name, true);
  assert.equal(supervisor.get(a.name)?.totalDemotion, 255);
  assert.equal(heard.filter((e) => e.type === 'demotion').length, 2);
  commands.maintenance(a.name, false);
  assert.equal(supervisor.get(a.name)?.totalDemotion, 0);
});

test('status: the daemon, each group, and eth0 in the unattributed drops', async () => {
  const { commands, a, b } = await rig();
  const status = commands.status();
  assert.equal(status.pid, 4242);
  assert.equal(status.configFile, '/etc/carpd/carpd.yaml');
  assert.equal(status.startedAt, '2026-01-01T00:00:00.000Z');
  assert.deepEqual(status.groups.map((g) => g.name), [a.name, b.name]);
  assert.deepEqual(Object.keys(status.unattributedDrops), ['eth0']);
});
