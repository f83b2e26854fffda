/**
 * ScriptRunner.cutShort (issue 19 item 7, docs/scripts.md "Shutdown"): at stop a hung script
 * must not keep the group's final (backup/stop) script from running, and no script may outlive
 * the stop budget, whatever its timeout_seconds. Real bash scripts; the budgets are short and the
 * time bounds generous (they only tell "cut at the budget" from "ran to its 70 s timeout").
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { carpdScriptArgs, type ScriptJob, type ScriptPhase } from '../../src/ports/script-job.ts';
import { ScriptRunner } from '../../src/linux/script-runner.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'carpd-stop-scripts-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
function script(body: string): string {
  const path = join(dir, `script-${counter++}.sh`);
  writeFileSync(path, `#!/bin/bash\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A hung script that ignores SIGTERM (only the SIGKILL after the grace ends it); writes its pid to $PIDFILE. */
const HUNG = 'echo $$ > "$PIDFILE"; trap "" TERM; sleep 600 & wait; sleep 600';
/** Longer than any budget here: a run that reaches it shows the script was not cut. */
const SCRIPT_TIMEOUT_MS = 70_000;

function job(group: string, path: string, phase: ScriptPhase, env: Record<string, string>): ScriptJob {
  return { group, path, phase, env, args: carpdScriptArgs('eth0', 7, phase === 'stop' ? 'init' : phase), timeoutMs: SCRIPT_TIMEOUT_MS };
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(path); i++) await sleep(25);
  assert.ok(existsSync(path), `${path} was written`);
}

/** whenIdle(), or a failure after `boundMs`. */
async function idleWithin(scripts: ScriptRunner, boundMs: number): Promise<number> {
  const started = performance.now();
  const bound = sleep(boundMs, 'bound');
  const result = await Promise.race([scripts.whenIdle().then(() => 'idle'), bound]);
  assert.equal(result, 'idle', `the scripts ended within ${boundMs} ms`);
  return performance.now() - started;
}

describe('ScriptRunner.cutShort (stop budget)', () => {
  it('a hung master script at stop is cut at half the budget and the queued backup script runs, within the budget', async () => {
    const logger = new MemoryLogger();
    const scripts = new ScriptRunner({ logger, killGraceMs: 300 });
    const PIDFILE = join(dir, `pid-${counter++}`);
    const LOG = join(dir, `log-${counter++}`);
    scripts.run(job('g', script(HUNG), 'master', { PIDFILE, LOG }));
    await waitForFile(PIDFILE);
    const masterPid = Number(readFileSync(PIDFILE, 'utf8'));
    scripts.run(job('g', script('echo "backup $1 $2 $3" >> "$LOG"'), 'backup', { PIDFILE, LOG }));
    const cutAt = performance.now();
    scripts.cutShort(3_000);
    // SIGTERM (ignored) at 1.2 s, SIGKILL at 1.5 s: half the budget; the backup script then runs.
    await idleWithin(scripts, 15_000);
    const masterRan = performance.now() - cutAt;
    assert.ok(masterRan >= 1_000, `the master script kept its share of the budget (${Math.round(masterRan)} ms)`);
    assert.equal(readFileSync(LOG, 'utf8').trim().split('\n').length, 1, 'the backup script ran once');
    assert.match(readFileSync(LOG, 'utf8'), /^backup /);
    assert.equal(alive(masterPid), false, 'the master script is not left running');
    const stats = scripts.stats('g');
    assert.equal(stats.runs, 2);
    assert.equal(stats.timeouts, 1, 'the cut master run counts as a timeout');
    assert.equal(stats.failures, 1, 'only the master run failed');
  });

  it('a running master script that ends within its half of the budget is not cut, and the backup script follows', async () => {
    const scripts = new ScriptRunner({ logger: new MemoryLogger(), killGraceMs: 200 });
    const LOG = join(dir, `log-${counter++}`);
    scripts.run(job('g', script('echo "start $3" >> "$LOG"; sleep 0.3; echo "end $3" >> "$LOG"'), 'master', { LOG }));
    scripts.run(job('g', script('echo "backup $3" >> "$LOG"'), 'backup', { LOG }));
    scripts.cutShort(4_000);
    await idleWithin(scripts, 15_000);
    assert.deepEqual(readFileSync(LOG, 'utf8').trim().split('\n'), ['start MASTER', 'end MASTER', 'backup BACKUP']);
    assert.equal(scripts.stats('g').timeouts, 0);
    assert.equal(scripts.stats('g').failures, 0);
  });

  it('a hung final script with nothing behind it is cut at the budget, not at its 70 s timeout', async () => {
    const scripts = new ScriptRunner({ logger: new MemoryLogger(), killGraceMs: 200 });
    const PIDFILE = join(dir, `pid-${counter++}`);
    scripts.run(job('g', script(HUNG), 'backup', { PIDFILE }));
    await waitForFile(PIDFILE);
    const pid = Number(readFileSync(PIDFILE, 'utf8'));
    scripts.cutShort(1_000);
    await idleWithin(scripts, 20_000);
    assert.equal(alive(pid), false);
    assert.equal(scripts.stats('g').timeouts, 1);
  });

  it('a script started after cutShort gets the time left (less the kill grace) as its timeout', async () => {
    const scripts = new ScriptRunner({ logger: new MemoryLogger(), killGraceMs: 200 });
    scripts.cutShort(1_000);
    const PIDFILE = join(dir, `pid-${counter++}`);
    scripts.run(job('g', script(HUNG), 'stop', { PIDFILE }));
    await idleWithin(scripts, 20_000);
    assert.equal(scripts.stats('g').timeouts, 1);
    assert.equal(scripts.stats('g').runs, 1);
  });

  it('scripts of other groups and a quick final script are not disturbed', async () => {
    const scripts = new ScriptRunner({ logger: new MemoryLogger(), killGraceMs: 200 });
    const LOG = join(dir, `log-${counter++}`);
    scripts.run(job('a', script('sleep 0.2; echo "a $2" >> "$LOG"'), 'backup', { LOG }));
    scripts.run(job('b', script('sleep 0.2; echo "b $2" >> "$LOG"'), 'stop', { LOG }));
    scripts.cutShort(10_000);
    await idleWithin(scripts, 15_000);
    assert.deepEqual(readFileSync(LOG, 'utf8').trim().split('\n').sort(), ['a 7', 'b 7']);
    assert.equal(scripts.stats('a').failures + scripts.stats('b').failures, 0);
  });
});
