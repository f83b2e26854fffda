/**
 * `script_user` (docs/scripts.md, "Who a script runs as"): the account that a group's scripts and
 * command checks run as. A top-level key, overridable per group (or in `defaults`); without it
 * they run as the daemon's own user. Names are resolved here, when the file is read, so that
 * `carpd --check` names an unknown user (CARPD_CONFIG_SCRIPT_USER) and the daemon only ever sees
 * a uid and gid.
 */
import type { CarpdConfig, GroupConfig, ScriptUser } from './config-types.ts';
import { configProblem, type ConfigProblem, type PathSegment } from './error-codes.ts';
import type { ProblemSink } from './build-group.ts';
import { mergeDefaults } from './config-file.ts';

/** Finds a user by name (src/linux/user-database.ts, or a test's table). */
export type UserLookup = (name: string) => ScriptUser | undefined;

/**
 * Sets `scripts.user` of every group from the raw document: the group's own (or its defaults')
 * `script_user`, else the top-level one. An unknown name is an error at the key that gave it,
 * reported once for the top-level key. `config.groups[i]` was built from `groups[i]` of `value`.
 */
export function attachScriptUsers(value: Record<string, unknown>, config: CarpdConfig, lookup: UserLookup, sink: ProblemSink): CarpdConfig {
  const cache = new Map<string, ScriptUser | undefined>();
  const reported = new Set<string>();
  const resolve = (name: unknown, path: PathSegment[]): ScriptUser | undefined => {
    if (typeof name !== 'string') return undefined;
    if (!cache.has(name)) cache.set(name, name === '' ? undefined : lookup(name));
    const user = cache.get(name);
    const key = path.join('.');
    if (user === undefined && !reported.has(key)) {
      reported.add(key);
      sink.errors.push(configProblem('CARPD_CONFIG_SCRIPT_USER', path, `${JSON.stringify(name)} is not a user on this system (getent passwd finds none)`));
    }
    return user;
  };
  const topUser = value['script_user'] === undefined ? undefined : resolve(value['script_user'], ['script_user']);
  const defaults = isPlainObject(value['defaults']) ? value['defaults'] : {};
  const rawGroups = Array.isArray(value['groups']) ? (value['groups'] as unknown[]) : [];
  const groups = config.groups.map((group, index): GroupConfig => {
    const raw = rawGroups[index];
    const own = isPlainObject(raw) ? raw : {};
    const name = mergeDefaults(defaults, own)['script_user'];
    const where: PathSegment[] = own['script_user'] !== undefined ? ['groups', index, 'script_user'] : ['defaults', 'script_user'];
    const user = name === undefined ? topUser : resolve(name, where);
    return user === undefined ? group : { ...group, scripts: { ...group.scripts, user } };
  });
  return { ...config, groups };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The daemon's side of script_user: its own uid and gid, and whether it may start a child as another user. */
export interface DaemonIdentity {
  readonly uid: number;
  readonly gid: number;
  readonly canSwitchUser: boolean;
}

/**
 * CARPD_SCRIPT_USER_PRIVILEGE for every group whose script_user is not the daemon's own user
 * while the daemon cannot switch users (no CAP_SETUID and CAP_SETGID: not root). Starting the
 * scripts would fail at every transition; refusing at start and reload says so at once.
 */
export function scriptUserPrivilegeProblems(config: CarpdConfig, daemon: DaemonIdentity): ConfigProblem[] {
  if (daemon.canSwitchUser) return [];
  const problems: ConfigProblem[] = [];
  config.groups.forEach((group, index) => {
    const user = group.scripts.user;
    if (user === undefined || (user.uid === daemon.uid && user.gid === daemon.gid)) return;
    problems.push(
      configProblem(
        'CARPD_SCRIPT_USER_PRIVILEGE',
        ['groups', index, 'script_user'],
        `scripts and checks should run as ${user.name} (uid ${user.uid}, gid ${user.gid}), but carpd runs as uid ${daemon.uid} gid ${daemon.gid} without CAP_SETUID and CAP_SETGID; leave script_user unset (they run as carpd's user), or set it to carpd's user`,
      ),
    );
  });
  return problems;
}
