/**
 * A rolling key change (docs/reload.md) seen from both sides, on the simulated LAN with real
 * GroupRunners (issue 18, item 4): during key_change_window a reloaded node signs every advert
 * twice, old key first. The peer that knows only one of the keys fails one copy of each pair:
 * that is a `key-change-twin` drop, not `bad-auth`; no warning, the sender still authenticates in
 * status, and no re-announcing. A node still on the old key after every window has ended is
 * named as `bad-auth` again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupRunner } from '../../src/protocols/carp/carp-group-runner.ts';
import { buildSimCluster } from '../../src/sim/cluster-builder.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

const S = 1_000_000;
const VHID = 21;
const NEW_KEY = carpKeyFromPassphrase('new-pass');

/** a (advskew 0) MASTER, b (advskew 100) BACKUP, both on 'old-pass', settled at 10 s. */
function pair(): { clock: VirtualClock; logger: MemoryLogger; c: SimCluster } {
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  const c = buildSimCluster({ vhid: VHID, passphrase: 'old-pass', virtualAddresses: ['198.51.100.221'], nodes: [{ name: 'a', address: '198.51.100.1', advskew: 0 }, { name: 'b', address: '198.51.100.2', advskew: 100 }] }, clock, logger);
  c.startAll();
  clock.advanceTo(10 * S);
  assert.deepEqual(c.masters(VHID), ['a']);
  return { clock, logger, c };
}

function runner(c: SimCluster, host: string): GroupRunner {
  const r = c.host(host).runners.get(VHID);
  assert.ok(r !== undefined);
  return r as GroupRunner;
}

/** Reloads a node with the new passphrase and a key-change window of `windowSeconds`. */
function reload(c: SimCluster, host: string, windowSeconds: number): void {
  const r = runner(c, host);
  r.reconfigure({ ...r.settings, key: NEW_KEY }, windowSeconds * S);
}

function authWarnings(logger: MemoryLogger): unknown[] {
  return logger.records.filter((r) => r.level === 'warn' && /fail authentication/.test(r.message));
}

test('key change, the master reloaded first: the backup (old key only) counts the new-key copies as key-change-twin, not bad-auth; no warning; a still authenticates', () => {
  const { clock, logger, c } = pair();
  reload(c, 'a', 600);
  clock.advanceTo(40 * S);
  const b = runner(c, 'b');
  assert.ok(b.stats.drops['key-change-twin'] >= 25, JSON.stringify(b.stats.drops));
  assert.equal(b.stats.drops['bad-auth'], 0);
  assert.deepEqual(authWarnings(logger), []);
  const heardA = b.peers.entries().find((p) => p.address === '198.51.100.1');
  assert.equal(heardA?.authenticates, true);
  assert.equal(heardA?.keyChangeTwins, b.stats.drops['key-change-twin']);
  assert.equal(heardA?.badAuth, 0);
  assert.equal(b.foreignMasters.adverts, 0, 'not a foreign master');
  assert.deepEqual(c.masters(VHID), ['a']);
  // Then b is reloaded as well: both keys known, both copies accepted, no twin drops any more.
  const twins = b.stats.drops['key-change-twin'];
  reload(c, 'b', 600);
  clock.advanceTo(70 * S);
  assert.equal(b.stats.drops['key-change-twin'], twins);
  assert.equal(b.stats.drops['bad-auth'], 0);
  assert.deepEqual(c.masters(VHID), ['a']);
});

test('key change, the backup reloaded first: the master\'s single old-key advert is accepted with the previous key; nothing dropped', () => {
  const { clock, logger, c } = pair();
  reload(c, 'b', 600);
  clock.advanceTo(40 * S);
  const b = runner(c, 'b');
  assert.equal(b.stats.drops['bad-auth'] + b.stats.drops['key-change-twin'], 0);
  assert.deepEqual(authWarnings(logger), []);
  assert.deepEqual(c.masters(VHID), ['a']);
});

test('key change, the receiver\'s window ends before the sender\'s: the old-key copy (failed first, then its twin accepted) is a key-change-twin, recognised with the retired key', () => {
  const { clock, logger, c } = pair();
  reload(c, 'b', 5);
  clock.advanceTo(13 * S);
  reload(c, 'a', 600);
  clock.advanceTo(60 * S);
  const b = runner(c, 'b');
  assert.ok(b.stats.drops['key-change-twin'] >= 40, JSON.stringify(b.stats.drops));
  assert.equal(b.stats.drops['bad-auth'], 0);
  assert.deepEqual(authWarnings(logger), []);
  assert.deepEqual(c.masters(VHID), ['a']);
});

test('a node never reloaded, after the other\'s window has ended: bad-auth again, named, with the hint that it signs with the previous key', () => {
  const { clock, logger, c } = pair();
  reload(c, 'b', 5);
  clock.advanceTo(60 * S);
  const b = runner(c, 'b');
  assert.ok(b.stats.drops['key-change-twin'] <= 4, `a few at most, while a was recent: ${JSON.stringify(b.stats.drops)}`);
  assert.ok(b.stats.drops['bad-auth'] >= 30, JSON.stringify(b.stats.drops));
  const warning = logger.records.find((r) => r.level === 'warn' && /fail authentication/.test(r.message) && r.fields?.['peer'] === '198.51.100.1');
  assert.equal(warning?.fields?.['previousKey'], true, JSON.stringify(warning));
  assert.match(warning?.message ?? '', /previous key/);
});
