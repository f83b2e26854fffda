/**
 * A reload that changes a group's protocol (CARP ↔ VRRP) or VRRP version, and nothing about
 * where its addresses live, is a protocol switch (docs/migration.md "Then: the whole cluster to
 * VRRPv3, or to CARP"). On a MASTER it is handed over in place (group-supervisor.ts): the old
 * instance stops without a bow-out and without removing the addresses, the new one starts as
 * MASTER at once (the 'start' event's 'resume-master' mode, fsm/machine-types.ts), so the
 * addresses never leave the host. Anything else restarts the group as before (reload-plan.ts).
 *
 * Pure: decided from the two configurations, the reload's changed fields, and what the running
 * instance has seen.
 */
import type { GroupConfig } from '../config/config-types.ts';
import { isAddressOwner } from './protocol-settings.ts';

/** Fields whose change makes a reload a protocol switch. */
const SWITCH_FIELDS: ReadonlySet<string> = new Set(['protocol', 'vrrp.version']);

/**
 * Fields that move the addresses or the advert stream elsewhere: with any of them changed the
 * group restarts, whatever else changed.
 */
const LOCATION_FIELDS: ReadonlySet<string> = new Set(['interface', 'vhid', 'addresses', 'manageAddresses', 'vrrp.owner']);

/**
 * Why a protocol switch is not handed over in place (the group restarts): stable identifiers,
 * logged with the restart.
 */
export type HandOverRefusal =
  /** The running instance is not MASTER: nothing to keep. */
  | 'not-master'
  /** A peer of the old protocol was heard within the last master-down interval: keeping the addresses would make two holders. */
  | 'old-protocol-peer-heard'
  /** The addresses live on a macvlan with a virtual MAC (vmac), before or after: not handed over yet (docs/migration.md). */
  | 'virtual-mac-interface'
  /** A VRRP address owner (priority 255), before or after: its addresses are the interface's own. */
  | 'address-owner';

/** Is this reload's change of a group a protocol switch (and no move of its addresses)? */
export function isProtocolSwitch(fields: readonly string[]): boolean {
  return fields.some((f) => SWITCH_FIELDS.has(f)) && !fields.some((f) => LOCATION_FIELDS.has(f));
}

/** What the running instance tells about itself for the decision. */
export interface RunningSide {
  readonly config: GroupConfig;
  readonly isMaster: boolean;
  /** Monotonic µs of the last authentic advert heard from a peer (any), undefined when none. */
  readonly lastPeerHeardAt: number | undefined;
  /** Its master-down interval, µs. */
  readonly masterDownMicros: number;
}

/**
 * Can a protocol switch be handed over in place? undefined: yes; else why not. `now` is the
 * clock's monotonic µs.
 */
export function handOverRefusal(running: RunningSide, next: GroupConfig, now: number): HandOverRefusal | undefined {
  if (!running.isMaster) return 'not-master';
  if (usesVirtualMacInterface(running.config) || usesVirtualMacInterface(next)) return 'virtual-mac-interface';
  if (isAddressOwner(running.config) || isAddressOwner(next)) return 'address-owner';
  if (running.lastPeerHeardAt !== undefined && now - running.lastPeerHeardAt <= running.masterDownMicros) return 'old-protocol-peer-heard';
  return undefined;
}

/** The group's addresses live on its own macvlan (group-instance.ts start). */
function usesVirtualMacInterface(config: GroupConfig): boolean {
  return config.vmac && config.manageAddresses !== false;
}
