/**
 * Receive-side replay protection for one vhid (docs/protocol-carp.md "What carpd sends and accepts"; design and threat model in
 * docs/replay-and-threat-model.md).
 *
 * strict (default): one high-water mark H per vhid, shared by all senders, because the source
 *   address is not covered by the HMAC: a per-sender mark would let a replay with a spoofed,
 *   never-seen source through. Above it, a sliding anti-replay window as IPsec ESP's (RFC 4303
 *   §3.4.3), per vhid: an authentic advert is fresh when its counter > H, or when it is within
 *   the window below H (REPLAY_WINDOW: 5 s of counter), above the last one accepted from the same
 *   source (a sender's own adverts never go back), and was not accepted before (the window
 *   remembers the counters it accepted, at most REPLAY_WINDOW_ENTRIES; one pushed out raises the
 *   floor past it). So the adverts of an old and a new master that cross during a handover are
 *   both accepted once, and an exact replay or anything older than the window is refused. The
 *   bound: a captured advert this node never received can be played to it at most 5 s of
 *   counter after the newest it accepted, once; it carries what its sender really advertised.
 *   H starts at max(persisted mark, wall clock − freshness window), so a freshly started node
 *   also refuses adverts captured long ago; the window never reaches below that start.
 *   Our own adverts, replayed under any source, are recognised by their lane (send-counter.ts):
 *   an authentic advert in our lane at or below our last counter is ours ('loop').
 * compat: for peers that send random (ucarp, FreeBSD) or constant (OpenBSD) counters: the HMAC
 *   alone decides, plus the loop check: OpenBSD's (a counter equal to the one we last sent), and,
 *   since carpd sends lane-tagged counters in both modes, any counter in our lane between the
 *   first and the last one this run sent. Without that, one of our own adverts replayed under a
 *   spoofed lower source wins the tie rule and makes the master step down (issue 18: 45-179
 *   transitions under a replay flood). A peer's random or constant counter falls in that range
 *   and lane with a chance of about uptime·256 / 2^64 / 256 (5e-9 after a day).
 * In both modes a sender whose authentic counters go backwards is reported once, by name.
 *
 * Per-sender memory (the last counter accepted from a source, and whether it was reported) is a
 * bounded LRU updated in place (sender-ledger.ts, MAX_TRACKED_SENDERS): the source address is
 * not authenticated, and copying a per-sender record on every packet made each packet cost
 * O(senders) under a spoofed flood (issue 18). So a check is O(1) in the number of senders, and
 * a ReplayState shares its ledger with the states derived from it: the caller keeps only the
 * newest state (GroupRunner does). The mark and the window stay immutable values. Still pure:
 * no I/O, no time.
 */

import { COUNTER_LANE_BITS } from './send-counter.ts';
import { SenderLedger } from './sender-ledger.ts';

/** How far below the high-water mark an authentic, not yet seen counter is still accepted: 5 s. */
export const REPLAY_WINDOW = 5_000_000n << COUNTER_LANE_BITS;
/** How many accepted counters the window remembers; one pushed out raises its floor. */
export const REPLAY_WINDOW_ENTRIES = 64;

/** How strictly counters are checked. */
export type ReplayMode = 'strict' | 'compat';

/** Replay state of one vhid. */
export interface ReplayState {
  /** Highest counter accepted from anyone (strict mode's H). */
  readonly highWater: bigint;
  /** strict: nothing at or below this is accepted (the start floor, H − window, or a pushed-out entry). */
  readonly windowFloor: bigint;
  /** strict: the counters accepted above windowFloor, ascending (H among them once one was accepted). */
  readonly recent: readonly bigint[];
  /** The last counter we sent ourselves, for loop detection. */
  readonly lastSent?: bigint;
  /** The first counter we sent in this run (compat loop detection: our lane, firstSent..lastSent). */
  readonly firstSent?: bigint;
  /** Our counter lane (send-counter.ts), when we send lane-tagged counters. */
  readonly ownLane?: number;
  /**
   * Per sender address: the last authentic counter accepted (to notice senders that cannot be
   * replay-checked) and whether it was reported (so each is named once). Bounded, mutated in
   * place, shared with the states derived from this one (see the header).
   */
  readonly senders: SenderLedger;
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
export function initialReplayState(floor: bigint, ownLane?: number, senders: SenderLedger = new SenderLedger()): ReplayState {
  const start = floor < 0n ? 0n : floor;
  return { highWater: start, windowFloor: start, recent: [], senders, ...(ownLane === undefined ? {} : { ownLane }) };
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
  return { ...state, lastSent: counter, firstSent: state.firstSent ?? counter };
}

/**
 * Checks the counter of an authentic advert. Call only after the HMAC verified. O(1) in the
 * number of senders; updates `state.senders` in place (only the returned state is current).
 */
export function checkReplay(state: ReplayState, mode: ReplayMode, sender: string, counter: bigint): ReplayCheck {
  if (isOwnCounter(state, mode, counter)) return { verdict: 'loop', state };
  const previous = state.senders.lastCounter(sender);
  let notice: ReplayNotice | undefined;
  if (previous !== undefined && counter <= previous && !state.senders.isReported(sender)) {
    notice = { sender, mode, previous, counter };
    state.senders.markReported(sender);
  }
  // Below the mark: within the window, never accepted, and newer than what this sender last got
  // accepted (its own older advert arriving late, say just after its bow-out, is stale news).
  const inWindow = counter > state.windowFloor && !state.recent.includes(counter) && (previous === undefined || counter > previous);
  const fresh = mode === 'compat' || counter > state.highWater || inWindow;
  let next = state;
  if (fresh) {
    // A replayed packet must not change what we remember about its sender: only a fresh one is recorded.
    state.senders.recordAccepted(sender, counter);
    const highWater = counter > state.highWater ? counter : state.highWater;
    if (mode === 'strict') next = { ...state, highWater, ...slideWindow(state, counter, highWater) };
    else if (highWater !== state.highWater) next = { ...state, highWater };
  }
  const result: ReplayCheck = { verdict: fresh ? 'fresh' : 'replay', state: next };
  return notice === undefined ? result : { ...result, notice };
}

/** The window after accepting `counter`: remembered, the floor raised to H − window, the oldest pushed out past the cap. */
function slideWindow(state: ReplayState, counter: bigint, highWater: bigint): Pick<ReplayState, 'windowFloor' | 'recent'> {
  let floor = state.windowFloor;
  if (highWater - REPLAY_WINDOW > floor) floor = highWater - REPLAY_WINDOW;
  const recent = [...state.recent, counter].filter((c) => c > floor).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  while (recent.length > REPLAY_WINDOW_ENTRIES) floor = recent.shift() as bigint;
  return { windowFloor: floor, recent };
}

function isOwnCounter(state: ReplayState, mode: ReplayMode, counter: bigint): boolean {
  if (state.lastSent === undefined) return false;
  if (state.ownLane === undefined) return counter === state.lastSent;
  const inLane = Number(counter & 0xffn) === state.ownLane && counter <= state.lastSent;
  if (mode === 'strict') return inLane;
  return counter === state.lastSent || (inLane && counter >= (state.firstSent ?? state.lastSent));
}
