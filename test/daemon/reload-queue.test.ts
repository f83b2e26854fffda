/**
 * Reload queueing (daemon/reload-queue.ts; docs/reload.md "Reloads requested during a reload")
 * with a controlled loader and apply: one at a time, one queued follow-up that reads the file
 * again, later requests joining it; the coded refusals; the events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CarpdConfig } from '../../src/config/config-types.ts';
import type { ControlEvent } from '../../src/control/control-types.ts';
import { DaemonEvents } from '../../src/daemon/daemon-events.ts';
import type { ApplyResult } from '../../src/daemon/group-supervisor.ts';
import { ReloadQueue, type ReloadQueueDependencies } from '../../src/daemon/reload-queue.ts';
import { StartupError } from '../../src/daemon/startup-error.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { carpdConfig } from '../helpers/fake-platform.ts';

const NOTHING: ApplyResult = { added: [], removed: [], changed: [], inPlace: [] };

function rig(overrides: Partial<ReloadQueueDependencies> = {}) {
  const logger = new MemoryLogger();
  const events = new DaemonEvents(new VirtualClock(), logger);
  const heard: ControlEvent[] = [];
  events.onEvent((event) => heard.push(event));
  let loads = 0;
  const gates: (() => void)[] = [];
  const queue = new ReloadQueue({
    logger,
    events,
    loadConfig: async () => {
      loads++;
      await new Promise<void>((resolve) => gates.push(resolve));
      return { ok: true, config: carpdConfig([]) };
    },
    apply: async () => NOTHING,
    stopping: () => false,
    groupCount: () => 3,
    ...overrides,
  });
  /** Lets the oldest waiting load finish. */
  const release = async (): Promise<void> => {
    for (let i = 0; i < 50 && gates.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    gates.shift()?.();
  };
  return { queue, logger, heard, loads: () => loads, release };
}

test('requests during a reload share one follow-up, which loads the file again', async () => {
  const { queue, loads, release } = rig();
  const first = queue.reload();
  const second = queue.reload();
  const third = queue.reload();
  assert.notEqual(first, second, 'the second does not share the running reply');
  assert.equal(second, third, 'later requests join the queued one');
  await release();
  assert.equal((await first).ok, true);
  await release();
  assert.equal((await second).ok, true);
  assert.equal(loads(), 2);
  assert.equal(queue.running, undefined);
});

test('the reply counts what changed; the event says ok', async () => {
  const { queue, release, heard } = rig({ apply: async () => ({ added: ['x'], removed: [], changed: ['y'], inPlace: ['y'] }) });
  const reply = queue.reload();
  await release();
  assert.deepEqual(await reply, { ok: true, message: 'reloaded: 1 added, 0 removed, 1 changed (1 in place), 1 unchanged' });
  assert.deepEqual(heard.map((e) => e.type === 'reload' && e.ok), [true]);
});

const refusals: { name: string; deps: Partial<ReloadQueueDependencies>; code: string }[] = [
  { name: 'started from flags', deps: { loadConfig: undefined as never }, code: 'CARPD_NO_CONFIG_FILE' },
  { name: 'an invalid file', deps: { loadConfig: async () => ({ ok: false, errors: ['line 3: bad'] }) }, code: 'CARPD_RELOAD_INVALID' },
  { name: 'stopping', deps: { loadConfig: async () => ({ ok: true, config: {} as CarpdConfig }), stopping: () => true }, code: 'CARPD_RELOAD_FAILED' },
  {
    name: 'apply failing with a coded error',
    deps: {
      loadConfig: async () => ({ ok: true, config: {} as CarpdConfig }),
      apply: async () => {
        throw new StartupError('no interface', 'CARPD_NO_INTERFACE');
      },
    },
    code: 'CARPD_NO_INTERFACE',
  },
  {
    name: 'apply failing otherwise',
    deps: {
      loadConfig: async () => ({ ok: true, config: {} as CarpdConfig }),
      apply: async () => {
        throw new Error('EPERM');
      },
    },
    code: 'CARPD_RELOAD_FAILED',
  },
];
for (const { name, deps, code } of refusals) {
  test(`refused, ${name}: ${code}`, async () => {
    const { queue } = rig(deps);
    const reply = await queue.reload();
    assert.equal(reply.ok, false);
    assert.equal(reply.ok === false ? reply.code : undefined, code);
  });
}
