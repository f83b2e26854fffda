/**
 * The requesting side of the vote (docs/partitions.md "The holder"): a member that wants to be, or
 * is, the holder. step(state, event, now) → { state, actions }, now in µs of the member's own
 * monotonic clock. Leases run from the SEND time of the request a grant answers; "have quorum
 * until T" is the quorum-th latest lease among the voters; the holder starts removing its
 * addresses at T − P, and sets a kernel lifetime on them that ends by T (the backstop).
 */
import { DEFAULT_MARGINS, QUORUM_LEASE_US, backstopLifetimeSeconds, quorumSize, renewIntervalUs, type SafetyMargins } from './quorum-timing.ts';
import type { RefusalReason, RequestKind } from './quorum-codec.ts';

/** Request rounds remembered (older grants are dropped as unknown nonces). */
export const MAX_OPEN_ROUNDS = 16;

/** One request sent to every voter under one nonce. */
export interface Round {
  readonly nonce: bigint;
  readonly sentAt: number;
  readonly epoch: number;
  readonly kind: RequestKind;
  /** Voters that answered this nonce (each is counted once). */
  readonly answered: ReadonlySet<number>;
  /** How many of them refused. */
  readonly refused: number;
}

export type ClaimPhase = 'idle' | 'claiming' | 'holding';
export type HeldBackReason = 'quorum';
export type ReleaseReason = 'lease-ending' | 'fenced' | 'stand-down';
export type GrantDrop = 'unknown-nonce' | 'not-a-voter' | 'duplicate' | 'not-for-me' | 'old-epoch';

export interface ClaimantState {
  readonly self: number;
  readonly voters: readonly number[];
  readonly advertIntervalUs: number;
  readonly margins: SafetyMargins;
  readonly phase: ClaimPhase;
  readonly epoch: number;
  readonly highestEpochSeen: number;
  readonly rounds: readonly Round[];
  /** Per voter, the latest lease end (send time + granted lease) for the current epoch. */
  readonly leaseEnds: ReadonlyMap<number, number>;
  /** When the next request goes (renewal or retry). */
  readonly nextRequestAt: number;
  /** Claiming: the last claim was abandoned, the next goes at nextRequestAt with a new epoch. */
  readonly backingOff: boolean;
}

export type ClaimantEvent =
  /** Master-down fired, or the protocol wants this node MASTER: claim with a new epoch. */
  | { readonly type: 'want-claim'; readonly nonce: bigint }
  /** The protocol leaves MASTER (preemption, shutdown): give the lease up. */
  | { readonly type: 'stand-down' }
  | { readonly type: 'tick'; readonly nonce: bigint }
  | { readonly type: 'grant'; readonly from: number; readonly to: number; readonly nonce: bigint; readonly epoch: number; readonly leaseUs: number }
  | { readonly type: 'refusal'; readonly from: number; readonly to: number; readonly nonce: bigint; readonly reason: RefusalReason; readonly remainingUs: number; readonly holderEpoch: number }
  /** A beacon of another member in MASTER with this epoch. */
  | { readonly type: 'heard-master'; readonly member: number; readonly epoch: number };

export type ClaimantAction =
  | { readonly type: 'send-request'; readonly nonce: bigint; readonly epoch: number; readonly kind: RequestKind; readonly leaseUs: number }
  /** Quorum reached: add the addresses with this kernel valid lifetime, become MASTER. */
  | { readonly type: 'acquired'; readonly epoch: number; readonly until: number; readonly validLifetimeS: number }
  /** Replace the addresses' valid lifetime (each renewal). */
  | { readonly type: 'extend'; readonly until: number; readonly validLifetimeS: number }
  /** Remove the addresses now, leave MASTER, then beacon `released` for `epoch`. */
  | { readonly type: 'release'; readonly epoch: number; readonly reason: ReleaseReason }
  /** A claim that can no longer reach a quorum: beacon `released` for `epoch` (nothing was held), so voters free their promises. */
  | { readonly type: 'abandon'; readonly epoch: number }
  | { readonly type: 'held-back'; readonly reason: HeldBackReason }
  | { readonly type: 'drop'; readonly reason: GrantDrop }
  /** Call back with a tick at this time. */
  | { readonly type: 'arm'; readonly at: number };

export interface ClaimantStep {
  readonly state: ClaimantState;
  readonly actions: readonly ClaimantAction[];
}

