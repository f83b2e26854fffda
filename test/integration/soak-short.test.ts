/** A 60 s run of the soak benchmark (bench/soak.ts) for CI: random faults, zero invariant violations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../../src/lab/lab.ts';
import { runSoak } from '../../bench/soak.ts';

const skip = await Lab.available();

test('lab: 60 s soak under random faults (seeded) keeps the invariants', { skip: skip ?? false, timeout: 150_000 }, async (t) => {
  const seed = Number(process.env['CARPD_SOAK_SEED'] ?? 20_261_124);
  const result = await runSoak({ durationMs: 60_000, seed, log: (line) => t.diagnostic(line) });
  t.diagnostic(`seed ${seed}: ${result.faults.length} faults (${JSON.stringify(result.faultCounts)}), availability ${(result.availability.fraction * 100).toFixed(2)} %, longest gap ${result.availability.longestGapMs} ms`);
  assert.ok(result.faults.length >= 2, `faults applied: ${result.faults.length}`);
  assert.ok(result.checkedSamples > 0, 'some samples were checked after the grace');
  assert.deepEqual(result.violations, [], `invariant violations:\n${JSON.stringify(result.violations, null, 2)}\n${JSON.stringify(result.logTails, null, 2)}`);
});
