/**
 * Receive-side replay protection for one vhid (PROTOCOL.md §3.3; design and threat model in
 * docs/replay-and-threat-model.md).
 *
 * strict (default): one high-water mark H per vhid, shared by all senders, because the source
 *   address is not covered by the HMAC: a per-sender mark would let a replay with a spoofed,
 *   never-seen source through. An authentic advert is fresh only when its counter > H.
 *   H starts at max(persisted mark, wall clock − freshness window), so a freshly started node
 *   also refuses adverts captured long ago.
 *   Our own adverts, replayed under any source, are recognised by their lane (send-counter.ts):
 *   an authentic advert in our lane at or below our last counter is ours ('loop').
 * compat: for peers that send random (ucarp, FreeBSD) or constant (OpenBSD) counters: the HMAC
 *   alone decides, plus OpenBSD's loop check (a counter equal to the one we last sent).
 * In both modes a sender whose authentic counters go backwards is reported once, by name.
 */

import { COUNTER_LANE_BITS } from './send-counter.ts';

/** How strictly counters are checked. */
export type ReplayMode = 'strict' | 'compat';

/** Replay state of one vhid. */
export interface ReplayState {
  /** Highest counter accepted from anyone (strict mode's H). */
  readonly highWater: bigint;
  /** The last counter we sent ourselves, for loop detection. */
  readonly lastSent?: bigint;
  /** Our counter lane (send-counter.ts), when we send lane-tagged counters. */
  readonly ownLane?: number;
  /** Last authentic counter per sender address, to notice senders that cannot be replay-checked. */
  readonly lastBySender: Readonly<Record<string, bigint>>;
  /** Senders already reported, so each is named once. */
  readonly reported: readonly string[];
}

/** What checkReplay decided. */
export type ReplayVerdict = 'fresh' | 'replay' | 'loop';

/** A one-time report about a sender whose counters go backwards. */
export interface ReplayNotice {
  readonly sender: string;
  readonly mode: ReplayMode;
  readonly previous: bigint;
  readonly counter: bigint;
}

/** The verdict, the new state, and a notice to log when one is due. */
export interface ReplayCheck {
  readonly verdict: ReplayVerdict;
  readonly state: ReplayState;
  readonly notice?: ReplayNotice;
}

/** The initial state: H at the given floor (persisted mark or clock-based freshness floor). */
export function initialReplayState(floor: bigint, ownLane?: number): ReplayState {
  return { highWater: floor < 0n ? 0n : floor, lastBySender: {}, reported: [], ...(ownLane === undefined ? {} : { ownLane }) };
}

/**
 * The freshness floor for a new receiver, in the counter's own unit: the wall clock minus the
 * window, in µs, shifted above the lane byte (a carpd counter is µs · 256 + lane, send-counter.ts).
 * Comparing µs with µs · 256 (as an earlier version did) let every carpd counter since 1970
 * through, so a receiver with no saved state accepted captured adverts of any age.
 */
export function freshnessFloor(wallclockMicros: bigint, windowSeconds: number): bigint {
  const floorMicros = wallclockMicros - BigInt(Math.trunc(windowSeconds)) * 1_000_000n;
  return floorMicros <= 0n ? 0n : floorMicros << COUNTER_LANE_BITS;
}

/** Records the counter of an advert we sent (loop detection). */
export function noteSent(state: ReplayState, counter: bigint): ReplayState {
  return { ...state, lastSent: counter };
}

/** Checks the counter of an authentic advert. Call only after the HMAC verified. */
export function checkReplay(state: ReplayState, mode: ReplayMode, sender: string, counter: bigint): ReplayCheck {
  if (isOwnCounter(state, mode, counter)) return { verdict: 'loop', state };
  const previous = state.lastBySender[sender];
  const goesBackwards = previous !== undefined && counter <= previous;
  const lastBySender = { ...state.lastBySender, [sender]: counter };
  let notice: ReplayNotice | undefined;
  let reported = state.reported;
  if (goesBackwards && !reported.includes(sender)) {
    notice = { sender, mode, previous: previous as bigint, counter };
    reported = [...reported, sender];
  }
  const fresh = mode === 'compat' || counter > state.highWater;
  const highWater = fresh && counter > state.highWater ? counter : state.highWater;
  // A replayed packet must not change what we remember about its sender either.
  const next: ReplayState = fresh ? { ...state, highWater, lastBySender, reported } : { ...state, reported };
  const result: ReplayCheck = { verdict: fresh ? 'fresh' : 'replay', state: next };
  return notice === undefined ? result : { ...result, notice };
}

function isOwnCounter(state: ReplayState, mode: ReplayMode, counter: bigint): boolean {
  if (state.lastSent === undefined) return false;
  if (mode === 'compat' || state.ownLane === undefined) return counter === state.lastSent;
  return Number(counter & 0xffn) === state.ownLane && counter <= state.lastSent;
}
