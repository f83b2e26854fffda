import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialClaimant, nextEpoch, quorumUntil, stepClaimant, type ClaimantAction, type ClaimantEvent, type ClaimantState } from '../../src/quorum/claimant.ts';
import { QUORUM_LEASE_US, QUORUM_RELEASE_MARGIN_US, backstopLifetimeSeconds } from '../../src/quorum/quorum-timing.ts';
import { WITNESS_INDEX } from '../../src/quorum/quorum-key.ts';

const VOTERS = [0, 1, WITNESS_INDEX];
const grant = (from: number, nonce: bigint, epoch: number, to = 0): ClaimantEvent => ({ type: 'grant', from, to, nonce, epoch, leaseUs: QUORUM_LEASE_US });
const refusal = (from: number, nonce: bigint, remainingUs = 0, reason: 'promised-other' | 'stale-epoch' = 'promised-other'): ClaimantEvent => ({ type: 'refusal', from, to: 0, nonce, reason, remainingUs, holderEpoch: 0 });

function run(state: ClaimantState, events: [number, ClaimantEvent][]): { state: ClaimantState; actions: ClaimantAction[] } {
  const actions: ClaimantAction[] = [];
  for (const [at, event] of events) {
    const step = stepClaimant(state, event, at);
    state = step.state;
    actions.push(...step.actions.filter((action) => action.type !== 'arm'));
  }
  return { state, actions };
}

test('claimant: epochs are above everything seen and distinct per member', () => {
  assert.equal(nextEpoch(0, 0), 16);
  assert.equal(nextEpoch(0, 3), 19);
  assert.equal(nextEpoch(19, 2), 34);
  assert.notEqual(nextEpoch(40, 1), nextEpoch(40, 2));
});

test('claimant: held back until a majority grants; the lease runs from the SEND time, not the grants\' arrival', () => {
  const epoch = nextEpoch(0, 0);
  const { state, actions } = run(initialClaimant(0, VOTERS, 1_000_000), [[1_000_000, { type: 'want-claim', nonce: 5n }], [1_000_100, grant(0, 5n, epoch)], [1_400_000, grant(WITNESS_INDEX, 5n, epoch)]]);
  assert.deepEqual(actions.map((a) => a.type), ['held-back', 'send-request', 'acquired']);
  const until = 1_000_000 + QUORUM_LEASE_US;
  assert.deepEqual(actions[2], { type: 'acquired', epoch, until, validLifetimeS: backstopLifetimeSeconds(until, 1_400_000) });
  assert.equal(quorumUntil(state), until);
  assert.equal(state.phase, 'holding');
});

test('claimant: grants for an unknown nonce, twice from one voter, for someone else or from a non-voter are dropped by reason', () => {
  const epoch = nextEpoch(0, 0);
  const { actions, state } = run(initialClaimant(0, VOTERS, 1_000_000), [[0, { type: 'want-claim', nonce: 5n }], [10, grant(1, 6n, epoch)], [20, grant(1, 5n, epoch)], [30, grant(1, 5n, epoch)], [40, grant(2, 5n, epoch)], [50, grant(WITNESS_INDEX, 5n, epoch, 1)]]);
  assert.deepEqual(actions.filter((a) => a.type === 'drop').map((a) => a.type === 'drop' && a.reason), ['unknown-nonce', 'duplicate', 'not-a-voter', 'not-for-me']);
  assert.equal(state.phase, 'claiming');
});

test('claimant: a holder renews every min(interval, 500 ms) and releases at T − P when renewals stop', () => {
  const epoch = nextEpoch(0, 0);
  const acquired = run(initialClaimant(0, VOTERS, 1_000_000), [[0, { type: 'want-claim', nonce: 5n }], [10, grant(0, 5n, epoch)], [20, grant(1, 5n, epoch)]]).state;
  const renewal = stepClaimant(acquired, { type: 'tick', nonce: 6n }, 500_020);
  assert.deepEqual(renewal.actions.filter((a) => a.type === 'send-request').map((a) => a.type === 'send-request' && a.kind), ['renew']);
  const releaseAt = QUORUM_LEASE_US - QUORUM_RELEASE_MARGIN_US;
  assert.deepEqual(stepClaimant(renewal.state, { type: 'tick', nonce: 7n }, releaseAt - 1).actions.filter((a) => a.type === 'release'), []);
  assert.deepEqual(stepClaimant(renewal.state, { type: 'tick', nonce: 7n }, releaseAt).actions.filter((a) => a.type === 'release'), [{ type: 'release', epoch, reason: 'lease-ending' }]);
  // A renewal answered extends T to its own send time + L.
  const extended = run(renewal.state, [[500_100, grant(0, 6n, epoch)], [500_200, grant(WITNESS_INDEX, 6n, epoch)]]);
  assert.deepEqual(extended.actions, [{ type: 'extend', until: 500_020 + QUORUM_LEASE_US, validLifetimeS: backstopLifetimeSeconds(500_020 + QUORUM_LEASE_US, 500_200) }]);
});

test('claimant: a holder that hears a MASTER with a higher epoch releases at once (fencing)', () => {
  const epoch = nextEpoch(0, 0);
  const holding = run(initialClaimant(0, VOTERS, 1_000_000), [[0, { type: 'want-claim', nonce: 5n }], [10, grant(0, 5n, epoch)], [20, grant(1, 5n, epoch)]]).state;
  assert.deepEqual(run(holding, [[30, { type: 'heard-master', member: 1, epoch: epoch - 1 }]]).actions, []);
  assert.deepEqual(run(holding, [[30, { type: 'heard-master', member: 1, epoch: epoch + 1 }]]).actions, [{ type: 'release', epoch, reason: 'fenced' }]);
});

test('claimant: a claim that can no longer reach a majority is abandoned, and the next uses a new epoch; late grants of the old one are dropped', () => {
  const epoch = nextEpoch(0, 0);
  const { state, actions } = run(initialClaimant(0, VOTERS, 1_000_000), [[0, { type: 'want-claim', nonce: 5n }], [10, grant(0, 5n, epoch)], [20, refusal(1, 5n, 2_000_000)], [30, refusal(WITNESS_INDEX, 5n, 2_000_000)]]);
  assert.deepEqual(actions.map((a) => a.type), ['held-back', 'send-request', 'abandon']);
  assert.ok(state.epoch > epoch);
  assert.ok(state.nextRequestAt >= 30 + 2_000_000, 'asks again after the refusing promise ends');
  assert.deepEqual(run(state, [[40, grant(1, 5n, epoch)]]).actions, [{ type: 'drop', reason: 'duplicate' }]);
});

test('claimant: no acquisition when the lease left cannot be backed by a whole-second kernel lifetime', () => {
  const epoch = nextEpoch(0, 0);
  // Grants arriving 2.3 s after the send: 1.2 s left, less than 1 s + G.
  const { actions } = run(initialClaimant(0, VOTERS, 1_000_000), [[0, { type: 'want-claim', nonce: 5n }], [2_300_000, grant(0, 5n, epoch)], [2_300_000, grant(1, 5n, epoch)]]);
  assert.deepEqual(actions.map((a) => a.type), ['held-back', 'send-request']);
});
