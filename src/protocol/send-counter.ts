/**
 * The counter carpd sends (PROTOCOL.md §3.3): strictly increasing for the life of the group,
 * across restarts and clock steps.
 *
 *   counter = max(previous + 1, wall clock in µs since the epoch, highest authentic counter heard + 1)
 *
 * - The wall-clock term makes a restarted sender start above everything it sent before, with no
 *   state at all, as long as the clock did not step backwards.
 * - The persisted reservation covers clock steps backwards: before the counter comes within
 *   half a reserve of the persisted value, a new value `counter + RESERVE` is written, and a
 *   restart starts from at least the persisted value.
 * - The heard term (a Lamport clock) keeps one increasing sequence per vhid across nodes, so a
 *   backup that takes over continues above its predecessor even if its clock is behind, which
 *   is what receivers with a per-vhid high-water mark need.
 */

/** Counter space: 64 bits. */
export const COUNTER_MAX = (1n << 64n) - 1n;
/** How far ahead of the current counter a persisted reservation reaches: 60 s of microseconds. */
export const COUNTER_RESERVE = 60_000_000n;

/** The sender's counter state. */
export interface SendCounterState {
  /** The last counter sent (0 before the first). */
  readonly last: bigint;
  /** The persisted reservation: no counter at or above it may be used before a new one is stored. */
  readonly reservedUntil: bigint;
}

/** The next counter, the new state, and a reservation to persist first when one is due. */
export interface NextCounter {
  readonly counter: bigint;
  readonly state: SendCounterState;
  /** When set, store this value durably (the engine does this off the advert path). */
  readonly persist?: bigint;
}

/** The state after a (re)start, given the reservation read from disk (0n when there is none). */
export function initialSendCounter(persistedReservation: bigint): SendCounterState {
  return { last: persistedReservation, reservedUntil: persistedReservation };
}

/** Advances the counter for one outgoing advert. */
export function nextSendCounter(state: SendCounterState, wallclockMicros: bigint, highestHeard: bigint | undefined): NextCounter {
  let counter = state.last + 1n;
  if (wallclockMicros > counter) counter = wallclockMicros;
  if (highestHeard !== undefined && highestHeard < COUNTER_MAX && highestHeard + 1n > counter) counter = highestHeard + 1n;
  if (counter > COUNTER_MAX) counter = COUNTER_MAX; // 584,000 years of microseconds: not reached in practice
  const needsReservation = counter + COUNTER_RESERVE / 2n >= state.reservedUntil;
  // Capped so the stored value always fits the 64-bit counter space.
  const reservedUntil = needsReservation ? min(counter + COUNTER_RESERVE, COUNTER_MAX) : state.reservedUntil;
  const next: SendCounterState = { last: counter, reservedUntil };
  return needsReservation ? { counter, state: next, persist: reservedUntil } : { counter, state: next };
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** The time a carpd counter encodes, when it looks like one (µs since the epoch, years 2000–2200). */
export function counterAsDate(counter: bigint): Date | undefined {
  const from = 946_684_800_000_000n; // 2000-01-01
  const to = 7_258_118_400_000_000n; // 2200-01-01
  if (counter < from || counter > to) return undefined;
  return new Date(Number(counter / 1000n));
}
