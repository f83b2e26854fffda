/**
 * The guard process itself (build/Release/carpd-guard, native/carpd_guard.c), unprivileged: it
 * takes spec blocks and "done" on stdin, and a real CleanupGuard restarts a SIGKILLed one. Every
 * spec here names interfaces that do not exist, so a cleanup run (which looks each one up first)
 * cannot change anything on the host. The namespace test, where the guard really removes
 * addresses and a macvlan, is cleanup-guard.netns.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { CleanupGuard, encodeGuardSpec, guardExecutable, type GuardSpawn, type GuardSpec } from '../../src/daemon/cleanup-guard.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { runGuardProcess } from '../helpers/guard-process.ts';

/** Interfaces no host has: the guard's look-ups find nothing, so it removes nothing. */
const NO_SUCH_INTERFACE = 'cgnone0';
const twoItems: GuardSpec = {
  items: [
    { interfaceName: NO_SUCH_INTERFACE, addresses: ['198.51.100.250/24'] },
    { interfaceName: NO_SUCH_INTERFACE, virtualInterface: 'cgnone7', virtualInterfaceIndex: 999_999, addresses: [] },
  ],
};
/** The guard's log lines: JSON objects, one per line, as the daemon writes them (stderr is a pipe here). */
const logLines = (stderr: string): Record<string, unknown>[] =>
  stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
/** The item count of the guard's "removed what it had configured" line, or null without one. */
const cleanedUp = (stderr: string): [string, string] | null => {
  const line = logLines(stderr).find((l) => l['msg'] === 'carpd ended without a clean stop: removed what it had configured');
  return line === undefined ? null : ['', String(line['items'])];
};

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

test('carpd-guard is a small native program, not a Node runtime', () => {
  const size = statSync(guardExecutable()).size;
  assert.ok(size < 200_000, `${size} bytes`);
});

test('guard process: a spec, then "done" with the pipe still open: exits 0 without cleaning', { timeout: 30_000 }, async () => {
  const run = await runGuardProcess(`${encodeGuardSpec(twoItems)}done\n`, { endStdin: false });
  assert.equal(run.code, 0);
  assert.equal(cleanedUp(run.stderr), null);
});

test('guard process: the pipe closed without "done": cleans up (here: nothing exists) and exits 0', { timeout: 30_000 }, async () => {
  const run = await runGuardProcess(encodeGuardSpec(twoItems), { endStdin: true });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(cleanedUp(run.stderr)?.[1], '2');
});

test('guard process: only complete specs count; a block torn by the daemon\'s death and unknown lines are ignored', { timeout: 30_000 }, async () => {
  const torn = `${encodeGuardSpec(twoItems)}spec\naddr ${NO_SUCH_INTERFACE} 198.51.100.251 24\nbogus line\naddr ${NO_SUCH_INTERFACE} 198.51`;
  const run = await runGuardProcess(torn, { endStdin: true });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(cleanedUp(run.stderr)?.[1], '2', 'the last complete spec had 2 items');
  assert.ok(logLines(run.stderr).some((l) => l['msg'] === 'ignoring an unknown line' && l['level'] === 'warn'));
});

test("item 7b: the guard's log lines are JSON like the daemon's (time, level, msg, fields)", { timeout: 30_000 }, async () => {
  const run = await runGuardProcess(`${encodeGuardSpec(twoItems)}bogus line\n`, { endStdin: true });
  const lines = logLines(run.stderr);
  assert.equal(lines.length, 2, run.stderr);
  for (const line of lines) {
    assert.deepEqual(Object.keys(line).slice(0, 3), ['time', 'level', 'msg'], 'the daemon\'s field order (src/linux/console-logger.ts)');
    assert.ok(!Number.isNaN(Date.parse(String(line['time']))) && String(line['time']).endsWith('Z'), String(line['time']));
    assert.equal(line['component'], 'carpd-guard');
  }
  assert.deepEqual(lines.map((l) => l['level']), ['warn', 'warn']);
  assert.equal(lines[1]?.['items'], 2, 'a number, not a string');
});

test('guard process: SIGTERM, SIGINT and SIGHUP do not end it; only the pipe does', { timeout: 30_000 }, async () => {
  const child = spawn(guardExecutable(), [], { stdio: ['pipe', 'ignore', 'pipe'] });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdin.write(encodeGuardSpec({ items: [] }));
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) child.kill(signal);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(child.exitCode, null, 'still running');
  child.stdin.end('done\n');
  assert.equal(await within(5_000, 'exit', exit), 0);
});

test('CleanupGuard with real processes: a SIGKILLed guard is restarted with the latest spec, and release() ends the new one', { timeout: 60_000 }, async () => {
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
    guard.update(twoItems); // to no one: the next guard gets it when it starts
    for (let waited = 0; children.length < 2; waited += 10) {
      if (waited > 5000) throw new Error('no restart within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const second = children[1] as ChildProcess;
    assert.equal(guard.restarts, 1);
    assert.equal(guard.alive, true);
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
