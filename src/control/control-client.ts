/**
 * The client side of the control socket (docs/control-api.md): one request and its one-line
 * answer, or a subscription to the event stream. Used by carpctl; no daemon code needed.
 */
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import type { ControlEvent, ControlRequest } from './control-types.ts';

/** Longest answer line accepted (a status of many groups stays far below this). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * A client-side failure with a code: the connect error's (ENOENT, ECONNREFUSED, EACCES ...),
 * ETIMEDOUT, EPROTO for an answer that is not a JSON line, or the server's error code when it
 * refuses an event subscription.
 */
export class ControlClientError extends Error {
  constructor(
    /** Stable code. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlClientError';
  }
}

/** Did the failure happen before the daemon answered anything (no socket, refused, no permission)? */
export function isUnreachable(error: unknown): boolean {
  return error instanceof ControlClientError && ['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE'].includes(error.code);
}

function fromSocketError(error: NodeJS.ErrnoException, path: string): ControlClientError {
  return new ControlClientError(error.code ?? 'EIO', `${path}: ${error.message}`);
}

/** Sends one request and resolves with the parsed answer line (whatever JSON the daemon sent). */
export function request(path: string, req: ControlRequest, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    let chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const settle = (error: Error | undefined, value?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(() => settle(new ControlClientError('ETIMEDOUT', `no answer on ${path} within ${timeoutMs} ms`)), timeoutMs);
    const finish = (): void => {
      const text = Buffer.concat(chunks).toString('utf8');
      chunks = [];
      try {
        settle(undefined, JSON.parse(text));
      } catch {
        settle(new ControlClientError('EPROTO', `the answer on ${path} is not JSON`));
      }
    };
    socket.on('connect', () => socket.write(`${JSON.stringify(req)}\n`));
    socket.on('error', (error: NodeJS.ErrnoException) => settle(fromSocketError(error, path)));
    socket.on('data', (data: Buffer) => {
      const newline = data.indexOf(0x0a);
      chunks.push(newline === -1 ? data : data.subarray(0, newline));
      length += data.length;
      if (newline !== -1) finish();
      else if (length > MAX_RESPONSE_BYTES) settle(new ControlClientError('EPROTO', `the answer on ${path} is too long`));
    });
    socket.on('end', () => {
      if (length > 0) finish();
      else settle(new ControlClientError('ECONNRESET', `${path}: the daemon closed the connection without answering`));
    });
  });
}

/**
 * Subscribes to the event stream and calls onEvent per event. Resolves when `signal` aborts or
 * the daemon closes the stream (check `signal.aborted` to tell which); rejects when the socket
 * cannot be reached or the daemon refuses (ControlClientError).
 */
export function streamEvents(path: string, onEvent: (event: ControlEvent) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return resolve();
    const socket: Socket = createConnection({ path });
    let pending = '';
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const onAbort = (): void => settle();
    signal?.addEventListener('abort', onAbort);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ command: 'events' } satisfies ControlRequest)}\n`));
    socket.on('error', (error: NodeJS.ErrnoException) => settle(fromSocketError(error, path)));
    socket.on('data', (data: string) => {
      pending += data;
      let newline: number;
      while (!settled && (newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          return settle(new ControlClientError('EPROTO', `an event line on ${path} is not JSON`));
        }
        const fields = value as Record<string, unknown>;
        // A request error has no `type`; a refused reload's event has ok:false too and is an event.
        if (fields['ok'] === false && fields['type'] === undefined) {
          return settle(new ControlClientError(String(fields['code']), String(fields['message'])));
        }
        onEvent(value as ControlEvent);
      }
      if (pending.length > MAX_RESPONSE_BYTES) settle(new ControlClientError('EPROTO', `an event line on ${path} is too long`));
    });
    socket.on('end', () => settle());
    socket.on('close', () => settle());
  });
}
