/**
 * Looks up a user by name in the system's user database, for `script_user` (docs/scripts.md):
 * through getent(1), so that NSS sources (LDAP, systemd's DynamicUser) count as they do for
 * login; /etc/passwd when getent is not installed. Synchronous: it runs once per name when the
 * configuration is read, never on the daemon's hot path.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ScriptUser } from '../config/config-types.ts';
import type { UserLookup } from '../config/script-user.ts';

/** How long getent may take (an unreachable LDAP server must not hang --check). */
const GETENT_TIMEOUT_MS = 5_000;

/** The real lookup: getent passwd NAME, else /etc/passwd. */
export const lookupUser: UserLookup = (name) => {
  // A name getent would take for an option or a numeric id is not a user name here.
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(name) || name.length > 256) return undefined;
  let text: string;
  try {
    text = execFileSync('getent', ['passwd', name], { encoding: 'utf8', timeout: GETENT_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (error) {
    // Exit status 2: no such user. ENOENT: no getent; read the file ourselves.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    try {
      text = readFileSync('/etc/passwd', 'utf8');
    } catch {
      return undefined;
    }
  }
  return findInPasswd(text, name);
};

/** The entry of `name` in passwd(5) text (name:password:uid:gid:gecos:home:shell lines). */
export function findInPasswd(text: string, name: string): ScriptUser | undefined {
  for (const line of text.split('\n')) {
    const [entry, , uidText, gidText] = line.split(':');
    if (entry !== name || uidText === undefined || gidText === undefined) continue;
    const uid = Number(uidText);
    const gid = Number(gidText);
    if (!/^\d+$/.test(uidText) || !/^\d+$/.test(gidText) || uid > 0xfffffffe || gid > 0xfffffffe) return undefined;
    return { name, uid, gid };
  }
  return undefined;
}
