/**
 * A group's fault hold-down (docs/fail-safe.md): when the addresses cannot be configured after
 * the effects' retries, the group is fully demoted for a hold-down that doubles (10 s up to
 * 5 min) while claims keep failing in a row; a successful claim resets the count. The hold-down
 * runs on the Clock port's timers, so tests drive it on a VirtualClock.
 */
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';

/** Hold-down after the 1st, 2nd, ... failed claim in a row; the last repeats. */
export const FAULT_HOLD_DOWNS_MS: readonly number[] = [10_000, 20_000, 40_000, 80_000, 160_000, 300_000];

/** A fault as carpctl status shows it. */
export interface FaultStatus {
  readonly reason: string;
  readonly since: string;
  readonly until: string;
  readonly failures: number;
}

/** What a hold-down needs. */
export interface FaultHoldDownDependencies {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The group's name as it is now (for the log lines). */
  readonly group: () => string;
  /** Hold-downs after failed claims, ms (tests use short ones). */
  readonly holdDownsMs?: readonly number[];
  /** The hold-down ended by itself: the group competes again. */
  readonly onOver: () => void;
}

/** One group's fault state. */
export class FaultHoldDown {
  private fault: { reason: string; since: number; until: number; failures: number; timer: TimerHandle } | undefined;
  /** Failed claims in a row (the hold-down doubles with each); reset by a successful claim. */
  private failuresInARow = 0;

  constructor(private readonly deps: FaultHoldDownDependencies) {}

  /** True while held down: the group advertises the fault demotion. */
  get active(): boolean {
    return this.fault !== undefined;
  }

  /** A claim failed: the next hold-down starts (the previous one, if any, is replaced). */
  claimFailed(error: Error): void {
    this.failuresInARow++;
    const holdDowns = this.deps.holdDownsMs ?? FAULT_HOLD_DOWNS_MS;
    const holdDown = holdDowns[Math.min(this.failuresInARow, holdDowns.length) - 1] ?? 10_000;
    this.clearFault();
    const { clock } = this.deps;
    const now = clock.calendarMillis();
    const timer = clock.setTimer(clock.nowMicros() + holdDown * 1000, () => {
      this.fault = undefined;
      this.deps.logger.info(`${this.deps.group()}: fault hold-down over: competing for mastership again`, { group: this.deps.group() });
      this.deps.onOver();
    });
    this.fault = { reason: `could not configure the addresses: ${error.message}`, since: now, until: now + holdDown, failures: this.failuresInARow, timer };
    this.deps.logger.error(`${this.deps.group()}: could not configure the virtual addresses; leaving mastership (fully demoted for ${Math.round(holdDown / 1000)} s)`, {
      group: this.deps.group(),
      error: error.message,
      code: (error as { code?: string }).code,
      failuresInARow: this.failuresInARow,
    });
  }

  /** A claim succeeded: the next failure starts from the first hold-down again. */
  claimSucceeded(): void {
    if (this.failuresInARow > 0) this.deps.logger.info(`${this.deps.group()}: virtual addresses configured again`, { group: this.deps.group() });
    this.failuresInARow = 0;
  }

  /** Ends the hold-down now (stop), without calling onOver. */
  clearFault(): void {
    if (this.fault !== undefined) this.deps.clock.clearTimer(this.fault.timer);
    this.fault = undefined;
  }

  /** The fault for carpctl status, or null. */
  status(): FaultStatus | null {
    return this.fault === undefined
      ? null
      : { reason: this.fault.reason, since: new Date(this.fault.since).toISOString(), until: new Date(this.fault.until).toISOString(), failures: this.fault.failures };
  }
}
