/**
 * The control API's event stream (daemon/daemon-events.ts): every listener hears every event,
 * one that throws is logged and does not stop the others, an unsubscribed one hears nothing, and
 * timestamps come from the clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlEvent } from '../../src/control/control-types.ts';
import { DaemonEvents } from '../../src/daemon/daemon-events.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

test('listeners hear events stamped with the clock; a throwing one is logged; unsubscribing works', () => {
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  const events = new DaemonEvents(clock, logger);
  const heard: ControlEvent[] = [];
  events.onEvent(() => {
    throw new Error('broken listener');
  });
  const off = events.onEvent((event) => heard.push(event));
  clock.advanceBy(2_000_000);
  events.demotion('web', 40);
  assert.deepEqual(heard, [{ type: 'demotion', at: '2026-01-01T00:00:02.000Z', group: 'web', demotion: 40 }]);
  assert.equal(logger.records.filter((r) => r.level === 'warn').length, 1);
  off();
  events.demotion('web', 0);
  assert.equal(heard.length, 1);
});
