/**
 * All CARP interval arithmetic, in integer microseconds (as OpenBSD's carp_setrun does).
 * docs/protocol-carp.md "Timers": tv = advbase s + advskew/256 s; smaller is better.
 */

/** Microseconds in one second. */
export const MICROS_PER_SECOND = 1_000_000;
/** OpenBSD sends every 1/256 s when advbase and advskew are both 0 (carp_send_ad). */
export const MIN_ADVERT_INTERVAL_MICROS = Math.floor(MICROS_PER_SECOND / 256);
/** FreeBSD's CARP_MAXSKEW: demotion never pushes the advertised skew past this (DEMOTE_ADVSKEW). */
export const MAX_DEMOTED_SKEW = 240;

/** How a backup computes how long a master may stay silent (docs/protocol-carp.md "Master-down"). */
export type MasterDownFormula = 'openbsd' | 'freebsd' | 'ucarp';

/** advskew/256 s in integer microseconds, truncated as the BSDs do. */
export function skewMicros(advskew: number): number {
  return Math.floor((advskew * MICROS_PER_SECOND) / 256);
}

/** The advertisement interval advbase + advskew/256 s, never zero. */
export function advertIntervalMicros(advbase: number, advskew: number): number {
  const interval = advbase * MICROS_PER_SECOND + skewMicros(advskew);
  return interval === 0 ? MIN_ADVERT_INTERVAL_MICROS : interval;
}

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

/**
 * How long a backup waits before taking over from a master that got worse than it (demoted, in
 * maintenance, failing a check): its own skew time, as after a bow-out, so that of several
 * backups the best goes first and the others hear it in time; plus one second when it is
 * demoted itself. The election compares the demote byte before advbase/advskew, so a demoted
 * backup with a small skew must still wait for an undemoted one with a larger skew (skew times
 * are below one second). Among demoted backups the skew decides the order, which matches the
 * election's when their demote bytes are equal or ordered like their skews (carpd raises the
 * advertised advskew by the demotion too).
 */
export function takeoverDelayMicros(fields: { readonly advskew: number; readonly demote: number }): number {
  return skewMicros(fields.advskew) + (fields.demote > 0 ? MICROS_PER_SECOND : 0);
}

/** The comparable "timeval" of an advert: advbase·256 + advskew (smaller advertises more often and wins). */
export function timevalue(advbase: number, advskew: number): number {
  return advbase * 256 + advskew;
}

/** Master-down interval for our own advbase/advskew under the chosen formula. */
export function masterDownMicros(formula: MasterDownFormula, advbase: number, advskew: number, deadRatio = 3): number {
  switch (formula) {
    case 'openbsd':
      return 3 * advertIntervalMicros(advbase, advskew);
    case 'freebsd':
      return Math.max(3 * advbase * MICROS_PER_SECOND + skewMicros(advskew), 3 * MIN_ADVERT_INTERVAL_MICROS);
    case 'ucarp':
      return Math.max(deadRatio * advbase * MICROS_PER_SECOND + skewMicros(advskew), 3 * MIN_ADVERT_INTERVAL_MICROS);
  }
}

/**
 * The "guaranteed to time out" rule (OpenBSD carp_proto_input_c, FreeBSD carp_input_c, ucarp):
 * a backup whose own advbase is non-zero takes over at once when multiplier·advbase s plus its
 * own skew is shorter than the master's interval. Only the seconds part is multiplied, which is
 * what makes the 255/255 bow-out advert work on every peer.
 */
export function masterWillTimeOut(
  own: { advbase: number; advskew: number },
  peer: { advbase: number; advskew: number },
  multiplier = 3,
): boolean {
  if (own.advbase === 0) return false;
  const ownThreshold = multiplier * own.advbase * MICROS_PER_SECOND + skewMicros(own.advskew);
  const peerInterval = peer.advbase * MICROS_PER_SECOND + skewMicros(peer.advskew);
  return ownThreshold < peerInterval;
}

/**
 * The advskew we advertise under demotion: FreeBSD's DEMOTE_ADVSKEW (advskew + demotion, capped
 * at 240) so FreeBSD and ucarp peers, which ignore the demote byte, still see it (docs/protocol-carp.md "Demotion").
 * A configured advskew above 240 is never lowered.
 */
export function demotedAdvskew(advskew: number, demotion: number): number {
  if (demotion <= 0 || advskew >= MAX_DEMOTED_SKEW) return advskew;
  return Math.min(advskew + demotion, MAX_DEMOTED_SKEW);
}

/** The demote byte we send: the demotion counter capped at 255 (OpenBSD carp_group_demote_count). */
export function demoteByte(demotion: number): number {
  return Math.max(0, Math.min(255, demotion));
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
