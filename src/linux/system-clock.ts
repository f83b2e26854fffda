/**
 * The real clock: monotonic time from performance.now(), the wall clock from Date.now(), and
 * timers from setTimeout. Timers can fire up to ~1 ms early against the monotonic clock
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

interface SystemTimerHandle extends TimerHandle {
  readonly timeout: NodeJS.Timeout;
  /** Set once the timeout has fired: the callback waiting for the next check phase. */
  immediate?: NodeJS.Immediate;
}

/** The system clock. */
export class SystemClock implements Clock {
  private nextId = 1;
  /** Wall-clock time at monotonic zero: the wall clock then advances with the monotonic one, so it never steps back while we run. */
  private readonly wallclockOrigin = BigInt(Date.now()) * 1000n - BigInt(Math.round(performance.now() * 1000));

  nowMicros(): number {
    return Math.round(performance.now() * 1000);
  }

  wallclockMicros(): bigint {
    return this.wallclockOrigin + BigInt(this.nowMicros());
  }

  setTimer(atMicros: number, callback: () => void): TimerHandle {
    const delayMs = Math.max(0, (atMicros - this.nowMicros()) / 1000);
    const handle: SystemTimerHandle = {
      id: this.nextId++,
      timeout: setTimeout(() => {
        handle.immediate = setImmediate(callback);
      }, delayMs),
    };
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = handle as SystemTimerHandle;
    clearTimeout(timer.timeout);
    if (timer.immediate !== undefined) clearImmediate(timer.immediate);
  }
}
