/**
 * Reload as a transaction, on fakes (docs/development.md "Code principles", 11b): changes a running group can take are made
 * in place with no transition; a reload that cannot be done leaves the running groups and the
 * configuration in force exactly as they were; a restart whose new group fails puts the old one
 * back. Each test checks the fake kernel's links and addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlEvent } from '../../src/control/control-types.ts';
import { StartupError } from '../../src/daemon/daemon.ts';
import { carpdConfig, groupConfig, makeDaemon, type DaemonRig, type RigOptions } from '../helpers/fake-platform.ts';

const VIP = '198.51.100.7';
const PASSFILE = '/etc/carpd/web.pass';

/** A started rig whose groups are all MASTER. */
async function masterRig(options: RigOptions): Promise<DaemonRig> {
  const rig = makeDaemon(options);
  await rig.daemon.start();
  await rig.becomeMaster();
  for (const group of rig.daemon.status().groups) assert.equal(group.state, 'MASTER', group.name);
  return rig;
}

/** Transitions emitted from now on, as "group from->to reason". */
function transitionsFrom(rig: DaemonRig): () => string[] {
  const start = rig.events.length;
  return () =>
    rig.events
      .slice(start)
      .filter((e): e is Extract<ControlEvent, { type: 'transition' }> => e.type === 'transition')
      .map((e) => `${e.group} ${e.from}->${e.to} ${e.reason}`);
}

test('in place, a VIP added to a MASTER group: both VIPs on carp7, no transition', async () => {
  const rig = await masterRig({ groups: [groupConfig()] });
  const transitions = transitionsFrom(rig);
  const result = await rig.daemon.apply(carpdConfig([groupConfig({ addresses: [VIP, '198.51.100.8'] })]));
  await rig.settle();
  assert.deepEqual(result, { added: [], removed: [], changed: ['eth0/vhid7'], inPlace: ['eth0/vhid7'] });
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24', 'carp7 198.51.100.8/24']);
  assert.deepEqual(transitions(), []);
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.deepEqual(status?.addresses, ['198.51.100.7/24', '198.51.100.8/24']);
  assert.deepEqual(status?.keyChange?.previousAddresses, ['198.51.100.7'], 'the old address list is still signed with');
  assert.equal(rig.daemon.currentConfig.groups[0]?.addresses.length, 2);
  await rig.daemon.stop();
  assert.deepEqual(rig.vips(), []);
});

test('in place, a VIP removed from a MASTER group: gone from carp7, the other stays, no transition', async () => {
  const rig = await masterRig({ groups: [groupConfig({ addresses: [VIP, '198.51.100.8'] })] });
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24', 'carp7 198.51.100.8/24']);
  const transitions = transitionsFrom(rig);
  const result = await rig.daemon.apply(carpdConfig([groupConfig()]));
  await rig.settle();
  assert.deepEqual(result.inPlace, ['eth0/vhid7']);
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  assert.deepEqual(transitions(), []);
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  await rig.daemon.stop();
});

test('in place, advskew changed: advertised from the next advert, no transition, the VIP stays', async () => {
  const rig = await masterRig({ groups: [groupConfig()] });
  const carp7 = rig.link('carp7');
  const transitions = transitionsFrom(rig);
  const result = await rig.daemon.apply(carpdConfig([groupConfig({ advskew: 50 })]));
  assert.deepEqual(result.inPlace, ['eth0/vhid7']);
  await rig.advance(1_500_000);
  assert.deepEqual(transitions(), []);
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.equal(status?.advskew, 50);
  assert.equal(status?.keyChange, undefined, 'neither the key nor the addresses changed');
  assert.equal(rig.platform.adverts().at(-1)?.advskew, 50);
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  assert.equal(rig.link('carp7')?.index, carp7?.index, 'same carp7');
  await rig.daemon.stop();
});

