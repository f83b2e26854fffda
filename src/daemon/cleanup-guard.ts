/**
 * A guard for SIGKILL: the daemon starts carpd-guard (native/carpd_guard.c, a few KiB of C, not a
 * second Node runtime) as a child that only waits on a pipe. If the daemon dies without a clean
 * stop (SIGKILL, OOM kill, a crash), the pipe closes and the guard removes what the daemon had
 * put on the host — the carp<vhid> interface, or the virtual addresses on the parent — so a dead
 * daemon never leaves a VIP (or the virtual MAC) answering on a host that is still up while
 * another node is master. After a clean stop the daemon says "done" first and the guard leaves
 * without touching anything.
 *
 * The daemon supervises its guard: a guard that dies (killed by hand, the OOM killer) is started
 * again after a backoff and given the current spec, and every change (a group added, removed or
 * restarted, carp<vhid> re-created, a reload) sends the new spec on the same pipe, so there is
 * always one guard, and it always knows what the daemon has now.
 *
 * The pipe carries lines (encodeGuardSpec): `spec`, then `link IFINDEX NAME` / `addr IFNAME IP
 * PREFIX` items, then `end` (only a complete spec replaces the one before), or `done`.
 *
 * Where the scripts own the addresses (ucarp mode, `manage_addresses: false`) there is nothing of
 * carpd's to remove: the guard runs the group's down script instead (cleanup-script.ts), if its
 * address is still on the interface, bounded by the script timeout: a `down IFNAME IP TIMEOUT_MS
 * PATH` item followed by its `arg VALUE` and `env NAME=VALUE` lines, fields percent-encoded.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../ports/clock.ts';
import { SystemClock } from '../linux/system-clock.ts';
import { packageRoot } from '../package-root.ts';
import { tryParseIpAddress } from '../wire/ip-address.ts';
import type { Logger } from '../ports/logger.ts';
import type { CleanupDownScript } from './cleanup-script.ts';

/** What the guard removes when the daemon dies: one item per group. */
export interface GuardSpec {
  readonly items: readonly GuardItem[];
  /** Down scripts to run, each if its address is still on its interface (script-owned addresses). */
  readonly downScripts?: readonly CleanupDownScript[];
}

/** One group's leftovers. */
export interface GuardItem {
  readonly interfaceName: string;
  /** With --vmac: the virtual interface to delete, and its ifindex (a restarted daemon's new one is left alone). */
  readonly virtualInterface?: string;
  readonly virtualInterfaceIndex?: number;
  /** Without --vmac: addresses to remove from the parent, as "IP/prefix". */
  readonly addresses: readonly string[];
}

/** The part of a ChildProcess the supervisor uses: what a test's fake must provide. */
export type GuardChild = Pick<ChildProcess, 'pid' | 'stdin' | 'unref' | 'on'>;

/** Starts a process (node:child_process spawn, or a test's fake). */
export type GuardSpawn = (command: string, args: readonly string[], options: SpawnOptions) => GuardChild;

/** Seams and tunables of CleanupGuard.start. */
export interface CleanupGuardOptions {
  /** Starts the guard process; node:child_process spawn by default. */
  readonly spawn?: GuardSpawn;
  /** The guard executable (default build/Release/carpd-guard of the package). */
  readonly executable?: string;
  /** Delay before the 1st, 2nd, ... restart in a row; the last one repeats. */
  readonly restartDelaysMs?: readonly number[];
  /** A guard that stayed up this long before dying restarts after the first delay again. */
  readonly stableAfterMs?: number;
  /** Monotonic milliseconds (tests); the clock's by default. */
  readonly now?: () => number;
  /**
   * The clock (default the real one, SystemClock, as spawn is the real one): the restart backoff
   * waits real time on it (setRealTimeout), since the guard is a process, and never holds the
   * daemon's process up by itself.
   */
  readonly clock?: Clock;
}

/** The guard's nice value: the lowest priority. */
const GUARD_NICENESS = 19;
/** Restart backoff: quick for a one-off kill, then every 5 s for a guard that cannot start. */
const DEFAULT_RESTART_DELAYS_MS: readonly number[] = [100, 500, 1000, 5000];
const DEFAULT_STABLE_AFTER_MS = 30_000;
/** The line that ends the guard without cleaning up. */
const DONE = 'done';

