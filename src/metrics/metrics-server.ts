/**
 * The Prometheus endpoint: GET (or HEAD) /metrics on `ADDR:PORT` (IPv6 in brackets), rendered
 * from a fresh StatusReport per scrape. Any other path is 404, any other method on /metrics 405.
 * No TLS or authentication: bind it to loopback or a management address (docs/metrics.md).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StatusReport } from '../control/control-types.ts';
import type { Logger } from '../ports/logger.ts';
import { METRICS_CONTENT_TYPE, renderMetrics } from './prometheus.ts';

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
export function startMetricsServer(listen: string, getStatus: () => StatusReport, logger: Logger): MetricsServer {
  const address = parseListenAddress(listen);
  if (address === undefined) throw new RangeError(`metrics listen address ${JSON.stringify(listen)} is not ADDR:PORT or [IPV6]:PORT`);
  const server = createServer((request, response) => handle(request, response, getStatus, logger));
  const listening = new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', (error) => {
      logger.error('metrics server failed to listen', { listen, error: error.message });
      reject(error);
    });
    server.listen(address.port, address.host, () => {
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

function handle(request: IncomingMessage, response: ServerResponse, getStatus: () => StatusReport, logger: Logger): void {
  const path = (request.url ?? '/').split('?', 1)[0];
  if (path !== '/metrics') return reply(response, 404, 'not found; metrics are at /metrics\n');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return reply(response, 405, 'method not allowed\n');
  }
  let body: string;
  try {
    body = renderMetrics(getStatus());
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
