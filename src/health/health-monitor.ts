/**
 * Runs every group's health checks on their intervals, filters the results through rise/fall,
 * follows the link state of tracked interfaces, and reports each group's health demotion (the
 * summed weights of its failed checks and down interfaces) whenever it changes. Turning that
 * number into what is advertised (manual demotion, maintenance, sync sets) is demotion.ts's job
 * and the daemon's; this file only decides what is failed.
 *
 * Time comes from the Clock port and probes from an injectable ProbeFunction, so tests drive it
 * with a VirtualClock and fake probes.
 *
 * - One probe of a check at a time: a tick that finds the previous probe still running is
 *   skipped and counted (`skippedTicks`).
 * - A probe that has not answered `timeoutSeconds` (+ a short grace for the probe's own timer)
 *   after it started counts as a failure, whatever the probe function does. Its late answer is
 *   ignored, and every further tick it is still running counts as another failure, so a hung
 *   check falls after `fall` intervals like a failing one.
 * - Checks start FAILED until `rise` successes (rise-fall.ts says why). Tracked interfaces start
 *   down until the daemon reports their link state with setInterfaceState; link state has no
 *   rise/fall, the kernel already debounces carrier.
 */
import type { HealthCheckConfig, TrackedInterfaceConfig } from '../config/config-types.ts';
import type { CheckStatus } from '../control/control-types.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import { runProbe, timeoutResult, type ProbeFunction, type ProbeResult } from './probes.ts';
import { initialRiseFall, observe, type RiseFallState } from './rise-fall.ts';

/** One group's checks and tracked interfaces. */
export interface GroupHealthConfig {
  readonly group: string;
  readonly checks: readonly HealthCheckConfig[];
  readonly interfaces: readonly TrackedInterfaceConfig[];
}

/** Called when a group's health demotion changes (and once per group at start). */
export type HealthChangeListener = (group: string, health: number, checks: readonly CheckStatus[]) => void;

/** What the monitor needs. */
export interface HealthMonitorOptions {
  readonly groups: readonly GroupHealthConfig[];
  readonly logger: Logger;
  readonly clock: Clock;
  readonly onChange: HealthChangeListener;
  /** Called when one check's or interface's verdict changes (for the control API's `check` events). */
  readonly onCheckChange?: (group: string, check: CheckStatus) => void;
  /** The probes; the real ones by default. */
  readonly probe?: ProbeFunction;
  /**
   * The monitor this one replaces (a reload changed the group's checks): a check that probes the
   * same thing keeps its verdict, and a tracked interface its known state, so a reload that
   * only changes a weight does not make every check "pending" (unhealthy) and the master yield.
   */
  readonly carryOver?: HealthMonitor;
}

/** Per-check counters, for metrics. */
export interface CheckCounters {
  readonly name: string;
  readonly probes: number;
  readonly failures: number;
  /** Probes that did not answer within their timeout. */
  readonly timeouts: number;
  /** Ticks skipped because the previous probe was still running. */
  readonly skippedTicks: number;
}

/** Extra time given to a probe past its timeout before the monitor counts it as hung: its own timer should win. */
export const PROBE_GUARD_GRACE_MICROS = 250_000;

const MICROS_PER_SECOND = 1_000_000;

interface CheckRuntime {
  readonly config: HealthCheckConfig;
  filter: RiseFallState;
  lastResult: string;
  lastChangeAt?: string;
  /** Sequence number of the latest probe; answers from older probes are ignored. */
  probeSeq: number;
  inFlight: boolean;
  /** The running probe passed its timeout and was already counted as failed. */
  overdue: boolean;
  tickTimer?: TimerHandle;
  guardTimer?: TimerHandle;
  counters: { probes: number; failures: number; timeouts: number; skippedTicks: number };
}

interface InterfaceRuntime {
  readonly config: TrackedInterfaceConfig;
  up: boolean;
  /** Has the link watcher reported this interface yet? Until then it counts as down. */
  known: boolean;
  lastResult: string;
  lastChangeAt?: string;
}

interface GroupRuntime {
  readonly name: string;
  readonly checks: CheckRuntime[];
  readonly interfaces: InterfaceRuntime[];
  health: number;
}

/** The health monitor of all groups. */
export class HealthMonitor {
  private readonly groups = new Map<string, GroupRuntime>();
  private readonly probe: ProbeFunction;
  private running = false;
  /** Bumped by stop(), so answers of probes started before it are ignored. */
  private generation = 0;

