/**
 * The real clock: monotonic time from performance.now(), the wall clock from Date.now(), and
 * timers in one queue driven by a single setTimeout (timers due close together share a wakeup:
 * engine/timer-queue.ts). Timers can fire up to ~1 ms early against the monotonic clock
 * (shared/NODE.md), which the state machine tolerates because it acts on the timer event, not
 * on a comparison with the deadline.
 *
 * A due timer's callback runs only after the event loop has polled for I/O once more
 * (setTimeout, then setImmediate): Node runs due timers before it reads sockets, so after a
 * stall (the process not scheduled, a long GC) a backup's master-down timer would otherwise
 * fire while the master's adverts that arrived meanwhile still sit unread in the socket — a
 * false failover. Read first, and the advert re-arms the timer, whose pending callback is then
 * cancelled.
 */
import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import { TimerQueue, type QueuedTimer } from '../engine/timer-queue.ts';

/**
 * setTimeout may fire up to ~1 ms early against performance.now(): a timer that close to its
 * deadline runs in this wakeup rather than costing another one.
 */
const TIMER_EARLY_TOLERANCE_MICROS = 1_000;

/** The system clock. */
export class SystemClock implements Clock {
  private nextId = 1;
  /** Wall-clock time at monotonic zero: the wall clock then advances with the monotonic one, so it never steps back while we run. */
  private readonly wallclockOrigin = BigInt(Date.now()) * 1000n - BigInt(Math.round(performance.now() * 1000));
  /**
   * Every armed timer, in one queue (engine/timer-queue.ts): one Node timeout for the first
   * deadline, and every timer whose window has opened runs in that wakeup.
   */
  private readonly queue = new TimerQueue();
  private wakeup: { readonly timeout: NodeJS.Timeout; readonly at: number } | undefined;
  /** Taken from the queue, waiting for the check phase; clearTimer() may still cancel them. */
  private readonly taken = new Map<number, QueuedTimer>();

  nowMicros(): number {
    return Math.round(performance.now() * 1000);
  }

  wallclockMicros(): bigint {
    return this.wallclockOrigin + BigInt(this.nowMicros());
  }

  /**
   * Runs `callback` once at `atMicros`, or as early as `earliestMicros` (default: atMicros) when
   * another timer wakes the process by then.
   */
  setTimer(atMicros: number, callback: () => void, earliestMicros: number = atMicros): TimerHandle {
    const id = this.nextId++;
    this.queue.add(id, atMicros, earliestMicros, callback);
    this.schedule();
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    if (this.taken.delete(handle.id)) return;
    this.queue.remove(handle.id);
    // The Node timeout may stay armed for a deadline that is gone: it then finds nothing due and
    // re-arms for the next, or clears itself when the queue is empty.
    if (this.queue.size === 0 && this.wakeup !== undefined) {
      clearTimeout(this.wakeup.timeout);
      this.wakeup = undefined;
    }
  }

  /** Arms the Node timeout for the first deadline, unless one is armed for it or earlier. */
  private schedule(): void {
    const next = this.queue.nextDeadline();
    if (next === undefined) return;
    if (this.wakeup !== undefined) {
      if (this.wakeup.at <= next) return;
      clearTimeout(this.wakeup.timeout);
    }
    const delayMs = Math.max(0, (next - this.nowMicros()) / 1000);
    this.wakeup = { at: next, timeout: setTimeout(() => this.fire(), delayMs) };
  }

  private fire(): void {
    this.wakeup = undefined;
    const due = this.queue.takeDue(this.nowMicros() + TIMER_EARLY_TOLERANCE_MICROS);
    if (due.length > 0) {
      for (const timer of due) this.taken.set(timer.id, timer);
      // The callbacks run after the poll phase (see the file comment): read sockets first.
      setImmediate(() => this.run(due, 0));
    }
    this.schedule();
  }

  /** Runs a batch from `start`; a callback that throws does not cost the rest of the batch their turn. */
  private run(due: readonly QueuedTimer[], start: number): void {
    for (let index = start; index < due.length; index++) {
      const timer = due[index] as QueuedTimer;
      if (!this.taken.delete(timer.id)) continue;
      try {
        timer.callback();
      } catch (error) {
        setImmediate(() => this.run(due, index + 1));
        throw error;
      }
    }
  }
}
