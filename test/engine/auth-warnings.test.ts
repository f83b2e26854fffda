/**
 * A node with the wrong passphrase is named, not only counted (issue 11, item 3): both sides log
 * a warning naming the vhid, the peer and the likely causes, once per peer a minute with a count,
 * and a MASTER that hears them says split brain is possible. On the simulated LAN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WarningLimiter } from '../../src/engine/warning-limiter.ts';
import { PeerTable } from '../../src/engine/peer-table.ts';
import { buildSimCluster } from '../../src/sim/cluster-builder.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

const SECOND = 1_000_000;

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
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  const cluster = buildSimCluster(
    {
      vhid: 12,
      passphrase: 'right-pass',
      virtualAddresses: ['198.51.100.212'],
      nodes: [
        { name: 'good', address: '198.51.100.1', advskew: 0 },
        { name: 'wrong', address: '198.51.100.2', advskew: 100, passphrase: 'wrong-pass' },
      ],
    },
    clock,
    logger,
  );
  cluster.startAll();
  clock.advanceTo(10 * SECOND);
  assert.deepEqual(cluster.masters(12).sort(), ['good', 'wrong'], 'neither authenticates the other: both MASTER');
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
  assert.ok((cluster.host('good').runners.get(12)?.stats.drops['bad-auth'] ?? 0) > 30, 'and counted as bad-auth drops');
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
  const clock = new VirtualClock();
  const cluster = buildSimCluster(
    {
      vhid: 13,
      passphrase: 'right-pass',
      virtualAddresses: ['198.51.100.213'],
      nodes: [
        { name: 'good', address: '198.51.100.1' },
        { name: 'other', address: '198.51.100.3', advskew: 50 },
        { name: 'wrong', address: '198.51.100.2', advskew: 100, passphrase: 'wrong-pass' },
      ],
    },
    clock,
  );
  cluster.startAll();
  clock.advanceTo(10 * SECOND);
  const heard = (host: string) => Object.fromEntries((cluster.host(host).runners.get(13)?.peers.entries() ?? []).map((p) => [p.address, p]));
  const atOther = heard('other');
  assert.equal(atOther['198.51.100.1']?.authenticates, true);
  assert.ok((atOther['198.51.100.1']?.ok ?? 0) > 3);
  assert.equal(atOther['198.51.100.2']?.authenticates, false);
  assert.ok((atOther['198.51.100.2']?.badAuth ?? 0) > 3);
  assert.equal(heard('wrong')['198.51.100.1']?.authenticates, false);
});
