/**
 * Interval arithmetic every protocol's machine shares, in integer microseconds: the cadence of
 * a MASTER's periodic adverts and the hold of a graceful stop. Each protocol's own intervals are
 * in its folder (protocols/carp/carp-intervals.ts, protocols/vrrp/vrrp-intervals.ts).
 */

/** Microseconds in one second. */
export const MICROS_PER_SECOND = 1_000_000;

/**
 * How early the first periodic advert after becoming MASTER may go: 1/8 of the interval. A new
 * master joins the phase of a wakeup already happening (the adverts of groups that became MASTER
 * a little earlier) and keeps it (nextAdvertDueAt continues from that wakeup's deadline), so
 * groups that take over together, as at start-up, advertise together rather than at 255
 * distinct moments (linux/timer-queue.ts). Later periodic adverts have no window: the groups
 * of a batch share one deadline exactly, so they share its wakeup without going early. (A window
 * on every advert, 1/64 interval, made batches swallow each other's edges, one second and not
 * the next: up to 10 ms of jitter.) An advert sent early is harmless: backups wait three
 * intervals for one.
 */
export function firstAdvertSlackMicros(intervalMicros: number): number {
  return Math.floor(intervalMicros / 8);
}

/**
 * When a MASTER's next periodic advert is due, the one planned for `due` having gone at `now`,
 * in the wakeup of the process the clock reports as `wakeupAt` (Clock.setTimer; CARP and VRRP
 * alike).
 * - Early, in another timer's wakeup (`now` and `wakeupAt` before `due`): continue from that
 *   wakeup, where the timer that woke the process continues too. The groups that shared a
 *   wakeup then have one deadline, exactly, and share every later one without any early window.
 *   (Continuing from when each went, a little later for each advert of a batch, spread the
 *   batch's deadlines, and groups near the edge of its window went in one batch and not the
 *   next: up to 10 ms off their cadence, bench/scale-groups.ts.)
 * - In a wakeup that came late (`wakeupAt` after `due`: the clock reports when a wakeup came
 *   if the process was held up past the deadline): continue from then, all of the batch
 *   together, rather than send the next advert early to catch up, as BSD carp and keepalived
 *   always do.
 * - Otherwise, on time or late by the clock's usual latency: keep the cadence anchored to the
 *   schedule (timer latency does not accumulate); after a stall past a whole interval restart
 *   it from now.
 * Without `wakeupAt` (a clock that cannot tell), an early advert continues from now and a late
 * one keeps the schedule.
 */
export function nextAdvertDueAt(due: number, now: number, intervalMicros: number, wakeupAt: number = Math.min(now, due)): number {
  const planned = due + intervalMicros;
  if (planned <= now) return now + intervalMicros;
  if (now < due && wakeupAt < due) return wakeupAt + intervalMicros;
  return wakeupAt > due ? wakeupAt + intervalMicros : planned;
}

/** The shortest and longest a stopping MASTER keeps its addresses for its successor (gracefulStopHoldMicros). */
export const GRACEFUL_STOP_HOLD_MIN_MICROS = 2 * MICROS_PER_SECOND;
export const GRACEFUL_STOP_HOLD_MAX_MICROS = 4 * MICROS_PER_SECOND;

/**
 * How long a MASTER that is stopping keeps its addresses while it waits to hear its successor
 * (make-before-break, docs/state-machine.md "Graceful stop"): its master-down interval, the time
 * a backup that missed every bow-out needs to take over, kept between 2 s (a backup hearing the
 * bow-out waits its own skew time, under 1 s, plus 1 s when it is demoted) and 4 s (the stop
 * stays short whatever advbase is). With no successor the addresses go when it has passed.
 */
export function gracefulStopHoldMicros(masterDownIntervalMicros: number): number {
  return Math.min(GRACEFUL_STOP_HOLD_MAX_MICROS, Math.max(GRACEFUL_STOP_HOLD_MIN_MICROS, masterDownIntervalMicros));
}
