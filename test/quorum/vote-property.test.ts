/**
 * The vote algorithm alone on virtual time (docs/partitions.md "Safety argument: never two holders",
 * "Proof on virtual time"):
 * random partitions (non-transitive and one-way included), loss, delay up to 100 ms, crashes and
 * restarts of members and witness, freezes longer than a lease with the kernel backstop, clock
 * rates off by ±500 ppm. Holdings (removal time included) never overlap; after the heal exactly
 * one member holds within the stated time and keeps holding; a holder that keeps a quorum is
 * never displaced. And the same runs find two holders once a margin (K, P or G) is taken away.
 * CARPD_PROPERTY_RUNS sets the number of random runs per property.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { holdersAt, judgeHoldings, runVoteSim, type SimOptions } from './vote-sim.ts';
import { QUORUM_LEASE_US, promiseDurationUs, renewIntervalUs, startHoldOffUs, type SafetyMargins } from '../../src/quorum/quorum-timing.ts';

const RUNS = Number(process.env.CARPD_PROPERTY_RUNS ?? 60);
const SHAPES = [
  { members: 2, witness: true },
  { members: 3, witness: false },
  { members: 5, witness: false },
] as const;
const MAX_DELAY_US = 100_000;
/** The slowest master-down in the simulator: advskew 100 at advbase 1 (3 × 1.39 s). */
const MAX_MASTER_DOWN_US = 3 * (1_000_000 + Math.floor((100 * 1_000_000) / 256));
/**
 * The stated time to one master once a quorum is up and connected, counted from the heal (every
 * member restarted at the latest then): a voter's start hold-off, then the slowest master-down,
 * a promise to a holder cut off before the heal, two renewal intervals and four one-way delays.
 */
const CONVERGENCE_US = startHoldOffUs() + MAX_MASTER_DOWN_US + promiseDurationUs(QUORUM_LEASE_US) + 2 * renewIntervalUs(1_000_000) + 4 * MAX_DELAY_US;

const scenario = fc.record({ seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }), shape: fc.constantFrom(...SHAPES) });

test('vote: never two holders under random partitions, loss, crashes, freezes and drift; one master within the stated time after the heal', (t) => {
  let worstGapUs = Number.POSITIVE_INFINITY;
  let worstConvergenceUs = 0;
  let runs = 0;
  fc.assert(
    fc.property(scenario, ({ seed, shape }) => {
      const healAtUs = 45_000_000;
      const durationUs = healAtUs + CONVERGENCE_US + 10_000_000;
      const result = runVoteSim({ seed, ...shape, durationUs, healAtUs, maxDelayUs: MAX_DELAY_US });
      const { overlaps, smallestGapUs } = judgeHoldings(result.holdings);
      assert.deepEqual(overlaps, [], `seed ${seed}: two holders`);
      worstGapUs = Math.min(worstGapUs, smallestGapUs);
      const final = result.holdings.filter((holding) => holding.to >= durationUs);
      assert.equal(final.length, 1, `seed ${seed}: one holder at the end`);
      const settled = Math.max(final[0]!.from, healAtUs) - healAtUs;
      worstConvergenceUs = Math.max(worstConvergenceUs, settled);
      assert.ok(settled <= CONVERGENCE_US, `seed ${seed}: one master ${settled} µs after the heal, stated ${CONVERGENCE_US}`);
      for (let at = healAtUs + CONVERGENCE_US; at < durationUs; at += 250_000) assert.equal(holdersAt(result.holdings, at).length, 1);
      runs += 1;
    }),
    { numRuns: RUNS },
  );
  t.diagnostic(`${runs} runs; worst release-to-claim gap ${(worstGapUs / 1000).toFixed(1)} ms; worst time to one master after the heal ${(worstConvergenceUs / 1000).toFixed(0)} ms (stated ${CONVERGENCE_US / 1000} ms)`);
});

test('vote: a holder that keeps its quorum is never displaced (partitions, crashes and freezes of the others, and their heal)', (t) => {
  let runs = 0;
  fc.assert(
    fc.property(scenario, ({ seed, shape }) => {
      const result = runVoteSim({ seed, ...shape, durationUs: 60_000_000, healAtUs: 45_000_000, faultsFromUs: 12_000_000, protectHolder: true });
      assert.deepEqual(judgeHoldings(result.holdings).overlaps, []);
      const holder = result.protectedHolder;
      assert.notEqual(holder, undefined, `seed ${seed}: a holder before the faults`);
      const after = result.holdings.filter((holding) => holding.to > 12_000_000);
      assert.deepEqual(after.map((holding) => holding.member), [holder], `seed ${seed}: only the holder, once`);
      assert.equal(after[0]!.to, 60_000_000);
      runs += 1;
    }),
    { numRuns: Math.max(10, Math.floor(RUNS / 2)) },
  );
  t.diagnostic(`${runs} runs`);
});