export function initialClaimant(self: number, voters: readonly number[], advertIntervalUs: number, margins: SafetyMargins = DEFAULT_MARGINS): ClaimantState {
  return { self, voters, advertIntervalUs, margins, phase: 'idle', epoch: 0, highestEpochSeen: 0, rounds: [], leaseEnds: new Map(), nextRequestAt: Number.POSITIVE_INFINITY, backingOff: false };
}

/**
 * The epoch of a new claim: above every epoch seen, and ≡ the member's index mod 16, so that two
 * members never claim with the same epoch (a voter refuses an epoch it granted to someone else).
 */
export function nextEpoch(highestSeen: number, self: number): number {
  return (Math.floor(highestSeen / EPOCH_STRIDE) + 1) * EPOCH_STRIDE + self;
}
const EPOCH_STRIDE = 16;

/** The time until which this member has a quorum of leases, or -Infinity. */
export function quorumUntil(state: ClaimantState): number {
  const ends = state.voters.map((voter) => state.leaseEnds.get(voter) ?? Number.NEGATIVE_INFINITY).sort((a, b) => b - a);
  return ends[quorumSize(state.voters.length) - 1] ?? Number.NEGATIVE_INFINITY;
}

/** When the holder must start removing its addresses. */
export function releaseAt(state: ClaimantState): number {
  return quorumUntil(state) - state.margins.releaseMarginUs;
}

export function stepClaimant(state: ClaimantState, event: ClaimantEvent, now: number): ClaimantStep {
  switch (event.type) {
    case 'want-claim':
      if (state.phase !== 'idle') return { state, actions: [] };
      return sendRound({ ...state, phase: 'claiming', epoch: nextEpoch(state.highestEpochSeen, state.self), leaseEnds: new Map(), backingOff: false }, event.nonce, now, [{ type: 'held-back', reason: 'quorum' }]);
    case 'stand-down':
      return state.phase === 'idle' ? { state, actions: [] } : toIdle(state, state.phase === 'holding' ? 'stand-down' : undefined);
    case 'heard-master': {
      const seen = { ...state, highestEpochSeen: Math.max(state.highestEpochSeen, event.epoch) };
      if (state.phase === 'holding' && event.epoch > state.epoch) return toIdle(seen, 'fenced');
      if (state.phase === 'claiming' && event.epoch >= state.epoch) return toIdle(seen, undefined);
      return { state: seen, actions: [] };
    }
    case 'tick':
      return onTick(state, event.nonce, now);
    case 'grant':
      return onGrant(state, event, now);
    case 'refusal':
      return onRefusal(state, event, now);
  }
}

function onTick(state: ClaimantState, nonce: bigint, now: number): ClaimantStep {
  if (state.phase === 'holding' && now >= releaseAt(state)) return toIdle(state, 'lease-ending');
  if (state.phase === 'idle' || now < state.nextRequestAt) return { state, actions: armFor(state) };
  if (state.phase === 'claiming' && !state.backingOff) return abandon(state, nonce, now);
  return sendRound({ ...state, backingOff: false }, nonce, now, []);
}

/**
 * A claim that did not reach a quorum (refused by too many, or unanswered until the next try)
 * is given up before the next: its epoch is abandoned (late grants for it are then dropped as
 * old-epoch), the voters that granted it, this member's own first, are told to free their
 * promise, and the next claim, with a new epoch, waits a random backoff (from the random nonce),
 * during which this member's own voter is free for another claimant. Without it, members that
 * claim together each keep their own vote and nobody ever reaches a majority.
 */
function abandon(state: ClaimantState, nonce: bigint, from: number): ClaimantStep {
  const backoff = Number(nonce % BigInt(Math.max(1, Math.floor(renewIntervalUs(state.advertIntervalUs) / 4))));
  const next: ClaimantState = { ...state, epoch: nextEpoch(Math.max(state.highestEpochSeen, state.epoch), state.self), leaseEnds: new Map(), backingOff: true, nextRequestAt: from + backoff };
  return { state: next, actions: [{ type: 'abandon', epoch: state.epoch }, ...armFor(next)] };
}