/** The daemon's side: starts the guard, keeps it running and up to date, and tells it when the stop was clean. */
export class CleanupGuard {
  private child: GuardChild | undefined;
  private startedAt = 0;
  private released = false;
  private restartCount = 0;
  /** Restarts in a row without a stable run: the index into the delays. */
  private backoff = 0;
  /** Cancels the pending restart. */
  private cancelRestart: (() => void) | undefined;
  private readonly spawnChild: GuardSpawn;
  private readonly delaysMs: readonly number[];
  private readonly stableAfterMs: number;
  private readonly now: () => number;
  private readonly clock: Clock;
  private readonly executable: string;

  private constructor(
    private spec: GuardSpec,
    private readonly logger: Logger,
    options: CleanupGuardOptions,
  ) {
    this.spawnChild = options.spawn ?? ((command, args, spawnOptions) => spawn(command, args, spawnOptions));
    this.delaysMs = options.restartDelaysMs !== undefined && options.restartDelaysMs.length > 0 ? options.restartDelaysMs : DEFAULT_RESTART_DELAYS_MS;
    this.stableAfterMs = options.stableAfterMs ?? DEFAULT_STABLE_AFTER_MS;
    this.clock = options.clock ?? new SystemClock();
    this.now = options.now ?? (() => this.clock.nowMicros() / 1000);
    this.executable = options.executable ?? guardExecutable();
  }

  /** Starts carpd-guard as a child with a pipe on its stdin, gives it the spec, and supervises it until release(). */
  static start(spec: GuardSpec, logger: Logger, options: CleanupGuardOptions = {}): CleanupGuard {
    const guard = new CleanupGuard(spec, logger, options);
    guard.launch();
    return guard;
  }

  /** How many times the guard has been started again after dying. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Whether a guard process is running (spawned and not yet seen to exit). */
  get alive(): boolean {
    return this.child !== undefined;
  }

  /** The daemon now owns this: the running guard gets it on its pipe, a restarted one when it starts. */
  update(spec: GuardSpec): void {
    if (this.released) return;
    this.spec = spec;
    if (this.child !== undefined) this.send(this.child, encodeGuardSpec(spec));
  }

  /** A clean stop: the guard leaves without cleaning up, and is not restarted any more. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.cancelRestart?.();
    this.cancelRestart = undefined;
    if (this.child !== undefined) this.send(this.child, `${DONE}\n`, true);
  }

  private launch(): void {
    let child: GuardChild;
    try {
      // Its own session: a signal to the daemon's process group (a shell's kill -9 -PGID) must not take the guard too.
      // An empty environment: the guard reads none, and the daemon's may hold a passphrase_env secret.
      child = this.spawnChild(this.executable, [], { stdio: ['pipe', 'ignore', 'inherit'], detached: true, env: {} });
    } catch (error) {
      this.child = undefined;
      this.died({ error: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.child = child;
    this.startedAt = this.now();
    child.on('error', (error: Error) => this.childEnded(child, { error: error.message }));
    child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => this.childEnded(child, { code, signal }));
    // A write to a guard that has just died fails with EPIPE on the stream, not at the call: the
    // 'exit' handler restarts it, and an unheard 'error' would throw into the event loop.
    child.stdin?.on('error', (error: Error) => this.logger.debug('the cleanup guard pipe failed', { error: error.message }));
    this.send(child, encodeGuardSpec(this.spec));
    // The guard only waits: the lowest priority costs it nothing and keeps even its start-up off
    // the CPU the daemons' timers need (in fast mode 3 missed 1/256 s intervals are a failover).
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, GUARD_NICENESS);
      } catch {
        // Not allowed (an unprivileged test run): the guard merely competes as usual.
      }
    }
    // The guard must not keep the daemon alive, nor die with the daemon's own signals.
    child.unref();
    (child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null)?.unref?.();
  }

  /** The child's 'exit' or 'error' (a failed spawn may give both, or only 'error'): once per child. */
  private childEnded(child: GuardChild, fields: Record<string, unknown>): void {
    if (child !== this.child) return;
    this.child = undefined;
    // After an 'error' the process may still be running (Node does not say): tell it to leave
    // quietly, so that only the replacement acts on a crash.
    if ('error' in fields) this.send(child, `${DONE}\n`, true);
    if (this.released) return;
    if (this.now() - this.startedAt >= this.stableAfterMs) this.backoff = 0;
    this.died(fields);
  }