test('bad, a changed group whose new passphrase file is missing: refused, nothing changes; applied once the file is there', async () => {
  const rig = await masterRig({ groups: [groupConfig()] });
  const before = rig.daemon.currentConfig;
  const mutations = rig.netlink.mutations().length;
  const transitions = transitionsFrom(rig);
  const next = carpdConfig([groupConfig({ advskew: 20, passphrase: { kind: 'file', path: PASSFILE } })]);

  await assert.rejects(rig.daemon.apply(next), (error: unknown) => error instanceof StartupError && error.code === 'CARPD_PASSPHRASE');
  rig.next = next;
  const refused = await rig.daemon.reload();
  assert.equal(refused.ok, false);
  assert.equal(refused.ok ? '' : refused.code, 'CARPD_PASSPHRASE');
  await rig.settle();
  assert.equal(rig.netlink.mutations().length, mutations, 'the host was not touched');
  assert.deepEqual(transitions(), []);
  assert.deepEqual(rig.daemon.currentConfig, before);
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.equal(status?.advskew, 0);
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  const failed = rig.events.filter((e) => e.type === 'reload').at(-1);
  assert.equal(failed?.type === 'reload' && failed.ok, false);

  rig.platform.files.set(PASSFILE, 'newsecret\n');
  const applied = await rig.daemon.reload();
  assert.deepEqual(applied, { ok: true, message: 'reloaded: 0 added, 0 removed, 1 changed (1 in place), 0 unchanged' });
  await rig.settle();
  const after = rig.daemon.status().groups[0];
  assert.equal(after?.advskew, 20);
  assert.ok(after?.keyChange, 'a new key: the old one stays valid for the window');
  assert.deepEqual(rig.daemon.currentConfig.groups[0]?.passphrase, { kind: 'file', path: PASSFILE });
  assert.deepEqual(transitions(), []);
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  await rig.daemon.stop();
});

test('in place, a rotated passphrase file (same path, new content) is a change; an untouched one is not', async () => {
  const group = groupConfig({ passphrase: { kind: 'file', path: PASSFILE } });
  const rig = await masterRig({ groups: [group], files: { [PASSFILE]: 'first\n' } });
  const transitions = transitionsFrom(rig);
  assert.deepEqual(await rig.daemon.reload(), { ok: true, message: 'reloaded: 0 added, 0 removed, 0 changed (0 in place), 1 unchanged' });
  assert.equal(rig.daemon.status().groups[0]?.keyChange, undefined);

  rig.platform.files.set(PASSFILE, 'second\n');
  assert.deepEqual(await rig.daemon.reload(), { ok: true, message: 'reloaded: 0 added, 0 removed, 1 changed (1 in place), 0 unchanged' });
  await rig.settle();
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.deepEqual(status?.keyChange?.previousAddresses, ['198.51.100.7']);
  assert.ok(rig.logger.records.some((r) => r.message.includes('updated in place') && JSON.stringify(r.fields['fields']) === '["key"]'));
  assert.deepEqual(transitions(), []);
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  await rig.daemon.stop();
});

test('restart, a vhid change: carp7 goes, carp8 comes', async () => {
  const rig = await masterRig({ groups: [groupConfig({ name: 'web' })] });
  const result = await rig.daemon.apply(carpdConfig([groupConfig({ name: 'web', vhid: 8, addresses: [VIP] })]));
  await rig.settle();
  assert.deepEqual(result, { added: [], removed: [], changed: ['web'], inPlace: [] });
  assert.equal(rig.link('carp7'), undefined);
  assert.ok(rig.link('carp8'));
  assert.deepEqual(rig.vips(), [], 'the new group starts in BACKUP');
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.vhid, 8);
  assert.equal(status?.state, 'BACKUP');
  assert.equal(rig.platform.guards[0]?.spec.items[0]?.virtualInterface, 'carp8');
  await rig.daemon.stop();
});

