/**
 * The metrics server's resource limits, against real loopback TCP connections: the connection
 * cap (a connection over it is closed, the server serves again once some close), the idle
 * timeout and the request timeout (a slow client trickling headers). Timeouts are shrunk
 * through the options; every wait is bounded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatusReport } from '../../src/control/control-types.ts';
import {
  METRICS_IDLE_TIMEOUT_MS,
  METRICS_KEEP_ALIVE_TIMEOUT_MS,
  METRICS_MAX_CONNECTIONS,
  METRICS_REQUEST_TIMEOUT_MS,
  startMetricsServer,
  type MetricsServerOptions,
} from '../../src/metrics/metrics-server.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

const STATUS: StatusReport = { version: '0.1.0', pid: 1, startedAt: '2024-01-01T00:00:00.000Z', groups: [], unattributedDrops: {} };

/** Every raw connection a test opened; destroyed before the server closes, pass or fail. */
const opened = new Set<Socket>();

/** A raw TCP connection, resolved once connected. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    opened.add(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with the ms until the server closes `socket` (it sends FIN or RST); rejects after `limitMs`. */
function closedWithin(socket: Socket, limitMs: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${limitMs} ms`)), limitMs);
    socket.on('error', () => {}); // ECONNRESET is one way of being closed
    socket.resume(); // read (and discard) a 408 or anything else, so 'end'/'close' can come
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

/** GET /metrics on a fresh connection; the status code, or the error code when refused/reset. */
function scrape(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/metrics', agent: false, timeout: 2000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

async function withServer(options: MetricsServerOptions, body: (port: number, logger: MemoryLogger) => Promise<void>): Promise<void> {
  const logger = new MemoryLogger();
  const server = startMetricsServer('127.0.0.1:0', () => STATUS, logger, options);
  const { port } = await server.listening;
  try {
    await body(port, logger);
  } finally {
    for (const socket of opened) socket.destroy();
    opened.clear();
    await server.close();
  }
}

describe('metrics server limits', () => {
  it('ok, the production defaults', () => {
    assert.equal(METRICS_MAX_CONNECTIONS, 64);
    assert.equal(METRICS_REQUEST_TIMEOUT_MS, 5_000);
    assert.equal(METRICS_KEEP_ALIVE_TIMEOUT_MS, 5_000);
    assert.equal(METRICS_IDLE_TIMEOUT_MS, 10_000);
  });

  it('bad, a connection over the cap is closed; once some idle ones go, scrapes work again', async () => {
    // Production limits: the idle connections must outlive the test.
    await withServer({}, async (port, logger) => {
      const idle: Socket[] = [];
      for (let i = 0; i < METRICS_MAX_CONNECTIONS; i++) idle.push(await open(port));
      const closedEarly: number[] = [];
      idle.forEach((socket, i) => socket.once('close', () => closedEarly.push(i)));
      // 'connect' is the kernel's handshake; give Node time to accept all of them.
      await sleep(100);
      const extra = await open(port);
      await closedWithin(extra, 2000);
      assert.notEqual(await scrape(port), 200, 'a scrape over the cap is refused too');
      assert.deepEqual(closedEarly, [], 'the connections within the cap stay open');
      assert.ok(logger.records.some((r) => r.level === 'warn' && r.message.startsWith('metrics connection limit reached')));

      for (const socket of idle.slice(0, 4)) socket.destroy();
      let status: number | string = 'never tried';
      for (let attempt = 0; attempt < 40 && status !== 200; attempt++) {
        status = await scrape(port);
        if (status !== 200) await sleep(50);
      }
      assert.equal(status, 200);
    });
  });

  it('bad, a connection that sends nothing is closed after the idle timeout', async () => {
    await withServer({ idleTimeoutMs: 200 }, async (port) => {
      const socket = await open(port);
      const elapsed = await closedWithin(socket, 3000);
      assert.ok(elapsed >= 150, `closed after ${elapsed} ms, before the idle timeout`);
      assert.equal(await scrape(port), 200, 'the server serves on');
    });
  });

  it('bad, a client trickling its headers is closed at the request timeout, not kept alive by the trickle', async () => {
    await withServer({ requestTimeoutMs: 300, idleTimeoutMs: 5000 }, async (port) => {
      const socket = await open(port);
      const reply: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => reply.push(chunk));
      socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
      const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 50);
      try {
        const elapsed = await closedWithin(socket, 3000);
        assert.ok(elapsed >= 250, `closed after ${elapsed} ms`);
      } finally {
        clearInterval(trickle);
      }
      assert.match(Buffer.concat(reply).toString('latin1'), /^HTTP\/1\.1 408 /);
    });
  });

  it('bad, a kept-alive connection idle between scrapes is closed after the keep-alive timeout', async () => {
    await withServer({ keepAliveTimeoutMs: 200 }, async (port) => {
      const socket = await open(port);
      const reply: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => reply.push(chunk));
      socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
      const elapsed = await closedWithin(socket, 3000);
      assert.ok(elapsed >= 150, `closed after ${elapsed} ms`);
      assert.match(Buffer.concat(reply).toString('latin1'), /^HTTP\/1\.1 200 /);
    });
  });
});
