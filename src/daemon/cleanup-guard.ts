/**
 * A guard for SIGKILL: the daemon starts a small child process that only waits on a pipe. If the
 * daemon dies without a clean stop (SIGKILL, OOM kill, a crash), the pipe closes and the guard
 * removes what the daemon had put on the host — the carp<vhid> interface, or the virtual
 * addresses on the parent — so a dead daemon never leaves a VIP (or the virtual MAC) answering
 * on a host that is still up while another node is master. After a clean stop the daemon says
 * "done" first and the guard leaves without touching anything.
 *
 * The daemon supervises its guard: a guard that dies (killed by hand, the OOM killer) is started
 * again after a backoff, and every reload sends the guard the new spec as one JSON line on the
 * same pipe, so there is always one guard, and it always knows what the daemon has now.
 *
 * The pipe carries lines: `{...}` (a GuardSpec replacing the current one) or `done`.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../package-root.ts';
import { performance } from 'node:perf_hooks';
import { parseIpAddress, tryParseIpAddress } from '../protocol/ip-address.ts';
import type { Logger } from '../ports/logger.ts';
import { RouteNetlink } from '../linux/netlink/route-netlink.ts';

/** What the guard removes when the daemon dies: one item per group. */
export interface GuardSpec {
  readonly items: readonly GuardItem[];
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
  /** Delay before the 1st, 2nd, ... restart in a row; the last one repeats. */
  readonly restartDelaysMs?: readonly number[];
  /** A guard that stayed up this long before dying restarts after the first delay again. */
  readonly stableAfterMs?: number;
  /** Monotonic milliseconds (tests); performance.now by default. */
  readonly now?: () => number;
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
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly spawnChild: GuardSpawn;
  private readonly delaysMs: readonly number[];
  private readonly stableAfterMs: number;
  private readonly now: () => number;

  private constructor(
    private spec: GuardSpec,
    private readonly logger: Logger,
    options: CleanupGuardOptions,
  ) {
    this.spawnChild = options.spawn ?? ((command, args, spawnOptions) => spawn(command, args, spawnOptions));
    this.delaysMs = options.restartDelaysMs !== undefined && options.restartDelaysMs.length > 0 ? options.restartDelaysMs : DEFAULT_RESTART_DELAYS_MS;
    this.stableAfterMs = options.stableAfterMs ?? DEFAULT_STABLE_AFTER_MS;
    this.now = options.now ?? (() => performance.now());
  }

  /** Starts `carpd __guard SPEC` as a child with a pipe on its stdin, and supervises it until release(). */
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

  /** The daemon now owns this: the running guard gets it as a line, a restarted one in its argv. */
  update(spec: GuardSpec): void {
    if (this.released) return;
    this.spec = spec;
    if (this.child !== undefined) this.send(this.child, `${JSON.stringify(spec)}\n`);
  }

  /** A clean stop: the guard leaves without cleaning up, and is not restarted any more. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.child !== undefined) this.send(this.child, `${DONE}\n`, true);
  }

  private launch(): void {
    const carpd = join(packageRoot(), 'bin', 'carpd');
    let child: GuardChild;
    try {
      // Its own session: a signal to the daemon's process group (a shell's kill -9 -PGID) must not take the guard too.
      child = this.spawnChild(process.execPath, [carpd, '__guard', JSON.stringify(this.spec)], { stdio: ['pipe', 'ignore', 'inherit'], detached: true });
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
    // The guard's start-up (a whole Node process) must not take CPU from the daemons' timers:
    // in fast mode a master that is not scheduled for 3 of a backup's 1/256 s intervals has
    // failed over. It only waits afterwards, so the lowest priority costs it nothing.
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
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.released) return;
      this.restartCount += 1;
      this.launch();
    }, delayMs);
    this.restartTimer.unref();
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

/** Reads a spec (argv or a pipe line); undefined unless it is a well-formed GuardSpec. */
export function parseGuardSpec(text: string): GuardSpec | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !Array.isArray(value.items)) return undefined;
  const items: GuardItem[] = [];
  for (const item of value.items as unknown[]) {
    if (!isRecord(item) || typeof item.interfaceName !== 'string' || !Array.isArray(item.addresses)) return undefined;
    if (!(item.addresses as unknown[]).every(isAddressWithPrefix)) return undefined;
    if (item.virtualInterface !== undefined && typeof item.virtualInterface !== 'string') return undefined;
    if (item.virtualInterfaceIndex !== undefined && !Number.isInteger(item.virtualInterfaceIndex)) return undefined;
    items.push(item as unknown as GuardItem);
  }
  return { items };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAddressWithPrefix(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const [address, prefix, extra] = value.split('/');
  return extra === undefined && address !== undefined && tryParseIpAddress(address) !== undefined && prefix !== undefined && /^\d{1,3}$/.test(prefix);
}

