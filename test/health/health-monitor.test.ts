/**
 * HealthMonitor on a VirtualClock with fake probes: no real time, no real processes. Probe
 * answers arrive as promise callbacks, so the helper advances the clock in small steps and lets
 * pending callbacks run between steps.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HealthCheckConfig } from '../../src/config/config-types.ts';
import type { CheckStatus } from '../../src/control/control-types.ts';
import { HealthMonitor, type GroupHealthConfig } from '../../src/health/health-monitor.ts';
import type { ProbeFunction, ProbeResult } from '../../src/health/probes.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const S = 1_000_000;

type Behaviour = 'ok' | 'fail' | 'hang' | 'throw' | 'reject';

/** Fake probes: each check name answers per its behaviour; 'hang' answers only when released. */
class FakeProbes {
  readonly behaviour = new Map<string, Behaviour>();
  readonly calls: string[] = [];
  private readonly running = new Map<string, number>();
  maxConcurrent = 0;
  private readonly hung: { name: string; resolve: (r: ProbeResult) => void }[] = [];

  readonly probe: ProbeFunction = (check) => {
    const name = check.name;
    this.calls.push(name);
    const mode = this.behaviour.get(name) ?? 'ok';
    if (mode === 'throw') throw new Error('boom');
    if (mode === 'reject') return Promise.reject(new Error('bang'));
    const now = (this.running.get(name) ?? 0) + 1;
    this.running.set(name, now);
    this.maxConcurrent = Math.max(this.maxConcurrent, now);
    const done = (r: ProbeResult): ProbeResult => {
      this.running.set(name, (this.running.get(name) ?? 1) - 1);
      return r;
    };
    if (mode === 'hang') return new Promise((resolve) => this.hung.push({ name, resolve: (r) => resolve(done(r)) }));
    return Promise.resolve(done(mode === 'ok' ? { ok: true, result: 'exit 0' } : { ok: false, result: 'exit 1' }));
  };

  /** Answers every hung probe of `name` (late answers). */
  release(name: string, result: ProbeResult): void {
    for (const h of this.hung.filter((x) => x.name === name)) h.resolve(result);
    this.hung.splice(0, this.hung.length, ...this.hung.filter((x) => x.name !== name));
  }

  count(name: string): number {
    return this.calls.filter((c) => c === name).length;
  }
}

function check(name: string, overrides: Partial<{ intervalSeconds: number; timeoutSeconds: number; rise: number; fall: number; weight: number }> = {}): HealthCheckConfig {
  return { kind: 'command', command: ['/bin/true'], name, intervalSeconds: 2, timeoutSeconds: 1, rise: 2, fall: 3, weight: 50, ...overrides };
}

interface Change {
  readonly at: number;
  readonly group: string;
  readonly health: number;
  readonly checks: readonly CheckStatus[];
}

function setup(groups: GroupHealthConfig[]) {
  const clock = new VirtualClock();
  const probes = new FakeProbes();
  const logger = new MemoryLogger();
  const changes: Change[] = [];
  const checkEvents: { group: string; check: CheckStatus }[] = [];
  const monitor = new HealthMonitor({
    groups,
    logger,
    clock,
    probe: probes.probe,
    onChange: (group, health, checks) => changes.push({ at: clock.nowMicros() / S, group, health, checks }),
    onCheckChange: (group, c) => checkEvents.push({ group, check: c }),
  });
  /** Advances virtual time by `seconds` in 50 ms steps, letting probe answers settle in between. */
  const advance = async (seconds: number): Promise<void> => {
    const end = clock.nowMicros() + seconds * S;
    while (clock.nowMicros() < end) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advanceTo(Math.min(end, clock.nowMicros() + 50_000));
    }
    await new Promise((resolve) => setImmediate(resolve));
  };
  /** The health values reported for `group`, in order, as [time in s, health]. */
  const history = (group: string): [number, number][] => changes.filter((c) => c.group === group).map((c) => [c.at, c.health]);
  return { clock, probes, logger, changes, checkEvents, monitor, advance, history };
}

