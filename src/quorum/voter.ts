/**
 * The granting side of the vote (docs/partitions.md "The vote"): a member's voter, or the
 * witness's voter for one group. step(state, event, now) → { state, actions }, now in µs of the
 * voter's own monotonic clock. The four rules, in order: start hold-off, one promise at a time
 * (renewed for its holder, sticky until it runs out or the holder says it released), no vote
 * against a live master (one shared timeout, from the master's own interval), no claim with a
 * stale epoch.
 */
import { DEFAULT_MARGINS, QUORUM_LEASE_US, liveMasterTimeoutUs, promiseDurationUs, startHoldOffUs, type SafetyMargins } from './quorum-timing.ts';
import type { RefusalReason, RequestKind } from './quorum-codec.ts';
import { NOBODY } from './quorum-codec.ts';

/** A promise not to vote for anyone else until `until` (voter's clock). */
export interface VotePromise {
  readonly holder: number;
  readonly epoch: number;
  readonly until: number;
}

/** When this voter last heard a member act as master, and its interval. */
export interface HeardMaster {
  readonly at: number;
  readonly advertIntervalUs: number;
}

export interface VoterState {
  readonly startedAt: number;
  readonly promise: VotePromise | undefined;
  /** The highest epoch granted, and to whom: epochs name one holder each. */
  readonly grantedEpoch: number;
  readonly grantedEpochHolder: number;
  readonly heardMasters: ReadonlyMap<number, HeardMaster>;
  readonly margins: SafetyMargins;
}

export type VoterEvent =
  | { readonly type: 'request'; readonly from: number; readonly nonce: bigint; readonly epoch: number; readonly kind: RequestKind; readonly leaseUs: number }
  /** A MASTER beacon, or an advert, of a member. */
  | { readonly type: 'heard-master'; readonly member: number; readonly advertIntervalUs: number }
  /** A beacon of a member in BACKUP or INIT: it no longer acts as master. */
  | { readonly type: 'heard-not-master'; readonly member: number }
  /** The member's beacon says it released its lease for `epoch`, its addresses gone. */
  | { readonly type: 'released'; readonly member: number; readonly epoch: number };

export type VoterAction =
  | { readonly type: 'grant'; readonly to: number; readonly nonce: bigint; readonly epoch: number; readonly leaseUs: number }
  | { readonly type: 'refuse'; readonly to: number; readonly nonce: bigint; readonly reason: RefusalReason; readonly remainingUs: number; readonly holder: number; readonly holderEpoch: number };

export interface VoterStep {
  readonly state: VoterState;
  readonly actions: readonly VoterAction[];
}

/** A voter that has just started (no disk state: it holds off for the longest promise it could have made). */
export function initialVoter(now: number, margins: SafetyMargins = DEFAULT_MARGINS): VoterState {
  return { startedAt: now, promise: undefined, grantedEpoch: 0, grantedEpochHolder: NOBODY, heardMasters: new Map(), margins };
}

export function stepVoter(state: VoterState, event: VoterEvent, now: number): VoterStep {
  switch (event.type) {
    case 'heard-master': {
      const heardMasters = new Map(state.heardMasters);
      heardMasters.set(event.member, { at: now, advertIntervalUs: event.advertIntervalUs });
      return { state: { ...state, heardMasters }, actions: [] };
    }
    case 'heard-not-master': {
      if (!state.heardMasters.has(event.member)) return { state, actions: [] };
      const heardMasters = new Map(state.heardMasters);
      heardMasters.delete(event.member);
      return { state: { ...state, heardMasters }, actions: [] };
    }
    case 'released': {
      const heardMasters = new Map(state.heardMasters);
      heardMasters.delete(event.member);
      const promise = state.promise;
      const freed = promise !== undefined && promise.holder === event.member && promise.epoch === event.epoch;
      return { state: { ...state, heardMasters, promise: freed ? undefined : promise }, actions: [] };
    }
    case 'request':
      return answerRequest(state, event, now);
  }
}

/** Why this voter refuses `from` now, with how long that lasts, or undefined to grant. */
export function refusalOf(state: VoterState, from: number, epoch: number, kind: RequestKind, now: number): { reason: RefusalReason; remainingUs: number } | undefined {
  const holdOffEnds = state.startedAt + startHoldOffUs(state.margins.driftPpm);
  if (now < holdOffEnds) return { reason: 'starting', remainingUs: holdOffEnds - now };
  const promise = activePromise(state, now);
  if (promise !== undefined && promise.holder !== from) return { reason: 'promised-other', remainingUs: promise.until - now };
  const live = liveMasterOtherThan(state, from, now);
  if (live !== undefined) return { reason: 'live-master', remainingUs: live };
  // Epochs order claims; a renewal keeps the holder's epoch, even when a claim that failed since
  // was granted a higher one here.
  const stale = kind === 'claim' && (epoch < state.grantedEpoch || (epoch === state.grantedEpoch && from !== state.grantedEpochHolder));
  if (stale) return { reason: 'stale-epoch', remainingUs: 0 };
  return undefined;
}

function answerRequest(state: VoterState, event: Extract<VoterEvent, { type: 'request' }>, now: number): VoterStep {
  const refusal = refusalOf(state, event.from, event.epoch, event.kind, now);
  if (refusal !== undefined) {
    const promise = activePromise(state, now);
    const action: VoterAction = { type: 'refuse', to: event.from, nonce: event.nonce, ...refusal, holder: promise?.holder ?? NOBODY, holderEpoch: Math.max(state.grantedEpoch, promise?.epoch ?? 0) };
    return { state, actions: [action] };
  }
  const leaseUs = Math.min(Math.max(event.leaseUs, 0), QUORUM_LEASE_US);
  const until = now + promiseDurationUs(leaseUs, state.margins.driftPpm);
  const kept = state.promise !== undefined && state.promise.holder === event.from ? Math.max(state.promise.until, until) : until;
  const raised = event.epoch > state.grantedEpoch;
  const next: VoterState = { ...state, promise: { holder: event.from, epoch: event.epoch, until: kept }, grantedEpoch: raised ? event.epoch : state.grantedEpoch, grantedEpochHolder: raised ? event.from : state.grantedEpochHolder };
  return { state: next, actions: [{ type: 'grant', to: event.from, nonce: event.nonce, epoch: event.epoch, leaseUs }] };
}

/** The promise still running at `now`, if any. */
export function activePromise(state: VoterState, now: number): VotePromise | undefined {
  return state.promise !== undefined && now < state.promise.until ? state.promise : undefined;
}

/** How long this voter still hears a live master other than `member` (µs), or undefined. */
function liveMasterOtherThan(state: VoterState, member: number, now: number): number | undefined {
  let longest: number | undefined;
  for (const [other, heard] of state.heardMasters) {
    if (other === member) continue;
    const remaining = heard.at + liveMasterTimeoutUs(heard.advertIntervalUs) - now;
    if (remaining > 0) longest = Math.max(longest ?? 0, remaining);
  }
  return longest;
}
