/**
 * The down script run after carpd ended without a clean stop, for a group whose scripts own the
 * addresses (ucarp mode, `manage_addresses: false`): carpd never put the address there itself,
 * so only the script can take it away, with whatever else its up script did (docs/fail-safe.md).
 * The cleanup guard (native/carpd_guard.c) runs it within milliseconds of the daemon's death;
 * `carpd cleanup` (the units' ExecStopPost=) runs the same one. Both run it only while the first
 * address is still on the group's interface, i.e. when this node was (or was becoming) MASTER.
 *
 * It is what a clean stop as MASTER would have run (chooseScript: scripts.stop, else the backup
 * script), with the same arguments (ucarp's `<interface> <address> [xparam]` in ucarp style), and
 * CARP_REASON=cleanup. Pure: building it does no I/O.
 */
import type { GroupConfig } from '../config/config-types.ts';
import { carpdScriptArgs, chooseScript, CLEANUP_REASON, scriptEnvironment, ucarpScriptArgs } from '../ports/script-job.ts';
import type { IpAddress } from '../wire/ip-address.ts';
import { moduleOf } from '../protocols/index.ts';
import { SCRIPT_PATH } from '../config/script-security.ts';

/** A script to run if `address` is still on `interfaceName`. */
export interface CleanupDownScript {
  readonly group: string;
  readonly interfaceName: string;
  /** The group's first address: while it is on the interface, the up script's work is there to undo. */
  readonly address: IpAddress;
  readonly path: string;
  readonly args: readonly string[];
  /** The whole environment: the fixed PATH daemon-run scripts get (docs/scripts.md) and the CARP_* variables, nothing else. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** script_user (docs/scripts.md): the guard switches to it before running the script; absent: the daemon's own user. */
  readonly user?: { readonly uid: number; readonly gid: number };
}


/** The group's cleanup script, or undefined when carpd manages the addresses itself or no script would run. */
export function cleanupDownScript(
  group: GroupConfig,
  path: string = SCRIPT_PATH,
  /** The daemon's own uid/gid: a script_user equal to them needs no switch (an unprivileged carpd could not make one). */
  self: { readonly uid: number; readonly gid: number } = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 },
): CleanupDownScript | undefined {
  const first = group.addresses[0];
  if (group.manageAddresses || first === undefined) return undefined;
  const choice = chooseScript(group.scripts, 'stop', 'master');
  if (choice === undefined) return undefined;
  const args = group.scripts.style === 'ucarp' ? ucarpScriptArgs(group.interface, first.address, group.scripts.extraParameter) : carpdScriptArgs(group.interface, group.vhid, choice.state);
  const env = scriptEnvironment({
    interface: group.interface,
    vhid: group.vhid,
    state: choice.state,
    previousState: 'master',
    addresses: group.addresses,
    group: group.name,
    protocol: moduleOf(group).name,
    reason: CLEANUP_REASON,
  });
  const wanted = group.scripts.user;
  const user = wanted === undefined || (wanted.uid === self.uid && wanted.gid === self.gid) ? {} : { user: { uid: wanted.uid, gid: wanted.gid } };
  return { group: group.name, interfaceName: group.interface, address: first.address, path: choice.path, args, env: { PATH: path, ...env }, timeoutMs: group.scripts.timeoutSeconds * 1000, ...user };
}
