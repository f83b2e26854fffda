/**
 * A guard for SIGKILL: the daemon starts a small child process that only waits on a pipe. If the
 * daemon dies without a clean stop (SIGKILL, OOM kill, a crash), the pipe closes and the guard
 * removes what the daemon had put on the host — the carp<vhid> interface, or the virtual
 * addresses on the parent — so a dead daemon never leaves a VIP (or the virtual MAC) answering
 * on a host that is still up while another node is master. After a clean stop the daemon says
 * "done" first and the guard leaves without touching anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { resolve } from 'node:path';
import { parseIpAddress } from '../protocol/ip-address.ts';
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

/** The guard's nice value: the lowest priority. */
const GUARD_NICENESS = 19;

/** The daemon's side: starts the guard and tells it when the stop was clean. */
export class CleanupGuard {
  private constructor(private readonly child: ChildProcess) {}

  /** Starts `carpd __guard SPEC` as a child with a pipe on its stdin. */
  static start(spec: GuardSpec, logger: Logger): CleanupGuard {
    const carpd = resolve(import.meta.dirname, '../../bin/carpd');
    // Its own session: a signal to the daemon's process group (a shell's kill -9 -PGID) must not take the guard too.
    const child = spawn(process.execPath, [carpd, '__guard', JSON.stringify(spec)], { stdio: ['pipe', 'ignore', 'inherit'], detached: true });
    child.on('error', (error) => logger.warn('the cleanup guard could not start: a SIGKILLed daemon would leave its addresses behind', { error: error.message }));
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
    (child.stdin as NodeJS.WritableStream & { unref?: () => void }).unref?.();
    return new CleanupGuard(child);
  }

  /** A clean stop: the guard leaves without cleaning up. */
  release(): void {
    try {
      this.child.stdin?.end('done\n');
    } catch {
      // Already gone.
    }
  }
}

/** The guard's side (`carpd __guard SPEC`): waits for the pipe to close, then cleans up unless told "done". */
export async function runGuard(specText: string | undefined, logger: Logger): Promise<number> {
  const spec = JSON.parse(specText ?? '{"items":[]}') as GuardSpec;
  // Our own SIGINT/SIGTERM (a terminal's Ctrl-C reaches the whole process group) must not end
  // the guard before the daemon's clean stop has said "done".
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => (input += chunk));
  await new Promise<void>((done) => process.stdin.once('end', done).once('close', done));
  if (input.includes('done')) return 0;
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
