/**
 * The control socket: a Unix stream socket where carpctl asks one question per connection (one
 * JSON line in, one JSON line out, then close), or subscribes to the event stream (one
 * ControlEvent per line until the client goes away). Modelled on ospfd's control.c: the socket
 * is root-only (0600), because whoever can connect can demote groups. See docs/control-api.md.
 */
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../ports/logger.ts';
import type { CommandResult, ControlEvent, ControlRequest, DaemonControl, StatusReport } from './control-types.ts';

/** Error codes the server answers with (stable; listed in docs/control-api.md). */
export const CONTROL_ERROR_CODES = [
  'bad-json', // the request line is not JSON
  'bad-request', // JSON, but not a valid request (missing or mistyped field)
  'unknown-command', // "command" names nothing the daemon knows
  'request-too-large', // more than 64 KiB without a newline
  'request-timeout', // no complete request within 5 s
  'internal-error', // the daemon threw while answering
] as const;

/** One server error code. */
export type ControlErrorCode = (typeof CONTROL_ERROR_CODES)[number];

/** What the server writes back for a one-shot request. */
export type ControlResponse = { readonly ok: true; readonly status: StatusReport } | CommandResult;

/** Limits; the defaults are the documented ones, tests shrink them. */
export interface ControlServerOptions {
  /** Longest request line in bytes (default 64 KiB). */
  readonly maxRequestBytes?: number;
  /** How long a client may take to send its request (default 5 s). */
  readonly requestTimeoutMs?: number;
  /** An event subscriber whose unsent backlog exceeds this is dropped (default 1 MiB). */
  readonly maxEventBacklogBytes?: number;
  /** Concurrent connections (default 64); at the cap the oldest idle one makes room (docs/control-api.md). */
  readonly maxConnections?: number;
}

/**
 * Where a connection is: reading its request, executing it, answered (closing once the answer is
 * flushed), or streaming events. Only `busy` ones are never evicted to make room.
 */
type ConnectionPhase = 'reading' | 'busy' | 'answered' | 'streaming';

/** Which connections make room first when the cap is reached: idle ones, then event streams. */
const EVICTION_ORDER: readonly (readonly ConnectionPhase[])[] = [['reading', 'answered'], ['streaming']];

/** Largest request line accepted. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Time allowed for the request line. */
export const REQUEST_TIMEOUT_MS = 5_000;
/** Unsent event bytes tolerated per subscriber. */
export const MAX_EVENT_BACKLOG_BYTES = 1024 * 1024;

/** The result of parsing a request line: the request, or an error to send back. */
export type ParsedRequest =
  | { readonly ok: true; readonly request: ControlRequest }
  | { readonly ok: false; readonly code: ControlErrorCode; readonly message: string };

/** Parses and validates one request line (pure). Unknown extra fields are ignored for forward compatibility. */
export function parseControlRequest(line: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, code: 'bad-json', message: 'the request is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('the request must be a JSON object');
  const fields = value as Record<string, unknown>;
  const command = fields['command'];
  if (typeof command !== 'string') return bad('"command" must be a string');
  switch (command) {
    case 'status':
    case 'reload':
    case 'events':
      return { ok: true, request: { command } };
    case 'demote':
    case 'promote': {
      const group = fields['group'];
      const amount = fields['amount'];
      if (typeof group !== 'string' || group === '') return bad(`"${command}" needs "group", a non-empty string`);
      if (amount === undefined) return { ok: true, request: { command, group } };
      if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1 || amount > 255) {
        return bad('"amount" must be an integer from 1 to 255');
      }
      return { ok: true, request: { command, group, amount } };
    }
    case 'maintenance': {
      const group = fields['group'];
      const on = fields['on'];
      if (typeof group !== 'string' || group === '') return bad('"maintenance" needs "group", a non-empty string');
      if (typeof on !== 'boolean') return bad('"maintenance" needs "on", true or false');
      return { ok: true, request: { command, group, on } };
    }
    default:
      return { ok: false, code: 'unknown-command', message: `unknown command ${JSON.stringify(command).slice(0, 80)}` };
  }
}

function bad(message: string): ParsedRequest {
  return { ok: false, code: 'bad-request', message };
}

