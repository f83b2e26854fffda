import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialVoter, stepVoter, type VoterAction, type VoterEvent, type VoterState } from '../../src/quorum/voter.ts';
import { QUORUM_LEASE_US, promiseDurationUs, startHoldOffUs } from '../../src/quorum/quorum-timing.ts';

const HOLD = startHoldOffUs();
const request = (from: number, epoch: number, kind: 'claim' | 'renew' = 'claim', nonce = 7n): VoterEvent => ({ type: 'request', from, nonce, epoch, kind, leaseUs: QUORUM_LEASE_US });

function run(state: VoterState, events: [number, VoterEvent][]): { state: VoterState; actions: VoterAction[] } {
  const actions: VoterAction[] = [];
  for (const [at, event] of events) {
    const step = stepVoter(state, event, at);
    state = step.state;
    actions.push(...step.actions);
  }
  return { state, actions };
}
const kinds = (actions: VoterAction[]): string[] => actions.map((a) => (a.type === 'grant' ? `grant ${a.to}` : `refuse ${a.to} ${a.reason}`));

test('voter: grants nothing during the start hold-off (K·L + 100 ms), then grants', () => {
  const { actions } = run(initialVoter(0), [[HOLD - 1, request(1, 17)], [HOLD, request(1, 17)]]);
  assert.deepEqual(kinds(actions), ['refuse 1 starting', 'grant 1']);
  assert.equal(actions[0]!.type === 'refuse' && actions[0]!.remainingUs, 1);
});

test('voter: a promise runs K·L from receipt and excludes everyone else until it ends; its holder renews it', () => {
  const t = HOLD;
  const until = t + promiseDurationUs(QUORUM_LEASE_US);
  assert.ok(until - t > QUORUM_LEASE_US, 'K > 1');
  const { actions, state } = run(initialVoter(0), [[t, request(1, 17)], [t + 1000, request(2, 34)], [until - 1, request(2, 34)], [until, request(2, 34)]]);
  assert.deepEqual(kinds(actions), ['grant 1', 'refuse 2 promised-other', 'refuse 2 promised-other', 'grant 2']);
  assert.equal(state.promise?.holder, 2);
  const renewed = run(initialVoter(0), [[t, request(1, 17)], [t + 500_000, request(1, 17, 'renew')], [until + 1, request(2, 34)]]);
  assert.deepEqual(kinds(renewed.actions), ['grant 1', 'grant 1', 'refuse 2 promised-other']);
});

test('voter: the holder\'s released beacon frees the promise at once; another member\'s does not', () => {
  const t = HOLD;
  const other = run(initialVoter(0), [[t, request(1, 17)], [t + 10, { type: 'released', member: 2, epoch: 17 }], [t + 20, request(2, 34)]]);
  assert.deepEqual(kinds(other.actions), ['grant 1', 'refuse 2 promised-other']);
  const own = run(initialVoter(0), [[t, request(1, 17)], [t + 10, { type: 'released', member: 1, epoch: 17 }], [t + 20, request(2, 34)]]);
  assert.deepEqual(kinds(own.actions), ['grant 1', 'grant 2']);
});

test('voter: no vote against a live master, judged by 3 × the master\'s own interval (the non-transitive partition)', () => {
  const t = HOLD;
  // B (this voter) hears A's MASTER beacons; C, which does not hear A, claims.
  const { actions } = run(initialVoter(0), [[t, { type: 'heard-master', member: 0, advertIntervalUs: 1_000_000 }], [t + 2_999_999, request(2, 34)], [t + 3_000_000, request(2, 34)]]);
  assert.deepEqual(kinds(actions), ['refuse 2 live-master', 'grant 2']);
  const backup = run(initialVoter(0), [[t, { type: 'heard-master', member: 0, advertIntervalUs: 1_000_000 }], [t + 10, { type: 'heard-not-master', member: 0 }], [t + 20, request(2, 34)]]);
  assert.deepEqual(kinds(backup.actions), ['grant 2']);
  const self = run(initialVoter(0), [[t, { type: 'heard-master', member: 2, advertIntervalUs: 1_000_000 }], [t + 20, request(2, 34)]]);
  assert.deepEqual(kinds(self.actions), ['grant 2'], 'the master itself may renew');
});

test('voter: a claim below, or equal to another member\'s, granted epoch is stale; a renewal keeps its epoch', () => {
  const t = HOLD;
  const { actions } = run(initialVoter(0), [[t, request(2, 50)], [t + 10, { type: 'released', member: 2, epoch: 50 }], [t + 20, request(3, 35)], [t + 30, request(1, 50)], [t + 40, request(3, 67)]]);
  assert.deepEqual(kinds(actions), ['grant 2', 'refuse 3 stale-epoch', 'refuse 1 stale-epoch', 'grant 3']);
  const renew = run(initialVoter(0), [[t, request(2, 50)], [t + 10, { type: 'released', member: 2, epoch: 50 }], [t + 20, request(3, 19, 'renew')]]);
  assert.deepEqual(kinds(renew.actions), ['grant 2', 'grant 3']);
});

test('voter: a lease asked above L is granted as L', () => {
  const { actions } = run(initialVoter(0), [[HOLD, { type: 'request', from: 1, nonce: 1n, epoch: 17, kind: 'claim', leaseUs: 60_000_000 }]]);
  assert.equal(actions[0]!.type === 'grant' && actions[0]!.leaseUs, QUORUM_LEASE_US);
});
