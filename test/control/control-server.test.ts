import { after, before, beforeEach, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTROL_ERROR_CODES, ControlServer, parseControlRequest } from '../../src/control/control-server.ts';
import type { ControlServerOptions } from '../../src/control/control-server.ts';
import { ControlClientError, request, streamEvents } from '../../src/control/control-client.ts';
import type { ControlEvent } from '../../src/control/control-types.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { FakeDaemonControl, sampleStatus, transitionEvent } from '../helpers/fake-daemon-control.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'carpd-control-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** A fresh socket path in the temp dir (inside a subdirectory that does not exist yet). */
function socketPath(): string {
  counter += 1;
  return join(dir, `run${counter}`, 'carpd.sock');
}

/** Writes raw bytes, collects everything the server sends until it closes. */
function raw(path: string, payload: string | Buffer | undefined, options: { end?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      if (payload !== undefined) socket.write(payload);
      if (options.end === true) socket.end();
    });
    socket.on('data', (data: string) => (text += data));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    socket.on('close', () => resolve(text));
  });
}

/** The single JSON line a raw exchange produced. */
function oneLine(text: string): Record<string, unknown> {
  assert.ok(text.endsWith('\n'), `answer ends with a newline: ${JSON.stringify(text)}`);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 1);
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

describe('ControlServer', () => {
  let control: FakeDaemonControl;
  let logger: MemoryLogger;
  let server: ControlServer;
  let path: string;

  async function start(options: ControlServerOptions = {}): Promise<void> {
    await server.close();
    server = await ControlServer.listen(path, control, logger, options);
  }

  beforeEach(async () => {
    control = new FakeDaemonControl();
    logger = new MemoryLogger();
    path = socketPath();
    server = await ControlServer.listen(path, control, logger);
  });
  afterEach(() => server.close());

  describe('one-shot requests', () => {
    it('ok, status round trip', async () => {
      assert.deepEqual(await request(path, { command: 'status' }, 2000), { ok: true, status: sampleStatus() });
    });

    const commands = [
      { name: 'ok, demote with amount', req: { command: 'demote', group: 'web', amount: 10 }, call: { method: 'demote', args: ['web', 10] }, ok: true },
      { name: 'ok, demote defaults to 1', req: { command: 'demote', group: 'web' }, call: { method: 'demote', args: ['web', 1] }, ok: true },
      { name: 'ok, demote all', req: { command: 'demote', group: 'all', amount: 2 }, call: { method: 'demote', args: ['all', 2] }, ok: true },
      { name: 'ok, promote', req: { command: 'promote', group: 'web', amount: 3 }, call: { method: 'promote', args: ['web', 3] }, ok: true },
      { name: 'ok, maintenance on', req: { command: 'maintenance', group: 'web', on: true }, call: { method: 'maintenance', args: ['web', true] }, ok: true },
      { name: 'ok, maintenance off', req: { command: 'maintenance', group: 'web', on: false }, call: { method: 'maintenance', args: ['web', false] }, ok: true },
      { name: 'ok, reload', req: { command: 'reload' }, call: { method: 'reload', args: [] }, ok: true },
      { name: 'refused, unknown group passes the daemon code through', req: { command: 'demote', group: 'nope' }, call: { method: 'demote', args: ['nope', 1] }, ok: false },
    ] as const;
    for (const c of commands) {
      it(c.name, async () => {
        const answer = (await request(path, c.req, 2000)) as Record<string, unknown>;
        assert.equal(answer['ok'], c.ok);
        assert.equal(typeof answer['message'], 'string');
        if (!c.ok) assert.equal(answer['code'], 'CARPD_NO_GROUP');
        assert.deepEqual(control.calls, [c.call]);
      });
    }

    it('ok, a failed reload is answered as the daemon says', async () => {
      control.reloadResult = { ok: false, code: 'CARPD_RELOAD_INVALID', message: 'groups[0].vhid: 300 is outside 1..255 [CARPD_CONFIG_RANGE]' };
      assert.deepEqual(await request(path, { command: 'reload' }, 2000), control.reloadResult);
    });

    it('ok, a request without newline followed by half-close', async () => {
      const answer = oneLine(await raw(path, '{"command":"status"}', { end: true }));
      assert.equal(answer['ok'], true);
    });

    it('ok, each command is logged at debug level', async () => {
      await request(path, { command: 'demote', group: 'web', amount: 4 }, 2000);
      const record = logger.records.find((r) => r.message === 'control command');
      assert.equal(record?.level, 'debug');
      assert.deepEqual(record?.fields, { command: 'demote', group: 'web', amount: 4 });
    });

    it('bad, the daemon throws: internal-error, the server survives', async () => {
      control.failStatus = true;
      assert.equal(oneLine(await raw(path, '{"command":"status"}\n'))['code'], 'internal-error');
      control.failStatus = false;
      assert.equal((await request(path, { command: 'status' }, 2000) as Record<string, unknown>)['ok'], true);
    });
  });

  describe('bad requests get one error line and a close', () => {
    const cases = [
      { name: 'bad, malformed JSON', payload: '{"command": status}\n', code: 'bad-json' },
      { name: 'bad, not an object', payload: '["status"]\n', code: 'bad-request' },
      { name: 'bad, command not a string', payload: '{"command":7}\n', code: 'bad-request' },
      { name: 'bad, unknown command', payload: '{"command":"shutdown"}\n', code: 'unknown-command' },
      { name: 'bad, demote without group', payload: '{"command":"demote"}\n', code: 'bad-request' },
      { name: 'bad, demote amount 0', payload: '{"command":"demote","group":"web","amount":0}\n', code: 'bad-request' },
      { name: 'bad, demote amount fractional', payload: '{"command":"demote","group":"web","amount":1.5}\n', code: 'bad-request' },
      { name: 'bad, maintenance on as a string', payload: '{"command":"maintenance","group":"web","on":"yes"}\n', code: 'bad-request' },
      { name: 'bad, empty stream', payload: '', code: 'bad-request' },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const answer = oneLine(await raw(path, c.payload, { end: true }));
        assert.equal(answer['ok'], false);
        assert.equal(answer['code'], c.code);
        assert.deepEqual(control.calls, []);
      });
    }

    it('bad, oversized request (> 64 KiB without newline)', async () => {
      const answer = oneLine(await raw(path, Buffer.alloc(70 * 1024, 0x61)));
      assert.equal(answer['code'], 'request-too-large');
    });

    it('ok, a request of exactly 64 KiB is still read', async () => {
      const line = JSON.stringify({ command: 'status', pad: '' });
      const padded = JSON.stringify({ command: 'status', pad: 'x'.repeat(64 * 1024 - line.length) });
      assert.equal(Buffer.byteLength(padded), 64 * 1024);
      assert.equal(oneLine(await raw(path, `${padded}\n`))['ok'], true);
    });

    it('bad, client that never sends is timed out', async () => {
      await start({ requestTimeoutMs: 100 });
      const begin = Date.now();
      const answer = oneLine(await raw(path, undefined));
      assert.equal(answer['code'], 'request-timeout');
      assert.ok(Date.now() - begin >= 90);
    });

    it('bad, a client that never sends nor closes loses its connection after the request timeout (issue 19)', async () => {
      await start({ requestTimeoutMs: 100 });
      const socket = await idleClient(path);
      assert.equal(server.connections, 1);
      // The client never reads, so it never closes its end either: the server must close it.
      await waitFor(() => server.connections === 0, 5_000, 'the idle connection was closed');
      socket.destroy();
    });

    it('ok, 100 idle clients against 64 slots: a request is still answered, the oldest idle ones are evicted (issue 19)', async () => {
      // A request timeout far beyond the test: only eviction can make room.
      await start({ requestTimeoutMs: 600_000 });
      const idle: Socket[] = [];
      for (let i = 0; i < 100; i++) idle.push(await idleClient(path));
      await waitFor(() => server.connections <= 64, 5_000, 'at most 64 connections');
      assert.equal(server.connections, 64);
      assert.deepEqual(await request(path, { command: 'status' }, 5_000), { ok: true, status: sampleStatus() });
      idle.forEach((socket) => socket.destroy());
    });

    it('ok, at the cap a connection executing a command is not evicted, the idle ones are (issue 19)', async () => {
      await start({ requestTimeoutMs: 600_000, maxConnections: 4 });
      let release: (() => void) | undefined;
      control.reload = () => new Promise((resolve) => (release = () => resolve({ ok: true, message: 'reloaded late' })));
      const reloading = request(path, { command: 'reload' }, 5_000);
      await waitFor(() => release !== undefined, 5_000, 'the reload is executing');
      const idle = [await idleClient(path), await idleClient(path), await idleClient(path)];
      assert.equal(server.connections, 4);
      assert.deepEqual(await request(path, { command: 'status' }, 5_000), { ok: true, status: sampleStatus() });
      release?.();
      assert.deepEqual(await reloading, { ok: true, message: 'reloaded late' }, 'the oldest connection, executing, was kept');
      idle.forEach((socket) => socket.destroy());
    });

    it('ok, every error code is documented in docs/control-api.md', () => {
      const doc = readFileSync(fileURLToPath(new URL('../../docs/control-api.md', import.meta.url)), 'utf8');
      for (const code of CONTROL_ERROR_CODES) assert.ok(doc.includes(`\`${code}\``), `${code} is documented`);
    });

    it('ok, parseControlRequest ignores unknown extra fields', () => {
      assert.deepEqual(parseControlRequest('{"command":"reload","future":1}'), { ok: true, request: { command: 'reload' } });
    });
  });

  describe('events', () => {
    it('ok, several events to two clients, unsubscribed on disconnect', async () => {
      const abortA = new AbortController();
      const abortB = new AbortController();
      const gotA: ControlEvent[] = [];
      const gotB: ControlEvent[] = [];
      const sent = [transitionEvent(1), { type: 'demotion', at: '2024-05-01T12:00:00.000Z', group: 'web', demotion: 50 } as const, transitionEvent(2)];
      const doneA = streamEvents(path, (e) => {
        gotA.push(e);
        if (gotA.length === sent.length) abortA.abort();
      }, abortA.signal);
      const doneB = streamEvents(path, (e) => {
        gotB.push(e);
        if (gotB.length === sent.length) abortB.abort();
      }, abortB.signal);
      await control.subscribers(2);
      for (const event of sent) control.emit(event);
      await Promise.all([doneA, doneB]);
      assert.deepEqual(gotA, sent);
      assert.deepEqual(gotB, sent);
      await control.subscribers(0);
    });

    it('ok, close() ends the stream', async () => {
      const done = streamEvents(path, () => {});
      await control.subscribers(1);
      await server.close();
      await done;
      assert.equal(control.listeners.size, 0);
    });

    it('bad, a subscriber that does not read is dropped', async () => {
      await start({ maxEventBacklogBytes: 64 * 1024 });
      const socket: Socket = createConnection({ path });
      socket.on('error', () => {});
      socket.write('{"command":"events"}\n');
      socket.pause(); // never read
      await control.subscribers(1);
      const closed = new Promise((resolve) => socket.on('close', resolve));
      const big = { type: 'check', at: '2024-05-01T12:00:00.000Z', group: 'web', check: 'x'.repeat(4096), healthy: true, result: 'ok' } as const;
      for (let i = 0; i < 2000 && control.listeners.size > 0; i++) control.emit(big);
      assert.equal(control.listeners.size, 0);
      assert.ok(logger.records.some((r) => r.level === 'warn' && r.message.includes('does not read')));
      socket.resume();
      await closed;
    });

    it('bad, streamEvents to nowhere rejects with ENOENT', async () => {
      await assert.rejects(streamEvents(join(dir, 'missing.sock'), () => {}), (error: unknown) => error instanceof ControlClientError && error.code === 'ENOENT');
    });
  });

  describe('the socket file', () => {
    it('ok, permissions 0600 and parent directory 0755', () => {
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.ok(statSync(path).isSocket());
      assert.equal(statSync(join(path, '..')).mode & 0o777, 0o755);
    });

    it('ok, close removes the file', async () => {
      await server.close();
      assert.equal(existsSync(path), false);
    });

    it('ok, a stale socket file is replaced', async () => {
      const stalePath = socketPath();
      // A socket file nobody listens on: bind, then close without unlinking, as after a crash.
      mkdirSync(join(stalePath, '..'), { recursive: true });
      await staleSocket(stalePath);
      assert.ok(statSync(stalePath).isSocket());
      const second = await ControlServer.listen(stalePath, control, logger);
      try {
        assert.ok(logger.records.some((r) => r.message === 'removed a stale control socket'));
        assert.equal((await request(stalePath, { command: 'status' }, 2000) as Record<string, unknown>)['ok'], true);
      } finally {
        await second.close();
      }
    });

    it('bad, a second server on a live socket is refused', async () => {
      await assert.rejects(ControlServer.listen(path, new FakeDaemonControl(), logger), (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, 'EADDRINUSE');
        assert.equal(error.message, `another carpd is running on ${path}`);
        return true;
      });
      assert.equal((await request(path, { command: 'status' }, 2000) as Record<string, unknown>)['ok'], true, 'the first server still answers');
    });

    it('bad, a regular file in the way is not removed', async () => {
      const filePath = join(dir, 'not-a-socket');
      writeFileSync(filePath, 'keep me');
      await assert.rejects(ControlServer.listen(filePath, control, logger), { code: 'EEXIST' });
      assert.equal(readFileSync(filePath, 'utf8'), 'keep me');
    });
  });
});

/** A client that connects, never sends, never reads (so never sees the server's end) and never closes. */
async function idleClient(path: string): Promise<Socket> {
  const socket = createConnection({ path, allowHalfOpen: true });
  socket.on('error', () => {});
  socket.pause();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Polls `condition` every 10 ms until it holds; fails after `timeoutMs` (a bound, not a speed expectation). */
async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Leaves a socket file nobody listens on, as a crashed carpd would (SIGKILL: no cleanup). */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