/** An error with a Node-style code (EADDRINUSE, EEXIST ...). */
function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The control socket server. */
export class ControlServer {
  /** Every connection and its phase, oldest first (a Map keeps insertion order). */
  private readonly sockets = new Map<Socket, { phase: ConnectionPhase }>();
  private closed = false;
  /** Set when the cap was reached and logged; cleared when the connections fall to half of it. */
  private warnedFull = false;

  private constructor(
    private readonly server: Server,
    /** The socket file's path. */
    readonly path: string,
    /** The socket file's inode, so close() never removes a successor's socket. */
    private readonly inode: number,
    private readonly control: DaemonControl,
    private readonly logger: Logger,
    private readonly limits: Required<ControlServerOptions>,
  ) {
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (error) => logger.error('control socket error', { path, error: error.message }));
  }

  /**
   * Listens on `path`: creates the parent directory (0755) when missing, replaces a stale socket
   * file when nothing answers on it, refuses (code EADDRINUSE) when another carpd does, and
   * makes the socket 0600.
   */
  static async listen(path: string, control: DaemonControl, logger: Logger, options: ControlServerOptions = {}): Promise<ControlServer> {
    const limits: Required<ControlServerOptions> = {
      maxRequestBytes: options.maxRequestBytes ?? MAX_REQUEST_BYTES,
      requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      maxEventBacklogBytes: options.maxEventBacklogBytes ?? MAX_EVENT_BACKLOG_BYTES,
      maxConnections: options.maxConnections ?? 64,
    };
    const dir = dirname(path);
    if (mkdirSync(dir, { recursive: true, mode: 0o755 }) !== undefined) chmodSync(dir, 0o755);
    await removeStaleSocket(path, logger);

    // No server.maxConnections: the kernel-side cap would close a newcomer while idle clients
    // hold every slot; accept() enforces the cap by evicting instead (issue 19).
    const server = createServer({ allowHalfOpen: true });
    // bind() creates the file under the umask: 0177 closes the window before chmod below.
    // listen() on a path binds synchronously, so the umask is restored before anything else runs.
    const listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const umask = process.umask(0o177);
    try {
      server.listen(path);
    } finally {
      process.umask(umask);
    }
    await listening;
    chmodSync(path, 0o600);
    const inode = lstatSync(path).ino;
    logger.info('control socket listening', { path });
    return new ControlServer(server, path, inode, control, logger, limits);
  }

  /** Stops listening, drops every client, removes the socket file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets.keys()) socket.destroy();
    await done;
    try {
      if (lstatSync(this.path).ino === this.inode) unlinkSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /** How many clients are connected (for tests and status). */
  get connections(): number {
    return this.sockets.size;
  }

  /**
   * At the cap, makes room for one more: the oldest idle connection (still reading, or answered
   * and not yet closed) goes, else the oldest event stream. Executing ones are never cut; if
   * every slot executes, false (the newcomer is closed).
   */
  private makeRoom(): boolean {
    if (this.sockets.size < this.limits.maxConnections) return true;
    if (!this.warnedFull) {
      this.warnedFull = true;
      this.logger.warn('control socket connection limit reached: closing the oldest idle connections to make room', { maxConnections: this.limits.maxConnections });
    }
    for (const phases of EVICTION_ORDER) {
      for (const [socket, connection] of this.sockets) {
        if (!phases.includes(connection.phase)) continue;
        this.logger.debug('control connection evicted', { phase: connection.phase });
        this.sockets.delete(socket);
        socket.destroy();
        return true;
      }
    }
    return false;
  }

  private accept(socket: Socket): void {
    if (!this.makeRoom()) {
      this.logger.debug('control connection refused: every slot is executing a request');
      socket.destroy();
      return;
    }
    const connection: { phase: ConnectionPhase } = { phase: 'reading' };
    this.sockets.set(socket, connection);
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (this.sockets.size <= this.limits.maxConnections / 2) this.warnedFull = false;
    });
    socket.on('error', (error) => this.logger.debug('control client error', { error: error.message }));

    let chunks: Buffer[] = [];
    let length = 0;
    const answer = (response: ControlResponse): void => {
      if (connection.phase === 'answered' || connection.phase === 'streaming') return;
      connection.phase = 'answered';
      clearTimeout(timer);
      if (!response.ok) this.logger.debug('control request refused', { code: response.code });
      if (socket.destroyed) return;
      // Closed once the answer is flushed, whether or not the client closes its end; one that
      // does not even read loses the connection after requestTimeoutMs (issue 19).
      socket.end(`${JSON.stringify(response)}\n`, () => socket.destroy());
      timer = setTimeout(() => socket.destroy(), this.limits.requestTimeoutMs);
    };
    let timer = setTimeout(() => {
      if (connection.phase === 'reading') answer({ ok: false, code: 'request-timeout', message: `no request within ${this.limits.requestTimeoutMs} ms` });
    }, this.limits.requestTimeoutMs);
    socket.on('close', () => clearTimeout(timer));

    const handleLine = (line: string): void => {
      connection.phase = 'busy';
      clearTimeout(timer);
      chunks = [];
      const parsed = parseControlRequest(line);
      if (!parsed.ok) return answer(parsed);
      const request = parsed.request;
      this.logger.debug('control command', { ...request });
      if (request.command === 'events') {
        connection.phase = 'streaming';
        this.stream(socket);
        return;
      }
      this.execute(request).then(answer, (error: unknown) => {
        this.logger.error('control command failed', { command: request.command, error: error instanceof Error ? error.message : String(error) });
        answer({ ok: false, code: 'internal-error', message: 'the daemon failed to answer; see its log' });
      });
    };

    socket.on('data', (data: Buffer) => {
      if (connection.phase !== 'reading') return; // the request is in: anything more is ignored, not buffered
      const newline = data.indexOf(0x0a);
      const usable = newline === -1 ? data.length : newline;
      if (length + usable > this.limits.maxRequestBytes) {
        chunks = [];
        return answer({ ok: false, code: 'request-too-large', message: `the request exceeds ${this.limits.maxRequestBytes} bytes` });
      }
      chunks.push(newline === -1 ? data : data.subarray(0, newline));
      length += usable;
      if (newline !== -1) handleLine(Buffer.concat(chunks).toString('utf8'));
    });
    // A client may half-close instead of sending the newline.
    socket.on('end', () => {
      if (connection.phase !== 'reading') return;
      if (length === 0) answer({ ok: false, code: 'bad-request', message: 'no request before end of stream' });
      else handleLine(Buffer.concat(chunks).toString('utf8'));
    });
  }

  private async execute(request: Exclude<ControlRequest, { command: 'events' }>): Promise<ControlResponse> {
    switch (request.command) {
      case 'status':
        return { ok: true, status: this.control.status() };
      case 'demote':
        return this.control.demote(request.group, request.amount ?? 1);
      case 'promote':
        return this.control.promote(request.group, request.amount ?? 1);
      case 'maintenance':
        return this.control.maintenance(request.group, request.on);
      case 'reload':
        return await this.control.reload();
    }
  }

  /** Streams events to one subscriber until it disconnects or stops reading. */
  private stream(socket: Socket): void {
    let subscribed = true;
    const stop = (): void => {
      if (!subscribed) return;
      subscribed = false;
      unsubscribe();
    };
    const listener = (event: ControlEvent): void => {
      if (!subscribed || socket.destroyed) return;
      socket.write(`${JSON.stringify(event)}\n`);
      if (socket.writableLength > this.limits.maxEventBacklogBytes) {
        this.logger.warn('dropping an event subscriber that does not read', { backlogBytes: socket.writableLength });
        stop();
        socket.destroy();
      }
    };
    const unsubscribe = this.control.onEvent(listener);
    socket.on('close', stop);
    // The server is half-open (to answer clients that half-close after their request), so a
    // subscriber's end of stream would not close the socket by itself: it means "stop".
    socket.on('end', () => socket.destroy());
    if (socket.destroyed) stop();
  }
}

/**
 * Removes `path` if it is a socket nobody answers on (left by a carpd that died); refuses a live
 * one or a file that is not a socket.
 */
async function removeStaleSocket(path: string, logger: Logger): Promise<void> {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stats.isSocket()) throw codedError('EEXIST', `${path} exists and is not a socket; not removing it`);
  if (await answers(path)) throw codedError('EADDRINUSE', `another carpd is running on ${path}`);
  try {
    unlinkSync(path);
    logger.info('removed a stale control socket', { path });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Does anything accept connections on the socket? A probe that hangs counts as yes (the safe side). */
function answers(path: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection({ path });
    const finish = (live: boolean): void => {
      clearTimeout(timer);
      probe.destroy();
      resolve(live);
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    probe.once('connect', () => finish(true));
    probe.once('error', (error: NodeJS.ErrnoException) => finish(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT'));
  });
}
