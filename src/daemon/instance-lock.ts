/**
 * The instance lock: before carpd touches an interface, it takes two locks per group, both
 * released by the kernel when the process ends (SIGKILL included), so a crash never leaves a
 * stale one:
 *  - an exclusive flock(2) on `<state directory>/lock.<interface>.vhid<N>`: a second carpd with
 *    the same state directory (a second `carpd --config` on the host, a unit started twice)
 *    stops before it could overwrite the first one's counters;
 *  - an abstract Unix socket `@carpd/<interface>/vhid<N>`: abstract names are per network
 *    namespace, exactly the scope of an interface, so a second carpd for the same interface
 *    and vhid stops even with another state directory and control socket — before its start-up
 *    reconciliation could delete the first one's carp<vhid> and VIPs.
 * The locks are per group rather than per process so that several ucarp-style instances (one
 * vhid each, `carpd ucarp ...`) can share the default state directory.
 *
 * Any local user may bind an abstract name, so a name already taken is not proof of another
 * carpd: its listener's credentials (SO_PEERCRED) decide. Held by root or by carpd's own user, it
 * is another carpd (CARPD_ALREADY_RUNNING); held by anyone else, or by something that does not
 * accept a connection as carpd's lock does, it is a squatter: carpd says so, names the process,
 * and starts on the state directory's flock alone (which only carpd's user can take: the
 * directory is its own, mode 0700). So no unprivileged user can keep carpd from starting.
 */