test('bad, a vhid change whose new carp8 cannot be created: the old group is back on a carp7', async () => {
  const rig = await masterRig({ groups: [groupConfig({ name: 'web' })] });
  const before = rig.daemon.currentConfig;
  rig.netlink.failWhen((op, args) => (op === 'createMacvlan' && (args[0] as { name: string }).name === 'carp8' ? 'EPERM' : undefined));
  rig.next = carpdConfig([groupConfig({ name: 'web', vhid: 8, addresses: [VIP] })]);
  const result = await rig.daemon.reload();
  assert.equal(result.ok, false);
  assert.equal(result.ok ? '' : result.code, 'CARPD_RELOAD_FAILED');
  await rig.settle();
  assert.deepEqual(rig.daemon.currentConfig, before);
  assert.equal(rig.link('carp8'), undefined);
  const carp7 = rig.link('carp7');
  assert.ok(carp7, 'carp7 is back');
  const status = rig.daemon.status().groups;
  assert.equal(status.length, 1);
  assert.equal(status[0]?.vhid, 7);
  assert.equal(status[0]?.state, 'BACKUP', 'running again (restarted, so from BACKUP)');
  assert.equal(rig.platform.guards[0]?.spec.items[0]?.virtualInterfaceIndex, carp7.index);
  await rig.becomeMaster();
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  await rig.daemon.stop();
});

test('one reload adds a group and removes another; the unchanged group stays MASTER', async () => {
  const a = groupConfig();
  const b = groupConfig({ vhid: 8 });
  const rig = await masterRig({ groups: [a, b] });
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24', 'carp8 198.51.100.8/24']);
  const transitions = transitionsFrom(rig);
  rig.next = carpdConfig([a, groupConfig({ vhid: 9 })]);
  assert.deepEqual(await rig.daemon.reload(), { ok: true, message: 'reloaded: 1 added, 1 removed, 0 changed (0 in place), 1 unchanged' });
  await rig.settle();
  assert.equal(rig.link('carp8'), undefined);
  assert.ok(rig.link('carp9'));
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24'], "carp8's VIP went with it; the new group is BACKUP");
  assert.deepEqual(transitions(), ['eth0/vhid8 MASTER->INIT shutdown', 'eth0/vhid9 INIT->BACKUP started']);
  assert.deepEqual(
    rig.daemon.status().groups.map((g) => `${g.name} ${g.state}`),
    ['eth0/vhid7 MASTER', 'eth0/vhid9 BACKUP'],
  );
  assert.deepEqual(rig.platform.guards[0]?.spec.items.map((i) => i.virtualInterface), ['carp7', 'carp9']);
  const reload = rig.events.filter((e) => e.type === 'reload').at(-1);
  assert.deepEqual(reload?.type === 'reload' ? [reload.added, reload.removed] : [], [['eth0/vhid9'], ['eth0/vhid8']]);
  await rig.daemon.stop();
});

test('bad, the added group cannot start: the removed group is put back', async () => {
  const a = groupConfig();
  const b = groupConfig({ vhid: 8 });
  const rig = await masterRig({ groups: [a, b] });
  rig.netlink.failWhen((op, args) => (op === 'createMacvlan' && (args[0] as { name: string }).name === 'carp9' ? 'EPERM' : undefined));
  await assert.rejects(rig.daemon.apply(carpdConfig([a, groupConfig({ vhid: 9 })])), (error: { code?: string }) => error.code === 'EPERM');
  await rig.settle();
  assert.deepEqual(rig.daemon.currentConfig.groups.map((g) => g.name), ['eth0/vhid7', 'eth0/vhid8']);
  assert.ok(rig.link('carp8'), 'carp8 back');
  assert.equal(rig.link('carp9'), undefined);
  assert.equal(rig.daemon.status().groups.find((g) => g.name === 'eth0/vhid7')?.state, 'MASTER', 'the untouched group never moved');
  assert.deepEqual(rig.platform.guards[0]?.spec.items.map((i) => i.virtualInterface).sort(), ['carp7', 'carp8']);
  await rig.daemon.stop();
});

