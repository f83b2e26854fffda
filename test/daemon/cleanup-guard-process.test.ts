/**
 * The guard process itself (`node bin/carpd __guard SPEC`), unprivileged: it takes spec lines
 * and "done" on stdin, and a real CleanupGuard restarts a SIGKILLed one. Every spec here names
 * an interface that does not exist and no addresses, so a cleanup run (which only looks the
 * interface up) cannot change anything on the host. The namespace test, where the guard really
 * removes an address, is cleanup-guard.netns.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CleanupGuard, type GuardSpawn } from '../../src/daemon/cleanup-guard.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { runGuardProcess } from '../helpers/guard-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CARPD = fileURLToPath(new URL('../../bin/carpd', import.meta.url));
/** An interface no host has: the guard's look-up finds nothing, so it removes nothing. */
const NO_SUCH_INTERFACE = 'cgnone0';

interface GuardRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The guard's log lines (JSON, stderr is not a terminal). */
  readonly logs: { level: string; msg: string; [field: string]: unknown }[];
}

/** Runs the guard, writes these lines, then ends stdin if asked; resolves with its parsed logs when it exits. */
async function runGuard(spec: string, lines: readonly string[], endStdin: boolean): Promise<GuardRun> {
  const { code, signal, stderr } = await runGuardProcess(spec, lines, { endStdin });
  try {
    const logs = stderr.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as GuardRun['logs'][number]);
    return { code, signal, logs };
  } catch {
    throw new Error(`unexpected stderr: ${stderr}`);
  }
}

/** Waits for a promise, at most ms; the referenced timer also keeps the test alive while the unref'd guards run. */
async function within<T>(ms: number, what: string, promise: Promise<T> | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise as Promise<T>, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const cleanupLog = (run: GuardRun) => run.logs.find((l) => l.msg === 'carpd ended without a clean stop: removing its virtual addresses');
const twoGroups = JSON.stringify({ items: [NO_SUCH_INTERFACE, NO_SUCH_INTERFACE].map((interfaceName) => ({ interfaceName, addresses: [] })) });

test('guard process: an update, then "done" with the pipe still open: exits 0 without cleaning', { timeout: 30_000 }, async () => {
  const run = await runGuard('{"items":[]}', [twoGroups, 'done'], false);
  assert.equal(run.code, 0);
  assert.equal(cleanupLog(run), undefined);
  assert.deepEqual(run.logs, []);
});

test('guard process: the pipe closed without "done": cleans up (nothing, for no items) and exits 0', { timeout: 30_000 }, async () => {
  const run = await runGuard('{"items":[]}', [], true);
  assert.equal(run.code, 0);
  assert.equal(cleanupLog(run)?.groups, 0);
});

test('guard process: cleans up with the latest well-formed spec; a malformed line is ignored', { timeout: 30_000 }, async () => {
  const run = await runGuard('{"items":[]}', [twoGroups, '{"items":[{"interfaceName":'], true);
  assert.equal(run.code, 0);
  assert.ok(run.logs.some((l) => l.level === 'warn' && l.msg === 'ignoring a malformed guard spec line'));
  assert.equal(cleanupLog(run)?.groups, 2);
});

test('guard process: a malformed spec in argv is refused', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [CARPD, '__guard', '{"items":'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'] });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 1);
});

test('CleanupGuard with real processes: a SIGKILLed guard is restarted, and release() ends the new one', { timeout: 60_000 }, async () => {
  const children: ChildProcess[] = [];
  const exits = new Map<ChildProcess, Promise<number | null>>();
  const realSpawn: GuardSpawn = (command, args, options) => {
    const child = spawn(command, args, options);
    children.push(child);
    exits.set(child, new Promise((resolve) => child.on('exit', (code) => resolve(code))));
    return child;
  };
  const logger = new MemoryLogger();
  const guard = CleanupGuard.start({ items: [] }, logger, { spawn: realSpawn, restartDelaysMs: [50] });
  try {
    const first = children[0] as ChildProcess;
    assert.ok(first.pid !== undefined);
    first.kill('SIGKILL');
    await within(10_000, 'the killed guard\'s exit', exits.get(first));
    guard.update(JSON.parse(twoGroups)); // to no one: the next guard gets it in argv
    for (let waited = 0; children.length < 2; waited += 10) {
      if (waited > 5000) throw new Error('no restart within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const second = children[1] as ChildProcess;
    assert.equal(guard.restarts, 1);
    assert.equal(guard.alive, true);
    assert.deepEqual(JSON.parse(second.spawnargs.at(-1) as string), JSON.parse(twoGroups));
    assert.equal(logger.records.filter((r) => r.level === 'error').map((r) => r.fields.signal).join(), 'SIGKILL');
    guard.update({ items: [] });
    guard.release();
    assert.equal(await within(20_000, 'the released guard\'s exit', exits.get(second)), 0);
    assert.equal(guard.alive, false);
    assert.equal(children.length, 2);
  } finally {
    guard.release();
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
