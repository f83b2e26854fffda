/**
 * What the script runner is asked to run, and the environment and arguments carpd gives the
 * operator's scripts (docs/scripts.md). Pure: building a job does no I/O.
 */
import type { IpAddress } from '../wire/ip-address.ts';

/** The phase a script is run for: a transition to MASTER or BACKUP, or the group stopping. */
export type ScriptPhase = 'master' | 'backup' | 'stop';

/** The state a script is told the group is in (CARP_STATE, and the carpd-style third argument). */
export type ScriptState = 'master' | 'backup' | 'init';

/** One script run: a transition of one group. */
export interface ScriptJob {
  /** The group the transition belongs to ("eth0/vhid7"); runs of one group are serialised. */
  readonly group: string;
  /** The executable, run directly (no shell). */
  readonly path: string;
  /** argv[1..]: carpdScriptArgs for -m/-b scripts; ucarp-style up/down scripts use their own. */
  readonly args: readonly string[];
  /** Added to the environment (which otherwise holds only PATH). */
  readonly env: Readonly<Record<string, string>>;
  readonly phase: ScriptPhase;
  /** Overrides the runner's timeout for this job (the group's scripts.timeout_seconds). */
  readonly timeoutMs?: number;
  /** The group's script_user: the script runs with this uid and gid; absent: as the daemon. */
  readonly user?: { readonly uid: number; readonly gid: number };
}

/** A virtual address with its prefix length, when known. */
export interface ScriptAddress {
  readonly address: IpAddress;
  readonly prefixLength?: number;
}

/**
 * The protocol a group speaks (CARP_PROTOCOL): its module's name (protocols/index.ts
 * ProtocolName, e.g. carp, vrrp). A plain string here: a port names no protocol, so adding one
 * changes nothing in ports/.
 */
export type ScriptProtocol = string;

/**
 * CARP_REASON of a down script run by the cleanup (the guard, or `carpd cleanup`) after carpd
 * ended without a clean stop: no transition was logged for it (docs/scripts.md).
 */
export const CLEANUP_REASON = 'cleanup';

/** Inputs of scriptEnvironment. */
export interface ScriptEnvironmentInput {
  readonly interface: string;
  readonly vhid: number;
  readonly state: ScriptState;
  readonly previousState: 'init' | 'backup' | 'master';
  readonly addresses: readonly ScriptAddress[];
  /** The macvlan carrying the virtual MAC, with --vmac. */
  readonly virtualInterface?: string;
  /** The group's name, as in the log and `carpctl status`. */
  readonly group: string;
  readonly protocol: ScriptProtocol;
  /** The transition's reason as logged ("shutdown" when carpd stops), or CLEANUP_REASON. */
  readonly reason: string;
}

/**
 * The CARP_* variables: CARP_INTERFACE, CARP_VHID, CARP_STATE (MASTER/BACKUP; INIT for the stop
 * script), CARP_PREVIOUS_STATE (INIT/BACKUP/MASTER), CARP_ADDRESSES (space-separated, "/prefix"
 * when known), CARP_VIRTUAL_INTERFACE when there is one, and CARP_GROUP, CARP_PROTOCOL,
 * CARP_REASON.
 */
export function scriptEnvironment(input: ScriptEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {
    CARP_INTERFACE: input.interface,
    CARP_VHID: String(input.vhid),
    CARP_STATE: input.state.toUpperCase(),
    CARP_PREVIOUS_STATE: input.previousState.toUpperCase(),
    CARP_ADDRESSES: input.addresses
      .map((a) => (a.prefixLength === undefined ? a.address.text : `${a.address.text}/${a.prefixLength}`))
      .join(' '),
  };
  if (input.virtualInterface !== undefined) env.CARP_VIRTUAL_INTERFACE = input.virtualInterface;
  Object.assign(env, transitionFacts(input));
  return env;
}

/** Which group, which protocol, and why: the same for every script of a transition. */
function transitionFacts(input: Pick<ScriptEnvironmentInput, 'group' | 'protocol' | 'reason'>): Record<string, string> {
  return { CARP_GROUP: input.group, CARP_PROTOCOL: input.protocol, CARP_REASON: input.reason };
}

/** The script paths of a group and ucarp's --neutral (the config's ScriptsConfig fits). */
export interface ScriptPaths {
  readonly master?: string;
  readonly backup?: string;
  readonly stop?: string;
  readonly neutral: boolean;
}

/** Which script a run-script action runs, and the state it is told. */
export interface ScriptChoice {
  readonly path: string;
  /** The phase the job is logged and counted under: 'backup' when the backup script stands in for a missing stop script. */
  readonly phase: ScriptPhase;
  readonly state: ScriptState;
}

/**
 * The script for a phase, or undefined when none runs (docs/scripts.md): master and backup run
 * their own (no backup script on the first INIT → BACKUP with ucarp's --neutral); a stop runs
 * scripts.stop, told INIT, or without one the backup script, told BACKUP, when the group was
 * MASTER, as carpd did before scripts.stop existed.
 */
export function chooseScript(paths: ScriptPaths, phase: ScriptPhase, previous: 'init' | 'backup' | 'master'): ScriptChoice | undefined {
  switch (phase) {
    case 'master':
      return paths.master === undefined ? undefined : { path: paths.master, phase, state: 'master' };
    case 'backup':
      if (paths.backup === undefined || (paths.neutral && previous === 'init')) return undefined;
      return { path: paths.backup, phase, state: 'backup' };
    case 'stop':
      if (paths.stop !== undefined) return { path: paths.stop, phase, state: 'init' };
      return paths.backup !== undefined && previous === 'master' ? { path: paths.backup, phase: 'backup', state: 'backup' } : undefined;
  }
}

/** Arguments of a carpd-style (-m/-b) script: `<interface> <vhid> <state>`, state MASTER, BACKUP or INIT (stop). */
export function carpdScriptArgs(interfaceName: string, vhid: number, state: ScriptState): readonly string[] {
  return [interfaceName, String(vhid), state.toUpperCase()];
}

/** Arguments of a ucarp-style up/down script: `<interface> <first address> [xparam]`. */
export function ucarpScriptArgs(interfaceName: string, firstAddress: IpAddress, xparam?: string): readonly string[] {
  return xparam === undefined ? [interfaceName, firstAddress.text] : [interfaceName, firstAddress.text, xparam];
}
