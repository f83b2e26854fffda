/**
 * The fault hold-down (daemon/fault-hold-down.ts, docs/fail-safe.md) on a VirtualClock: the
 * doubling hold-downs, the reset by a successful claim, the end of a hold-down, and stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_HOLD_DOWNS_MS, FaultHoldDown } from '../../src/daemon/fault-hold-down.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

function rig(holdDownsMs?: readonly number[]) {
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  let over = 0;
  const fault = new FaultHoldDown({ clock, logger, group: () => 'web', ...(holdDownsMs === undefined ? {} : { holdDownsMs }), onOver: () => over++ });
  return { clock, logger, fault, overCount: () => over };
}

/** The hold-down in force, from the status's since and until. */
function holdDownMs(fault: FaultHoldDown): number {
  const status = fault.status();
  assert.ok(status !== null);
  return Date.parse(status.until) - Date.parse(status.since);
}

test('each failed claim in a row doubles the hold-down, up to the last, which repeats', () => {
  const { fault } = rig();
  const seen: number[] = [];
  for (let i = 0; i < FAULT_HOLD_DOWNS_MS.length + 2; i++) {
    fault.claimFailed(Object.assign(new Error('no'), { code: 'EPERM' }));
    seen.push(holdDownMs(fault));
  }
  assert.deepEqual(seen, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  assert.equal(fault.status()?.failures, 8);
});

test('the hold-down ends on the clock, calls onOver once, and the fault clears', () => {
  const { clock, fault, overCount, logger } = rig([1_000]);
  fault.claimFailed(new Error('EPERM'));
  assert.equal(fault.active, true);
  assert.equal(logger.records.filter((r) => r.level === 'error' && r.fields['group'] === 'web').length, 1);
  clock.advanceBy(999_000);
  assert.equal(fault.active, true, 'still held down 1 ms before the end');
  clock.advanceBy(1_000);
  assert.equal(fault.active, false);
  assert.equal(fault.status(), null);
  assert.equal(overCount(), 1);
});

test('a successful claim resets the count: the next failure gets the first hold-down again', () => {
  const { fault, clock } = rig([1_000, 2_000, 4_000]);
  fault.claimFailed(new Error('a'));
  fault.claimFailed(new Error('b'));
  assert.equal(holdDownMs(fault), 2_000);
  clock.advanceBy(2_000_000);
  fault.claimSucceeded();
  fault.claimFailed(new Error('c'));
  assert.equal(holdDownMs(fault), 1_000);
  assert.equal(fault.status()?.failures, 1);
});

test('clearFault (stop) cancels the timer: onOver never runs', () => {
  const { clock, fault, overCount } = rig([1_000]);
  fault.claimFailed(new Error('a'));
  fault.clearFault();
  assert.equal(fault.active, false);
  assert.equal(clock.pendingCount, 0);
  clock.advanceBy(5_000_000);
  assert.equal(overCount(), 0);
});

test('a new failure replaces the running hold-down: one timer, one onOver', () => {
  const { clock, fault, overCount } = rig([1_000, 2_000]);
  fault.claimFailed(new Error('a'));
  fault.claimFailed(new Error('b'));
  assert.equal(clock.pendingCount, 1);
  clock.advanceBy(10_000_000);
  assert.equal(overCount(), 1);
});
