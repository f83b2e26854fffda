// A long-running process inside a lab namespace (a daemon, tcpdump, a prober).

import { spawn, type ChildProcess } from 'node:child_process';

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Lines kept per process; older lines are dropped so a chatty daemon cannot exhaust memory. */
const MAX_LINES = 100_000;

/** A process started with `ip netns exec`; stdout and stderr are collected as lines. */
export class LabProcess {
  /** The process id (`ip netns exec` execs the command, so this is the command itself). */
  readonly pid: number;
  /** Collected stdout and stderr lines, interleaved in arrival order. */
  readonly lines: string[] = [];
  /** Every line ever collected, including those `lines` has dropped past MAX_LINES. */
  lineCount = 0;
  /** Settles when the process has ended. */
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private readonly child: ChildProcess;
  private readonly watchers = new Set<() => void>();

  constructor(argv: readonly string[], env?: Record<string, string>) {
    const [command, ...args] = argv;
    if (command === undefined) throw new Error('LabProcess: empty argv');
    // detached: its own process group, so kill() also reaches anything it forked.
    this.child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: env === undefined ? process.env : { ...process.env, ...env },
    });
    this.exited = new Promise<ProcessExit>((resolve) => {
      this.child.once('error', (error) => {
        this.push(`[lab] spawn error: ${error.message}`);
        this.exit ??= { code: null, signal: null };
        resolve(this.exit);
        this.notify();
      });
      this.child.once('close', (code, signal) => {
        this.exit ??= { code, signal };
        resolve(this.exit);
        this.notify();
      });
    });
    this.pid = this.child.pid ?? -1;
    this.collect(this.child.stdout);
    this.collect(this.child.stderr);
  }

  /** True once the process has ended. */
  get done(): boolean {
    return this.exit !== undefined;
  }

  /**
   * Resolves with the first line (already collected or future) matching `pattern`; rejects after
   * `timeoutMs` or when the process ends without printing one.
   */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      let checked = 0;
      const check = (): boolean => {
        for (; checked < this.lines.length; checked += 1) {
          const line = this.lines[checked] ?? '';
          if (pattern.test(line)) {
            finish();
            resolve(line);
            return true;
          }
        }
        if (this.exit !== undefined) {
          finish();
          reject(new Error(`process ${this.pid} ended (${JSON.stringify(this.exit)}) before a line matched ${pattern}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no line matched ${pattern} within ${timeoutMs} ms (pid ${this.pid})`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.watchers.delete(watcher);
      };
      const watcher = (): void => {
        check();
      };
      if (!check()) this.watchers.add(watcher);
    });
  }

  /** Sends a signal to the process itself (not its group). No-op once it has ended. */
  signal(sig: NodeJS.Signals): void {
    if (this.exit !== undefined || this.pid <= 0) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      // Already gone between the check and the kill.
    }
  }

  /** SIGKILLs the process group and waits (at most `timeoutMs`) for the process to end. */
  async kill(timeoutMs = 2000): Promise<ProcessExit | undefined> {
    if (this.exit === undefined && this.pid > 0) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        this.signal('SIGKILL');
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Best-effort synchronous SIGKILL of the group, for process 'exit' handlers. */
  killSync(): void {
    if (this.exit !== undefined || this.pid <= 0) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // Nothing left to kill.
    }
  }

  private collect(stream: NodeJS.ReadableStream | null): void {
    if (stream === null) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) this.push(line);
      this.notify();
    });
    stream.on('end', () => {
      if (partial !== '') this.push(partial);
      partial = '';
      this.notify();
    });
  }

  private push(line: string): void {
    this.lineCount++;
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher();
  }
}