  constructor(private readonly options: HealthMonitorOptions) {
    this.probe = options.probe ?? runProbe;
    for (const group of options.groups) {
      const runtime: GroupRuntime = {
        name: group.group,
        checks: group.checks.map((config) => ({
          config,
          filter: initialRiseFall(),
          lastResult: 'pending',
          probeSeq: 0,
          inFlight: false,
          overdue: false,
          counters: { probes: 0, failures: 0, timeouts: 0, skippedTicks: 0 },
        })),
        interfaces: group.interfaces.map((config) => ({ config, up: false, known: false, lastResult: 'link state unknown' })),
        health: 0,
      };
      const previous = options.carryOver?.groups.get(group.group);
      if (previous !== undefined) carryOver(previous, runtime);
      runtime.health = healthOf(runtime);
      this.groups.set(group.group, runtime);
    }
  }

  /** Reports every group's initial health once, then probes every check now and on its interval. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const group of this.groups.values()) this.options.onChange(group.name, group.health, this.statusOf(group));
    for (const group of this.groups.values()) {
      for (const check of group.checks) this.tick(group, check);
    }
  }

  /** Stops all timers; answers of probes still running are ignored. Verdicts are kept. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    for (const group of this.groups.values()) {
      for (const check of group.checks) {
        if (check.tickTimer !== undefined) this.options.clock.clearTimer(check.tickTimer);
        if (check.guardTimer !== undefined) this.options.clock.clearTimer(check.guardTimer);
        check.tickTimer = undefined;
        check.guardTimer = undefined;
        check.inFlight = false;
        check.overdue = false;
      }
    }
  }

  /** The link watcher's report for one interface: applies to every group tracking it. */
  setInterfaceState(name: string, up: boolean): void {
    for (const group of this.groups.values()) {
      let touched = false;
      for (const tracked of group.interfaces) {
        if (tracked.config.interface !== name || (tracked.known && tracked.up === up)) continue;
        const changed = tracked.up !== up;
        const first = !tracked.known;
        tracked.known = true;
        tracked.up = up;
        tracked.lastResult = up ? 'link up' : 'link down';
        if (!changed && !first) continue;
        if (changed) {
          touched = true;
          tracked.lastChangeAt = this.isoNow();
        }
        const fields = { group: group.name, interface: name, weight: tracked.config.weight };
        if (up) this.options.logger.info('tracked interface up', fields);
        else this.options.logger.warn('tracked interface down', fields);
        this.options.onCheckChange?.(group.name, interfaceStatus(tracked));
      }
      if (touched) this.recompute(group);
    }
  }

  /** A group's checks and tracked interfaces as status shows them ([] for an unknown group). */
  status(group: string): CheckStatus[] {
    const runtime = this.groups.get(group);
    return runtime === undefined ? [] : this.statusOf(runtime);
  }

  /** A group's current health demotion (0 for an unknown group). */
  health(group: string): number {
    return this.groups.get(group)?.health ?? 0;
  }

  /** A group's per-check counters. */
  counters(group: string): CheckCounters[] {
    const runtime = this.groups.get(group);
    if (runtime === undefined) return [];
    return runtime.checks.map((check) => ({ name: check.config.name, ...check.counters }));
  }

  private tick(group: GroupRuntime, check: CheckRuntime): void {
    const clock = this.options.clock;
    check.tickTimer = clock.setTimer(clock.nowMicros() + Math.round(check.config.intervalSeconds * MICROS_PER_SECOND), () => this.tick(group, check));
    if (!check.inFlight) {
      this.launch(group, check);
      return;
    }
    check.counters.skippedTicks++;
    if (check.overdue) {
      // Still no answer an interval after the timeout: the service is not answering.
      this.record(group, check, { ok: false, result: 'no answer (probe hung)' });
    } else {
      this.options.logger.debug('health check still running, tick skipped', { group: group.name, check: check.config.name });
    }
  }

  private launch(group: GroupRuntime, check: CheckRuntime): void {
    const clock = this.options.clock;
    const seq = ++check.probeSeq;
    const generation = this.generation;
    const timeoutMs = Math.round(check.config.timeoutSeconds * 1000);
    check.inFlight = true;
    check.overdue = false;
    check.counters.probes++;
    check.guardTimer = clock.setTimer(clock.nowMicros() + timeoutMs * 1000 + PROBE_GUARD_GRACE_MICROS, () => {
      check.guardTimer = undefined;
      if (seq !== check.probeSeq || !check.inFlight) return;
      check.overdue = true;
      check.counters.timeouts++;
      this.record(group, check, { ok: false, result: timeoutResult(timeoutMs) });
    });
    let pending: Promise<ProbeResult>;
    try {
      pending = this.probe(check.config, timeoutMs);
    } catch (error) {
      pending = Promise.resolve({ ok: false, result: `probe error: ${String(error)}` });
    }
    pending.then(
      (result) => this.settle(group, check, seq, generation, result),
      (error: unknown) => this.settle(group, check, seq, generation, { ok: false, result: `probe error: ${String(error)}` }),
    );
  }

