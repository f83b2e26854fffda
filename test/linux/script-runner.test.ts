/**
 * ScriptRunner against real bash scripts in a temp dir: ordering, exactly-once, timeouts,
 * spawn failures (descriptor exhaustion included), environment and arguments, and groups in
 * parallel. Sleeps are sub-second.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { carpdScriptArgs, scriptEnvironment, ucarpScriptArgs } from '../../src/ports/script-job.ts';
import type { ScriptJob, ScriptPhase } from '../../src/ports/script-job.ts';
import { MAX_LINE_LENGTH, MAX_LOGGED_LINES, ScriptRunner } from '../../src/linux/script-runner.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { SCRIPT_PATH } from '../../src/config/script-security.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'carpd-scripts-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
/** Writes an executable bash script and returns its path. */
function script(body: string, mode = 0o755): string {
  const path = join(dir, `script-${counter++}.sh`);
  writeFileSync(path, `#!/bin/bash\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

/** A fresh, empty log file path. */
function logFile(): string {
  return join(dir, `log-${counter++}.txt`);
}

/** A script that logs "start <args>" and "end <args>" with nanosecond timestamps around a sleep. */
function loggingScript(seconds: number, exitCode = 0): string {
  return script(`
echo "start $* $(date +%s%N)" >> "$LOG"
sleep ${seconds}
echo "end $* $(date +%s%N)" >> "$LOG"
exit ${exitCode}`);
}

/** Reads the log as [event, args, time] rows. */
function readLog(path: string): Array<{ event: string; what: string; ns: bigint }> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const parts = line.split(' ');
      return { event: parts[0] as string, what: parts.slice(1, -1).join(' '), ns: BigInt(parts.at(-1) as string) };
    });
}

/** Asserts start/end pairs follow each other without overlap, and returns the order of runs. */
function assertSerial(rows: ReturnType<typeof readLog>): string[] {
  const order: string[] = [];
  for (let i = 0; i < rows.length; i += 2) {
    const start = rows[i];
    const end = rows[i + 1];
    assert.ok(start !== undefined && end !== undefined, 'every start has an end');
    assert.equal(start.event, 'start');
    assert.equal(end.event, 'end', `run ${start.what} overlaps the next`);
    assert.equal(end.what, start.what);
    assert.ok(end.ns >= start.ns);
    const next = rows[i + 2];
    if (next !== undefined) assert.ok(next.ns >= end.ns, 'the next run starts after this one ended');
    order.push(start.what);
  }
  return order;
}

function job(group: string, path: string, phase: ScriptPhase, env: Record<string, string>, args?: readonly string[]): ScriptJob {
  return { group, path, phase, env, args: args ?? carpdScriptArgs('eth0', 7, phase === 'stop' ? 'init' : phase) };
}

function runner(options: { timeoutMs?: number; killGraceMs?: number } = {}) {
  const logger = new MemoryLogger();
  return { logger, scripts: new ScriptRunner({ logger, timeoutMs: options.timeoutMs ?? 5000, killGraceMs: options.killGraceMs ?? 300, ...options }) };
}

/** True while a pid runs: a zombie (killed, not yet reaped by whoever inherited it) counts as dead. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('ScriptRunner', () => {
  it('ok, coalescing (issue 18): rapid master, backup, master runs the first, then only the latest; the superseded backup is counted and logged, never run', async () => {
    const { scripts, logger } = runner();
    const LOG = logFile();
    const path = loggingScript(0.05);
    scripts.run(job('g', path, 'master', { LOG }));
    scripts.run(job('g', path, 'backup', { LOG }));
    scripts.run(job('g', path, 'master', { LOG }));
    await scripts.whenIdle();
    assert.deepEqual(assertSerial(readLog(LOG)), ['eth0 7 MASTER', 'eth0 7 MASTER']);
    const stats = scripts.stats('g');
    assert.equal(stats.runs, 2);
    assert.equal(stats.superseded, 1);
    assert.equal(stats.failures, 0);
    assert.ok(stats.lastDurationMs !== undefined && stats.lastDurationMs >= 40);
    const superseded = logger.records.filter((r) => r.fields.phase === 'backup' && r.fields.by === 'master');
    assert.equal(superseded.length, 1);
  });

  it('ok, coalescing (issue 18): a flap storm of 1000 transitions behind a running script runs two scripts, the last being the last state', async () => {
    const { scripts } = runner();
    const LOG = logFile();
    const path = loggingScript(0.05);
    for (let i = 0; i < 1000; i++) scripts.run(job('g', path, i % 2 === 0 ? 'master' : 'backup', { LOG }));
    await scripts.whenIdle();
    assert.deepEqual(assertSerial(readLog(LOG)), ['eth0 7 MASTER', 'eth0 7 BACKUP']);
    assert.equal(scripts.stats('g').superseded, 998);
  });

  it('ok, run() returns before the script has finished (the protocol never waits)', () => {
    const { scripts } = runner();
    const LOG = logFile();
    // The script sleeps 1 s before it writes its end line; run() must return long before that.
    const returned = scripts.run(job('g', loggingScript(1), 'master', { LOG }));
    assert.equal(returned, undefined, 'run() returns nothing to wait for');
    assert.ok(!readLog(LOG).some((entry) => entry.event === 'end'), 'the script has not finished when run() returns');
    return scripts.whenIdle();
  });

  it('ok, two groups run in parallel', async () => {
    const { scripts } = runner();
    const LOG = logFile();
    const path = loggingScript(0.3);
    const started = performance.now();
    scripts.run(job('a', path, 'master', { LOG }, ['a']));
    scripts.run(job('b', path, 'master', { LOG }, ['b']));
    await scripts.whenIdle();
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 550, `took ${elapsed} ms: not in parallel`);
    const rows = readLog(LOG);
    assert.deepEqual(rows.map((r) => r.event).slice(0, 2), ['start', 'start']);
  });

  it('ok, environment: a fixed PATH and the CARP_* variables only, not the daemon\'s; arguments as given', async () => {
    const { scripts } = runner();
    const OUT = logFile();
    process.env.CARPD_TEST_LEAK = 'must not reach scripts';
    const daemonPath = process.env.PATH;
    process.env.PATH = `/opt/daemon-only/bin:${daemonPath ?? ''}`;
    try {
      const path = script(`{ printf '%s|' "$@"; echo; env | grep -E '^(CARP|PATH)' | sort; echo "leak=\${CARPD_TEST_LEAK:-none}"; } > "${OUT}"`);
      const env = scriptEnvironment({
        interface: 'eth0',
        vhid: 7,
        state: 'master',
        previousState: 'backup',
        addresses: [{ address: parseIpAddress('198.51.100.7'), prefixLength: 24 }, { address: parseIpAddress('2001:db8::7'), prefixLength: 64 }],
        virtualInterface: 'carp7',
        group: 'g',
        protocol: 'carp',
        reason: 'master-down-timeout',
      });
      scripts.run(job('g', path, 'master', env));
      await scripts.whenIdle();
      const lines = readFileSync(OUT, 'utf8').trim().split('\n');
      assert.equal(lines[0], 'eth0|7|MASTER|');
      assert.deepEqual(lines.slice(1, -2), [
        'CARP_ADDRESSES=198.51.100.7/24 2001:db8::7/64',
        'CARP_GROUP=g',
        'CARP_INTERFACE=eth0',
        'CARP_PREVIOUS_STATE=BACKUP',
        'CARP_PROTOCOL=carp',
        'CARP_REASON=master-down-timeout',
        'CARP_STATE=MASTER',
        'CARP_VHID=7',
        'CARP_VIRTUAL_INTERFACE=carp7',
      ]);
      assert.equal(lines.at(-2), `PATH=${SCRIPT_PATH}`);
      assert.equal(lines.at(-1), 'leak=none');
    } finally {
      delete process.env.CARPD_TEST_LEAK;
      process.env.PATH = daemonPath;
    }
  });

  it('ok, script_user: the script runs with the job\'s uid and gid, no supplementary groups', { skip: process.getuid?.() !== 0 ? 'switching users needs root' : false }, async () => {
    const { scripts, logger } = runner();
    // A directory nobody may enter, and a script root owns: what script security asks for.
    const shared = mkdtempSync(join(tmpdir(), 'carpd-scripts-user-'));
    try {
      chmodSync(shared, 0o755);
      const path = join(shared, 'whoami.sh');
      writeFileSync(path, '#!/bin/bash\necho "$(id -u):$(id -g):$(id -G)"\n');
      chmodSync(path, 0o755);
      scripts.run({ ...job('g', path, 'master', {}), user: { uid: 65534, gid: 65534 } });
      await scripts.whenIdle();
      const output = logger.records.filter((r) => r.message === 'script output').map((r) => r.fields['line']);
      assert.deepEqual(output, ['65534:65534:65534']);
      assert.equal(scripts.stats('g').failures, 0);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('ok, arguments with spaces and shell characters reach the script untouched (no shell)', async () => {
    const { scripts } = runner();
    const OUT = logFile();
    const path = script(`printf '[%s]' "$@" > "${OUT}"`);
    scripts.run(job('g', path, 'master', {}, ucarpScriptArgs('eth0', parseIpAddress('198.51.100.7'), 'a b; $(touch x) *')));
    await scripts.whenIdle();
    assert.equal(readFileSync(OUT, 'utf8'), '[eth0][198.51.100.7][a b; $(touch x) *]');
  });

  it('bad, a hung script is killed at the timeout, with what it started, and the next queued one still runs', async () => {
    const { scripts, logger } = runner({ timeoutMs: 300 });
    const LOG = logFile();
    const PIDS = logFile();
    const hung = script(`sleep 10 & echo $! > "${PIDS}"; wait`);
    scripts.run(job('g', hung, 'master', {}));
    scripts.run(job('g', loggingScript(0), 'backup', { LOG }));
    const started = performance.now();
    await scripts.whenIdle();
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 1500, `took ${elapsed} ms`);
    assert.deepEqual(assertSerial(readLog(LOG)), ['eth0 7 BACKUP']);
    assert.deepEqual(scripts.stats('g'), { ...scripts.stats('g'), runs: 2, failures: 1, timeouts: 1 });
    const sleeper = Number(readFileSync(PIDS, 'utf8'));
    await sleep(50);
    assert.ok(!alive(sleeper), 'the script\'s child was killed with its process group');
    const failed = logger.records.find((r) => r.message === 'script failed');
    assert.equal(failed?.fields.timedOut, true);
    assert.equal(failed?.fields.signal, 'SIGTERM');
  });

  it('bad, a script ignoring SIGTERM gets SIGKILL after the grace', async () => {
    const { scripts, logger } = runner({ timeoutMs: 200, killGraceMs: 200 });
    scripts.run(job('g', script(`trap '' TERM; sleep 10`), 'master', {}));
    const started = performance.now();
    await scripts.whenIdle();
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 390 && elapsed < 1500, `took ${elapsed} ms`);
    const failed = logger.records.find((r) => r.message === 'script failed');
    assert.equal(failed?.fields.signal, 'SIGKILL');
    assert.equal(scripts.stats('g').timeouts, 1);
  });

  it('bad, a non-zero exit is a counted failure with its status logged', async () => {
    const { scripts, logger } = runner();
    scripts.run(job('g', script('exit 3'), 'master', {}));
    await scripts.whenIdle();
    assert.deepEqual(scripts.stats('g'), { ...scripts.stats('g'), runs: 1, failures: 1, timeouts: 0 });
    assert.equal(logger.records.find((r) => r.message === 'script failed')?.fields.exitCode, 3);
  });

  const spawnFailures: ReadonlyArray<[string, () => string, string]> = [
    ['bad, a missing script is a counted failure (ENOENT), and the queue goes on', () => join(dir, 'does-not-exist.sh'), 'ENOENT'],
    ['bad, a non-executable script is a counted failure (EACCES), and the queue goes on', () => script('exit 0', 0o644), 'EACCES'],
  ];
  for (const [name, path, code] of spawnFailures) {
    it(name, async () => {
      const { scripts, logger } = runner();
      const LOG = logFile();
      assert.doesNotThrow(() => scripts.run(job('g', path(), 'master', {})));
      scripts.run(job('g', loggingScript(0), 'backup', { LOG }));
      await scripts.whenIdle();
      assert.deepEqual(assertSerial(readLog(LOG)), ['eth0 7 BACKUP']);
      assert.deepEqual(scripts.stats('g'), { ...scripts.stats('g'), runs: 2, failures: 1, timeouts: 0 });
      const record = logger.records.find((r) => r.message === 'script could not be started');
      assert.equal(record?.level, 'error');
      assert.equal(record?.fields.code, code);
    });
  }

  it('bad, a spawn that throws synchronously is a counted failure, not a throw', async () => {
    const logger = new MemoryLogger();
    const scripts = new ScriptRunner({
      logger,
      spawn: () => {
        throw new TypeError('bad argument');
      },
    });
    assert.doesNotThrow(() => scripts.run(job('g', '/bin/true', 'master', {})));
    await scripts.whenIdle();
    assert.equal(scripts.stats('g').failures, 1);
  });

  /** An errno error as libuv reports it. */
  function errno(code: string): NodeJS.ErrnoException {
    return Object.assign(new Error(`spawn ${code}`), { code, errno: -24, syscall: 'spawn' });
  }

  it('bad, spawn throws EMFILE: a counted failure with its code, and the next queued job runs', async () => {
    const logger = new MemoryLogger();
    const LOG = logFile();
    const later = loggingScript(0);
    let calls = 0;
    const scripts = new ScriptRunner({
      logger,
      timeoutMs: 5000,
      spawn: (path, args, options) => {
        calls++;
        if (calls === 1) throw errno('EMFILE');
        return spawn(path, args, options);
      },
    });
    assert.doesNotThrow(() => scripts.run(job('g', '/bin/true', 'master', {})));
    scripts.run(job('g', later, 'backup', { LOG }));
    await scripts.whenIdle();
    assert.deepEqual(assertSerial(readLog(LOG)), ['eth0 7 BACKUP']);
    assert.deepEqual(scripts.stats('g'), { ...scripts.stats('g'), runs: 2, failures: 1, timeouts: 0 });
    const record = logger.records.find((r) => r.message === 'script could not be started');
    assert.equal(record?.level, 'error');
    assert.equal(record?.fields.code, 'EMFILE');
  });

  // What Node's spawn() does on EMFILE/ENFILE: a child without pid or stdio, 'error' a tick later.
  const deadChildren: ReadonlyArray<[string, () => unknown]> = [
    ['stdio null', () => null],
    ['stdio undefined', () => undefined],
  ];
  for (const [name, stdio] of deadChildren) {
    it(`bad, spawn returns a child with no pid and ${name} that emits EMFILE: a counted failure, no crash`, async () => {
      const logger = new MemoryLogger();
      const LOG = logFile();
      let calls = 0;
      const scripts = new ScriptRunner({
        logger,
        timeoutMs: 5000,
        spawn: (path, args, options) => {
          calls++;
          if (calls > 1) return spawn(path, args, options);
          const child = Object.assign(new EventEmitter(), { pid: undefined, stdin: stdio(), stdout: stdio(), stderr: stdio(), stdio: [] });
          process.nextTick(() => child.emit('error', errno('EMFILE')));
          return child as unknown as ChildProcess;
        },
      });
      assert.doesNotThrow(() => scripts.run(job('g', '/bin/true', 'master', {})));
      scripts.run(job('g', loggingScript(0), 'backup', { LOG }));
      await scripts.whenIdle();
      assert.deepEqual(assertSerial(readLog(LOG)), ['eth0 7 BACKUP']);
      assert.deepEqual(scripts.stats('g'), { ...scripts.stats('g'), runs: 2, failures: 1, timeouts: 0 });
      assert.equal(logger.records.find((r) => r.message === 'script could not be started')?.fields.code, 'EMFILE');
    });
  }

  it('bad, a child with no pid that never reports an error still ends at the timeout', async () => {
    const logger = new MemoryLogger();
    const scripts = new ScriptRunner({ logger, timeoutMs: 100, spawn: () => Object.assign(new EventEmitter(), { pid: undefined, stdout: null, stderr: null }) as unknown as ChildProcess });
    scripts.run(job('g', '/bin/true', 'master', {}));
    await scripts.whenIdle();
    assert.deepEqual(scripts.stats('g'), { ...scripts.stats('g'), runs: 1, failures: 1 });
    assert.ok(logger.records.some((r) => r.message === 'script could not be started'));
  });

  it('bad, really out of descriptors (ulimit -n 128): a counted EMFILE failure, the process survives, the next run works', () => {
    const helper = fileURLToPath(new URL('../helpers/script-runner-emfile.ts', import.meta.url));
    // A separate process: exhausting this test runner's own descriptors would break it.
    const result = spawnSync('bash', ['-c', 'ulimit -n 128 && exec "$0" --import tsx "$1" /bin/true', process.execPath, helper], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)), // where --import tsx resolves
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 0, `helper failed: ${result.stderr}`);
    const report = JSON.parse(result.stdout.trim()) as {
      openError: string;
      whileExhausted: { runs: number; failures: number };
      after: { runs: number; failures: number };
      codes: string[];
      finished: number;
    };
    assert.equal(report.openError, 'EMFILE', 'the helper reached the descriptor limit');
    assert.deepEqual({ runs: report.whileExhausted.runs, failures: report.whileExhausted.failures }, { runs: 1, failures: 1 });
    assert.deepEqual({ runs: report.after.runs, failures: report.after.failures }, { runs: 2, failures: 1 });
    assert.deepEqual(report.codes, ['EMFILE']);
    assert.equal(report.finished, 1);
  });

  it('ok, output is logged line by line, bounded in lines and length', async () => {
    const { scripts, logger } = runner();
    const path = script(`for i in $(seq 1 30); do echo "out $i"; done; echo oops >&2; head -c 5000 /dev/zero | tr '\\0' x >&2`);
    scripts.run(job('g', path, 'master', {}));
    await scripts.whenIdle();
    const output = logger.records.filter((r) => r.message === 'script output');
    const stdout = output.filter((r) => r.fields.stream === 'stdout').map((r) => r.fields.line as string);
    assert.equal(stdout.length, MAX_LOGGED_LINES + 1);
    assert.equal(stdout[0], 'out 1');
    assert.equal(stdout.at(-1), `(${30 - MAX_LOGGED_LINES} more lines not logged)`);
    const stderr = output.filter((r) => r.fields.stream === 'stderr');
    assert.equal(stderr[0]?.fields.line, 'oops');
    assert.equal(stderr[0]?.level, 'warn');
    assert.equal((stderr[1]?.fields.line as string).length, MAX_LINE_LENGTH + 1); // cut, plus an ellipsis
  });

  it('ok, a background process keeping stdout open does not hold up the queue', async () => {
    const { scripts } = runner();
    const PIDS = logFile();
    scripts.run(job('g', script(`sleep 5 & echo $! > "${PIDS}"; exit 0`), 'master', {}));
    const started = performance.now();
    await scripts.whenIdle();
    const elapsed = performance.now() - started;
    try {
      assert.ok(elapsed < 1000, `took ${elapsed} ms`);
      assert.equal(scripts.stats('g').failures, 0);
    } finally {
      process.kill(Number(readFileSync(PIDS, 'utf8')), 'SIGKILL');
    }
  });

  it('ok, whenIdle resolves at once when nothing runs, and stats of an unknown group are zero', async () => {
    const { scripts } = runner();
    await scripts.whenIdle();
    assert.deepEqual(scripts.stats('nobody'), { runs: 0, failures: 0, timeouts: 0, lastDurationMs: undefined, superseded: 0 });
  });
});

describe('scriptEnvironment', () => {
  it('ok, no virtual interface, an address without a known prefix, previous INIT', () => {
    assert.deepEqual(
      scriptEnvironment({
        interface: 'eth1',
        vhid: 255,
        state: 'backup',
        previousState: 'init',
        addresses: [{ address: parseIpAddress('198.51.100.1') }],
        group: 'eth1/vhid255',
        protocol: 'carp',
        reason: 'started',
      }),
      { CARP_INTERFACE: 'eth1', CARP_VHID: '255', CARP_STATE: 'BACKUP', CARP_PREVIOUS_STATE: 'INIT', CARP_ADDRESSES: '198.51.100.1', CARP_GROUP: 'eth1/vhid255', CARP_PROTOCOL: 'carp', CARP_REASON: 'started' },
    );
  });
  it('ok, argument helpers', () => {
    assert.deepEqual(carpdScriptArgs('eth0', 7, 'backup'), ['eth0', '7', 'BACKUP']);
    assert.deepEqual(ucarpScriptArgs('eth0', parseIpAddress('198.51.100.7')), ['eth0', '198.51.100.7']);
  });
});
