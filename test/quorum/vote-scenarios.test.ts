/**
 * Issue 22's partition cases on the vote simulator at carpd's default timers (advbase 1; member 0
 * advskew 0, member 1 advskew 100: master-down 4.17 s, interval 1.39 s), LAN delays up to 10 ms,
 * 20 seeds each (clock rates within ±500 ppm): who holds, the takeover time against the stated
 * bound (docs/partitions.md "Arithmetic at carpd's defaults"), and the release-to-claim gap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holdersAt, judgeHoldings, runVoteSim, type Holding } from './vote-sim.ts';
import { WITNESS_INDEX } from '../../src/quorum/quorum-key.ts';
import { QUORUM_LEASE_US, promiseDurationUs, renewIntervalUs } from '../../src/quorum/quorum-timing.ts';

const CUT_AT = 15_000_000;
const END = 40_000_000;
/** B (advskew 100): master-down 3 × (1 + 100/256) s, plus one advert interval of 1 s (the 5.17 s). */
const TAKEOVER_BOUND_US = 3 * (1_000_000 + Math.floor((100 * 1_000_000) / 256)) + 1_000_000;
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const W = WITNESS_INDEX;

function isolate(member: number, others: readonly number[]): [number, number][] {
  return others.flatMap((other): [number, number][] => [[member, other], [other, member]]);
}
function ms(us: number): string {
  return (us / 1000).toFixed(0);
}
function firstAfter(holdings: readonly Holding[], member: number, t: number): Holding | undefined {
  return holdings.filter((h) => h.member === member && h.to > t).sort((a, b) => a.from - b.from)[0];
}

test('2 nodes + witness, A|B with both reaching the witness: A keeps serving, no transition, none at the heal', (t) => {
  for (const seed of SEEDS) {
    const result = runVoteSim({ seed, members: 2, witness: true, durationUs: END, healAtUs: END, maxDelayUs: 10_000, faultPlan: 'scripted', timeline: [{ atUs: CUT_AT, cuts: isolate(0, [1]) }, { atUs: 30_000_000, cuts: [] }] });
    assert.deepEqual(judgeHoldings(result.holdings).overlaps, []);
    assert.deepEqual(holdersAt(result.holdings, CUT_AT), [0], `seed ${seed}`);
    assert.deepEqual(result.holdings.filter((h) => h.to > CUT_AT).map((h) => [h.member, h.to]), [[0, END]], `seed ${seed}: A holds on, alone`);
  }
  t.diagnostic(`${SEEDS.length} seeds: A held throughout, 0 transitions`);
});

for (const [name, timeline] of [
  ['master isolated from everything (frames dropped, links up)', [{ atUs: CUT_AT, cuts: isolate(0, [1, W]) }]],
  ['master crash', [{ atUs: CUT_AT, crash: 0 }]],
] as const) {
  test(`2 nodes + witness, ${name}: A's VIP gone before B's appears; B serves within master-down + one interval (${ms(TAKEOVER_BOUND_US)} ms)`, (t) => {
    let worst = 0;
    let smallestGap = Number.POSITIVE_INFINITY;
    for (const seed of SEEDS) {
      const result = runVoteSim({ seed, members: 2, witness: true, durationUs: END, healAtUs: END, maxDelayUs: 10_000, faultPlan: 'scripted', timeline });
      const judged = judgeHoldings(result.holdings);
      assert.deepEqual(judged.overlaps, []);
      assert.deepEqual(holdersAt(result.holdings, CUT_AT - 1), [0], `seed ${seed}`);
      const b = firstAfter(result.holdings, 1, CUT_AT);
      assert.ok(b !== undefined, `seed ${seed}: B serves`);
      const takeover = b.from - CUT_AT;
      worst = Math.max(worst, takeover);
      smallestGap = Math.min(smallestGap, judged.smallestGapUs);
      assert.ok(takeover <= TAKEOVER_BOUND_US, `seed ${seed}: B after ${ms(takeover)} ms`);
    }
    t.diagnostic(`${SEEDS.length} seeds: worst takeover ${ms(worst)} ms (bound ${ms(TAKEOVER_BOUND_US)} ms); smallest gap between A's removal and B's claim ${ms(smallestGap)} ms`);
    assert.ok(smallestGap >= 200_000, 'at least 200 ms between release and claim');
  });
}