/**
 * The guard's side (`carpd __guard SPEC`): reads the pipe line by line, keeping the latest spec;
 * "done" ends it without cleaning up, the pipe closing without "done" makes it clean up.
 */
export async function runGuard(specText: string | undefined, logger: Logger): Promise<number> {
  const initial = parseGuardSpec(specText ?? '{"items":[]}');
  if (initial === undefined) throw new Error('__guard: the spec argument is not a valid guard spec');
  // Our own SIGINT/SIGTERM (a terminal's Ctrl-C reaches the whole process group) must not end
  // the guard before the daemon's clean stop has said "done".
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const { spec, done } = await readPipe(initial, logger);
  if (done) return 0;
  logger.warn('carpd ended without a clean stop: removing its virtual addresses', { groups: spec.items.length });
  const netlink = RouteNetlink.open(logger);
  try {
    for (const item of spec.items) {
      try {
        await cleanUp(netlink, item);
      } catch (error) {
        logger.warn('cleanup failed', { interface: item.interfaceName, error: String(error) });
      }
    }
    return 0;
  } finally {
    netlink.close();
  }
}

/** Reads stdin until "done" or its end, and returns the latest spec it was given. */
function readPipe(initial: GuardSpec, logger: Logger): Promise<{ spec: GuardSpec; done: boolean }> {
  let spec = initial;
  let pending = '';
  /** Takes one line; true for "done". */
  const take = (line: string): boolean => {
    const text = line.trim();
    if (text === DONE) return true;
    if (text.startsWith('{')) {
      const next = parseGuardSpec(text);
      if (next === undefined) logger.warn('ignoring a malformed guard spec line', { length: text.length });
      else spec = next;
    } else if (text !== '') {
      logger.warn('ignoring an unknown guard line', { length: text.length });
    }
    return false;
  };
  return new Promise((settle) => {
    const finish = (done: boolean): void => {
      process.stdin.removeAllListeners('data').removeAllListeners('end').removeAllListeners('close').removeAllListeners('error');
      // Left open, the pipe would keep the guard waiting for an end that the daemon may never send.
      process.stdin.destroy();
      settle({ spec, done });
    };
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      pending += chunk;
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (take(line)) return finish(true);
      }
    });
    // A last line without its newline still counts ("done" from an older daemon, or a spec);
    // a spec torn by the daemon's death is malformed and leaves the previous one in place.
    const closed = (): void => finish(take(pending));
    process.stdin.once('end', closed).once('close', closed).once('error', closed);
  });
}

async function cleanUp(netlink: RouteNetlink, item: GuardItem): Promise<void> {
  if (item.virtualInterface !== undefined) {
    const link = await netlink.linkByName(item.virtualInterface);
    // Only the interface the dead daemon made: a restarted daemon's new one has another index.
    if (link !== undefined && (item.virtualInterfaceIndex === undefined || link.index === item.virtualInterfaceIndex)) await netlink.deleteLink(link.index);
    return;
  }
  const parent = await netlink.linkByName(item.interfaceName);
  if (parent === undefined) return;
  for (const text of item.addresses) {
    const [address, prefix] = text.split('/');
    await netlink.removeAddress(parent.index, parseIpAddress(address as string), Number(prefix));
  }
}