  private settle(group: GroupRuntime, check: CheckRuntime, seq: number, generation: number, result: ProbeResult): void {
    if (generation !== this.generation || seq !== check.probeSeq) return;
    check.inFlight = false;
    if (check.guardTimer !== undefined) {
      this.options.clock.clearTimer(check.guardTimer);
      check.guardTimer = undefined;
    }
    if (check.overdue) {
      // Already counted as a failure at its timeout.
      check.overdue = false;
      this.options.logger.debug('late health check answer ignored', { group: group.name, check: check.config.name, result: result.result });
      return;
    }
    this.record(group, check, result);
  }

  private record(group: GroupRuntime, check: CheckRuntime, result: ProbeResult): void {
    if (!result.ok) check.counters.failures++;
    const before = check.filter;
    const { state, changed } = observe(before, result.ok, check.config);
    check.filter = state;
    check.lastResult = result.result;
    const fields = { group: group.name, check: check.config.name, result: result.result };
    if (changed) {
      check.lastChangeAt = this.isoNow();
      if (state.healthy) this.options.logger.info('health check healthy', fields);
      else this.options.logger.warn('health check failed', { ...fields, weight: check.config.weight });
      this.options.onCheckChange?.(group.name, checkStatus(check));
      this.recompute(group);
    } else if (before.pending && !state.pending) {
      // Failing since start: the verdict did not change, but the operator should hear of it.
      this.options.logger.warn('health check failed', { ...fields, weight: check.config.weight });
      this.options.onCheckChange?.(group.name, checkStatus(check));
    }
  }

  private recompute(group: GroupRuntime): void {
    const health = healthOf(group);
    if (health === group.health) return;
    group.health = health;
    if (this.running) this.options.onChange(group.name, health, this.statusOf(group));
  }

  private statusOf(group: GroupRuntime): CheckStatus[] {
    return [...group.checks.map(checkStatus), ...group.interfaces.map(interfaceStatus)];
  }

  private isoNow(): string {
    return new Date(Number(this.options.clock.wallclockMicros() / 1000n)).toISOString();
  }
}

/** The summed weights of a group's failed checks and down interfaces. */
/** Copies verdicts from the checks and interfaces of a replaced monitor that probe the same thing. */
function carryOver(previous: GroupRuntime, next: GroupRuntime): void {
  const probeOf = (config: HealthCheckConfig): string => {
    const { weight: _weight, rise: _rise, fall: _fall, intervalSeconds: _interval, ...probe } = config;
    return JSON.stringify(probe);
  };
  for (const check of next.checks) {
    const same = previous.checks.find((old) => probeOf(old.config) === probeOf(check.config));
    if (same === undefined) continue;
    check.filter = same.filter;
    check.lastResult = same.lastResult;
    if (same.lastChangeAt !== undefined) check.lastChangeAt = same.lastChangeAt;
  }
  for (const tracked of next.interfaces) {
    const same = previous.interfaces.find((old) => old.config.interface === tracked.config.interface);
    if (same === undefined) continue;
    tracked.up = same.up;
    tracked.known = same.known;
    tracked.lastResult = same.lastResult;
    if (same.lastChangeAt !== undefined) tracked.lastChangeAt = same.lastChangeAt;
  }
}

function healthOf(group: GroupRuntime): number {
  let health = 0;
  for (const check of group.checks) if (!check.filter.healthy) health += Math.max(0, check.config.weight);
  for (const tracked of group.interfaces) if (!tracked.up) health += Math.max(0, tracked.config.weight);
  return health;
}

function checkStatus(check: CheckRuntime): CheckStatus {
  return {
    name: check.config.name,
    kind: check.config.kind,
    healthy: check.filter.healthy,
    weight: check.config.weight,
    lastResult: check.lastResult,
    ...(check.lastChangeAt === undefined ? {} : { lastChangeAt: check.lastChangeAt }),
  };
}

function interfaceStatus(tracked: InterfaceRuntime): CheckStatus {
  return {
    name: tracked.config.interface,
    kind: 'interface',
    healthy: tracked.up,
    weight: tracked.config.weight,
    lastResult: tracked.lastResult,
    ...(tracked.lastChangeAt === undefined ? {} : { lastChangeAt: tracked.lastChangeAt }),
  };
}
