/**
 * daemon/'s time through the Clock port (daemon/clock-time.ts, ports/clock.ts): calendar
 * timestamps from the clock, and the real-time bounds that end a wait even while a VirtualClock
 * stands still.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calendarIso, realDelay, settlesWithin } from '../../src/daemon/clock-time.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

test('calendarIso reads the clock, and moves with the virtual time', () => {
  const clock = new VirtualClock();
  assert.equal(calendarIso(clock), '2026-01-01T00:00:00.000Z');
  clock.advanceBy(90_500_000);
  assert.equal(calendarIso(clock), '2026-01-01T00:01:30.500Z');
});

test('settlesWithin: true for a promise that settles, false for one that never does, with virtual time standing still', async () => {
  // Nothing else holds the process up here: the bound itself must (a stop waits for it).
  const clock = new VirtualClock();
  assert.equal(await settlesWithin(clock, Promise.resolve(), 60_000), true);
  assert.equal(await settlesWithin(clock, new Promise<void>(() => {}), 5), false);
  assert.equal(clock.nowMicros(), 0, 'the bound took no virtual time');
  assert.equal(clock.pendingCount, 0, 'and armed no virtual timer');
});

test('setRealTimeout: cancelled, it never fires; realDelay resolves without virtual time moving', async () => {
  // realDelay never holds the process up (a retry must not keep carpd alive): the test holds it.
  const keep = setInterval(() => {}, 1_000);
  try {
    const clock = new VirtualClock();
    let fired = false;
    const cancel = clock.setRealTimeout(1, () => (fired = true));
    cancel();
    await realDelay(clock, 10);
    assert.equal(fired, false);
    assert.equal(clock.nowMicros(), 0);
  } finally {
    clearInterval(keep);
  }
});
