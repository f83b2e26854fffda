/**
 * CleanupGuard's supervision, with a fake spawn: the guard gets every update as a JSON line, is
 * started again (with the latest spec) when it dies unless released, backs off, and a broken
 * pipe never throws. The guard process itself is tested in cleanup-guard-process.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { SpawnOptions } from 'node:child_process';
import { CleanupGuard, parseGuardSpec, type GuardChild, type GuardSpawn, type GuardSpec } from '../../src/daemon/cleanup-guard.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

/** A guard process that records what is written to it; `breakPipe` makes writes fail with EPIPE. */
class FakeGuardChild extends EventEmitter {
  /** Never a real pid: the supervisor would renice that process. */
  readonly pid = undefined;
  readonly writes: string[] = [];
  ended = false;
  unrefs = 0;
  private pipeBroken = false;
  readonly stdin = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      if (this.pipeBroken) return callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      this.writes.push(chunk.toString());
      callback();
    },
    final: (callback) => {
      this.ended = true;
      callback();
    },
  });

  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly options: SpawnOptions,
  ) {
    super();
  }

  unref(): void {
    this.unrefs += 1;
  }

  /** The spec in argv. */
  get argvSpec(): unknown {
    return JSON.parse(this.args[2] as string);
  }

  breakPipe(): void {
    this.pipeBroken = true;
  }

  /** The process ends (its pipe with it). */
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.breakPipe();
    this.emit('exit', code, signal);
  }
}

