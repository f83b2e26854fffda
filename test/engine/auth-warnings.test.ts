/**
 * A node with the wrong passphrase is named, not only counted (issue 11, item 3): both sides log
 * a warning naming the vhid, the peer and the likely causes, once per peer a minute with a count,
 * and a MASTER that hears them says split brain is possible. On the simulated LAN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WarningLimiter } from '../../src/engine/warning-limiter.ts';
import { PeerTable } from '../../src/engine/peer-table.ts';
import { buildSimCluster, type SimNodeDescription } from '../../src/sim/cluster-builder.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { SimCluster } from '../../src/sim/sim-cluster.ts';
import { SimLan } from '../../src/sim/sim-lan.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

const SECOND = 1_000_000;

/** A started cluster of the given nodes (passphrase 'right-pass' unless a node has its own). */
function cluster(vhid: number, vip: string, nodes: readonly SimNodeDescription[], logger?: MemoryLogger): { clock: VirtualClock; cluster: ReturnType<typeof buildSimCluster> } {
  const clock = new VirtualClock();
  const built = buildSimCluster({ vhid, passphrase: 'right-pass', virtualAddresses: [vip], nodes }, clock, logger);
  built.startAll();
  return { clock, cluster: built };
}

test('WarningLimiter: the first at once, then at most once per interval with the count; keys bounded', () => {
  const limiter = new WarningLimiter(60 * SECOND, 2);
  assert.deepEqual(limiter.note('a', 0), { report: true, count: 1 });
  assert.deepEqual(limiter.note('a', 1 * SECOND), { report: false });
  assert.deepEqual(limiter.note('a', 59 * SECOND), { report: false });
  assert.deepEqual(limiter.note('b', 59 * SECOND), { report: true, count: 1 });
  assert.deepEqual(limiter.note('a', 60 * SECOND), { report: true, count: 3 });
  // A third key evicts the oldest (b): b is new again.
  assert.deepEqual(limiter.note('c', 61 * SECOND), { report: true, count: 1 });
  assert.deepEqual(limiter.note('b', 62 * SECOND), { report: true, count: 1 });
});

test('a wrong passphrase: both nodes MASTER, each names the other within 10 s, says split brain, and logs once a minute', () => {
  const logger = new MemoryLogger();
  const { clock, cluster: c } = cluster(12, '198.51.100.212', [
    { name: 'good', address: '198.51.100.1', advskew: 0 },
    { name: 'wrong', address: '198.51.100.2', advskew: 100, passphrase: 'wrong-pass' },
  ], logger);
  clock.advanceTo(10 * SECOND);
  assert.deepEqual(c.masters(12).sort(), ['good', 'wrong'], 'neither authenticates the other: both MASTER');
  const warnings = () => logger.records.filter((r) => r.level === 'warn' && /fail authentication/.test(r.message));
  const about = (peer: string) => warnings().filter((r) => r.fields?.['peer'] === peer);
  assert.equal(about('198.51.100.2').length, 1, 'good names wrong');
  // wrong heard good first as BACKUP, then again on becoming MASTER: that second one is news.
  assert.equal(about('198.51.100.1').length, 2, 'wrong names good, as BACKUP and again as MASTER');
  assert.equal(about('198.51.100.1')[0]?.fields?.['splitBrain'], false);
  assert.equal(about('198.51.100.1')[1]?.fields?.['splitBrain'], true);
  const first = about('198.51.100.2')[0];
  assert.match(first?.message ?? '', /vhid 12 from 198\.51\.100\.2 .*passphrase differs.*this node hashes 198\.51\.100\.212/);
  assert.match(first?.message ?? '', /possible split brain/);
  assert.equal(first?.fields?.['splitBrain'], true);
  // A minute later: one more each, with the count of the adverts in between.
  clock.advanceTo(75 * SECOND);
  assert.equal(about('198.51.100.2').length, 2);
  assert.ok(Number(about('198.51.100.2')[1]?.fields?.['count']) > 30, JSON.stringify(about('198.51.100.2')[1]?.fields));
  assert.ok((c.host('good').runners.get(12)?.stats.drops['bad-auth'] ?? 0) > 30, 'and counted as bad-auth drops');
});