test('vote, fast mode (100 ms adverts): never two holders under the same faults; one master after the heal', (t) => {
  let runs = 0;
  fc.assert(
    fc.property(scenario, ({ seed, shape }) => {
      const healAtUs = 30_000_000;
      const durationUs = healAtUs + CONVERGENCE_US + 5_000_000;
      const result = runVoteSim({ seed, ...shape, durationUs, healAtUs, maxDelayUs: 20_000, advertBaseUs: 100_000 });
      assert.deepEqual(judgeHoldings(result.holdings).overlaps, [], `seed ${seed}: two holders`);
      assert.equal(result.holdings.filter((holding) => holding.to >= durationUs).length, 1, `seed ${seed}: one holder at the end`);
      runs += 1;
    }),
    { numRuns: Math.max(10, Math.floor(RUNS / 3)) },
  );
  t.diagnostic(`${runs} runs`);
});

/** Runs a fixed set of 90 seeds × shapes of one fault plan; how many had two holders, and the smallest gap. */
function sweep(options: Partial<SimOptions>): { failing: number; smallestGapUs: number } {
  let failing = 0;
  let smallestGapUs = Number.POSITIVE_INFINITY;
  for (let seed = 1; seed <= 30; seed += 1) {
    for (const shape of SHAPES) {
      const result = runVoteSim({ seed, ...shape, durationUs: 30_000_000, healAtUs: 25_000_000, faultsFromUs: 10_000_000 + seed * 37_000, ...options });
      const judged = judgeHoldings(result.holdings);
      if (judged.overlaps.length > 0) failing += 1;
      smallestGapUs = Math.min(smallestGapUs, judged.smallestGapUs);
    }
  }
  return { failing, smallestGapUs };
}

const margins = (driftPpm: number, releaseMarginUs: number, backstopGranularityUs: number): SafetyMargins => ({ driftPpm, releaseMarginUs, backstopGranularityUs });

test('vote: without G (the kernel lifetime run to the lease end) a frozen holder overlaps the next; with it, never', (t) => {
  const without = sweep({ faultPlan: 'freeze-holder', margins: margins(500, 250_000, 0) });
  const kept = sweep({ faultPlan: 'freeze-holder' });
  t.diagnostic(`90 runs: ${without.failing} with two holders without G, ${kept.failing} with; smallest gap with G ${(kept.smallestGapUs / 1000).toFixed(1)} ms`);
  assert.ok(without.failing > 0);
  assert.equal(kept.failing, 0);
});

test('vote: without P (removal starts at the lease end) a cut-off holder overlaps the next; with it, never (no kernel backstop)', (t) => {
  const without = sweep({ faultPlan: 'cut-holder', kernelBackstop: false, maxDelayUs: 5_000, margins: margins(500, 0, 1_250_000) });
  const kept = sweep({ faultPlan: 'cut-holder', kernelBackstop: false, maxDelayUs: 5_000 });
  t.diagnostic(`90 runs: ${without.failing} with two holders without P, ${kept.failing} with; smallest gap with P ${(kept.smallestGapUs / 1000).toFixed(1)} ms`);
  assert.ok(without.failing > 0);
  assert.equal(kept.failing, 0);
});

test('vote: without the drift factor K a voter on a fast clock frees its promise before a slow holder\'s lease ends; with it, never', (t) => {
  // Drift scaled to 5000 ppm (and removal made instant, P = 0, delays ≤ 0.2 ms) so the window K
  // closes, 2ρL, is wide enough to hit in 90 runs; K is computed from the same ρ the clocks have.
  const common: Partial<SimOptions> = { faultPlan: 'cut-holder', kernelBackstop: false, maxRemovalUs: 0, maxDelayUs: 200, actualDriftPpm: 5_000 };
  const without = sweep({ ...common, margins: margins(0, 0, 1_250_000) });
  const kept = sweep({ ...common, margins: margins(5_000, 0, 1_250_000) });
  t.diagnostic(`90 runs: ${without.failing} with two holders without K, ${kept.failing} with`);
  assert.ok(without.failing > 0);
  assert.equal(kept.failing, 0);
});
