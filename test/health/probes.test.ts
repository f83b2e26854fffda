/**
 * The real probes against real local things: processes, and servers on 127.0.0.1 started here.
 * Loopback only. Timeouts are generous where a probe should succeed and short (but bounded)
 * where a timeout is the point.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandProbe, httpProbe, runProbe, tcpProbe } from '../../src/health/probes.ts';
import { SCRIPT_PATH } from '../../src/config/script-security.ts';

const GENEROUS_MS = 10_000;

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('commandProbe', () => {
  it('exit 0 is healthy', async () => {
    assert.deepEqual(await commandProbe(['true'], GENEROUS_MS), { ok: true, result: 'exit 0' });
  });

  it('a non-zero exit is failed, with the code', async () => {
    assert.deepEqual(await commandProbe(['false'], GENEROUS_MS), { ok: false, result: 'exit 1' });
    assert.deepEqual(await commandProbe(['sh', '-c', 'exit 7'], GENEROUS_MS), { ok: false, result: 'exit 7' });
  });

  it('arguments are passed without a shell', async () => {
    // Through a shell, `;` would end the test command and run `false`; spaces would split the word.
    assert.deepEqual(await commandProbe(['test', 'a;false', '=', 'a;false'], GENEROUS_MS), { ok: true, result: 'exit 0' });
    assert.deepEqual(await commandProbe(['test', 'a b', '=', 'a b'], GENEROUS_MS), { ok: true, result: 'exit 0' });
  });

  it('runs in / with only the fixed PATH in its environment, not the daemon\'s', async () => {
    process.env.CARPD_TEST_LEAK = 'secret';
    try {
      const check = `test "$PWD" = / && test -z "$CARPD_TEST_LEAK" && test "$PATH" = '${SCRIPT_PATH}'`;
      assert.deepEqual(await commandProbe(['/bin/sh', '-c', check], 2000), { ok: true, result: 'exit 0' });
    } finally {
      delete process.env.CARPD_TEST_LEAK;
    }
  });

  it('runs as script_user when given (uid and gid)', { skip: process.getuid?.() !== 0 ? 'switching users needs root' : false }, async () => {
    const asNobody = ['/bin/sh', '-c', 'test "$(id -u):$(id -g)" = 65534:65534'];
    assert.deepEqual(await commandProbe(asNobody, 2000, { uid: 65534, gid: 65534 }), { ok: true, result: 'exit 0' });
    assert.deepEqual(await commandProbe(asNobody, 2000), { ok: false, result: 'exit 1' }, 'without a user it runs as the daemon');
  });

  it('a missing command is ENOENT', async () => {
    assert.deepEqual(await commandProbe(['/nonexistent/carpd-check'], GENEROUS_MS), { ok: false, result: 'ENOENT' });
  });

  it('an empty command fails without spawning', async () => {
    assert.deepEqual(await commandProbe([], GENEROUS_MS), { ok: false, result: 'empty command' });
  });

  it('times out, and returns long before the command would end', async () => {
    const started = performance.now();
    assert.deepEqual(await commandProbe(['sleep', '5'], 300), { ok: false, result: 'timeout after 300 ms' });
    assert.ok(performance.now() - started < 4000);
  });

  it('the timeout kills the whole process group (children included)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carpd-probe-'));
    try {
      const pidFile = join(dir, 'child.pid');
      const outcome = await commandProbe(['sh', '-c', `sleep 30 & echo $! > '${pidFile}'; wait`], 1000);
      assert.deepEqual(outcome, { ok: false, result: 'timeout after 1000 ms' });
      const childPid = Number((await readFile(pidFile, 'utf8')).trim());
      assert.ok(childPid > 0);
      // SIGKILL is delivered asynchronously; allow a bounded moment for the kernel.
      for (let i = 0; i < 50 && isAlive(childPid); i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(isAlive(childPid), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('tcpProbe', () => {
  const server = net.createServer((socket) => socket.destroy());
  let port = 0;
  before(async () => {
    port = await listen(server);
  });
  after(() => close(server));

  it('a listening port is connected', async () => {
    assert.deepEqual(await tcpProbe('127.0.0.1', port, GENEROUS_MS), { ok: true, result: 'connected' });
  });

  it('a closed port is ECONNREFUSED', async () => {
    assert.deepEqual(await tcpProbe('127.0.0.1', await closedPort(), GENEROUS_MS), { ok: false, result: 'ECONNREFUSED' });
  });

  it('a bad port never throws', async () => {
    const outcome = await tcpProbe('127.0.0.1', 70000, GENEROUS_MS);
    assert.equal(outcome.ok, false);
  });
});

describe('httpProbe', () => {
  const hung: http.ServerResponse[] = [];
  const server = http.createServer((request, response) => {
    if (request.url === '/ok') response.writeHead(200).end('fine');
    else if (request.url === '/down') response.writeHead(503).end('maintenance');
    else if (request.url === '/hang') hung.push(response);
    else response.writeHead(404).end();
  });
  let base = '';
  before(async () => {
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  after(async () => {
    for (const response of hung) response.destroy();
    server.closeAllConnections();
    await close(server);
  });

  it('an expected status is healthy', async () => {
    assert.deepEqual(await httpProbe(`${base}/ok`, [200], GENEROUS_MS), { ok: true, result: 'HTTP 200' });
  });

  it('an unexpected status is failed, with the status', async () => {
    assert.deepEqual(await httpProbe(`${base}/down`, [200], GENEROUS_MS), { ok: false, result: 'HTTP 503' });
  });

  it('any of several expected statuses is healthy', async () => {
    assert.deepEqual(await httpProbe(`${base}/down`, [200, 503], GENEROUS_MS), { ok: true, result: 'HTTP 503' });
  });

  it('a server that never answers times out', async () => {
    assert.deepEqual(await httpProbe(`${base}/hang`, [200], 300), { ok: false, result: 'timeout after 300 ms' });
  });

  it('a closed port is ECONNREFUSED', async () => {
    assert.deepEqual(await httpProbe(`http://127.0.0.1:${await closedPort()}/`, [200], GENEROUS_MS), { ok: false, result: 'ECONNREFUSED' });
  });

  it('a malformed URL or unsupported scheme fails without a request', async () => {
    assert.deepEqual(await httpProbe('not a url', [200], GENEROUS_MS), { ok: false, result: 'invalid URL' });
    assert.deepEqual(await httpProbe('ftp://127.0.0.1/', [200], GENEROUS_MS), { ok: false, result: 'unsupported protocol ftp:' });
  });
});

describe('runProbe', () => {
  it('dispatches on the check kind', async () => {
    const common = { name: 'c', intervalSeconds: 2, timeoutSeconds: 1, rise: 2, fall: 3, weight: 50 };
    assert.deepEqual(await runProbe({ ...common, kind: 'command', command: ['true'] }, GENEROUS_MS), { ok: true, result: 'exit 0' });
    assert.deepEqual(await runProbe({ ...common, kind: 'tcp', host: '127.0.0.1', port: await closedPort() }, GENEROUS_MS), { ok: false, result: 'ECONNREFUSED' });
    assert.deepEqual(await runProbe({ ...common, kind: 'http', url: 'ftp://x/', expectStatus: [200] }, GENEROUS_MS), { ok: false, result: 'unsupported protocol ftp:' });
  });
});