describe('HealthMonitor', () => {
  it('starts failed: reports the full weight at start, clears it after rise successes', async () => {
    const t = setup([{ group: 'g', checks: [check('web')], interfaces: [] }]);
    t.monitor.start();
    assert.deepEqual(t.history('g'), [[0, 50]]);
    assert.equal(t.monitor.status('g')[0]?.lastResult, 'pending');
    // Probes at t=0 and t=2; rise=2 → healthy at t=2.
    await t.advance(3);
    assert.deepEqual(t.history('g'), [[0, 50], [2, 0]]);
    assert.equal(t.monitor.health('g'), 0);
    assert.deepEqual(t.monitor.status('g'), [{ name: 'web', kind: 'command', healthy: true, weight: 50, lastResult: 'exit 0', lastChangeAt: '2026-01-01T00:00:02.000Z' }]);
  });

  it('a failing check raises demotion after fall failures and recovers after rise successes', async () => {
    const t = setup([{ group: 'g', checks: [check('web', { rise: 2, fall: 3, weight: 40 })], interfaces: [] }]);
    t.monitor.start();
    await t.advance(3); // healthy at t=2
    t.probes.behaviour.set('web', 'fail');
    await t.advance(6); // failures at t=4, 6, 8 → failed at t=8
    assert.deepEqual(t.history('g'), [[0, 40], [2, 0], [8, 40]]);
    t.probes.behaviour.set('web', 'ok');
    await t.advance(4); // successes at t=10, 12 → healthy at t=12
    assert.deepEqual(t.history('g'), [[0, 40], [2, 0], [8, 40], [12, 0]]);
    assert.ok(t.logger.records.some((r) => r.level === 'warn' && r.message === 'health check failed'));
    assert.deepEqual(
      t.checkEvents.map((e) => e.check.healthy),
      [true, false, true],
    );
  });

  it('fewer than fall failures in a row do not demote', async () => {
    const t = setup([{ group: 'g', checks: [check('web')], interfaces: [] }]);
    t.monitor.start();
    await t.advance(3);
    t.probes.behaviour.set('web', 'fail');
    await t.advance(4); // t=4, 6 fail
    t.probes.behaviour.set('web', 'ok');
    await t.advance(2); // t=8 ok
    t.probes.behaviour.set('web', 'fail');
    await t.advance(4); // t=10, 12 fail
    assert.deepEqual(t.history('g'), [[0, 50], [2, 0]]);
  });

  it('a hung probe counts as failed at its timeout, is never run twice at once, and falls after fall intervals', async () => {
    const t = setup([{ group: 'g', checks: [check('db', { timeoutSeconds: 1, fall: 3 })], interfaces: [] }]);
    t.monitor.start();
    await t.advance(3); // healthy at t=2
    t.probes.behaviour.set('db', 'hang');
    await t.advance(2.5); // probe at t=4, timeout counted at 5.25
    assert.equal(t.monitor.status('g')[0]?.lastResult, 'timeout after 1000 ms');
    assert.equal(t.monitor.status('g')[0]?.healthy, true);
    await t.advance(3); // t=6, t=8: still hung → ticks skipped, each a failure → failed at t=8
    assert.deepEqual(t.history('g'), [[0, 50], [2, 0], [8, 50]]);
    assert.equal(t.probes.count('db'), 3); // t=0, 2, 4 only
    assert.equal(t.probes.maxConcurrent, 1);
    assert.deepEqual(t.monitor.counters('g'), [{ name: 'db', probes: 3, failures: 3, timeouts: 1, skippedTicks: 2 }]);
    assert.equal(t.monitor.status('g')[0]?.lastResult, 'no answer (probe hung)');
  });

  it('a late answer after the timeout is ignored, and probing resumes', async () => {
    const t = setup([{ group: 'g', checks: [check('db', { rise: 1, fall: 1 })], interfaces: [] }]);
    t.monitor.start();
    await t.advance(1); // healthy at t=0
    t.probes.behaviour.set('db', 'hang');
    await t.advance(2.5); // probe at t=2 hangs; failed at 3.25
    assert.deepEqual(t.history('g'), [[0, 50], [0, 0], [3.25, 50]]);
    t.probes.behaviour.set('db', 'ok');
    t.probes.release('db', { ok: true, result: 'exit 0' }); // late: ignored
    await t.advance(0.1);
    assert.equal(t.monitor.health('g'), 50);
    await t.advance(1); // t=4: a new probe, ok → healthy (rise 1)
    assert.equal(t.monitor.health('g'), 0);
    assert.ok(t.logger.records.some((r) => r.message === 'late health check answer ignored'));
  });

  it('a probe still within its timeout at the next tick skips the tick without a failure', async () => {
    const t = setup([{ group: 'g', checks: [check('slow', { intervalSeconds: 1, timeoutSeconds: 5, rise: 1 })], interfaces: [] }]);
    t.monitor.start();
    await t.advance(0.5); // healthy at t=0
    t.probes.behaviour.set('slow', 'hang');
    await t.advance(3); // probe at t=1 hangs; ticks at 2, 3 are skipped
    t.probes.release('slow', { ok: true, result: 'exit 0' });
    await t.advance(0.1);
    assert.deepEqual(t.monitor.counters('g'), [{ name: 'slow', probes: 2, failures: 0, timeouts: 0, skippedTicks: 2 }]);
    assert.equal(t.monitor.health('g'), 0);
  });

  it('a probe function that throws or rejects is a failure, not a crash', async () => {
    const t = setup([{ group: 'g', checks: [check('a', { rise: 1, fall: 1 }), check('b', { rise: 1, fall: 1, weight: 7 })], interfaces: [] }]);
    t.probes.behaviour.set('a', 'throw');
    t.probes.behaviour.set('b', 'reject');
    t.monitor.start();
    await t.advance(0.5);
    assert.equal(t.monitor.health('g'), 57);
    assert.deepEqual(t.monitor.status('g').map((c) => c.lastResult), ['probe error: Error: boom', 'probe error: Error: bang']);
  });

  it('tracked interfaces: unknown counts as down, then follow the link watcher', async () => {
    const t = setup([{ group: 'g', checks: [], interfaces: [{ interface: 'eth1', weight: 30 }, { interface: 'eth2', weight: 20 }] }]);
    assert.equal(t.monitor.status('g')[0]?.lastResult, 'link state unknown');
    t.monitor.setInterfaceState('eth1', true); // before start: recorded, not reported
    assert.equal(t.changes.length, 0);
    t.monitor.start();
    assert.deepEqual(t.history('g'), [[0, 20]]);
    t.monitor.setInterfaceState('eth2', true);
    t.monitor.setInterfaceState('eth2', true); // repeated report: no change
    t.monitor.setInterfaceState('eth1', false);
    t.monitor.setInterfaceState('eth9', false); // not tracked
    t.monitor.setInterfaceState('eth1', true);
    assert.deepEqual(t.history('g'), [[0, 20], [0, 0], [0, 30], [0, 0]]);
    assert.deepEqual(t.monitor.status('g'), [
      { name: 'eth1', kind: 'interface', healthy: true, weight: 30, lastResult: 'link up', lastChangeAt: '2026-01-01T00:00:00.000Z' },
      { name: 'eth2', kind: 'interface', healthy: true, weight: 20, lastResult: 'link up', lastChangeAt: '2026-01-01T00:00:00.000Z' },
    ]);
  });

  it('a first report of down is logged though the health does not change', () => {
    const t = setup([{ group: 'g', checks: [], interfaces: [{ interface: 'eth1', weight: 30 }] }]);
    t.monitor.start();
    t.monitor.setInterfaceState('eth1', false);
    assert.deepEqual(t.history('g'), [[0, 30]]);
    assert.equal(t.monitor.status('g')[0]?.lastResult, 'link down');
    assert.ok(t.logger.records.some((r) => r.level === 'warn' && r.message === 'tracked interface down'));
  });

  it('checks and interfaces add up in one group', async () => {
    const t = setup([{ group: 'g', checks: [check('web', { rise: 1, fall: 1, weight: 25 })], interfaces: [{ interface: 'eth1', weight: 30 }] }]);
    t.monitor.start();
    t.monitor.setInterfaceState('eth1', true);
    await t.advance(0.5);
    t.probes.behaviour.set('web', 'fail');
    await t.advance(2);
    t.monitor.setInterfaceState('eth1', false);
    assert.deepEqual(t.history('g'), [[0, 55], [0, 25], [0, 0], [2, 25], [2.5, 55]]);
    assert.deepEqual(t.changes.at(-1)?.checks.map((c) => [c.name, c.healthy]), [['web', false], ['eth1', false]]);
  });

  it('two groups are independent; one interface tracked by both affects both', async () => {
    const t = setup([
      { group: 'a', checks: [check('web', { rise: 1, fall: 1, weight: 10 })], interfaces: [{ interface: 'uplink', weight: 100 }] },
      { group: 'b', checks: [check('db', { rise: 1, fall: 1, weight: 20 })], interfaces: [{ interface: 'uplink', weight: 5 }] },
    ]);
    t.monitor.start();
    t.monitor.setInterfaceState('uplink', true);
    await t.advance(0.5);
    assert.equal(t.monitor.health('a'), 0);
    assert.equal(t.monitor.health('b'), 0);
    t.probes.behaviour.set('db', 'fail');
    await t.advance(2);
    assert.equal(t.monitor.health('a'), 0);
    assert.equal(t.monitor.health('b'), 20);
    t.monitor.setInterfaceState('uplink', false);
    assert.equal(t.monitor.health('a'), 100);
    assert.equal(t.monitor.health('b'), 25);
    assert.deepEqual(t.monitor.status('nope'), []);
  });

  it('stop() cancels every timer and ignores answers still in flight', async () => {
    const t = setup([{ group: 'g', checks: [check('web', { rise: 1 })], interfaces: [] }]);
    t.probes.behaviour.set('web', 'hang');
    t.monitor.start();
    await t.advance(0.1);
    t.monitor.stop();
    assert.equal(t.clock.pendingCount, 0);
    t.probes.release('web', { ok: true, result: 'exit 0' });
    await t.advance(10);
    assert.equal(t.probes.count('web'), 1);
    assert.equal(t.monitor.health('g'), 50);
    assert.deepEqual(t.history('g'), [[0, 50]]);
  });
});

