/**
 * Runs the operator's scripts (docs/scripts.md): directly, without a shell, one at a time per
 * group in transition order, the latest pending transition replacing an older one (ScriptQueue), each bounded by a timeout. The protocol never waits:
 * run() only queues. Every outcome is logged and counted; nothing here throws at the caller.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { ScriptJob } from '../ports/script-job.ts';
import { ScriptQueue } from './script-queue.ts';
import type { Logger } from '../ports/logger.ts';
import { SCRIPT_PATH } from '../config/script-security.ts';
import { spawnCredentials } from './credentials.ts';

/** The subset of child_process.spawn the runner uses (injectable for tests). */
export type SpawnScript = (path: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** Options of ScriptRunner. */
export interface ScriptRunnerOptions {
  /** After this long a script's process group gets SIGTERM (default 30000). */
  readonly timeoutMs?: number;
  /** After SIGTERM, this long before SIGKILL (default 2000). */
  readonly killGraceMs?: number;
  readonly logger: Logger;
  readonly spawn?: SpawnScript;
}

/** Counters of one group's scripts. */
export interface ScriptStats {
  /** Scripts started (or attempted: a spawn error counts as a run and a failure). */
  readonly runs: number;
  /** Runs that did not exit 0: non-zero status, a signal, a timeout or a spawn error. */
  readonly failures: number;
  /** Runs killed at the timeout (also counted as failures). */
  readonly timeouts: number;
  /** Wall time of the last finished run; undefined before the first. */
  readonly lastDurationMs: number | undefined;
  /** Pending scripts replaced by a later transition's before they ran (ScriptQueue coalescing). */
  readonly superseded: number;
}

/** Default timeout before SIGTERM. */
export const DEFAULT_SCRIPT_TIMEOUT_MS = 30_000;
/** Default grace between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 2_000;
/** Lines of output logged per stream and run; the rest are counted. */
export const MAX_LOGGED_LINES = 20;
/** Characters kept of one output line. */
export const MAX_LINE_LENGTH = 1024;
/**
 * After the script exits, how long to wait for its stdout/stderr to close. A background process
 * it started may keep them open forever; the queue must not wait for that.
 */
const DRAIN_MS = 200;

/**
 * A script's whole environment (docs/scripts.md, "How a script is run"): a fixed PATH and the
 * job's CARP_* variables, nothing of the daemon's own (which may hold a passphrase_env secret).
 */
export function scriptProcessEnvironment(jobEnv: Readonly<Record<string, string>>): Record<string, string> {
  return { PATH: SCRIPT_PATH, ...jobEnv };
}

/** How a run ended. */
type Outcome =
  | { readonly kind: 'exited'; readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly timedOut: boolean }
  | { readonly kind: 'spawn-error'; readonly error: Error };

interface MutableStats {
  runs: number;
  failures: number;
  timeouts: number;
  lastDurationMs: number | undefined;
  superseded: number;
}

/** Serialised per-group script execution with timeouts. */
export class ScriptRunner {
  private readonly timeoutMs: number;
  private readonly killGraceMs: number;
  private readonly logger: Logger;
  private readonly spawn: SpawnScript;
  private readonly queue = new ScriptQueue<ScriptJob>();
  private readonly groupStats = new Map<string, MutableStats>();
  private idleWaiters: Array<() => void> = [];
  /** The running child of each group (to cut it short at stop). */
  private readonly runs = new Map<string, ScriptRun>();
  /** Set by cutShort(): no script may run past this (performance.now() ms). */
  private stopDeadline: number | undefined;

  constructor(options: ScriptRunnerOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS;
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.logger = options.logger;
    this.spawn = options.spawn ?? nodeSpawn;
  }

  /**
   * Queues a script: it starts now when its group is idle, else it runs after the running one,
   * replacing the group's pending script if there is one (ScriptQueue: the last transition wins).
   */
  run(job: ScriptJob): void {
    const { start, superseded } = this.queue.enqueue(job);
    if (start !== undefined) {
      this.start(start);
      return;
    }
    if (superseded !== undefined) {
      this.statsOf(job.group).superseded++;
      this.logger.info('script superseded by a later transition, not run', { group: job.group, phase: superseded.phase, path: superseded.path, by: job.phase });
    }
    this.logger.debug('script queued', { group: job.group, phase: job.phase, path: job.path, waiting: this.queue.waiting(job.group) });
  }

  /** Resolves once no script is running or queued (bounded by the timeouts). */
  whenIdle(): Promise<void> {
    if (this.queue.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * At shutdown (docs/scripts.md, "Shutdown"): from now on no script runs past `budgetMs`. A
   * running script with a final script queued behind it may run on for at most half the budget
   * (SIGTERM early enough that the SIGKILL after the grace falls at the half), so that the final
   * one always gets the other half; a running script with nothing behind it is cut at the
   * deadline; a script started later gets the time left as its timeout, less the kill grace.
   * Call it after the final scripts were queued. A cut run counts as a timeout.
   */
  cutShort(budgetMs: number): void {
    const now = performance.now();
    this.stopDeadline = now + budgetMs;
    const runningShareMs = Math.max(1, Math.floor(budgetMs / 2 - this.killGraceMs));
    for (const [group, run] of this.runs) {
      if (this.queue.waiting(group) > 0) run.rearm(runningShareMs, 'cut short at stop: the final script is waiting');
      else run.rearm(this.timeLeftMs(), 'cut short at stop: the stop budget is spent');
    }
  }

  /** The time a script started now may run: the stop deadline less the kill grace, at least 1 ms. */
  private timeLeftMs(): number {
    if (this.stopDeadline === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(1, Math.floor(this.stopDeadline - performance.now() - this.killGraceMs));
  }

  /** The counters of a group (zeros for a group never run). */
  stats(group: string): ScriptStats {
    return { ...this.statsOf(group) };
  }

  private statsOf(group: string): MutableStats {
    let stats = this.groupStats.get(group);
    if (stats === undefined) {
      stats = { runs: 0, failures: 0, timeouts: 0, lastDurationMs: undefined, superseded: 0 };
      this.groupStats.set(group, stats);
    }
    return stats;
  }

  /**
   * Starts one job. Never throws and never leaves an 'error' event unhandled: out of descriptors
   * (EMFILE, ENFILE) or memory (ENOMEM, EAGAIN), spawn() either throws or returns a child with
   * no pid and no stdio (undefined in Node 20, not null) whose 'error' follows on a later tick.
   * Either way the run is a counted failure and the group's queue moves on; a daemon that cannot
   * run a script must keep running.
   */
  private start(job: ScriptJob): void {
    this.statsOf(job.group).runs++;
    const startedAt = performance.now();
    let run: ScriptRun | undefined;
    try {
      const child = this.spawn(job.path, job.args, {
        shell: false,
        // No stdin: nothing to write, and one descriptor fewer when they are scarce.
        stdio: ['ignore', 'pipe', 'pipe'],
        env: scriptProcessEnvironment(job.env),
        cwd: '/',
        // script_user (docs/scripts.md); libuv also drops supplementary groups (setgroups(0)).
        ...spawnCredentials(job.user),
        // Its own process group, so that a timeout kills what the script started as well.
        detached: true,
      });
      run = new ScriptRun(job, child, this.logger, (outcome) => this.complete(job, startedAt, outcome));
      this.runs.set(job.group, run);
      run.supervise(Math.min(job.timeoutMs ?? this.timeoutMs, this.timeLeftMs()), this.killGraceMs);
    } catch (error) {
      // Nothing in this block reports an outcome synchronously, so this is the run's only one.
      if (run === undefined) this.complete(job, startedAt, { kind: 'spawn-error', error: asError(error) });
      else run.abandon(asError(error));
    }
  }

  private complete(job: ScriptJob, startedAt: number, outcome: Outcome): void {
    this.runs.delete(job.group);
    const stats = this.statsOf(job.group);
    const durationMs = Math.round(performance.now() - startedAt);
    stats.lastDurationMs = durationMs;
    const fields = { group: job.group, phase: job.phase, path: job.path, durationMs };
    if (outcome.kind === 'spawn-error') {
      stats.failures++;
      const code = (outcome.error as NodeJS.ErrnoException).code;
      this.logger.error('script could not be started', { ...fields, error: outcome.error.message, ...(code ? { code } : {}) });
    } else {
      if (outcome.timedOut) stats.timeouts++;
      const ok = outcome.code === 0 && !outcome.timedOut;
      if (!ok) stats.failures++;
      const result = { ...fields, exitCode: outcome.code, signal: outcome.signal, timedOut: outcome.timedOut };
      if (ok) this.logger.info('script finished', result);
      else this.logger.warn('script failed', result);
    }
    const next = this.queue.finished(job);
    if (next !== undefined) {
      this.start(next);
    } else if (this.queue.idle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

/**
 * One started child: its output, its timeout, and the single outcome it reports. The 'error'
 * listener is attached in the constructor, before anything that could throw, and stays for the
 * child's life (a failed kill after the exit emits 'error' too).
 */
class ScriptRun {
  private done = false;
  private timedOut = false;
  private killGraceMs: number | undefined;
  private startedAt: number | undefined;
  private timeoutMs: number | undefined;
  private readonly timers: { timeout?: NodeJS.Timeout; kill?: NodeJS.Timeout; drain?: NodeJS.Timeout } = {};
  private stdout: OutputLines | undefined;
  private stderr: OutputLines | undefined;

  constructor(
    private readonly job: ScriptJob,
    private readonly child: ChildProcess,
    private readonly logger: Logger,
    private readonly onOutcome: (outcome: Outcome) => void,
  ) {
    child.on('error', (error: Error) => {
      // Without a pid the process never started (ENOENT, EACCES, EMFILE...); otherwise a kill failed.
      if (child.pid === undefined) this.finish({ kind: 'spawn-error', error });
      else this.logger.warn('script process error', { ...this.fields(), error: error.message });
    });
  }

  /** Reads the output, waits for the exit, and arms the timeout. */
  supervise(timeoutMs: number, killGraceMs: number): void {
    const logger = this.logger;
    const fields = this.fields();
    const child = this.child;
    // A child that never started has no stdio streams; OutputLines reads nothing from a missing one.
    this.stdout = new OutputLines(child.stdout, (line) => logger.info('script output', { ...fields, stream: 'stdout', line }));
    this.stderr = new OutputLines(child.stderr, (line) => logger.warn('script output', { ...fields, stream: 'stderr', line }));
    child.on('exit', (code, signal) => {
      clearTimeout(this.timers.timeout);
      clearTimeout(this.timers.kill);
      const outcome: Outcome = { kind: 'exited', code, signal, timedOut: this.timedOut };
      this.timers.drain = setTimeout(() => {
        this.stdout?.destroy();
        this.stderr?.destroy();
        this.finish(outcome);
      }, DRAIN_MS);
      child.on('close', () => this.finish(outcome));
    });
    const pid = child.pid;
    if (pid === undefined) {
      // The 'error' event follows. Should it never come (a broken spawn), the timeout still
      // ends the run, so the group's queue cannot stall.
      this.timers.timeout = setTimeout(() => this.finish({ kind: 'spawn-error', error: new Error('no process and no spawn error') }), timeoutMs);
      return;
    }
    logger.info('script started', { ...fields, pid, args: [...this.job.args] });
    this.killGraceMs = killGraceMs;
    this.timeoutMs = timeoutMs;
    this.startedAt = performance.now();
    this.timers.timeout = setTimeout(() => this.terminate(`timed out after ${timeoutMs} ms`), timeoutMs);
  }

  /** SIGTERM to the script's process group now, SIGKILL after the grace. Once per run. */
  private terminate(reason: string): void {
    const pid = this.child.pid;
    if (this.done || this.timedOut || pid === undefined || this.killGraceMs === undefined) return;
    clearTimeout(this.timers.timeout);
    this.timedOut = true;
    const killGraceMs = this.killGraceMs;
    this.logger.warn('script timed out, sending SIGTERM', { ...this.fields(), pid, reason });
    killGroup(pid, 'SIGTERM');
    this.timers.kill = setTimeout(() => {
      this.logger.warn('script still running, sending SIGKILL', { ...this.fields(), pid, killGraceMs });
      killGroup(pid, 'SIGKILL');
    }, killGraceMs);
  }

  /** Shortens the timeout to at most `leftMs` from now (never lengthens it). */
  rearm(leftMs: number, reason: string): void {
    if (this.done || this.timedOut || this.child.pid === undefined || this.startedAt === undefined) return;
    clearTimeout(this.timers.timeout);
    const due = Math.min(this.timeoutAt(), performance.now() + leftMs);
    this.timers.timeout = setTimeout(() => this.terminate(reason), Math.max(0, due - performance.now()));
  }

  private timeoutAt(): number {
    return (this.startedAt ?? 0) + (this.timeoutMs ?? 0);
  }

  /**
   * Setting up supervision failed: a process nobody watches would break one-at-a-time and the
   * timeout, so it is killed, and the run ends as one that could not be started.
   */
  abandon(error: Error): void {
    if (this.child.pid !== undefined) killGroup(this.child.pid, 'SIGKILL');
    this.stdout?.destroy();
    this.stderr?.destroy();
    this.finish({ kind: 'spawn-error', error });
  }

  private finish(outcome: Outcome): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timers.timeout);
    clearTimeout(this.timers.kill);
    clearTimeout(this.timers.drain);
    this.stdout?.flush();
    this.stderr?.flush();
    this.onOutcome(outcome);
  }

  private fields(): { group: string; phase: string; path: string } {
    return { group: this.job.group, phase: this.job.phase, path: this.job.path };
  }
}

/** Signals a whole process group; a group already gone is fine. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: everything in the group has exited already.
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Splits a stream into lines for the log, bounded: the first MAX_LOGGED_LINES lines of at most
 * MAX_LINE_LENGTH characters each; the rest is read (so the script never blocks on a full pipe)
 * and only counted.
 */
class OutputLines {
  private partial = '';
  private logged = 0;
  private suppressed = 0;

  constructor(
    private readonly stream: Readable | null | undefined,
    private readonly onLine: (line: string) => void,
  ) {
    if (stream == null) return;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.push(chunk));
    stream.on('error', () => {}); // EPIPE/destroy after exit: nothing to report
  }

  /** Logs the unterminated last line and the count of suppressed lines. */
  flush(): void {
    if (this.partial !== '') this.emit(this.partial);
    this.partial = '';
    if (this.suppressed > 0) this.onLine(`(${this.suppressed} more lines not logged)`);
    this.suppressed = 0;
  }

  /** Stops reading (the script exited but something it started keeps the pipe open). */
  destroy(): void {
    this.stream?.destroy();
  }

  private push(chunk: string): void {
    let text = chunk;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n')) {
      this.emit(this.partial + text.slice(0, newline));
      this.partial = '';
      text = text.slice(newline + 1);
    }
    // Keep at most one character past the limit, so a runaway line cannot grow memory.
    this.partial = (this.partial + text).slice(0, MAX_LINE_LENGTH + 1);
  }

  private emit(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.logged >= MAX_LOGGED_LINES) {
      this.suppressed++;
      return;
    }
    this.logged++;
    this.onLine(line.length > MAX_LINE_LENGTH ? `${line.slice(0, MAX_LINE_LENGTH)}…` : line);
  }
}