function onGrant(state: ClaimantState, event: Extract<ClaimantEvent, { type: 'grant' }>, now: number): ClaimantStep {
  const answered = answeredRound(state, event.from, event.to, event.nonce, false);
  if (typeof answered === 'string') return { state, actions: [{ type: 'drop', reason: answered }] };
  const { round, rounds } = answered;
  if (state.phase === 'idle' || round.epoch !== state.epoch || event.epoch !== state.epoch) return { state: { ...state, rounds }, actions: [{ type: 'drop', reason: 'old-epoch' }] };
  const leaseEnds = new Map(state.leaseEnds);
  const end = round.sentAt + Math.min(event.leaseUs, QUORUM_LEASE_US);
  leaseEnds.set(event.from, Math.max(end, leaseEnds.get(event.from) ?? end));
  const before = quorumUntil(state);
  const next: ClaimantState = { ...state, rounds, leaseEnds };
  const until = quorumUntil(next);
  if (until <= before) return { state: next, actions: [] };
  const validLifetimeS = backstopLifetimeSeconds(until, now, state.margins.backstopGranularityUs);
  if (until - state.margins.releaseMarginUs <= now || validLifetimeS < 1) return { state: next, actions: [] };
  if (state.phase === 'claiming') {
    const holding: ClaimantState = { ...next, phase: 'holding', nextRequestAt: now + renewIntervalUs(state.advertIntervalUs) };
    return { state: holding, actions: [{ type: 'acquired', epoch: state.epoch, until, validLifetimeS }, ...armFor(holding)] };
  }
  return { state: next, actions: [{ type: 'extend', until, validLifetimeS }, ...armFor(next)] };
}

function onRefusal(state: ClaimantState, event: Extract<ClaimantEvent, { type: 'refusal' }>, now: number): ClaimantStep {
  const answered = answeredRound(state, event.from, event.to, event.nonce, true);
  if (typeof answered === 'string') return { state, actions: [{ type: 'drop', reason: answered }] };
  let next: ClaimantState = { ...state, rounds: answered.rounds, highestEpochSeen: Math.max(state.highestEpochSeen, event.holderEpoch) };
  const round = next.rounds.find((candidate) => candidate.nonce === event.nonce) as Round;
  if (state.phase !== 'claiming' || round.epoch !== state.epoch) return { state: next, actions: armFor(next) };
  // Ask again just after the refusing promise (or hold-off, or live master) ends, if sooner.
  const askAgain = now + Math.max(event.remainingUs, 0) + 1_000;
  if (round.refused <= state.voters.length - quorumSize(state.voters.length)) {
    if (askAgain < next.nextRequestAt) next = { ...next, nextRequestAt: askAgain };
    return { state: next, actions: armFor(next) };
  }
  // This claim cannot reach a quorum any more: give it up now (see abandon).
  return abandon(next, event.nonce, askAgain);
}

/** The round a grant or refusal answers, with that voter marked, or why it is dropped. */
function answeredRound(state: ClaimantState, from: number, to: number, nonce: bigint, refusal: boolean): { round: Round; rounds: Round[] } | GrantDrop {
  if (to !== state.self) return 'not-for-me';
  if (!state.voters.includes(from)) return 'not-a-voter';
  const round = state.rounds.find((candidate) => candidate.nonce === nonce);
  if (round === undefined) return 'unknown-nonce';
  if (round.answered.has(from)) return 'duplicate';
  const marked: Round = { ...round, answered: new Set([...round.answered, from]), refused: round.refused + (refusal ? 1 : 0) };
  return { round: marked, rounds: state.rounds.map((candidate) => (candidate === round ? marked : candidate)) };
}

function sendRound(state: ClaimantState, nonce: bigint, now: number, before: ClaimantAction[]): ClaimantStep {
  const kind: RequestKind = state.phase === 'holding' ? 'renew' : 'claim';
  const round: Round = { nonce, sentAt: now, epoch: state.epoch, kind, answered: new Set(), refused: 0 };
  const next: ClaimantState = { ...state, rounds: [...state.rounds, round].slice(-MAX_OPEN_ROUNDS), nextRequestAt: now + renewIntervalUs(state.advertIntervalUs) };
  return { state: next, actions: [...before, { type: 'send-request', nonce, epoch: state.epoch, kind, leaseUs: QUORUM_LEASE_US }, ...armFor(next)] };
}

function toIdle(state: ClaimantState, release: ReleaseReason | undefined): ClaimantStep {
  const idle: ClaimantState = { ...state, phase: 'idle', rounds: [], leaseEnds: new Map(), nextRequestAt: Number.POSITIVE_INFINITY, backingOff: false, highestEpochSeen: Math.max(state.highestEpochSeen, state.epoch) };
  return { state: idle, actions: release === undefined ? [] : [{ type: 'release', epoch: state.epoch, reason: release }] };
}

/** The next tick: the next request, or the release point when holding. */
function armFor(state: ClaimantState): ClaimantAction[] {
  if (state.phase === 'idle') return [];
  const at = state.phase === 'holding' ? Math.min(state.nextRequestAt, releaseAt(state)) : state.nextRequestAt;
  return [{ type: 'arm', at }];
}