describe('HealthMonitor carry-over (reload)', () => {
  it('a replacement monitor keeps the verdicts of checks that probe the same thing; a new probe starts pending', async () => {
    const t = setup([{ group: 'g', checks: [check('web', { weight: 40 }), check('db', { weight: 10 })], interfaces: [{ interface: 'eth1', weight: 5 }] }]);
    t.monitor.start();
    t.monitor.setInterfaceState('eth1', true);
    await t.advance(3); // both healthy at t=2
    assert.equal(t.monitor.health('g'), 0);
    t.monitor.stop();
    const reported: number[] = [];
    const next = new HealthMonitor({
      groups: [{ group: 'g', checks: [check('web', { weight: 90 }), { ...check('db'), kind: 'command', command: ['/bin/other'] } as HealthCheckConfig], interfaces: [{ interface: 'eth1', weight: 7 }] }],
      logger: t.logger,
      clock: t.clock,
      probe: t.probes.probe,
      onChange: (_group, health) => reported.push(health),
      carryOver: t.monitor,
    });
    next.start();
    // web (new weight, same probe) stays healthy, eth1 stays up; db probes something else: pending.
    assert.deepEqual(reported, [50]);
    assert.equal(next.status('g').find((c) => c.name === 'web')?.healthy, true);
    next.stop();
  });
});
