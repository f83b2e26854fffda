/**
 * The short form of the failover benchmark (`bench/failover.ts --quick`), run as CI's smoke test:
 * carpd at advbase 1 and in fast mode against keepalived at its 10 ms floor, crash and graceful,
 * 2 runs each, in a namespace lab of its own. It checks the benchmark end to end (it runs, writes
 * its JSON/markdown where told, not over the committed results) and carpd's timing against the
 * protocol's own intervals: a crash is noticed after the backup's master-down counted from the
 * master's last advert (so between master-down − one advert interval and master-down), a
 * graceful stop after the backup's own advert interval. scripts/test.sh runs this file alone,
 * before the rest of the suite, so the fast-mode timings do not share the CPUs with other labs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Lab } from '../../src/lab/lab.ts';
import { runBench } from './run-bench.ts';

const MARGIN_MS = 100;

function missingPeers(): string | undefined {
  for (const tool of ['keepalived']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (apt-get install ${tool})`;
    }
  }
  return undefined;
}

const skip = (await Lab.available()) ?? missingPeers();

interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}
interface SummaryRow {
  id: string;
  event: 'crash' | 'graceful';
  runs: number;
  expectedMs: number;
  toMasterMs: Stat | null;
  vipOnBackupMs: Stat | null;
  firstReplyMs: Stat | null;
  outageMs: Stat | null;
}
interface ConfigRow {
  id: string;
  interval: number;
  masterSkew: number;
}

test('bench/failover.ts --quick: carpd fails over within its protocol intervals, keepalived measured beside it', { skip: skip ?? false, timeout: 600_000 }, async (t) => {
  const run = await runBench('bench/failover.ts', ['--quick', '--name', 'smoke'], 540_000);
  try {
    const { code, output } = run;
    for (const line of output.trim().split('\n')) if (line.startsWith('|') || line.startsWith('ANOMALY')) t.diagnostic(line);
    assert.equal(code, 0, `the benchmark exits 0 (1 = an anomaly concerning carpd):\n${output.slice(-6000)}`);

    const report = run.readJson<{ summary: SummaryRow[]; configs: ConfigRow[]; anomalies: { config: string; what: string }[]; runsPerCase: number }>('smoke.json');
    assert.ok(run.readText('smoke.md').includes('| system | setting | event |'), 'the markdown table is written');
    assert.equal(report.runsPerCase, 2);
    assert.deepEqual(report.configs.map((c) => c.id).sort(), ['carpd-1', 'carpd-fast', 'keepalived-fast']);
    for (const a of report.anomalies) t.diagnostic(`peer anomaly (reported, not failed on): ${a.config}: ${a.what}`);

    for (const row of report.summary) {
      const label = `${row.id} ${row.event}`;
      assert.equal(row.runs, 2, `${label}: both runs completed`);
      for (const key of ['toMasterMs', 'vipOnBackupMs', 'firstReplyMs', 'outageMs'] as const) assert.ok(row[key] !== null, `${label}: ${key} measured`);
      if (!row.id.startsWith('carpd')) continue;
      const config = report.configs.find((c) => c.id === row.id);
      assert.ok(config !== undefined);
      // The master's last advert before the crash went out up to one of its intervals earlier.
      const masterAdvertMs = (config.interval + config.masterSkew / 256) * 1000;
      const toMaster = row.toMasterMs as Stat;
      const vip = row.vipOnBackupMs as Stat;
      if (row.event === 'crash') {
        assert.ok(toMaster.min >= row.expectedMs - masterAdvertMs - MARGIN_MS, `${label}: MASTER after ${toMaster.min} ms, too early for master-down ${row.expectedMs} ms`);
      }
      assert.ok(toMaster.max <= row.expectedMs + MARGIN_MS, `${label}: MASTER after ${toMaster.max} ms, expected ≤ ${row.expectedMs} + ${MARGIN_MS} ms`);
      assert.ok(vip.max <= row.expectedMs + MARGIN_MS, `${label}: VIP after ${vip.max} ms, expected ≤ ${row.expectedMs} + ${MARGIN_MS} ms`);
      // The client's first answer from the new master: one 5 ms probe interval later at most.
      const reply = row.firstReplyMs as Stat;
      assert.ok(reply.max <= row.expectedMs + MARGIN_MS + 10, `${label}: client answered ${reply.max} ms after the trigger, expected ≤ ${row.expectedMs} + ${MARGIN_MS + 10} ms`);
    }
  } finally {
    run.cleanup();
  }
});
