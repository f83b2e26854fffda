/**
 * CleanupGuard's supervision, with a fake spawn: the guard gets its spec and every update as one
 * block of lines, is started again (with the latest spec) when it dies unless released, backs
 * off, and a broken pipe never throws. The guard process itself (native/carpd_guard.c) is tested
 * in cleanup-guard-process.test.ts and cleanup-guard.netns.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { SpawnOptions } from 'node:child_process';
import { CleanupGuard, encodeGuardSpec, type GuardChild, type GuardSpawn, type GuardSpec } from '../../src/daemon/cleanup-guard.ts';
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

  /** The spec the guard was given when it started (its first block on the pipe). */
  get startSpec(): string | undefined {
    return this.writes[0];
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

test('start: spawns carpd-guard detached, with a pipe on stdin, unref\'d, and gives it the spec', () => {
  const { spawn, children } = fakeSpawner();
  const guard = CleanupGuard.start(specA, new MemoryLogger(), { spawn });
  const [child] = children;
  assert.ok(child);
  assert.match(child.command, /build\/Release\/carpd-guard$/);
  assert.deepEqual(child.args, []);
  assert.deepEqual(child.startSpec, encodeGuardSpec(specA));
  assert.equal(child.options.detached, true);
  assert.deepEqual(child.options.stdio, ['pipe', 'ignore', 'inherit']);
  assert.equal(child.unrefs, 1);
  assert.equal(guard.alive, true);
  assert.equal(guard.restarts, 0);
  guard.release();
});

test('update: each spec goes to the running guard as one block', () => {
  const { spawn, children } = fakeSpawner();
  const guard = CleanupGuard.start(specA, new MemoryLogger(), { spawn });
  guard.update(specB);
  guard.update(specC);
  assert.deepEqual(children[0]?.writes, [encodeGuardSpec(specA), encodeGuardSpec(specB), encodeGuardSpec(specC)]);
  assert.equal(children.length, 1);
  guard.release();
});

test('a guard that exits unreleased is restarted after the delay, and given the latest spec', async () => {
  const { spawn, children, nextSpawn } = fakeSpawner();
  const logger = new MemoryLogger();
  const guard = CleanupGuard.start(specA, logger, { spawn, restartDelaysMs: [20] });
  guard.update(specB);
  children[0]?.exit(null, 'SIGKILL');
  assert.equal(guard.alive, false);
  assert.deepEqual(deaths(logger).map((r) => r.fields), [{ code: null, signal: 'SIGKILL', restartInMs: 20, restarts: 0 }]);
  // Between restarts: kept for the next guard, written to no one.
  guard.update(specC);
  assert.deepEqual(children[0]?.writes, [encodeGuardSpec(specA), encodeGuardSpec(specB)]);
  const second = await nextSpawn(2);
  assert.deepEqual(second.startSpec, encodeGuardSpec(specC));
  assert.equal(guard.alive, true);
  assert.equal(guard.restarts, 1);
  guard.update(specA);
  assert.deepEqual(second.writes, [encodeGuardSpec(specC), encodeGuardSpec(specA)]);
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
  assert.deepEqual(child?.writes, [encodeGuardSpec(specA), 'done\n']);
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
  assert.deepEqual((await nextSpawn(2)).startSpec, encodeGuardSpec(specC));
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

test('encodeGuardSpec: one block per spec; only items the guard can act on safely', () => {
  assert.equal(encodeGuardSpec({ items: [] }), 'spec\nend\n');
  assert.equal(encodeGuardSpec(specB), 'spec\naddr eth0 198.51.100.11 24\naddr eth0 2001:db8::11 64\nend\n');
  assert.equal(encodeGuardSpec(specC), 'spec\nlink 9 carp7\nend\n');
  const unsafe: GuardSpec = {
    items: [
      { interfaceName: 'eth0', addresses: ['198.51.100.1', 'eth0/24', '198.51.100.2/24/x'] },
      { interfaceName: 'bad name', addresses: ['198.51.100.3/24'] },
      { interfaceName: 'eth0', virtualInterface: 'carp7', addresses: [] },
    ],
  };
  assert.equal(encodeGuardSpec(unsafe), 'spec\nend\n');
});