/** A fake spawn keeping every child, and a bounded wait for the next one. */
function fakeSpawner(): { spawn: GuardSpawn; children: FakeGuardChild[]; nextSpawn: (count: number) => Promise<FakeGuardChild> } {
  const children: FakeGuardChild[] = [];
  const spawn: GuardSpawn = (command, args, options) => {
    const child = new FakeGuardChild(command, args, options);
    children.push(child);
    return child as unknown as GuardChild;
  };
  const nextSpawn = async (count: number): Promise<FakeGuardChild> => {
    // Polled with a referenced timer: the supervisor's own restart timer is unref'd.
    for (let waited = 0; children.length < count; waited += 2) {
      if (waited > 2000) throw new Error(`no spawn number ${count} within 2 s (have ${children.length})`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return children[count - 1] as FakeGuardChild;
  };
  return { spawn, children, nextSpawn };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const specA: GuardSpec = { items: [{ interfaceName: 'eth0', addresses: ['198.51.100.10/24'] }] };
const specB: GuardSpec = { items: [{ interfaceName: 'eth0', addresses: ['198.51.100.11/24', '2001:db8::11/64'] }] };
const specC: GuardSpec = { items: [{ interfaceName: 'eth1', virtualInterface: 'carp7', virtualInterfaceIndex: 9, addresses: [] }] };
const deaths = (logger: MemoryLogger) => logger.records.filter((r) => r.level === 'error' && r.message === 'the cleanup guard died; restarting it');

test('start: spawns carpd __guard SPEC detached, with a pipe on stdin, unref\'d', () => {
  const { spawn, children } = fakeSpawner();
  const guard = CleanupGuard.start(specA, new MemoryLogger(), { spawn });
  const [child] = children;
  assert.ok(child);
  assert.equal(child.command, process.execPath);
  assert.match(child.args[0] as string, /bin\/carpd$/);
  assert.equal(child.args[1], '__guard');
  assert.deepEqual(child.argvSpec, specA);
  assert.equal(child.options.detached, true);
  assert.deepEqual(child.options.stdio, ['pipe', 'ignore', 'inherit']);
  assert.equal(child.unrefs, 1);
  assert.equal(guard.alive, true);
  assert.equal(guard.restarts, 0);
  guard.release();
});

test('update: each spec goes to the running guard as one JSON line', () => {
  const { spawn, children } = fakeSpawner();
  const guard = CleanupGuard.start(specA, new MemoryLogger(), { spawn });
  guard.update(specB);
  guard.update(specC);
  assert.deepEqual(children[0]?.writes, [`${JSON.stringify(specB)}\n`, `${JSON.stringify(specC)}\n`]);
  assert.equal(children.length, 1);
  guard.release();
});

test('a guard that exits unreleased is restarted after the delay, with the latest spec in argv', async () => {
  const { spawn, children, nextSpawn } = fakeSpawner();
  const logger = new MemoryLogger();
  const guard = CleanupGuard.start(specA, logger, { spawn, restartDelaysMs: [20] });
  guard.update(specB);
  children[0]?.exit(null, 'SIGKILL');
  assert.equal(guard.alive, false);
  assert.deepEqual(deaths(logger).map((r) => r.fields), [{ code: null, signal: 'SIGKILL', restartInMs: 20, restarts: 0 }]);
  // Between restarts: kept for the next guard, written to no one.
  guard.update(specC);
  assert.deepEqual(children[0]?.writes, [`${JSON.stringify(specB)}\n`]);
  const second = await nextSpawn(2);
  assert.deepEqual(second.argvSpec, specC);
  assert.equal(guard.alive, true);
  assert.equal(guard.restarts, 1);
  guard.update(specA);
  assert.deepEqual(second.writes, [`${JSON.stringify(specA)}\n`]);
  guard.release();
});

test('release: "done" and the end of the pipe, then no restart and no more updates', async () => {
  const { spawn, children } = fakeSpawner();
  const logger = new MemoryLogger();
  const guard = CleanupGuard.start(specA, logger, { spawn, restartDelaysMs: [5] });
  guard.release();
  guard.update(specB);
  await sleep(5); // the stream's final() runs after a tick
  const [child] = children;
  assert.deepEqual(child?.writes, ['done\n']);
  assert.equal(child?.ended, true);
  child?.exit(0);
  await sleep(30);
  assert.equal(children.length, 1);
  assert.equal(guard.restarts, 0);
  assert.deepEqual(deaths(logger), []);
  guard.release(); // twice is harmless
});

test('release between restarts cancels the pending restart', async () => {
  const { spawn, children } = fakeSpawner();
  const guard = CleanupGuard.start(specA, new MemoryLogger(), { spawn, restartDelaysMs: [10] });
  children[0]?.exit(1);
  guard.release();
  await sleep(40);
  assert.equal(children.length, 1);
  assert.equal(guard.alive, false);
});

test('backoff: the delays in turn, the last one repeating, and from the start after a stable run', async () => {
  const { spawn, children, nextSpawn } = fakeSpawner();
  const logger = new MemoryLogger();
  let now = 0;
  const guard = CleanupGuard.start(specA, logger, { spawn, restartDelaysMs: [1, 3, 6], stableAfterMs: 1000, now: () => now });
  for (let n = 1; n <= 4; n++) {
    children[n - 1]?.exit(1);
    await nextSpawn(n + 1);
  }
  now += 1000; // the 5th guard stays up for the stable time
  children[4]?.exit(1);
  await nextSpawn(6);
  assert.deepEqual(deaths(logger).map((r) => r.fields.restartInMs), [1, 3, 6, 6, 1]);
  assert.equal(guard.restarts, 5);
  guard.release();
});

test('writes to a broken pipe do not throw, and the death that follows restarts the guard', async () => {
  const { spawn, children, nextSpawn } = fakeSpawner();
  const logger = new MemoryLogger();
  const guard = CleanupGuard.start(specA, logger, { spawn, restartDelaysMs: [1] });
  const first = children[0] as FakeGuardChild;
  first.breakPipe();
  guard.update(specB); // EPIPE arrives on the stream as 'error'
  await sleep(5);
  assert.ok(logger.records.some((r) => r.message === 'the cleanup guard pipe failed' && r.fields.error === 'write EPIPE'));
  first.stdin.destroy();
  guard.update(specC); // a destroyed stream: not writable, skipped
  first.exit(null, 'SIGKILL');
  assert.deepEqual((await nextSpawn(2)).argvSpec, specC);
  guard.release();
});

test('a spawn failure (error, then maybe exit) restarts once; a throwing spawn is retried too', async () => {
  const { spawn, children, nextSpawn } = fakeSpawner();
  let throws = 1;
  const flaky: GuardSpawn = (command, args, options) => {
    if (throws-- > 0) throw new Error('spawn EAGAIN');
    return spawn(command, args, options);
  };
  const logger = new MemoryLogger();
  const guard = CleanupGuard.start(specA, logger, { spawn: flaky, restartDelaysMs: [1] });
  assert.equal(guard.alive, false);
  const first = await nextSpawn(1);
  assert.equal(guard.restarts, 1);
  first.emit('error', new Error('spawn ENOENT'));
  first.exit(-2);
  await nextSpawn(2);
  await sleep(10);
  assert.equal(children.length, 2);
  assert.deepEqual(deaths(logger).map((r) => r.fields.error), ['spawn EAGAIN', 'spawn ENOENT']);
  assert.equal(guard.restarts, 2);
  guard.release();
});

test('parseGuardSpec: table', () => {
  const cases: { name: string; text: string; ok: boolean }[] = [
    { name: 'ok, empty', text: '{"items":[]}', ok: true },
    { name: 'ok, addresses', text: JSON.stringify(specB), ok: true },
    { name: 'ok, virtual interface', text: JSON.stringify(specC), ok: true },
    { name: 'bad, not JSON', text: '{"items":[', ok: false },
    { name: 'bad, no items', text: '{}', ok: false },
    { name: 'bad, items not an array', text: '{"items":{}}', ok: false },
    { name: 'bad, item without interfaceName', text: '{"items":[{"addresses":[]}]}', ok: false },
    { name: 'bad, address without prefix', text: '{"items":[{"interfaceName":"eth0","addresses":["198.51.100.1"]}]}', ok: false },
    { name: 'bad, address not an IP', text: '{"items":[{"interfaceName":"eth0","addresses":["eth0/24"]}]}', ok: false },
    { name: 'bad, index not an integer', text: '{"items":[{"interfaceName":"eth0","virtualInterfaceIndex":"9","addresses":[]}]}', ok: false },
  ];
  for (const c of cases) assert.equal(parseGuardSpec(c.text) !== undefined, c.ok, c.name);
});
