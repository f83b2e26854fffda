/**
 * The Prometheus endpoint: GET (or HEAD) /metrics on `ADDR:PORT` (IPv6 in brackets), rendered
 * from a StatusReport at most once a second (render-cache.ts). Any other path is 404, any other
 * method on /metrics 405. No TLS or authentication: bind it to loopback or a management address
 * (docs/metrics.md); a non-loopback address is warned about at start. Connections are capped,
 * timed out and serve a bounded number of requests each, so that idle, slow or looping clients
 * can neither exhaust descriptors nor make the daemon render status without pause (issue 18).
 */
import { httpModule } from '../lazy-builtins.ts';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StatusReport } from '../control/control-types.ts';
import type { Logger } from '../ports/logger.ts';
import { METRICS_CONTENT_TYPE, renderMetrics } from './prometheus.ts';
import { METRICS_CACHE_TTL_MS, RenderCache } from './render-cache.ts';

/**
 * Concurrent connections accepted; Node closes any beyond at once. Scrapers need one or two, and
 * anyone who can reach the port must not be able to use up the daemon's descriptors (the
 * control socket has the same cap).
 */
export const METRICS_MAX_CONNECTIONS = 64;
/** Time a client has to send a whole request, headers included; then 408 and close. */
export const METRICS_REQUEST_TIMEOUT_MS = 5_000;
/** An idle keep-alive connection between two scrapes is closed after this. */
export const METRICS_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A connection with no traffic at all for this long is destroyed, whatever state it is in. */
export const METRICS_IDLE_TIMEOUT_MS = 10_000;
/**
 * Requests served on one kept-alive connection; the last gets `Connection: close` and the
 * connection is closed after it. A scraper reconnects at no cost; a client looping on one
 * connection has to reconnect, and connections are capped.
 */
export const METRICS_MAX_REQUESTS_PER_CONNECTION = 100;
/** The longest gap between Node's checks of the request timeout (it checks on an interval). */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** Limits; the defaults are the constants above, tests shrink them. */
export interface MetricsServerOptions {
  /** Concurrent connections (default METRICS_MAX_CONNECTIONS). */
  readonly maxConnections?: number;
  /** Time for headers and body of a request (default METRICS_REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs?: number;
  /** Idle time between requests on a kept-alive connection (default METRICS_KEEP_ALIVE_TIMEOUT_MS). */
  readonly keepAliveTimeoutMs?: number;
  /** Socket inactivity before it is destroyed (default METRICS_IDLE_TIMEOUT_MS). */
  readonly idleTimeoutMs?: number;
  /** Requests per connection (default METRICS_MAX_REQUESTS_PER_CONNECTION). */
  readonly maxRequestsPerConnection?: number;
  /** How long a rendered body is reused (default METRICS_CACHE_TTL_MS; 0 renders every request). */
  readonly cacheTtlMs?: number;
  /** Monotonic ms for the cache (default performance.now). */
  readonly nowMs?: () => number;
}

/** A running metrics server. */
export interface MetricsServer {
  /** Resolves with the bound address once listening (port 0 picks one); rejects on a listen error. */
  readonly listening: Promise<AddressInfo>;
  /** Stops accepting and closes idle connections. */
  close(): Promise<void>;
}

/** Splits `ADDR:PORT` / `[IPV6]:PORT`; undefined when malformed. */
export function parseListenAddress(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text);
  if (match === null) return undefined;
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  if (host === undefined || host === '' || port > 65_535) return undefined;
  return { host, port };
}

