/**
 * The real clock: monotonic time from performance.now(), the wall clock from Date.now(), and
 * timers in one queue driven by a single wakeup (timers due close together share it:
 * linux/timer-queue.ts). The daemon's wakeup is the addon's timerfd (precise-wakeup.ts), exact
 * to the microsecond; the default, Node's setTimeout, can fire up to ~1 ms early or late against
 * the monotonic clock (docs/development.md "Timers and clocks"), which the state machine tolerates because it acts on the
 * timer event, not on a comparison with the deadline.
 *
 * A due timer's callback runs only after the event loop has polled for I/O once more
 * (the wakeup, then setImmediate): Node runs due timers before it reads sockets, so after a
 * stall (the process not scheduled, a long GC) a backup's master-down timer would otherwise
 * fire while the master's adverts that arrived meanwhile still sit unread in the socket — a
 * false failover. Read first, and the advert re-arms the timer, whose pending callback is then
 * cancelled.
 */
import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import { TimerQueue, type QueuedTimer } from './timer-queue.ts';

/** What wakes the process for the first deadline. */
export interface Wakeup {
  /** Calls the wakeup's callback once, `delayMicros` from now; arming again replaces the last. */
  arm(delayMicros: number): void;
  disarm(): void;
  /** How early against the monotonic clock it may fire: timers due that close run in it too. */
  readonly earlyToleranceMicros: number;
}

/** Node's setTimeout as the wakeup: whole milliseconds of a loop time cached once per turn. */
export function timeoutWakeup(onWake: () => void): Wakeup {
  let timeout: NodeJS.Timeout | undefined;
  return {
    arm(delayMicros) {
      if (timeout !== undefined) clearTimeout(timeout);
      timeout = setTimeout(() => {
        timeout = undefined;
        onWake();
      }, Math.max(0, delayMicros / 1000));
    },
    disarm() {
      if (timeout !== undefined) clearTimeout(timeout);
      timeout = undefined;
    },
    // setTimeout may fire up to ~1 ms early against performance.now(): a timer that close to
    // its deadline runs in this wakeup rather than costing another one.
    earlyToleranceMicros: 1_000,
  };
}

/**
 * The most timers one wakeup runs early (their deadlines not yet come): a batch is joined only
 * while it is short. A batch runs back to back, so its last advert goes out a batch's work after
 * its first (~40 µs an advert here), and whatever holds the process up at that moment (a
 * scavenge, the CPU taken by another task, the hypervisor) shifts every advert of the batch at
 * once. Unbounded, 255 groups formed batches of ~110 adverts (3 ms); 16 keeps a batch under a
 * millisecond. Smaller costs CPU: a wakeup is what an idle Node process pays for (255 groups in
 * batches of 4: 2.3-2.7x keepalived's CPU, of 8: 2.4x, of 16: 1.4-1.9x; bench/footprint.ts).
 */
export const MAX_EARLY_BATCH = 16;

/**
 * A wakeup later than this after its deadline means the process was held up (a long GC, the CPU
 * taken by others): timers are then told when the wakeup came, not the deadline, so that a
 * cadence continues from there (intervals.ts nextAdvertDueAt). Below it is ordinary latency: a
 * batch of 16 adverts takes under a millisecond, the timerfd wakes within a few tens of µs,
 * setTimeout within about one ms.
 */
export const LATE_WAKEUP_MICROS = 2_000;

/** The system clock. */
export class SystemClock implements Clock {
  private nextId = 1;
  /** Wall-clock time at monotonic zero: the wall clock then advances with the monotonic one, so it never steps back while we run. */
  private readonly wallclockOrigin = BigInt(Date.now()) * 1000n - BigInt(Math.round(performance.now() * 1000));
  /**
   * Every armed timer, in one queue (linux/timer-queue.ts): one wakeup for the first deadline,
   * and every timer whose window has opened runs in that wakeup.
   */
  private readonly queue = new TimerQueue();
  private readonly wakeup: Wakeup;
  /** The deadline the wakeup is armed for, if it is. */
  private wakeupArmedFor: number | undefined;
  /** Taken from the queue, waiting for the check phase; clearTimer() may still cancel them. */
  private readonly taken = new Map<number, QueuedTimer>();

  private readonly lateWakeupMicros: number;

  /** `createWakeup`: the wakeup to drive the queue (default Node's setTimeout). */
  constructor(createWakeup: (onWake: () => void) => Wakeup = timeoutWakeup, options: { readonly lateWakeupMicros?: number } = {}) {
    this.wakeup = createWakeup(() => this.fire());
    this.lateWakeupMicros = options.lateWakeupMicros ?? LATE_WAKEUP_MICROS;
  }

  nowMicros(): number {
    return Math.round(performance.now() * 1000);
  }

  wallclockMicros(): bigint {
    return this.wallclockOrigin + BigInt(this.nowMicros());
  }

  calendarMillis(): number {
    return Date.now();
  }

  /**
   * Runs `callback` once at `atMicros`, or as early as `earliestMicros` (default: atMicros) when
   * another timer wakes the process by then.
   */
  setTimer(atMicros: number, callback: (wakeupAt: number) => void, earliestMicros: number = atMicros): TimerHandle {
    const id = this.nextId++;
    this.queue.add(id, atMicros, earliestMicros, callback);
    this.schedule();
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    if (this.taken.delete(handle.id)) return;
    this.queue.remove(handle.id);
    // The wakeup may stay armed for a deadline that is gone: it then finds nothing due and
    // re-arms for the next, or is disarmed here when the queue is empty.
    if (this.queue.size === 0 && this.wakeupArmedFor !== undefined) {
      this.wakeup.disarm();
      this.wakeupArmedFor = undefined;
    }
  }

  setRealTimeout(delayMs: number, callback: () => void, options: { readonly holdsProcess?: boolean } = {}): () => void {
    const timeout = setTimeout(callback, Math.max(0, delayMs));
    if (options.holdsProcess === false) timeout.unref();
    return () => clearTimeout(timeout);
  }

  /** Arms the wakeup for the first deadline, unless it is armed for that or earlier. */
  private schedule(): void {
    const next = this.queue.nextDeadline();
    if (next === undefined) return;
    if (this.wakeupArmedFor !== undefined && this.wakeupArmedFor <= next) return;
    this.wakeupArmedFor = next;
    this.wakeup.arm(next - this.nowMicros());
  }

  private fire(): void {
    this.wakeupArmedFor = undefined;
    const now = this.nowMicros();
    const due = this.queue.takeDue(now + this.wakeup.earlyToleranceMicros, MAX_EARLY_BATCH);
    if (due.length > 0) {
      for (const timer of due) this.taken.set(timer.id, timer);
      // The callbacks run after the poll phase (see the file comment): read sockets first. They
      // are told the deadline this wakeup was for, the first of the batch, or when it came if
      // that was late (LATE_WAKEUP_MICROS).
      const deadline = (due[0] as QueuedTimer).at;
      const wakeupAt = now - deadline > this.lateWakeupMicros ? now : deadline;
      setImmediate(() => this.run(due, 0, wakeupAt));
    }
    this.schedule();
  }

  /** Runs a batch from `start`; a callback that throws does not cost the rest of the batch their turn. */
  private run(due: readonly QueuedTimer[], start: number, wakeupAt: number): void {
    for (let index = start; index < due.length; index++) {
      const timer = due[index] as QueuedTimer;
      if (!this.taken.delete(timer.id)) continue;
      try {
        timer.callback(wakeupAt);
      } catch (error) {
        setImmediate(() => this.run(due, index + 1, wakeupAt));
        throw error;
      }
    }
  }
}
