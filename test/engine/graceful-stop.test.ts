/**
 * Graceful stop, make-before-break (issue 19 item 4; docs/state-machine.md "Graceful stop"): the
 * real runners on a simulated LAN. A stopping MASTER keeps its addresses until it hears its
 * successor, so some node always holds them; alone, it keeps them for its hold, then leaves; and
 * shutdown() resolves only when the machine has left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MixedLan } from '../helpers/mixed-lan.ts';

const S = 1_000_000;
const VIP = '198.51.100.100';
const MS = 1000;

/** Steps the LAN in 1 ms slices, recording whether anyone held the group's addresses in each. */
function advanceWatching(lan: MixedLan, group: string, micros: number): { uncoveredMs: number } {
  let uncoveredMs = 0;
  for (let t = 0; t < micros; t += MS) {
    lan.advance(MS);
    if (lan.holders(group).length === 0) uncoveredMs++;
  }
  return { uncoveredMs };
}

test('a stopping MASTER keeps the addresses until the backup has taken over: never held by no one', async () => {
  const lan = new MixedLan(1, { delayMicros: 200, jitterMicros: 0 });
  const a = lan.host('a', ['198.51.100.1']).withCarp({ name: 'web', vhid: 7, addresses: [VIP], advskew: 0 });
  const b = lan.host('b', ['198.51.100.2']).withCarp({ name: 'web', vhid: 7, addresses: [VIP], advskew: 200 });
  a.start();
  lan.advance(4 * S);
  b.start();
  lan.advance(3 * S);
  assert.deepEqual(lan.masters('web'), ['a']);
  let left = false;
  const stopped = a.carpGroup('web').shutdown().then(() => (left = true));
  // b waits its skew time, 200/256 s, after the bow-out: a holds the addresses all along.
  const during = advanceWatching(lan, 'web', 700 * MS);
  assert.deepEqual(lan.holders('web'), ['a'], 'still held by the stopping master before the backup takes over');
  await Promise.resolve();
  assert.equal(left, false, 'shutdown() has not resolved');
  const handover = advanceWatching(lan, 'web', 300 * MS);
  await stopped;
  assert.equal(left, true);
  assert.equal(during.uncoveredMs + handover.uncoveredMs, 0, 'the addresses were held by someone at every millisecond');
  assert.deepEqual(lan.holders('web'), ['b']);
  assert.deepEqual(lan.masters('web'), ['b']);
  const last = a.transitions.at(-1);
  assert.equal(last?.to, 'init');
  assert.equal(last?.reason, 'shutdown');
  assert.equal(b.transitions.at(-1)?.reason, 'master-bowed-out');
});

test('the first bow-out lost: the repeated one hands over, still make-before-break', async () => {
  const lan = new MixedLan(1, { delayMicros: 200, jitterMicros: 0 });
  const a = lan.host('a', ['198.51.100.1']).withCarp({ name: 'web', vhid: 7, addresses: [VIP], advskew: 0 });
  const b = lan.host('b', ['198.51.100.2']).withCarp({ name: 'web', vhid: 7, addresses: [VIP], advskew: 20 });
  a.start();
  lan.advance(4 * S);
  b.start();
  lan.advance(3 * S);
  lan.lan.setLinkUp('b', false); // b hears nothing: a's first bow-out is lost
  const stopped = a.carpGroup('web').shutdown();
  lan.advance(500 * MS);
  lan.lan.setLinkUp('b', true);
  const watched = advanceWatching(lan, 'web', 1500 * MS);
  await stopped;
  assert.equal(watched.uncoveredMs, 0);
  assert.deepEqual(lan.holders('web'), ['b']);
  assert.equal(b.transitions.at(-1)?.reason, 'master-bowed-out', 'taken over on the repeated bow-out, not after master-down');
});

test('alone, a stopping MASTER keeps its addresses for the hold (its master-down interval, 3 s here), then leaves', async () => {
  const lan = new MixedLan(1, { delayMicros: 200, jitterMicros: 0 });
  const a = lan.host('a', ['198.51.100.1']).withCarp({ name: 'web', vhid: 7, addresses: [VIP], advskew: 0 });
  a.start();
  lan.advance(4 * S);
  const stopped = a.carpGroup('web').shutdown();
  lan.advance(3 * S - MS);
  assert.deepEqual(lan.holders('web'), ['a']);
  lan.advance(2 * MS);
  await stopped;
  assert.deepEqual(lan.holders('web'), []);
  assert.equal(a.carpGroup('web').state.running, false);
});

test('a second shutdown() during the hold leaves at once', async () => {
  const lan = new MixedLan(1, { delayMicros: 200, jitterMicros: 0 });
  const a = lan.host('a', ['198.51.100.1']).withCarp({ name: 'web', vhid: 7, addresses: [VIP], advskew: 0 });
  a.start();
  lan.advance(4 * S);
  const first = a.carpGroup('web').shutdown();
  lan.advance(100 * MS);
  await a.carpGroup('web').shutdown();
  await first;
  assert.deepEqual(lan.holders('web'), []);
});