test('bad, an invalid file: CARPD_RELOAD_INVALID, the running groups stay', async () => {
  const rig = await masterRig({ groups: [groupConfig()] });
  const mutations = rig.netlink.mutations().length;
  rig.next = { errors: ['groups[0].vhid: 300 is outside 1..255'] };
  const result = await rig.daemon.reload();
  assert.equal(result.ok ? '' : result.code, 'CARPD_RELOAD_INVALID');
  assert.equal(rig.netlink.mutations().length, mutations);
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  await rig.daemon.stop();
});

test("sysctls, eth0's settings are put back when its last --vmac group goes, whichever group changed them", async () => {
  const a = groupConfig();
  const b = groupConfig({ vhid: 8 });
  const rig = makeDaemon({ groups: [a, b] });
  await rig.daemon.start();
  assert.equal(rig.platform.sysctl('net/ipv4/conf/eth0/arp_ignore'), '1');
  assert.equal(rig.platform.sysctl('net/ipv4/conf/eth0/arp_announce'), '2');
  // The group that changed eth0's settings goes first; the other still needs them.
  await rig.daemon.apply(carpdConfig([b]));
  assert.equal(rig.platform.sysctl('net/ipv4/conf/eth0/arp_ignore'), '1', 'still needed by carp8');
  await rig.daemon.stop();
  assert.equal(rig.platform.sysctl('net/ipv4/conf/eth0/arp_ignore'), '0');
  assert.equal(rig.platform.sysctl('net/ipv4/conf/eth0/arp_announce'), '0');
});

test('a reload requested during a reload re-reads the file after it: the second file is applied, the second caller gets its reply (issue 19 item 6)', async () => {
  const a = groupConfig();
  // The "file" as the loader reads it; the first read is held until the file has changed again.
  let file = carpdConfig([a, groupConfig({ vhid: 8 })]);
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let reads = 0;
  const rig = await masterRig({
    groups: [a],
    loadConfig: async () => {
      const read = file;
      if (++reads === 1) await held;
      return { ok: true, config: read };
    },
  });
  const first = rig.daemon.reload();
  file = carpdConfig([a, groupConfig({ vhid: 9 })]);
  const second = rig.daemon.reload();
  const third = rig.daemon.reload();
  release();
  assert.deepEqual(await first, { ok: true, message: 'reloaded: 1 added, 0 removed, 0 changed (0 in place), 1 unchanged' });
  const reply = { ok: true, message: 'reloaded: 1 added, 1 removed, 0 changed (0 in place), 1 unchanged' };
  assert.deepEqual(await second, reply, 'the second reload read the changed file');
  assert.deepEqual(await third, reply, 'a third request joined the queued reload');
  assert.equal(reads, 2, 'the file was read once per reload, not once per request');
  await rig.settle();
  assert.deepEqual(rig.daemon.currentConfig.groups.map((g) => g.name), ['eth0/vhid7', 'eth0/vhid9']);
  assert.equal(rig.link('carp8'), undefined);
  assert.ok(rig.link('carp9'));
  await rig.daemon.stop();
});

test('SIGTERM while a reload is adding groups: stop waits for it, no carp link is left (issue 19 item 12)', async () => {
  const a = groupConfig();
  const rig = await masterRig({ groups: [a] });
  rig.next = carpdConfig([a, groupConfig({ vhid: 8 }), groupConfig({ vhid: 9 })]);
  let stopped: Promise<void> | undefined;
  // The stop request arrives while the reload creates the first new carp link.
  rig.netlink.failWhen((op) => {
    if (op === 'createMacvlan' && stopped === undefined) stopped = rig.daemon.stop();
    return undefined;
  });
  const reloaded = rig.daemon.reload();
  const late = rig.daemon.reload();
  await reloaded;
  assert.ok(stopped, 'stop was requested during the reload');
  await stopped;
  await rig.settle();
  assert.deepEqual(rig.netlink.links().filter((l) => l.name.startsWith('carp')).map((l) => l.name), []);
  assert.deepEqual(rig.vips(), []);
  assert.deepEqual(rig.daemon.status().groups, []);
  const queued = await late;
  assert.equal(queued.ok ? '' : queued.code, 'CARPD_RELOAD_FAILED', 'a reload queued behind the running one is refused once stopping');
});