/** Starts the server; throws RangeError for a malformed `listen`. */
export function startMetricsServer(listen: string, getStatus: () => StatusReport, logger: Logger, options: MetricsServerOptions = {}): MetricsServer {
  const address = parseListenAddress(listen);
  if (address === undefined) throw new RangeError(`metrics listen address ${JSON.stringify(listen)} is not ADDR:PORT or [IPV6]:PORT`);
  if (!isLoopbackHost(address.host)) {
    logger.warn(`metrics endpoint on ${listen}, not a loopback address: it has no TLS or authentication, so anyone who can reach it can read every group's state and counters; prefer 127.0.0.1 or a management network behind a firewall`, { listen });
  }
  const cache = new RenderCache(() => renderMetrics(getStatus()), options.nowMs ?? (() => performance.now()), options.cacheTtlMs ?? METRICS_CACHE_TTL_MS);
  const server = createLimitedServer(options, (request, response) => handle(request, response, cache, logger));
  // One warning per burst: a flood of refused connections must not flood the log as well.
  let warnedDrop = false;
  server.on('connection', () => {
    warnedDrop = false;
  });
  server.on('drop', (drop) => {
    if (warnedDrop) return;
    warnedDrop = true;
    logger.warn('metrics connection limit reached, closing new connections', { maxConnections: server.maxConnections, remote: drop?.remoteAddress });
  });
  const listening = new Promise<AddressInfo>((resolve, reject) => {
    const onListenError = (error: Error): void => {
      logger.error('metrics server failed to listen', { listen, error: error.message });
      reject(error);
    };
    server.once('error', onListenError);
    server.listen(address.port, address.host, () => {
      server.off('error', onListenError);
      // Later errors (accept() failing with EMFILE when libuv cannot shed it) are logged: an
      // 'error' with no listener would end the daemon.
      server.on('error', (error) => logger.error('metrics server error', { error: error.message }));
      const bound = server.address() as AddressInfo;
      logger.info('metrics server listening', { address: bound.address, port: bound.port });
      resolve(bound);
    });
  });
  // Marked handled here: a caller that never awaits `listening` must not crash the daemon.
  listening.catch(() => {});
  return {
    listening,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** An HTTP server with the connection cap and the timeouts applied. */
function createLimitedServer(options: MetricsServerOptions, handler: (request: IncomingMessage, response: ServerResponse) => void): Server {
  const requestTimeoutMs = options.requestTimeoutMs ?? METRICS_REQUEST_TIMEOUT_MS;
  const maxRequests = options.maxRequestsPerConnection ?? METRICS_MAX_REQUESTS_PER_CONNECTION;
  const served = new WeakMap<object, number>();
  const server = httpModule().createServer(
    {
      // Headers and the whole request share one limit (Node requires headers <= request).
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      // Node enforces those two only when it checks, every 30 s by default.
      connectionsCheckingInterval: Math.max(10, Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, Math.floor(requestTimeoutMs / 4))),
    },
    (request, response) => {
      // The connection's last request: `Connection: close` makes Node close it after this
      // response and discard anything pipelined behind it. (Node's own maxRequestsPerSocket
      // answers the extra ones 503 but keeps the socket open while they keep coming.)
      const count = (served.get(request.socket) ?? 0) + 1;
      served.set(request.socket, count);
      if (count >= maxRequests) response.setHeader('Connection', 'close');
      handler(request, response);
    },
  );
  server.maxConnections = options.maxConnections ?? METRICS_MAX_CONNECTIONS;
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? METRICS_KEEP_ALIVE_TIMEOUT_MS;
  // With no 'timeout' listener, Node destroys a socket once it has been inactive this long.
  server.setTimeout(options.idleTimeoutMs ?? METRICS_IDLE_TIMEOUT_MS);
  return server;
}

/**
 * Whether a listen host is loopback: 127.0.0.0/8, ::1, an IPv4-mapped 127.x, or "localhost".
 * Anything else, the wildcards 0.0.0.0 and :: included, is reachable from elsewhere.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function handle(request: IncomingMessage, response: ServerResponse, cache: RenderCache, logger: Logger): void {
  const path = (request.url ?? '/').split('?', 1)[0];
  if (path !== '/metrics') return reply(response, 404, 'not found; metrics are at /metrics\n');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return reply(response, 405, 'method not allowed\n');
  }
  let body: string;
  try {
    body = cache.get();
  } catch (error) {
    logger.error('metrics: status failed', { error: error instanceof Error ? error.message : String(error) });
    return reply(response, 500, 'internal error\n');
  }
  response.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function reply(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}
