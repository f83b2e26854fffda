/**
 * The read-only checks before a group starts or a reload changes anything (docs/reload.md; the
 * lifecycle is a transaction, docs/development.md): keys read, interfaces present, no VIP that is
 * the host's own address, an address owner's addresses on its interface; and the one host change
 * made before a group starts, removing VIPs a killed run left behind (only carpd's, by its mark).
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { IpAddress } from '../wire/ip-address.ts';
import { isCarpdAddress, type HostNetlink, type InterfaceAddress } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import type { DaemonPlatform } from './daemon-platform.ts';
import { checkHostAddresses } from './host-address-check.ts';
import type { ResolvedAddress } from './linux-group-effects.ts';
import { isAddressOwner, keyPurposeOf } from './protocol-settings.ts';
import { resolvePrefixes } from './resolve-prefixes.ts';
import { StartupError } from './startup-error.ts';

/** A group ready to start: its configuration and its key, read and checked (empty for VRRP: no authentication). */
export interface PreparedGroup {
  readonly config: GroupConfig;
  readonly key: Uint8Array;
}

/** The key of a VRRPv3 group: VRRPv3 has no authentication (RFC 5798 §9), so there is none to read. */
const NO_KEY = new Uint8Array(0);

/** Reads and checks every CARP group's key before anything is touched (CARPD_PASSPHRASE). */
export function prepareGroups(groups: readonly GroupConfig[], platform: Pick<DaemonPlatform, 'readKey'>, logger: Logger): PreparedGroup[] {
  return groups.map((config) => {
    const purpose = keyPurposeOf(config);
    if (purpose === undefined) return { config, key: NO_KEY };
    try {
      return { config, key: platform.readKey(config.passphrase, logger, purpose) };
    } catch (error) {
      throw new StartupError(`group ${config.name}: ${error instanceof Error ? error.message : String(error)}`, 'CARPD_PASSPHRASE');
    }
  });
}

/** Every group's interface exists (CARPD_NO_INTERFACE). */
export async function checkInterfaces(netlink: Pick<HostNetlink, 'listLinks'>, groups: readonly GroupConfig[]): Promise<void> {
  const names = new Set((await netlink.listLinks()).map((l) => l.name));
  for (const group of groups) {
    if (!names.has(group.interface)) throw new StartupError(`group ${group.name}: interface ${group.interface} does not exist`, 'CARPD_NO_INTERFACE');
  }
}

/**
 * No VIP may be an address the host has of its own (CARPD_HOST_ADDRESS); one outside its
 * interface's subnets is logged (host-address-check.ts). Read-only: runs before anything changes.
 */
export async function checkGroupHostAddresses(netlink: Pick<HostNetlink, 'listLinks' | 'listAddresses'>, logger: Logger, groups: readonly GroupConfig[]): Promise<void> {
  const found = checkHostAddresses({ groups }, { links: await netlink.listLinks(), addresses: await netlink.listAddresses() });
  for (const warning of found.warnings) logger.warn(warning.message, { code: warning.code });
  if (found.errors.length > 0) throw new StartupError(found.errors.map((e) => e.message).join('; '), 'CARPD_HOST_ADDRESS');
}

/** A group's addresses with their prefixes, as a reload will apply them in place. */
export async function resolveAddresses(netlink: Pick<HostNetlink, 'linkByName' | 'listAddresses'>, config: GroupConfig, interfaceName: string): Promise<ResolvedAddress[]> {
  const link = await netlink.linkByName(interfaceName);
  if (link === undefined) throw new StartupError(`group ${config.name}: interface ${interfaceName} does not exist`, 'CARPD_NO_INTERFACE');
  const present = await netlink.listAddresses(link.index);
  // An owner's new address list must be on the interface too, checked before anything changes.
  if (isAddressOwner(config)) checkOwnerAddresses(config, interfaceName, present);
  return resolvePrefixes(config.addresses, present);
}

/**
 * A VRRP address owner (priority 255) owns its addresses (RFC 5798 §1): they must already be
 * addresses of its interface, which carpd never adds or removes (CARPD_VRRP_OWNER_ADDRESS).
 */
export function checkOwnerAddresses(config: GroupConfig, interfaceName: string, present: readonly { address: IpAddress }[]): void {
  const missing = config.addresses.filter((a) => !present.some((p) => p.address.family === a.address.family && p.address.text === a.address.text));
  if (missing.length === 0) return;
  throw new StartupError(
    `group ${config.name}: priority 255 makes this router the address owner, but ${missing.map((a) => a.address.text).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not an address of ${interfaceName}: add ${missing.length === 1 ? 'it' : 'them'} to the interface, or give the group a priority below 255`,
    'CARPD_VRRP_OWNER_ADDRESS',
  );
}

/**
 * A VIP left on the parent by a killed run would be on two machines once another node is
 * master: removed, but only when it carries carpd's mark (CARPD_ADDRESS_PROTOCOL). An unmarked
 * one is the host's own address (or an operator's): never deleted, the group refused
 * (CARPD_HOST_ADDRESS). Safe only because the instance lock is held: no other carpd runs this group.
 */
export async function removeLeftoverAddresses(
  netlink: Pick<HostNetlink, 'removeAddress'>,
  logger: Logger,
  config: GroupConfig,
  interfaceName: string,
  ifindex: number,
  present: readonly InterfaceAddress[],
  wanted: readonly ResolvedAddress[],
): Promise<void> {
  const matching = present.filter((p) => wanted.some((a) => a.address.family === p.address.family && a.address.text === p.address.text));
  const hostOwn = matching.filter((p) => !isCarpdAddress(p));
  if (hostOwn.length > 0) {
    throw new StartupError(
      `group ${config.name}: ${hostOwn.map((a) => a.address.text).join(', ')} ${hostOwn.length === 1 ? 'is an address' : 'are addresses'} of this host on ${interfaceName}, not carpd's: left in place; use a free address`,
      'CARPD_HOST_ADDRESS',
    );
  }
  for (const stale of matching) {
    logger.warn('removing a virtual address left on the interface by a previous run', { group: config.name, address: `${stale.address.text}/${stale.prefixLength}` });
    await netlink.removeAddress(ifindex, stale.address, stale.prefixLength);
  }
}