import { closeSync, mkdirSync, openSync, accessSync, constants, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { loadNativeBinding, type FileLockBinding, type SocketPeer, type SocketPeerBinding } from '../linux/native-binding.ts';
import { silentLogger, type Logger } from '../ports/logger.ts';
import { describeErrno, StartupError } from './startup-error.ts';

/** What a lock is taken for: a group's interface and vhid. */
export interface LockTarget {
  readonly interface: string;
  readonly vhid: number;
}

/** The lock file of one group. */
export function lockPath(stateDirectory: string, target: LockTarget): string {
  return join(stateDirectory, `lock.${target.interface}.vhid${target.vhid}`);
}

/** The abstract socket name of a group's interface lock. */
export function interfaceLockName(target: LockTarget): string {
  return `\0carpd/${target.interface}/vhid${target.vhid}`;
}

/** The group locks this process holds in one state directory. */
export class InstanceLocks {
  private readonly held = new Map<string, number>();
  private readonly sockets = new Map<string, Server>();

  constructor(
    readonly stateDirectory: string,
    private readonly binding: FileLockBinding & SocketPeerBinding = loadNativeBinding(),
    private readonly logger: Logger = silentLogger,
    /** This process's uid: a lock name held by it (or root) is another carpd. */
    private readonly ownUid: number = process.geteuid?.() ?? 0,
  ) {}

  /** The lock files held. */
  get paths(): string[] {
    return [...this.held.keys()];
  }

  /**
   * Takes the locks of every target not held yet, or none of them: on any failure those taken by
   * this call are released and a StartupError names the cause (CARPD_ALREADY_RUNNING, or
   * CARPD_STATE_DIRECTORY with the errno of the failing step). Creates the directory if needed.
   */
  async hold(targets: readonly LockTarget[]): Promise<void> {
    ensureStateDirectory(this.stateDirectory);
    const taken: string[] = [];
    try {
      for (const target of targets) {
        const path = lockPath(this.stateDirectory, target);
        if (this.held.has(path)) continue;
        let fd: number;
        try {
          fd = openSync(path, 'a', 0o600);
        } catch (error) {
          throw new StartupError(`state directory ${this.stateDirectory}: cannot create the lock file ${path}: ${describeErrno(error)}`, 'CARPD_STATE_DIRECTORY');
        }
        this.held.set(path, fd);
        taken.push(path);
        if (!this.binding.flockExclusive(fd)) {
          throw new StartupError(
            `another carpd is running for ${target.interface} vhid ${target.vhid} (it holds ${path}); stop it first, or give this instance other groups`,
            'CARPD_ALREADY_RUNNING',
          );
        }
        const server = await bindAbstract(target, (held) => this.isCarpd(held));
        if (server !== undefined) this.sockets.set(path, server);
      }
    } catch (error) {
      for (const path of taken) this.release(path);
      throw error;
    }
  }

  /** Releases every lock but those of `targets` (groups a reload removed). */
  keepOnly(targets: readonly LockTarget[]): void {
    const keep = new Set(targets.map((t) => lockPath(this.stateDirectory, t)));
    for (const path of [...this.held.keys()]) if (!keep.has(path)) this.release(path);
  }

  /** Releases everything (the process's exit does so as well). */
  releaseAll(): void {
    for (const path of [...this.held.keys()]) this.release(path);
  }

  /** Whether the listener on a lock name is another carpd (root or our user), or a squatter (logged). */
  private isCarpd(target: LockTarget): boolean {
    let peer: SocketPeer | null;
    try {
      peer = this.binding.abstractSocketPeer(interfaceLockName(target).slice(1));
    } catch (error) {
      // Cannot tell: the safe side is the old rule, another carpd.
      this.logger.warn('cannot check who holds the interface lock', { interface: target.interface, vhid: target.vhid, error: String(error) });
      return true;
    }
    if (peer !== null && (peer.uid === 0 || peer.uid === this.ownUid)) return true;
    this.logger.warn('the interface lock name is held by another user, not by a carpd: ignoring it (the state directory lock still applies)', {
      interface: target.interface,
      vhid: target.vhid,
      name: `@carpd/${target.interface}/vhid${target.vhid}`,
      ...(peer === null ? { holder: 'not listening' } : { pid: peer.pid, uid: peer.uid }),
    });
    return false;
  }

  private release(path: string): void {
    this.sockets.get(path)?.close();
    this.sockets.delete(path);
    const fd = this.held.get(path);
    this.held.delete(path);
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
  }
}

/**
 * Binds the group's abstract socket. EADDRINUSE means another carpd runs the group in this
 * network namespace when `isCarpd` says its holder is one; otherwise it resolves with no socket.
 */
function bindAbstract(target: LockTarget, isCarpd: (target: LockTarget) => boolean): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((connection) => connection.destroy());
    server.once('error', (error: NodeJS.ErrnoException) => {
      server.close();
      if (error.code === 'EADDRINUSE' && !isCarpd(target)) {
        resolve(undefined);
      } else if (error.code === 'EADDRINUSE') {
        reject(new StartupError(`another carpd is running for ${target.interface} vhid ${target.vhid} in this network namespace (it holds @carpd/${target.interface}/vhid${target.vhid}); stop it first`, 'CARPD_ALREADY_RUNNING'));
      } else {
        reject(new StartupError(`cannot take the interface lock of ${target.interface} vhid ${target.vhid}: ${describeErrno(error)}`, 'CARPD_STARTUP'));
      }
    });
    server.listen(interfaceLockName(target), () => {
      // A lock, not a service: it must never keep the process alive.
      server.unref();
      resolve(server);
    });
  });
}

/** mkdir -p with the real cause on failure (Node's recursive mkdir reports EEXIST for ENOTDIR). */
function ensureStateDirectory(directory: string): void {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    accessSync(directory, constants.W_OK);
  } catch (error) {
    throw new StartupError(`state directory ${directory}: ${describeErrno(realCause(directory, error))}`, 'CARPD_STATE_DIRECTORY');
  }
}

/** The first ancestor that exists but is not a directory gives ENOTDIR; otherwise the error as is. */
export function realCause(path: string, error: unknown): unknown {
  for (let current = path; ; current = dirname(current)) {
    try {
      if (!statSync(current).isDirectory()) return Object.assign(new Error(`${current} is not a directory`), { code: 'ENOTDIR' });
      return error;
    } catch (statError) {
      if ((statError as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      if ((statError as NodeJS.ErrnoException).code !== 'ENOENT') return error;
    }
    if (dirname(current) === current) return error;
  }
}
