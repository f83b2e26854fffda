/**
 * Issue 19 item 9: a saturated or far-future counter in one node's state file must not poison the
 * pair. Real runners on the simulated LAN (real HMAC, replay guard, state machines); the store
 * stands for each host's disk and survives restarts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { COUNTER_MAX, PERSISTED_COUNTER_LEAD_MAX, isPersistedCounterPlausible } from '../../src/protocols/carp/send-counter.ts';
import { buildSimCluster } from '../../src/sim/cluster-builder.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const SECOND = 1_000_000;

function pair() {
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  const cluster = buildSimCluster(
    {
      vhid: 19,
      passphrase: 'poisoned-state',
      virtualAddresses: ['198.51.100.119'],
      nodes: [
        { name: 'a', address: '198.51.100.1', advskew: 0 },
        { name: 'b', address: '198.51.100.2', advskew: 100 },
      ],
    },
    clock,
    logger,
  );
  const key = (cluster.host('a').spec.groups[0] as { name: string }).name;
  return { clock, logger, cluster, key };
}

const refusals = (logger: MemoryLogger) => logger.records.filter((r) => r.level === 'warn' && r.fields['field'] !== undefined && r.fields['value'] !== undefined);

for (const field of ['sendReservation', 'replayHighWater'] as const) {
  test(`poisoned state: ${field} 2^64−1 in the master's file is refused with a warning, and the pair ends with exactly one master`, () => {
    const { clock, logger, cluster, key } = pair();
    cluster.host('a').store.replace(key, { sendReservation: 0n, replayHighWater: 0n, [field]: COUNTER_MAX });
    cluster.startAll();
    clock.advanceBy(30 * SECOND);
    assert.deepEqual(cluster.masters(19), ['a']);
    const warned = refusals(logger);
    assert.equal(warned.length, 1);
    assert.equal(warned[0]?.fields['field'], field);
    assert.equal(warned[0]?.fields['value'], COUNTER_MAX.toString());
    assert.equal(warned[0]?.fields['file'], key);
    // Neither disk holds a far-future value afterwards, so a restart is healthy too.
    const now = clock.wallclockMicros();
    for (const name of ['a', 'b']) {
      const stored = cluster.host(name).store.load((cluster.host(name).spec.groups[0] as { name: string }).name);
      assert.ok(isPersistedCounterPlausible(stored.sendReservation, now) && isPersistedCounterPlausible(stored.replayHighWater, now), `${name}'s store is sane`);
    }
    assert.ok(cluster.host('b').store.load((cluster.host('b').spec.groups[0] as { name: string }).name).replayHighWater > 0n, "b's store was written");
    cluster.crash('a');
    clock.advanceBy(5 * SECOND);
    assert.deepEqual(cluster.masters(19), ['b']);
    cluster.start('a');
    clock.advanceBy(10 * SECOND);
    assert.deepEqual(cluster.masters(19), ['b'], 'exactly one master after the restart (no preemption)');
    assert.equal(refusals(logger).length, 1, 'no further refusal after the restart');
  });
}

test('poisoned state: a reservation just under a day ahead is kept (a clock stepped back is still covered)', () => {
  const { clock, logger, cluster, key } = pair();
  const reservation = (clock.wallclockMicros() << 8n) + PERSISTED_COUNTER_LEAD_MAX;
  cluster.host('a').store.replace(key, { sendReservation: reservation, replayHighWater: 0n });
  cluster.startAll();
  clock.advanceBy(30 * SECOND);
  assert.equal(refusals(logger).length, 0);
  assert.deepEqual(cluster.masters(19), ['a']);
});