  private died(fields: Record<string, unknown>): void {
    if (this.released) return;
    const delayMs = this.delaysMs[Math.min(this.backoff, this.delaysMs.length - 1)] as number;
    this.backoff += 1;
    this.logger.error('the cleanup guard died; restarting it', { ...fields, restartInMs: delayMs, restarts: this.restartCount });
    this.cancelRestart = this.clock.setRealTimeout(delayMs, () => {
      this.cancelRestart = undefined;
      if (this.released) return;
      this.restartCount += 1;
      this.launch();
    }, { holdsProcess: false });
  }

  /** Writes a line; a closed or broken pipe is no error here (the 'exit' handler deals with a dead guard). */
  private send(child: GuardChild, line: string, last = false): void {
    const stdin = child.stdin;
    if (stdin === null || !stdin.writable) return;
    try {
      if (last) stdin.end(line);
      else stdin.write(line);
    } catch (error) {
      this.logger.debug('the cleanup guard pipe failed', { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/** The guard executable built with the addon (binding.gyp target carpd-guard). */
export function guardExecutable(): string {
  return join(packageRoot(), 'build', 'Release', 'carpd-guard');
}

/**
 * The spec as the guard reads it: one complete block. Items the guard could not act on safely
 * (an address that is not IP/prefix, a name with spaces) are left out, never sent half-formed.
 */
export function encodeGuardSpec(spec: GuardSpec): string {
  const lines = ['spec'];
  for (const item of spec.items) {
    if (item.virtualInterface !== undefined) {
      if (item.virtualInterfaceIndex !== undefined && isName(item.virtualInterface)) lines.push(`link ${item.virtualInterfaceIndex} ${item.virtualInterface}`);
      continue;
    }
    if (!isName(item.interfaceName)) continue;
    for (const text of item.addresses) {
      const [address, prefix, extra] = text.split('/');
      if (extra !== undefined || address === undefined || tryParseIpAddress(address) === undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix)) continue;
      lines.push(`addr ${item.interfaceName} ${address} ${prefix}`);
    }
  }
  for (const down of spec.downScripts ?? []) lines.push(...encodeDownScript(down));
  lines.push('end');
  return `${lines.join('\n')}\n`;
}

/** The guard's limits (native/carpd_guard.c): a longer line is not taken, more arguments or variables are not kept. */
const GUARD_LINE_MAX_BYTES = 510;
const GUARD_MAX_ARGS = 8;
const GUARD_MAX_ENV = 32;

/**
 * One down script's lines, or none when the guard could not take it whole (a name with spaces, a
 * line too long, too many arguments): never half a script. A variable too long for a line
 * (CARP_ADDRESSES of a long list) is left out; the script still runs.
 */
function encodeDownScript(down: CleanupDownScript): string[] {
  const head = `down ${down.interfaceName} ${down.address.text} ${Math.max(1, Math.round(down.timeoutMs))} ${guardField(down.path)}`;
  const args = down.args.map((arg) => `arg ${guardField(arg)}`);
  const fits = (line: string) => Buffer.byteLength(line) <= GUARD_LINE_MAX_BYTES;
  if (!isName(down.interfaceName) || down.path === '' || args.length > GUARD_MAX_ARGS || !fits(head) || !args.every(fits)) return [];
  const env = Object.entries(down.env)
    .filter(([name]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .map(([name, value]) => `env ${name}=${guardField(value)}`)
    .filter(fits)
    .slice(0, GUARD_MAX_ENV);
  const user = down.user === undefined ? [] : [`user ${down.user.uid} ${down.user.gid}`];
  return [head, ...args, ...user, ...env];
}

/** A field the guard splits on spaces and reads by lines: `%`, whitespace and control bytes as %XX. */
export function guardField(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[%\s\x00-\x1f\x7f]/g, (c) => [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

function isName(name: string): boolean {
  return /^[^\s/]{1,15}$/.test(name);
}
