/**
 * Time as the engine and the daemon see it: a monotonic clock in µs, the wall clock, one-shot
 * timers, and real-time guards. daemon/ takes all its time from here (test/architecture/layer-rules.ts).
 */

/** An armed timer, opaque to the engine. */
export interface TimerHandle {
  readonly id: number;
}

/** The clock port: real (SystemClock) or virtual (sim/VirtualClock). */
export interface Clock {
  /** Monotonic time in microseconds; only differences mean anything. */
  nowMicros(): number;
  /** Wall-clock time in microseconds since the Unix epoch (for counters). */
  wallclockMicros(): bigint;
  /**
   * The system's calendar time in milliseconds since the Unix epoch, as it reads now: it follows
   * the host's clock when that is set or stepped (NTP), where wallclockMicros never steps back.
   * For timestamps people read (events, status), not for counters.
   */
  calendarMillis(): number;
  /**
   * Calls `callback` once at (or just after) monotonic time `atMicros`. With `earliestMicros`
   * (≤ atMicros) the clock may call it from then on, so that timers due close together share one
   * wakeup of the process (SystemClock does; VirtualClock keeps the exact deadline). The callback
   * is told the deadline that wakeup was for: `atMicros`, or, run early, the first deadline of
   * the batch it joined; or when the wakeup came, if the process was held up well past that
   * deadline (SystemClock: LATE_WAKEUP_MICROS).
   */
  setTimer(atMicros: number, callback: (wakeupAt: number) => void, earliestMicros?: number): TimerHandle;
  /** Cancels a timer; a no-op when it already fired. */
  clearTimer(handle: TimerHandle): void;
  /**
   * Calls `callback` once after `delayMs` of real time; the returned function cancels it. Only for
   * waits on the outside world, which runs in real time whatever this clock says: a retry of a
   * kernel call that failed, the restart of a child process, and bounds on a stop's waits that
   * must end even when this clock's time does not move (a VirtualClock that a stuck test no
   * longer advances). So SystemClock and VirtualClock both run it on the host's timer; what the
   * daemon schedules itself goes through setTimer. Like Node's setTimeout it holds the process
   * up until it fires, unless `holdsProcess` is false (a retry must never keep carpd alive).
   */
  setRealTimeout(delayMs: number, callback: () => void, options?: { readonly holdsProcess?: boolean }): () => void;
}