/** The 3-member holder before any cut (whoever won the start), from a fault-free run of the same seed. */
function holderAtCut(seed: number): number {
  const before = runVoteSim({ seed, members: 3, witness: false, durationUs: CUT_AT, healAtUs: END, maxDelayUs: 10_000, faultPlan: 'scripted', timeline: [] });
  const holders = holdersAt(before.holdings, CUT_AT - 1);
  assert.equal(holders.length, 1);
  return holders[0]!;
}

test('3 nodes, no witness: {A} | {B, C}: A releases, B or C serves, no overlap', (t) => {
  let worst = 0;
  for (const seed of SEEDS) {
    const a = holderAtCut(seed);
    const others = [0, 1, 2].filter((m) => m !== a);
    const result = runVoteSim({ seed, members: 3, witness: false, durationUs: END, healAtUs: END, maxDelayUs: 10_000, faultPlan: 'scripted', timeline: [{ atUs: CUT_AT, cuts: isolate(a, others) }] });
    assert.deepEqual(judgeHoldings(result.holdings).overlaps, []);
    assert.deepEqual(holdersAt(result.holdings, CUT_AT - 1), [a], `seed ${seed}`);
    const after = holdersAt(result.holdings, END - 1);
    assert.equal(after.length, 1);
    assert.notEqual(after[0], a);
    worst = Math.max(worst, firstAfter(result.holdings, after[0]!, CUT_AT)!.from - CUT_AT);
  }
  t.diagnostic(`${SEEDS.length} seeds: worst takeover ${ms(worst)} ms`);
});

test('3 nodes, the non-transitive split (B hears A and C, A and C do not hear each other): at most one holder, A stays', (t) => {
  for (const seed of SEEDS) {
    const a = holderAtCut(seed);
    const c = (a + 1) % 3;
    const result = runVoteSim({ seed, members: 3, witness: false, durationUs: END, healAtUs: END, maxDelayUs: 10_000, faultPlan: 'scripted', timeline: [{ atUs: CUT_AT, cuts: [[a, c], [c, a]] }] });
    assert.deepEqual(judgeHoldings(result.holdings).overlaps, []);
    for (let at = CUT_AT; at < END; at += 100_000) assert.ok(holdersAt(result.holdings, at).length <= 1);
    assert.deepEqual(result.holdings.filter((h) => h.to > CUT_AT).map((h) => h.member), [a], `seed ${seed}: A keeps it (B still hears A, so C gets no vote)`);
  }
  t.diagnostic(`${SEEDS.length} seeds: A kept the VIP, C never held`);
});

test('fast mode (100 ms adverts): master isolated, or crashed: never two holders; the lease, not master-down, bounds the takeover', (t) => {
  const FAST = 100_000;
  const bound = promiseDurationUs(QUORUM_LEASE_US) + renewIntervalUs(FAST) + 4 * 10_000;
  let worst = 0;
  for (const timeline of [[{ atUs: CUT_AT, cuts: isolate(0, [1, W]) }], [{ atUs: CUT_AT, crash: 0 }]]) {
    for (const seed of SEEDS) {
      const result = runVoteSim({ seed, members: 2, witness: true, durationUs: 25_000_000, healAtUs: END, maxDelayUs: 10_000, advertBaseUs: FAST, faultPlan: 'scripted', timeline });
      assert.deepEqual(judgeHoldings(result.holdings).overlaps, []);
      const before = holdersAt(result.holdings, CUT_AT - 1);
      assert.equal(before.length, 1, `seed ${seed}`);
      if (before[0] !== 0) continue; // the cut hits member 0; when 1 won the start, nothing to take over
      const b = firstAfter(result.holdings, 1, CUT_AT);
      assert.ok(b !== undefined, `seed ${seed}: B serves`);
      worst = Math.max(worst, b.from - CUT_AT);
      assert.ok(b.from - CUT_AT <= bound, `seed ${seed}: ${ms(b.from - CUT_AT)} ms`);
    }
  }
  t.diagnostic(`${2 * SEEDS.length} runs: worst takeover ${ms(worst)} ms (K·L + R + 4D = ${ms(bound)} ms)`);
});
