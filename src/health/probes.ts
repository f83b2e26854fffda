/**
 * The three probe kinds a health check can run: a command (exit 0 = healthy, no shell), a TCP
 * connect, and an HTTP GET. Each returns within its timeout and never throws or rejects: every
 * failure is a `{ ok: false }` whose `result` says why in a few words ("exit 1", "ECONNREFUSED",
 * "HTTP 503", "timeout after 1000 ms"), which status and the check events show as is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { httpModule, httpsModule } from '../lazy-builtins.ts';
import * as net from 'node:net';
import type { HealthCheckConfig } from '../config/config-types.ts';
import { SCRIPT_PATH } from '../config/script-security.ts';
import { spawnCredentials } from '../linux/credentials.ts';

/** One probe's outcome. */
export interface ProbeResult {
  readonly ok: boolean;
  /** The outcome in words, for status and events. */
  readonly result: string;
}

/** Runs one check's probe once, within `timeoutMs`; the HealthMonitor's injectable seam. */
export type ProbeFunction = (check: HealthCheckConfig, timeoutMs: number) => Promise<ProbeResult>;

/** Who a command check runs as: the group's script_user; absent, the daemon's own user. */
export interface ProbeUser {
  readonly uid: number;
  readonly gid: number;
}

/** The real probes, chosen by the check's kind; command checks run as `user` when given. */
export const runProbe = (check: HealthCheckConfig, timeoutMs: number, user?: ProbeUser): Promise<ProbeResult> => {
  switch (check.kind) {
    case 'command':
      return commandProbe(check.command, timeoutMs, user);
    case 'tcp':
      return tcpProbe(check.host, check.port, timeoutMs);
    case 'http':
      return httpProbe(check.url, check.expectStatus, timeoutMs);
  }
};

/** The result text of a timed-out probe. */
export function timeoutResult(timeoutMs: number): string {
  return `timeout after ${timeoutMs} ms`;
}

/**
 * Runs `argv` without a shell in its own process group; exit 0 is healthy. At the timeout the
 * whole group gets SIGKILL, so a check script's children (curl, pg_isready ...) die with it,
 * and the probe resolves at once without waiting for the exit. Like a transition script, it
 * runs in `/` as `user` (script_user) with only a fixed PATH in its environment
 * (docs/health-checks.md): the daemon's own environment is not passed on.
 */
export function commandProbe(argv: readonly string[], timeoutMs: number, user?: ProbeUser): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (file === undefined || file === '') {
      resolve({ ok: false, result: 'empty command' });
      return;
    }
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    let child: ChildProcess;
    try {
      child = spawn(file, args, { detached: true, stdio: 'ignore', shell: false, cwd: '/', env: { PATH: SCRIPT_PATH }, ...spawnCredentials(user) });
    } catch (error) {
      finish({ ok: false, result: errorCode(error) });
      return;
    }
    timer = setTimeout(() => {
      killGroup(child.pid);
      finish({ ok: false, result: timeoutResult(timeoutMs) });
    }, timeoutMs);
    child.on('error', (error) => finish({ ok: false, result: errorCode(error) }));
    child.on('exit', (code, signal) => {
      if (code === 0) finish({ ok: true, result: 'exit 0' });
      else if (code !== null) finish({ ok: false, result: `exit ${code}` });
      else finish({ ok: false, result: `killed by ${signal ?? 'signal'}` });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone: the group exited between the timer and the kill.
  }
}

/** Opens a TCP connection to host:port and closes it at once; connecting is healthy. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = new net.Socket();
    const finish = (outcome: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, result: timeoutResult(timeoutMs) }), timeoutMs);
    socket.once('connect', () => finish({ ok: true, result: 'connected' }));
    socket.once('error', (error) => finish({ ok: false, result: errorCode(error) }));
    try {
      socket.connect({ host, port });
    } catch (error) {
      finish({ ok: false, result: errorCode(error) });
    }
  });
}

/**
 * GETs `url` (http or https, certificates verified) on a fresh connection; healthy when the
 * status is one of `expectStatus`. Only the status line and headers count: the body is
 * discarded and the connection closed.
 */
export function httpProbe(url: string, expectStatus: readonly number[], timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      resolve({ ok: false, result: 'invalid URL' });
      return;
    }
    const client = parsed.protocol === 'http:' ? httpModule() : parsed.protocol === 'https:' ? httpsModule() : undefined;
    if (client === undefined) {
      resolve({ ok: false, result: `unsupported protocol ${parsed.protocol}` });
      return;
    }
    let settled = false;
    const controller = new AbortController();
    const finish = (outcome: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller.abort();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, result: timeoutResult(timeoutMs) }), timeoutMs);
    try {
      // agent: false: a new connection each time, so a probe tests the listener, not a pooled socket.
      const request = client.get(parsed, { signal: controller.signal, agent: false }, (response) => {
        const status = response.statusCode ?? 0;
        response.resume();
        response.on('error', () => undefined);
        finish({ ok: expectStatus.includes(status), result: `HTTP ${status}` });
      });
      request.on('error', (error) => finish({ ok: false, result: errorCode(error) }));
    } catch (error) {
      finish({ ok: false, result: errorCode(error) });
    }
  });
}

/** An error's code (ENOENT, ECONNREFUSED ...) or, lacking one, its message. */
function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  return String(error);
}
