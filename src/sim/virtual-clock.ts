/**
 * A virtual clock for the simulator and tests: time moves only when told to, and timers fire in
 * (time, arming order) order, so every run of a schedule is exactly repeatable.
 */
import type { Clock, TimerHandle } from '../ports/clock.ts';

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: (wakeupAt: number) => void;
}

/** Default wall-clock origin: 2026-01-01T00:00:00Z in µs. */
export const DEFAULT_WALLCLOCK_ORIGIN = 1_767_225_600_000_000n;

/** The virtual clock. */
export class VirtualClock implements Clock {
  private now = 0;
  private nextId = 1;
  private readonly pending: PendingTimer[] = [];

  constructor(private readonly wallclockOrigin: bigint = DEFAULT_WALLCLOCK_ORIGIN) {}

  nowMicros(): number {
    return this.now;
  }

  wallclockMicros(): bigint {
    return this.wallclockOrigin + BigInt(Math.floor(this.now));
  }

  /** The virtual wall clock: it never steps. */
  calendarMillis(): number {
    return Number(this.wallclockMicros() / 1000n);
  }

  setTimer(atMicros: number, callback: (wakeupAt: number) => void): TimerHandle {
    const timer: PendingTimer = { id: this.nextId++, at: Math.max(atMicros, this.now), callback };
    // Keep `pending` sorted by (at, id); insertion from the back is cheap for near-future timers.
    let index = this.pending.length;
    while (index > 0 && (this.pending[index - 1] as PendingTimer).at > timer.at) index--;
    this.pending.splice(index, 0, timer);
    return { id: timer.id };
  }

  clearTimer(handle: TimerHandle): void {
    const index = this.pending.findIndex((t) => t.id === handle.id);
    if (index >= 0) this.pending.splice(index, 1);
  }

  /** Real time, on purpose (ports/clock.ts): a guard must end a wait even while virtual time stands still. */
  setRealTimeout(delayMs: number, callback: () => void, options: { readonly holdsProcess?: boolean } = {}): () => void {
    const timeout = setTimeout(callback, Math.max(0, delayMs));
    if (options.holdsProcess === false) timeout.unref();
    return () => clearTimeout(timeout);
  }

  /** Number of armed timers. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Runs every timer due up to `time` (inclusive) in order, then sets the clock to `time`. */
  advanceTo(time: number): void {
    let guard = 0;
    for (;;) {
      const next = this.pending[0];
      if (next === undefined || next.at > time) break;
      if (++guard > 50_000_000) throw new Error('virtual clock: runaway timer loop');
      this.pending.shift();
      this.now = next.at;
      next.callback(next.at);
    }
    if (time > this.now) this.now = time;
  }

  /** Advances by a duration in µs. */
  advanceBy(duration: number): void {
    this.advanceTo(this.now + duration);
  }
}
