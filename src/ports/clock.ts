/** Time as the engine sees it: a monotonic clock in µs, the wall clock, and one-shot timers. */

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
}