test('PeerTable: counts per peer, the last authentic fields, most recent first, bounded', () => {
  const table = new PeerTable(2);
  table.accepted('198.51.100.2', { advbase: 1, advskew: 50, demote: 0 }, 1);
  table.badAuth('198.51.100.9', 2);
  table.replay('198.51.100.2', 3);
  assert.deepEqual(table.entries().map((p) => [p.address, p.ok, p.badAuth, p.replay, p.authenticates, p.advskew]), [
    ['198.51.100.2', 1, 0, 1, true, 50],
    ['198.51.100.9', 0, 1, 0, false, undefined],
  ]);
  // A third source pushes out the least recently heard (.9).
  table.badAuth('198.51.100.66', 4);
  assert.deepEqual(table.entries().map((p) => p.address), ['198.51.100.66', '198.51.100.2']);
});

test('the heard table names the node with the wrong passphrase on both sides', () => {
  const { clock, cluster: c } = cluster(13, '198.51.100.213', [
    { name: 'good', address: '198.51.100.1' },
    { name: 'other', address: '198.51.100.3', advskew: 50 },
    { name: 'wrong', address: '198.51.100.2', advskew: 100, passphrase: 'wrong-pass' },
  ]);
  clock.advanceTo(10 * SECOND);
  const heard = (host: string) => Object.fromEntries((c.host(host).runners.get(13)?.peers.entries() ?? []).map((p) => [p.address, p]));
  const atOther = heard('other');
  assert.equal(atOther['198.51.100.1']?.authenticates, true);
  assert.ok((atOther['198.51.100.1']?.ok ?? 0) > 3);
  assert.equal(atOther['198.51.100.2']?.authenticates, false);
  assert.ok((atOther['198.51.100.2']?.badAuth ?? 0) > 3);
  assert.equal(heard('wrong')['198.51.100.1']?.authenticates, false);
});

/** A host with one group: its own vhid and passphrase, the shared VIP. */
function host(name: string, address: string, vhid: number, passphrase: string) {
  return {
    name,
    addresses: [parseIpAddress(address)],
    groups: [{ name: `${name}/vhid${vhid}`, id: vhid, passphrase, virtualAddresses: [parseIpAddress('198.51.100.214')], sourceAddresses: { 4: parseIpAddress(address) }, rank: 0, intervalSeconds: 1, preempt: false }],
  };
}

/** a (vhid 14, right-pass) and b (vhid 15, b's passphrase) on one LAN, started. */
function vhid14And15(passphraseOfB: string): { clock: VirtualClock; logger: MemoryLogger; c: SimCluster } {
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  const c = new SimCluster(clock, new SimLan(clock, () => 0.5), [host('a', '198.51.100.1', 14, 'right-pass'), host('b', '198.51.100.2', 15, passphraseOfB)], logger);
  c.startAll();
  return { clock, logger, c };
}

function mismatchWarnings(logger: MemoryLogger) {
  return logger.records.filter((r) => r.level === 'warn' && /the vhid was changed on one side/.test(r.message));
}

test('a vhid changed on one side: adverts for the other vhid that authenticate with our key and addresses are named, once a minute', () => {
  const { clock, logger, c } = vhid14And15('right-pass');
  clock.advanceTo(10 * SECOND);
  assert.deepEqual(c.masters(14), ['a']);
  assert.deepEqual(c.masters(15), ['b'], 'both MASTER: what the warning is about');
  assert.equal(mismatchWarnings(logger).length, 2, JSON.stringify(mismatchWarnings(logger)));
  assert.match(mismatchWarnings(logger).find((r) => r.fields?.['group'] === 'a/vhid14')?.message ?? '', /adverts for vhid 15 from 198\.51\.100\.2 authenticate .* this group is vhid 14 here/);
  clock.advanceTo(50 * SECOND);
  assert.equal(mismatchWarnings(logger).length, 2, 'rate-limited');
  clock.advanceTo(75 * SECOND);
  assert.equal(mismatchWarnings(logger).length, 4);
});

test('another cluster on the segment (its own vhid and passphrase): no warning', () => {
  const { clock, logger, c } = vhid14And15('their-pass');
  clock.advanceTo(75 * SECOND);
  assert.equal(mismatchWarnings(logger).length, 0);
  assert.ok((c.host('a').node?.unattributedDrops['unknown-vhid'] ?? 0) > 10, 'counted as unknown-vhid, as before');
});
