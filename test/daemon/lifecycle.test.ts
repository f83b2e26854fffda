/** The daemon's lifecycle events on a fake event source: stop signals, reloads, fatal errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Lifecycle } from '../../src/daemon/lifecycle.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

function rig(): { events: EventEmitter; exits: number[]; lifecycle: Lifecycle; logger: MemoryLogger } {
  const events = new EventEmitter();
  const exits: number[] = [];
  const logger = new MemoryLogger();
  const lifecycle = new Lifecycle(logger, { events, exit: (status) => void exits.push(status) });
  return { events, exits, lifecycle, logger };
}

test('SIGTERM during start-up: the stop is requested and start-up is aborted; a second one exits at once', async () => {
  const { events, exits, lifecycle } = rig();
  events.emit('SIGTERM', 'SIGTERM');
  assert.equal(lifecycle.abort.signal.aborted, true);
  assert.deepEqual(await lifecycle.stopped, { kind: 'signal', signal: 'SIGTERM' });
  events.emit('SIGINT', 'SIGINT');
  assert.deepEqual(exits, [1]);
  lifecycle.dispose();
  assert.equal(events.listenerCount('SIGTERM'), 0);
});

test('SIGHUP: harmless before the groups run, a reload after', async () => {
  const { events, lifecycle, logger } = rig();
  events.emit('SIGHUP', 'SIGHUP');
  assert.ok(logger.records.some((r) => /nothing to reload/.test(r.message)));
  let reloads = 0;
  lifecycle.serveReloads({ reload: async () => ({ ok: true, message: `reloaded ${++reloads}` }) });
  events.emit('SIGHUP', 'SIGHUP');
  await new Promise((r) => setImmediate(r));
  assert.equal(reloads, 1);
  assert.equal(lifecycle.stopRequested, undefined);
  assert.equal(events.listenerCount('SIGHUP'), 1);
  lifecycle.dispose();
});

test('after start, an uncaught exception or unhandled rejection is a fatal stop, not a crash', async () => {
  const { events, lifecycle } = rig();
  assert.equal(events.listenerCount('uncaughtException'), 0, 'only once the groups run');
  lifecycle.catchFatalErrors();
  const error = new TypeError('boom');
  events.emit('uncaughtException', error);
  const reason = await lifecycle.stopped;
  assert.equal(reason.kind, 'fatal');
  assert.equal(reason.kind === 'fatal' ? reason.error : undefined, error);
  // A second error while stopping is only logged.
  events.emit('unhandledRejection', new Error('later'));
  assert.equal(lifecycle.stopRequested, reason);
  lifecycle.dispose();
  assert.equal(events.listenerCount('uncaughtException'), 0);
});
