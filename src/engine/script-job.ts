/**
 * What the script runner is asked to run, and the environment and arguments carpd gives the
 * operator's scripts (docs/scripts.md). Pure: building a job does no I/O.
 */
import type { IpAddress } from '../protocol/ip-address.ts';

/** The phase a script is run for. */
export type ScriptPhase = 'master' | 'backup';

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

/** Inputs of scriptEnvironment. */
export interface ScriptEnvironmentInput {
  readonly interface: string;
  readonly vhid: number;
  readonly state: ScriptPhase;
  readonly previousState: 'init' | 'backup' | 'master';
  readonly addresses: readonly ScriptAddress[];
  /** The macvlan carrying the virtual MAC, with --vmac. */
  readonly virtualInterface?: string;
}

/**
 * The CARP_* variables: CARP_INTERFACE, CARP_VHID, CARP_STATE (MASTER/BACKUP),
 * CARP_PREVIOUS_STATE (INIT/BACKUP/MASTER), CARP_ADDRESSES (space-separated, "/prefix" when
 * known) and CARP_VIRTUAL_INTERFACE when there is one.
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
  return env;
}

/** Arguments of a carpd-style (-m/-b) script: `<interface> <vhid> <state>`, state MASTER or BACKUP. */
export function carpdScriptArgs(interfaceName: string, vhid: number, state: ScriptPhase): readonly string[] {
  return [interfaceName, String(vhid), state.toUpperCase()];
}

/** Arguments of a ucarp-style up/down script: `<interface> <first address> [xparam]`. */
export function ucarpScriptArgs(interfaceName: string, firstAddress: IpAddress, xparam?: string): readonly string[] {
  return xparam === undefined ? [interfaceName, firstAddress.text] : [interfaceName, firstAddress.text, xparam];
}
