/**
 * Script security, on by default (docs/scripts.md, "Script security"; keepalived calls it
 * `enable_script_security`): carpd refuses a transition script or command check that someone
 * other than root and the user it runs as could change, since that someone would run code with
 * carpd's network privileges (or root's). Checked at `carpd --check`, at start and at reload;
 * the file and every directory above it, for the path as written and, through symlinks, for the
 * real one. A component is unsafe when it is
 *  - owned by anyone but root and the user the script runs as, or
 *  - writable by its group (other than root's group 0) or by everyone — except a directory with
 *    the sticky bit (/tmp), where others may create files but not replace this one.
 * A path that does not exist is left to the run ("script could not be started"); the
 * directories above it are still checked, since whoever can write them could create it.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { CarpdConfig, GroupConfig } from './config-types.ts';
import { configProblem, type ConfigProblem, type PathSegment } from './error-codes.ts';
import { scriptUserPrivilegeProblems, type DaemonIdentity } from './script-user.ts';

/** What the rule needs of a file. */
export interface FileFacts {
  readonly uid: number;
  readonly gid: number;
  /** st_mode: permission bits, sticky bit, file type. */
  readonly mode: number;
  readonly isDirectory: boolean;
}

/** The file system as the check sees it (tests give a table). */
export interface FileSystemView {
  /** stat(2), following symlinks; undefined when the path does not exist (or cannot be seen). */
  stat(path: string): FileFacts | undefined;
  /** realpath(3); undefined when it cannot be resolved. */
  realpath(path: string): string | undefined;
}

/**
 * PATH of every script and command check (the daemon's own is not passed on), and where a
 * check's bare program name is looked up, at the check and at run time alike.
 */
export const SCRIPT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const STICKY = 0o1000;
const GROUP_WRITE = 0o020;
const OTHER_WRITE = 0o002;

/** The real file system. */
export const realFileSystem: FileSystemView = {
  stat(path) {
    try {
      const s = statSync(path);
      return { uid: s.uid, gid: s.gid, mode: s.mode, isDirectory: s.isDirectory() };
    } catch {
      return undefined;
    }
  },
  realpath(path) {
    try {
      return realpathSync(path);
    } catch {
      return undefined;
    }
  },
};

/** Why one component is unsafe for a script run by `runnerUid`, or undefined. */
export function unsafeBecause(facts: FileFacts, runnerUid: number): string | undefined {
  if (facts.uid !== 0 && facts.uid !== runnerUid) return `is owned by uid ${facts.uid}`;
  const shielded = facts.isDirectory && (facts.mode & STICKY) !== 0;
  if (shielded) return undefined;
  if ((facts.mode & OTHER_WRITE) !== 0) return 'is writable by everyone';
  if ((facts.mode & GROUP_WRITE) !== 0 && facts.gid !== 0) return `is writable by group ${facts.gid}`;
  return undefined;
}

/** "/", "/etc", "/etc/carpd", "/etc/carpd/up.sh" for "/etc/carpd/up.sh". */
export function pathComponents(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  const out = ['/'];
  let current = '';
  for (const part of parts) {
    current = `${current}/${part}`;
    out.push(current);
  }
  return out;
}

/** The first unsafe component of `path` (or of its real path), with the reason; undefined when safe. */
export function firstUnsafe(path: string, runnerUid: number, fs: FileSystemView): { component: string; why: string } | undefined {
  const real = fs.realpath(path);
  const paths = real === undefined || real === path ? [path] : [path, real];
  for (const candidate of paths) {
    for (const component of pathComponents(candidate)) {
      const facts = fs.stat(component);
      if (facts === undefined) break;
      const why = unsafeBecause(facts, runnerUid);
      if (why !== undefined) return { component, why };
    }
  }
  return undefined;
}

/** Where a check's program is: as written when it has a '/', else the first match on SCRIPT_PATH. */
export function resolveProgram(program: string, fs: FileSystemView): string | undefined {
  if (program.includes('/')) return isAbsolute(program) ? program : resolve('/', program);
  for (const directory of SCRIPT_PATH.split(':')) {
    const candidate = join(directory, program);
    const facts = fs.stat(candidate);
    if (facts !== undefined && !facts.isDirectory) return candidate;
  }
  return undefined;
}

/** Every program a group runs, with the key it comes from: scripts (master, backup, ...) and command checks. */
export function programsOf(group: GroupConfig, index: number, fs: FileSystemView): { path: string; at: PathSegment[] }[] {
  const out: { path: string; at: PathSegment[] }[] = [];
  // Every script key the group has (master, backup, and any added later), not a fixed list.
  for (const [key, value] of Object.entries(group.scripts)) {
    if (typeof value === 'string' && value.startsWith('/') && key !== 'extraParameter') out.push({ path: value, at: ['groups', index, 'scripts', key] });
  }
  group.track.checks.forEach((check, k) => {
    if (check.kind !== 'command' || check.command[0] === undefined) return;
    const path = resolveProgram(check.command[0], fs);
    if (path !== undefined) out.push({ path, at: ['groups', index, 'track', 'checks', k, 'command'] });
  });
  return out;
}

/**
 * CARPD_CONFIG_SCRIPT_UNSAFE for every script and command check that others could change. A
 * group's programs run as its script_user, else as `daemonUid` (this process's user by default).
 */
export function scriptSecurityProblems(config: CarpdConfig, options: { readonly fs?: FileSystemView; readonly daemonUid?: number } = {}): ConfigProblem[] {
  const fs = options.fs ?? realFileSystem;
  const daemonUid = options.daemonUid ?? process.geteuid?.() ?? 0;
  const problems: ConfigProblem[] = [];
  config.groups.forEach((group, index) => {
    const runnerUid = group.scripts.user?.uid ?? daemonUid;
    for (const { path, at } of programsOf(group, index, fs)) {
      const unsafe = firstUnsafe(path, runnerUid, fs);
      if (unsafe === undefined) continue;
      const whom = runnerUid === 0 ? 'root' : `root and uid ${runnerUid}, which runs it`;
      const where = unsafe.component === path ? path : `${unsafe.component} (above ${path})`;
      problems.push(configProblem('CARPD_CONFIG_SCRIPT_UNSAFE', at, `${where} ${unsafe.why}: only ${whom} may be able to change a script or check and the directories above it (chown root, chmod go-w)`));
    }
  });
  return problems;
}

/**
 * Everything that makes a configuration's scripts unusable by this daemon: unsafe programs
 * (CARPD_CONFIG_SCRIPT_UNSAFE) and a script_user it cannot switch to (CARPD_SCRIPT_USER_PRIVILEGE).
 * `carpd --check`, start and reload all ask this; --check judges with its own credentials, which
 * under the unit (ExecStartPre=) are the daemon's.
 */
export function scriptPolicyProblems(config: CarpdConfig, daemon: DaemonIdentity, fs: FileSystemView = realFileSystem): ConfigProblem[] {
  return [...scriptSecurityProblems(config, { fs, daemonUid: daemon.uid }), ...scriptUserPrivilegeProblems(config, daemon)];
}
