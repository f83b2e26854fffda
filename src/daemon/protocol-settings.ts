/**
 * What the daemon asks of a group's protocol outside running it, as registry lookups
 * (protocols/index.ts runtimeOf): the address owner, the virtual MAC, what the passphrase is
 * read as. The answers are each protocol's runtime part's (protocols/protocol-runtime-part.ts).
 */
import type { GroupConfig } from '../config/config-types.ts';
import { runtimeOf, type KeyPurpose } from '../protocols/index.ts';
import type { MacAddress } from '../wire/mac-address.ts';

/** True for a group whose addresses are its interface's own (a VRRP address owner, priority 255): never added or removed. */
export function isAddressOwner(config: GroupConfig): boolean {
  return runtimeOf(config).isAddressOwner(config);
}

/** A group's virtual MAC (its macvlan's address). */
export function virtualMacOf(config: GroupConfig): MacAddress {
  return runtimeOf(config).virtualMac(config);
}

/** What a group's passphrase source is read as; undefined: nothing is read. */
export function keyPurposeOf(config: GroupConfig): KeyPurpose | undefined {
  return runtimeOf(config).keyPurpose(config);
}
