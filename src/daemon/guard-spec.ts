/**
 * What the cleanup guard (cleanup-guard.ts) must remove if the daemon dies now: each managed
 * group's macvlan, or its virtual addresses on the parent, and the down scripts of groups whose
 * scripts own the addresses (ucarp mode, cleanup-script.ts).
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { GuardSpec } from './cleanup-guard.ts';
import { cleanupDownScript } from './cleanup-script.ts';
import type { ResolvedAddress } from './linux-group-effects.ts';
import { isAddressOwner } from './protocol-settings.ts';

/** A running group as the guard sees it (GroupInstance). */
export interface GuardedGroup {
  readonly config: GroupConfig;
  readonly virtualInterface: { name: string; index: number } | undefined;
  readonly addresses: readonly ResolvedAddress[];
}

/** The guard's spec for these groups. */
export function guardSpecOf(groups: readonly GuardedGroup[]): GuardSpec {
  return {
    items: groups
      .filter((g) => g.config.manageAddresses !== false)
      .map((g) => ({
        interfaceName: g.config.interface,
        ...(g.virtualInterface === undefined ? {} : { virtualInterface: g.virtualInterface.name, virtualInterfaceIndex: g.virtualInterface.index }),
        // An address owner's addresses are its interface's own: never removed, not even by the guard.
        addresses: g.virtualInterface === undefined && !isAddressOwner(g.config) ? g.addresses.map((a) => `${a.address.text}/${a.prefixLength}`) : [],
      })),
    // Addresses the scripts own (ucarp mode): the guard runs the down script (cleanup-script.ts).
    downScripts: groups.flatMap((g) => cleanupDownScript(g.config) ?? []),
  };
}
