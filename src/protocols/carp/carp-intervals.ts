/**
 * All CARP interval arithmetic, in integer microseconds (as OpenBSD's carp_setrun does).
 * docs/protocol-carp.md "Timers": tv = advbase s + advskew/256 s; smaller is better. What every
 * protocol shares (the advert cadence, the graceful stop's hold) is in fsm/intervals.ts.
 */
import { MICROS_PER_SECOND } from '../../fsm/intervals.ts';

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