import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSimCluster } from '../../src/sim/cluster-builder.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const SECOND = 1_000_000;

function threeNodes(preempt: boolean) {
  const clock = new VirtualClock();
  const cluster = buildSimCluster(
    {
      vhid: 7,
      passphrase: 'secret-pass',
      virtualAddresses: ['198.51.100.100'],
      nodes: [
        { name: 'a', address: '198.51.100.1', advskew: 0, preempt },
        { name: 'b', address: '198.51.100.2', advskew: 50, preempt },
        { name: 'c', address: '198.51.100.3', advskew: 100, preempt },
      ],
    },
    clock,
  );
  return { clock, cluster };
}

test('sim: the best node becomes the only master and holds the address', () => {
  const { clock, cluster } = threeNodes(true);
  cluster.startAll();
  clock.advanceBy(5 * SECOND);
  assert.deepEqual(cluster.masters(7), ['a']);
  assert.deepEqual(cluster.holders(7), ['a']);
  assert.equal(cluster.host('b').phase(7), 'backup');
  assert.equal(cluster.host('c').phase(7), 'backup');
});

test('sim: crash of the master fails over to the next best within one master-down interval', () => {
  const { clock, cluster } = threeNodes(true);
  cluster.startAll();
  clock.advanceBy(5 * SECOND);
  const crashAt = clock.nowMicros();
  cluster.crash('a');
  // b's master-down: 3 × (1 s + 50/256 s) = 3.586 s after its last advert from a.
  clock.advanceBy(3.6 * SECOND);
  assert.deepEqual(cluster.masters(7), ['b']);
  const takeover = cluster.host('b').effects.find((e) => e.effect === 'add-addresses' && e.at > crashAt);
  assert.ok(takeover !== undefined, "b took over");
  // Bound: master-down plus one LAN delay (the last advert may have been in flight at the crash).
  assert.ok(takeover.at - crashAt <= 3_585_937 + 300, `took ${takeover.at - crashAt} µs`);
});

test('sim: graceful stop bows out and the best backup takes over after its skew time', () => {
  const { clock, cluster } = threeNodes(false);
  cluster.startAll();
  clock.advanceBy(5 * SECOND);
  const stopAt = clock.nowMicros();
  cluster.stop('a');
  clock.advanceBy(0.5 * SECOND);
  assert.deepEqual(cluster.masters(7), ['b']);
  const takeover = cluster.host('b').effects.find((e) => e.effect === 'add-addresses' && e.at > stopAt);
  assert.ok(takeover !== undefined);
  // 50/256 s skew + LAN delay, far below the 3.586 s master-down.
  assert.ok(takeover.at - stopAt < 250_000, `took ${takeover.at - stopAt} µs`);
});

test('sim: without preemption the old master rejoins as backup; with it, it takes over again', () => {
  for (const preempt of [false, true]) {
    const { clock, cluster } = threeNodes(preempt);
    cluster.startAll();
    clock.advanceBy(5 * SECOND);
    cluster.crash('a');
    clock.advanceBy(5 * SECOND);
    cluster.start('a');
    clock.advanceBy(10 * SECOND);
    assert.deepEqual(cluster.masters(7), [preempt ? 'a' : 'b'], `preempt ${preempt}`);
  }
});
