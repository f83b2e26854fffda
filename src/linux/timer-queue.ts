/**
 * The timers of every group in one ordered queue, so that timers due close together share one
 * wakeup of the process. Each timer has a deadline (`at`) and may run from `earliest` on (at
 * most `at`): when the first deadline comes, every timer due by then runs with it, and those
 * whose window has opened while the batch is short (takeDue's limit).
 *
 * Why: a wakeup, not the work done in it, is what an idle daemon pays for. Measured on this
 * machine (Node 20, 2 vCPUs): 255 empty one-second timers at distinct phases cost 1.4–2.0 % of a
 * core; the same 255 timers at one phase cost 0.13 %. 255 CARP masters are exactly that load.
 * A new master's first periodic advert may go early to join a wakeup (intervals.ts,
 * firstAdvertSlackMicros) and then continues from that wakeup's deadline (nextAdvertDueAt), so
 * the groups of a batch share one deadline exactly: once batched, groups with the same interval
 * stay batched, with no early window, and their cadence does not drift.
 *
 * Pure: no clock, no I/O; SystemClock (linux/) drives it.
 */

/** One queued timer. */
export interface QueuedTimer {
  readonly id: number;
  /** The deadline, in µs of the caller's monotonic clock. */
  readonly at: number;
  /** The earliest time it may run (≤ at). */
  readonly earliest: number;
  readonly callback: (wakeupAt: number) => void;
}

/** Timers ordered by (deadline, id). */
export class TimerQueue {
  private readonly timers: QueuedTimer[] = [];
  /** The widest `at - earliest` seen: how far past `now` a due timer's deadline can lie. */
  private widestWindow = 0;

  /** Number of queued timers. */
  get size(): number {
    return this.timers.length;
  }

  /** Queues a timer; `earliest` is clamped to [.., at]. */
  add(id: number, at: number, earliest: number, callback: (wakeupAt: number) => void): void {
    const timer: QueuedTimer = { id, at, earliest: Math.min(earliest, at), callback };
    this.widestWindow = Math.max(this.widestWindow, timer.at - timer.earliest);
    // Binary search for the first timer that sorts after this one; ids only grow, so (at, id)
    // order is arming order among equal deadlines.
    let low = 0;
    let high = this.timers.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.timers[middle] as QueuedTimer).at <= at) low = middle + 1;
      else high = middle;
    }
    this.timers.splice(low, 0, timer);
  }

  /** Removes a queued timer; false when it is not queued (already taken, or never added). */
  remove(id: number): boolean {
    const index = this.timers.findIndex((t) => t.id === id);
    if (index < 0) return false;
    this.timers.splice(index, 1);
    return true;
  }

  /** The first deadline, or undefined when nothing is queued. */
  nextDeadline(): number | undefined {
    return this.timers[0]?.at;
  }

  /**
   * Removes and returns, in (deadline, id) order, every timer whose deadline has come by `now`,
   * and those whose window has opened while fewer than `limit` are taken: a timer is only run
   * early to save a wakeup, never at the price of a long batch.
   */
  takeDue(now: number, limit = Number.POSITIVE_INFINITY): QueuedTimer[] {
    const due: QueuedTimer[] = [];
    const kept: QueuedTimer[] = [];
    let index = 0;
    // Past now + widestWindow no timer's window can be open yet.
    for (; index < this.timers.length; index++) {
      const timer = this.timers[index] as QueuedTimer;
      if (timer.at > now + this.widestWindow) break;
      if (timer.at <= now || (timer.earliest <= now && due.length < limit)) due.push(timer);
      else kept.push(timer);
    }
    if (due.length > 0) this.timers.splice(0, index, ...kept);
    return due;
  }
}
