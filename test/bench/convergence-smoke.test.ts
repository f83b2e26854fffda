/**
 * The short form of the convergence benchmark (`bench/convergence.ts --sizes 2,4 --runs 1`):
 * N carpd nodes started at once converge to the single best master, with the VIP on it alone,
 * and after that master's crash the next best takes over within its master-down interval
 * counted from the crashed master's last advert. Runs alone (scripts/test.sh), in its own lab.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../../src/lab/lab.ts';
import { runBench } from './run-bench.ts';

const skip = await Lab.available();
const ADVBASE_MS = 1000;
const MARGIN_MS = 150;
/** n1 advertises every (1 + 10/256) s; n2 (advskew 20) declares it dead after 3 × (1 + 20/256) s. */
const N1_INTERVAL_MS = ADVBASE_MS * (1 + 10 / 256);
const N2_MASTER_DOWN_MS = 3 * ADVBASE_MS * (1 + 20 / 256);

interface RunRow {
  n: number;
  run: number;
  ok: boolean;
  error?: string;
  startFromSpawnMs: number | null;
  startStable: boolean | null;
  crashMs: number | null;
  crashConfirmedMs: number | null;
  staleAfterKill: string[];
}

test('bench/convergence.ts --sizes 2,4: one master after start and after a crash, within the protocol intervals', { skip: skip ?? false, timeout: 300_000 }, async (t) => {
  const run = await runBench('bench/convergence.ts', ['--sizes', '2,4', '--runs', '1'], 240_000);
  try {
    for (const line of run.output.split('\n')) if (line.startsWith('|')) t.diagnostic(line);
    assert.equal(run.code, 0, `the benchmark exits 0 (1 = a run did not converge):\n${run.output.slice(-6000)}`);
    const report = run.readJson<{ results: RunRow[] }>('convergence.json');
    assert.deepEqual(report.results.map((r) => r.n), [2, 4]);
    for (const r of report.results) {
      const label = `N=${r.n}`;
      assert.ok(r.ok, `${label}: ${r.error ?? ''}`);
      assert.equal(r.startStable, true, `${label}: the converged state held`);
      assert.ok(r.startFromSpawnMs !== null && r.crashMs !== null && r.crashConfirmedMs !== null, `${label}: every phase measured`);
      assert.ok(r.crashMs >= N2_MASTER_DOWN_MS - N1_INTERVAL_MS - MARGIN_MS, `${label}: n2 took over ${r.crashMs} ms after the crash, before its master-down could expire`);
      assert.ok(r.crashMs <= N2_MASTER_DOWN_MS + MARGIN_MS, `${label}: n2 took over ${r.crashMs} ms after the crash, later than its master-down ${N2_MASTER_DOWN_MS.toFixed(0)} ms + ${MARGIN_MS}`);
    }
  } finally {
    run.cleanup();
  }
});
