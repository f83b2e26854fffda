/**
 * daemon/'s time, all through the Clock port (ports/clock.ts), so that the daemon runs on a
 * VirtualClock in its tests: wall-clock timestamps, delays on the clock's timers, and real-time
 * bounds on waits (test/architecture/layer-rules.ts keeps the globals out of daemon/).
 */
import type { Clock } from '../ports/clock.ts';

/** The clock's calendar time as an ISO 8601 string (events, status). */
export function calendarIso(clock: Clock): string {
  return new Date(clock.calendarMillis()).toISOString();
}

/**
 * Resolves after `ms` of real time (the clock's setRealTimeout): a wait on the outside world,
 * e.g. before retrying the kernel. It does not hold the process up, so it never keeps carpd alive.
 */
export function realDelay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => void clock.setRealTimeout(ms, resolve, { holdsProcess: false }));
}

/**
 * Resolves true when the promise settled within `ms` of real time, false when the time ran out
 * first: a bound on a stop's wait (the clock's setRealTimeout, real time on purpose), which holds
 * the process up until it ends, as the stop does.
 */
export async function settlesWithin(clock: Clock, promise: Promise<void>, ms: number): Promise<boolean> {
  let cancel: (() => void) | undefined;
  const timedOut = new Promise<boolean>((resolve) => (cancel = clock.setRealTimeout(ms, () => resolve(false))));
  const settled = await Promise.race([promise.then(() => true), timedOut]);
  cancel?.();
  return settled;
}
