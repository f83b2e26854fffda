import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backwardsCounterCause } from '../../src/protocols/carp/backwards-counter-cause.ts';
import { COUNTER_MAX } from '../../src/protocols/carp/send-counter.ts';

const NOW = 1_767_225_600_000_000n; // 2026-01-01 in µs
const HOUR = 3_600_000_000n;
const DAY = 24n * HOUR;
const c = (sequence: bigint, lane = 1n): bigint => (sequence << 8n) | lane;

describe('backwardsCounterCause', () => {
  it('a carpd counter near our clock followed by one an hour earlier, same lane: the peer clock stepped back', () => {
    assert.equal(backwardsCounterCause(c(NOW), c(NOW - HOUR), NOW), 'peer-clock-stepped-back');
  });
  it('a peer clock that was a year ahead and was corrected: stepped back (the new counter is near ours)', () => {
    assert.equal(backwardsCounterCause(c(NOW + 365n * DAY), c(NOW), NOW), 'peer-clock-stepped-back');
  });
  it('clock-like counters both far from our clock are not taken for a carpd peer', () => {
    assert.equal(backwardsCounterCause(c(NOW - 30n * DAY), c(NOW - 31n * DAY), NOW), 'peer-counters-not-clock-based');
  });
  it('a different lane is another sender (a replay or a foreign peer), not a clock step', () => {
    assert.equal(backwardsCounterCause(c(NOW, 1n), c(NOW - HOUR, 2n), NOW), 'peer-counters-not-clock-based');
  });
  it('a constant counter (OpenBSD) is not clock-based, even when it decodes as a time', () => {
    assert.equal(backwardsCounterCause(c(NOW), c(NOW), NOW), 'peer-counters-not-clock-based');
  });
  it('random 64-bit counters (ucarp, FreeBSD) are not clock-based', () => {
    assert.equal(backwardsCounterCause(0x9e37_79b9_7f4a_7c15n, 0x1234_5678_9abc_def0n, NOW), 'peer-counters-not-clock-based');
    assert.equal(backwardsCounterCause(COUNTER_MAX, 5n, NOW), 'peer-counters-not-clock-based');
  });
});
