/**
 * Issue 18, item 1 "Bounded under attack", metrics endpoint: the body is rendered at most once
 * per cache TTL however many scrapes come, a kept-alive connection serves a bounded number of
 * requests and is then closed, and a listen address off loopback is warned about at start.
 * Real loopback TCP; the cache's clock is injected; every wait is bounded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, Agent } from 'node:http';
import { connect } from 'node:net';
import type { StatusReport } from '../../src/control/control-types.ts';
import { isLoopbackHost, METRICS_MAX_REQUESTS_PER_CONNECTION, startMetricsServer, type MetricsServerOptions } from '../../src/metrics/metrics-server.ts';
import { METRICS_CACHE_TTL_MS, RenderCache } from '../../src/metrics/render-cache.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

const STATUS: StatusReport = { version: '0.1.0', pid: 1, startedAt: '2024-01-01T00:00:00.000Z', groups: [], unattributedDrops: {} };

/** A server whose status function counts its calls (one per render). */
async function withCountingServer(options: MetricsServerOptions, body: (port: number, renders: () => number) => Promise<void>): Promise<MemoryLogger> {
  const logger = new MemoryLogger();
  let renders = 0;
  const server = startMetricsServer('127.0.0.1:0', () => (renders++, STATUS), logger, options);
  const { port } = await server.listening;
  try {
    await body(port, () => renders);
  } finally {
    await server.close();
  }
  return logger;
}

/** GET /metrics through `agent`; resolves with the status code. */
function scrape(port: number, agent: Agent | false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/metrics', agent, timeout: 2000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('issue 18 item 1: metrics endpoint bounded', () => {
  it('cache: scrapes within the TTL reuse the rendered body; one after it renders again', async () => {
    let now = 1_000;
    await withCountingServer({ nowMs: () => now }, async (port, renders) => {
      for (let i = 0; i < 20; i++) assert.equal(await scrape(port, false), 200);
      assert.equal(renders(), 1, '20 scrapes, one render');
      now += METRICS_CACHE_TTL_MS - 1;
      await scrape(port, false);
      assert.equal(renders(), 1);
      now += 1;
      await scrape(port, false);
      assert.equal(renders(), 2, 'rendered again once the TTL has passed');
    });
  });

  it('cache: a failed render is not cached', () => {
    let fail = true;
    let calls = 0;
    const cache = new RenderCache(() => {
      calls++;
      if (fail) throw new Error('boom');
      return 'body';
    }, () => 0);
    assert.throws(() => cache.get());
    fail = false;
    assert.equal(cache.get(), 'body');
    assert.equal(cache.get(), 'body');
    assert.equal(calls, 2);
  });

  it(`request cap: a kept-alive connection serves N requests (${METRICS_MAX_REQUESTS_PER_CONNECTION} by default; 5 here), the last with Connection: close, then is closed; nothing pipelined behind it is served`, async () => {
    await withCountingServer({ maxRequestsPerConnection: 5 }, async (port) => {
      const socket = connect({ host: '127.0.0.1', port });
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      const closed = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`still open; got:\n${received}`)), 3000);
        socket.once('close', () => (clearTimeout(timer), resolve()));
      });
      socket.on('error', () => {});
      // Ten requests in a row on one connection, as a looping client would send them.
      for (let i = 0; i < 10; i++) socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
      await closed;
      const statuses = [...received.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
      assert.deepEqual(statuses.filter((s) => s === 200).length, 5, `statuses ${statuses.join(',')}`);
      const heads = [...received.matchAll(/HTTP\/1\.1 200[^]*?\r\n\r\n/g)].map((m) => m[0]);
      assert.match(heads[4] ?? '', /\r\nConnection: close/i, 'the last allowed response says close');
      assert.ok(heads.slice(0, 4).every((h) => /\r\nConnection: keep-alive/i.test(h)), 'the ones before keep the connection');
    });
  });

  it('request cap: a client with a keep-alive agent keeps scraping across the closes (it reconnects)', async () => {
    await withCountingServer({ maxRequestsPerConnection: 3, cacheTtlMs: 0 }, async (port, renders) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; i < 10; i++) assert.equal(await scrape(port, agent), 200);
        assert.equal(renders(), 10);
      } finally {
        agent.destroy();
      }
    });
  });

  it('loopback check: only 127/8, ::1 and localhost are loopback; wildcards and other addresses are not', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '198.51.100.7', '2001:db8::1', '128.0.0.1', '::ffff:198.51.100.7', 'fe80::1']) assert.equal(isLoopbackHost(host), false, host);
  });

  it('a loopback listen address starts without a warning', async () => {
    const logger = await withCountingServer({}, async () => {});
    assert.equal(logger.records.filter((r) => r.level === 'warn').length, 0);
  });

  it('a non-loopback listen address is warned about at start, naming it', async () => {
    const logger = new MemoryLogger();
    // 203.0.113.1 (documentation range) is on no interface of the test host: the bind fails,
    // nothing listens and nothing is sent; the warning comes before the bind.
    const server = startMetricsServer('203.0.113.1:9273', () => STATUS, logger);
    await assert.rejects(server.listening);
    await server.close().catch(() => {});
    const warnings = logger.records.filter((r) => r.level === 'warn');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.fields['listen'], '203.0.113.1:9273');
  });
});
