/**
 * Key-change twins (docs/reload.md, rolling changes): during `key_change_window` a reloaded carpd
 * signs every advert twice, first with the old key and address list, then with the new ones,
 * each copy with its own counter from nextSendCounter (send-counter.ts), so the second is one
 * step above the first in the same lane. A receiver that knows only one of the two keys accepts
 * one copy and fails the other. That failure is expected, not an attack or a wrong passphrase:
 * it is counted as `key-change-twin`, not `bad-auth`, and logs no warning.
 *
 * Two cases, by which copy the receiver knows:
 *
 *   receiver knows           arrives first     the failed copy is a twin when
 *   the old key only         accepted, failed  same sender as the advert just accepted, same lane,
 *   (not yet reloaded)                         its sequence at most TWIN_MAX_SEQUENCE_GAP above,
 *                                              within TWIN_MAX_DELAY_MICROS of it
 *   the new key only         failed, accepted  it verifies with this group's retired key (the
 *   (its window is over)                       previous one, kept for recognition only until the
 *                                              next key change) and the same sender had an advert
 *                                              accepted recently
 *
 * A node still on the old key after every window has ended stops being recent within a few
 * adverts and is then counted and named as `bad-auth`, as it must be. Pure.
 */
import { counterLane, counterSequence } from './send-counter.ts';

/** The two copies leave back to back: their sequences (µs of the sender's wall clock) differ by less. */
export const TWIN_MAX_SEQUENCE_GAP = 1_000_000n;
/** And they arrive within this of each other (µs). */
export const TWIN_MAX_DELAY_MICROS = 1_000_000;

/** The failed advert. */
export interface FailedCopy {
  readonly counter: bigint;
  /** Monotonic µs of arrival. */
  readonly at: number;
  /** It verifies with this group's retired (previous, expired) key and address list. */
  readonly signedWithRetiredKey: boolean;
}

/** The last advert accepted from the same sender. */
export interface AcceptedCopy {
  readonly counter: bigint;
  readonly at: number;
}

/**
 * Whether `failed` is the twin of an advert of the same sender; `recentMicros`: how long after
 * its last accepted advert a sender signing with the retired key still counts as rolling over.
 */
export function isKeyChangeTwin(failed: FailedCopy, lastAccepted: AcceptedCopy | undefined, recentMicros: number): boolean {
  if (lastAccepted === undefined) return false;
  const elapsed = failed.at - lastAccepted.at;
  if (elapsed < 0) return false;
  if (failed.signedWithRetiredKey) return elapsed <= recentMicros;
  const gap = counterSequence(failed.counter) - counterSequence(lastAccepted.counter);
  return counterLane(failed.counter) === counterLane(lastAccepted.counter) && gap > 0n && gap <= TWIN_MAX_SEQUENCE_GAP && elapsed <= TWIN_MAX_DELAY_MICROS;
}
