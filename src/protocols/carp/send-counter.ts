/**
 * The counter carpd sends (docs/protocol-carp.md "What carpd sends and accepts"): strictly increasing for the life of the group,
 * across restarts and clock steps, and never equal to another node's.
 *
 *   counter = sequence · 256 + lane
 *   sequence = max(previous sequence + 1, wall clock in µs since the epoch, sequence of the highest authentic counter heard + 1)
 *
 * - The wall-clock term makes a restarted sender start above everything it sent before, with no
 *   state at all, as long as the clock did not step backwards.
 * - The persisted reservation covers clock steps backwards: before the counter comes within
 *   half a reserve of the persisted value, a new value `counter + RESERVE` is written, and a
 *   restart starts from at least the persisted value.
 * - The heard term (a Lamport clock) keeps one increasing sequence per vhid across nodes, so a
 *   backup that takes over continues above its predecessor even if its clock is behind, which
 *   is what receivers with a per-vhid high-water mark need.
 * - The lane (the low byte: a per-node id, by default the last byte of the node's address) keeps
 *   two nodes from ever sending the same counter, even when both continue from the same heard
 *   counter or their clocks agree to the microsecond. A node can therefore treat any authentic
 *   advert in its own lane at or below its last counter as its own, replayed.
 */

/** Counter space: 64 bits. */
export const COUNTER_MAX = (1n << 64n) - 1n;
/** Bits of the lane (node id) at the bottom of every counter. */
export const COUNTER_LANE_BITS = 8n;
const LANE_MASK = (1n << COUNTER_LANE_BITS) - 1n;
const SEQUENCE_MAX = COUNTER_MAX >> COUNTER_LANE_BITS;
/** How far ahead of the current counter a persisted reservation reaches: 60 s of microseconds. */
export const COUNTER_RESERVE = 60_000_000n << COUNTER_LANE_BITS;

/**
 * How far ahead of the wall clock a persisted counter (send reservation, replay mark) may be and
 * still be trusted at start: 1 day of counter. The reservation is at most 60 s ahead of what was
 * sent; a value a day or more ahead is a damaged or hand-edited file (a saturated 2^64−1 made the
 * pair repeat one counter and both nodes master, issue 19 item 9), refused for the clock-based
 * value (docs/replay-and-threat-model.md, "Sanity bounds on counters").
 */
export const PERSISTED_COUNTER_LEAD_MAX = 86_400_000_000n << COUNTER_LANE_BITS;
/**
 * The last sequence a real wall clock gives (2200-01-01 in µs). A counter term beyond it (heard
 * from a peer, or a poisoned previous counter) is not a clock and is not continued from: continuing
 * from it would saturate the counter space and repeat one counter for good.
 */
export const PLAUSIBLE_SEQUENCE_MAX = 7_258_118_400_000_000n;

/** Whether a persisted counter is believable: at most PERSISTED_COUNTER_LEAD_MAX ahead of the wall clock. */
export function isPersistedCounterPlausible(value: bigint, wallclockMicros: bigint): boolean {
  return value <= (wallclockMicros << COUNTER_LANE_BITS) + PERSISTED_COUNTER_LEAD_MAX;
}

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

/** The lane (node id, 0..255) a counter was sent in. */
export function counterLane(counter: bigint): number {
  return Number(counter & LANE_MASK);
}

/** The sequence part of a counter (µs since the epoch for a carpd sender). */
export function counterSequence(counter: bigint): bigint {
  return counter >> COUNTER_LANE_BITS;
}

/** The state after a (re)start, given the reservation read from disk (0n when there is none). */
export function initialSendCounter(persistedReservation: bigint): SendCounterState {
  return { last: persistedReservation, reservedUntil: persistedReservation };
}

/** Advances the counter for one outgoing advert in the given lane (0..255). */
export function nextSendCounter(state: SendCounterState, wallclockMicros: bigint, highestHeard: bigint | undefined, lane = 0): NextCounter {
  // Terms past any real clock (a poisoned state or a saturated peer) are not continued from, so
  // the sequence never reaches SEQUENCE_MAX and never repeats (issue 19 item 9).
  let sequence = wallclockMicros;
  const lastSequence = counterSequence(state.last);
  if (lastSequence <= PLAUSIBLE_SEQUENCE_MAX && lastSequence + 1n > sequence) sequence = lastSequence + 1n;
  if (highestHeard !== undefined) {
    const heardSequence = counterSequence(highestHeard);
    if (heardSequence <= PLAUSIBLE_SEQUENCE_MAX && heardSequence + 1n > sequence) sequence = heardSequence + 1n;
  }
  if (sequence > SEQUENCE_MAX) sequence = SEQUENCE_MAX; // only a wall clock past year 4000 gets here
  const counter = (sequence << COUNTER_LANE_BITS) | (BigInt(lane) & LANE_MASK);
  const needsReservation = counter + COUNTER_RESERVE / 2n >= state.reservedUntil;
  const reservedUntil = needsReservation ? (counter > COUNTER_MAX - COUNTER_RESERVE ? COUNTER_MAX : counter + COUNTER_RESERVE) : state.reservedUntil;
  const next: SendCounterState = { last: counter, reservedUntil };
  return needsReservation ? { counter, state: next, persist: reservedUntil } : { counter, state: next };
}

/** The time a carpd counter encodes, when it looks like one (sequence in µs since the epoch, years 2000–2200). */
export function counterAsDate(counter: bigint): Date | undefined {
  return sequenceAsDate(counterSequence(counter));
}

function sequenceAsDate(counter: bigint): Date | undefined {
  const from = 946_684_800_000_000n; // 2000-01-01
  const to = 7_258_118_400_000_000n; // 2200-01-01
  if (counter < from || counter > to) return undefined;
  return new Date(Number(counter / 1000n));
}
