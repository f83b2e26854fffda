/**
 * The daemon's own credentials, as far as running a script as another user is concerned: its
 * effective uid and gid, and whether it holds CAP_SETUID and CAP_SETGID (capabilities(7), bits 7
 * and 6 of CapEff in /proc/self/status). carpd under its unit has neither (docs/systemd.md), so
 * a script_user other than its own user is refused at start (CARPD_SCRIPT_USER_PRIVILEGE).
 */
import { readFileSync } from 'node:fs';

/** Who this process is, for script_user. */
export interface ProcessCredentials {
  readonly uid: number;
  readonly gid: number;
  /** Holds CAP_SETUID and CAP_SETGID, so a child may be started as any user. */
  readonly canSwitchUser: boolean;
}

const CAP_SETGID = 6n;
const CAP_SETUID = 7n;

/** The effective capability set from /proc/self/status text; 0 when the line is missing. */
export function effectiveCapabilities(status: string): bigint {
  const hex = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status)?.[1];
  return hex === undefined ? 0n : BigInt(`0x${hex}`);
}

/** Both CAP_SETUID and CAP_SETGID in a capability mask. */
export function canSwitchUser(mask: bigint): boolean {
  return ((mask >> CAP_SETUID) & 1n) === 1n && ((mask >> CAP_SETGID) & 1n) === 1n;
}

/** This process's credentials. */
export function processCredentials(): ProcessCredentials {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // No /proc: assume no capabilities; only the process's own user is usable.
  }
  return { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0, canSwitchUser: canSwitchUser(effectiveCapabilities(status)) };
}

/**
 * The uid/gid options of a child's spawn for script_user: none when the user is this process's
 * own (the child simply inherits them, capabilities included), so an unprivileged daemon never
 * asks the kernel for a change it may not make.
 */
export function spawnCredentials(user: { readonly uid: number; readonly gid: number } | undefined): { uid?: number; gid?: number } {
  if (user === undefined) return {};
  if (user.uid === process.geteuid?.() && user.gid === process.getegid?.()) return {};
  return { uid: user.uid, gid: user.gid };
}
