/**
 * Issue 19 item 2: a MASTER whose adverts cannot leave (a host firewall dropping outgoing
 * protocol 112: EPERM) must not keep the addresses while the backup, hearing nothing, takes
 * them too (src/engine/send-fault.ts, docs/fail-safe.md "Adverts that cannot leave").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSimCluster } from '../../src/sim/cluster-builder.ts';
import type { ClusterEvent } from '../../src/sim/sim-cluster.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const SECOND = 1_000_000;
const EPERM = Object.assign(new Error('send: EPERM'), { code: 'EPERM' });

function twoNodes() {
  const clock = new VirtualClock();
  const cluster = buildSimCluster(
    {
      vhid: 7,
      passphrase: 'secret-pass',
      virtualAddresses: ['198.51.100.100'],
      nodes: [
        { name: 'a', address: '198.51.100.1', advskew: 0, preempt: true },
        { name: 'b', address: '198.51.100.2', advskew: 50, preempt: true },
      ],
    },
    clock,
  );
  const events: ClusterEvent[] = [];
  cluster.onEvent((e) => events.push(e));
  return { clock, cluster, events };
}

/** Microseconds within [from, to) during which both hosts held the address. */
function doubleHolding(cluster: ReturnType<typeof twoNodes>['cluster'], from: number, to: number): number {
  const changes = ['a', 'b'].flatMap((name) =>
    cluster
      .host(name)
      .effects.filter((e) => (e.effect === 'add-addresses' || e.effect === 'remove-addresses') && e.at >= from && e.at < to)
      .map((e) => ({ name, at: e.at, add: e.effect === 'add-addresses' })),
  );
  changes.sort((x, y) => x.at - y.at);
  const holding = new Set(['a']); // a held it at `from`
  let both = 0;
  let last = from;
  for (const change of changes) {
    if (holding.size === 2) both += change.at - last;
    last = change.at;
    if (change.add) holding.add(change.name);
    else holding.delete(change.name);
  }
  if (holding.size === 2) both += to - last;
  return both;
}

test('adverts failing (EPERM) for a master-down interval: the master resigns, one holder within 10 s, no preemption during the hold-down; back to MASTER once sends work', () => {
  const { clock, cluster, events } = twoNodes();
  cluster.startAll();
  clock.advanceBy(5 * SECOND);
  assert.deepEqual(cluster.holders(7), ['a']);
  const a = cluster.host('a');
  const failAt = clock.nowMicros();
  (a.transport as NonNullable<typeof a.transport>).sendError = EPERM;

  clock.advanceBy(10 * SECOND);
  assert.deepEqual(cluster.holders(7), ['b'], 'one holder within 10 s');
  assert.deepEqual(cluster.masters(7), ['b']);
  const resigned = events.find((e) => e.kind === 'transition' && e.host === 'a' && e.from === 'master');
  assert.ok(resigned !== undefined && resigned.kind === 'transition');
  assert.equal(resigned.reason, 'advert-send-failed');
  assert.equal(resigned.to, 'backup');
  // b takes over after its master-down (3.59 s); a resigns at its first failed advert once its
  // own master-down (3 s) has passed: they overlap for at most about one advert interval.
  const both = doubleHolding(cluster, failAt, clock.nowMicros());
  assert.ok(both <= 1.2 * SECOND, `both held the address for ${both} µs`);
  assert.ok(resigned.at - failAt <= 4.1 * SECOND, `resigned ${resigned.at - failAt} µs after the first failure`);
  assert.equal(a.runners.get(7)?.advertSendHoldDown, true);

  // Sends work again; a (skew 0, preempt) does not preempt during the 10 s hold-down, then does.
  (a.transport as NonNullable<typeof a.transport>).sendError = undefined;
  const fixedAt = clock.nowMicros();
  const holdDownEnds = resigned.at + 10 * SECOND;
  clock.advanceTo(holdDownEnds - 100_000);
  assert.deepEqual(cluster.holders(7), ['b'], 'no preemption during the hold-down');
  clock.advanceTo(holdDownEnds + 2 * SECOND);
  assert.deepEqual(cluster.masters(7), ['a'], 'a preempts once the hold-down is over');
  assert.deepEqual(cluster.holders(7), ['a']);
  const aTransitions = events.filter((e) => e.kind === 'transition' && e.host === 'a' && e.at >= fixedAt);
  assert.equal(aTransitions.length, 1, 'one transition back to MASTER, no flapping');
  assert.equal(a.runners.get(7)?.advertSendHoldDown, false);
});

test('adverts failing on the only node: it keeps retrying mastership (alone, it takes the address after each master-down)', () => {
  const { clock, cluster, events } = twoNodes();
  cluster.startAll();
  clock.advanceBy(5 * SECOND);
  cluster.crash('b');
  const a = cluster.host('a');
  (a.transport as NonNullable<typeof a.transport>).sendError = EPERM;
  const from = clock.nowMicros();
  clock.advanceBy(60 * SECOND);
  const resignations = events.filter((e) => e.kind === 'transition' && e.host === 'a' && e.at >= from && e.reason === 'advert-send-failed');
  // Alone, it takes the address again after each master-down, and leaves it after another.
  assert.ok(resignations.length >= 2 && resignations.length <= 12, `${resignations.length} resignations in 60 s`);
  assert.equal(a.runners.get(7)?.advertSendHoldDown, true);
});

test('adverts failing for 60 s with the backup alive: the retries after each hold-down cost no double holding', () => {
  const { clock, cluster, events } = twoNodes();
  cluster.startAll();
  clock.advanceBy(5 * SECOND);
  const a = cluster.host('a');
  const failAt = clock.nowMicros();
  (a.transport as NonNullable<typeof a.transport>).sendError = EPERM;
  clock.advanceBy(60 * SECOND);
  assert.deepEqual(cluster.holders(7), ['b']);
  const retries = events.filter((e) => e.kind === 'transition' && e.host === 'a' && e.to === 'master' && e.at > failAt);
  assert.ok(retries.length >= 1, 'a retried after its hold-down (preempting b)');
  const both = doubleHolding(cluster, failAt, clock.nowMicros());
  assert.ok(both <= 1.2 * SECOND, `both held the address for ${both} µs in 60 s`);
});

test('adverts failing: once the backup takes over, the silent master leaves at its first advert, with no re-announcement and no master script re-run', () => {
  const { clock, cluster, events } = twoNodes();
  cluster.startAll();
  clock.advanceBy(5 * SECOND);
  const a = cluster.host('a');
  const failAt = clock.nowMicros();
  (a.transport as NonNullable<typeof a.transport>).sendError = EPERM;
  clock.advanceBy(10 * SECOND);
  const takeover = cluster.host('b').effects.find((e) => e.effect === 'add-addresses' && e.at >= failAt);
  assert.ok(takeover !== undefined, 'b took over');
  // Re-announcing (fsm/rival-master.ts) would pull the clients back to a just before it drops the address.
  const pulled = a.effects.filter((e) => (e.effect === 'announce' || e.effect === 'script-master') && e.at >= takeover.at);
  assert.deepEqual(pulled, [], 'a neither re-announced nor re-ran its master script after b took over');
  const resigned = events.find((e) => e.kind === 'transition' && e.host === 'a' && e.from === 'master' && e.at >= failAt);
  assert.ok(resigned !== undefined && resigned.kind === 'transition');
  assert.equal(resigned.reason, 'advert-send-failed');
  const both = doubleHolding(cluster, failAt, clock.nowMicros());
  assert.ok(both <= 0.1 * SECOND, `both held the address for ${both} µs (a leaves on b's first advert)`);
});
