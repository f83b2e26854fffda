/**
 * The instance lock: before carpd touches an interface, it takes an exclusive flock(2) per group
 * on `<state directory>/lock.<interface>.vhid<N>`. A second carpd for the same interface and
 * vhid with the same state directory (a second `carpd --config` on the host, a unit started
 * twice) fails here, before its start-up reconciliation could delete the first one's carp<vhid>
 * and VIPs. The lock is per group rather than per directory so that several ucarp-style
 * instances (one vhid each, `carpd ucarp ...`) can share the default state directory. A flock
 * goes with the process, SIGKILL included: a crashed carpd never leaves a stale lock.
 */
import { closeSync, mkdirSync, openSync, accessSync, constants, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadNativeBinding, type FileLockBinding } from '../linux/native-binding.ts';
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

/** The group locks this process holds in one state directory. */
export class InstanceLocks {
  private readonly held = new Map<string, number>();

  constructor(
    readonly stateDirectory: string,
    private readonly binding: FileLockBinding = loadNativeBinding(),
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
  hold(targets: readonly LockTarget[]): void {
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

  private release(path: string): void {
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
