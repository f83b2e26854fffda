/**
 * The advert source follows the interface's own addresses (issue 19 item 2; docs/configuration.md,
 * source_address): when the host is renumbered, the next advert goes out from the new address and
 * the groups' own address in the tie rule follows; said once per move. A configured
 * source_address / --srcip stays pinned (wire/advert-source.ts).
 */
import type { IpAddress } from '../wire/ip-address.ts';
import { isCarpdAddress, type AddressEvent, type InterfaceAddress } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import type { SourceChange } from '../ports/packet-transport.ts';
import type { GroupInstance } from './group-instance.ts';
import { ownAddressesOf, type InterfaceHost } from './interface-host.ts';
import { isAddressOwner } from './protocol-settings.ts';

/** What the follower needs of a group. */
export type SourceFollowingGroup = Pick<GroupInstance, 'name' | 'config' | 'addresses' | 'sourceChanged'>;

/** An address event on one of the daemon's interfaces: its own addresses and advert sources follow. */
export function followAddressEvent(host: InterfaceHost, event: AddressEvent, groups: readonly SourceFollowingGroup[], logger: Logger): void {
  // Most events are carpd's own VIPs coming and going (one per VIP): skipped before any work.
  if (event.address.ifindex !== host.link.index || isCarpdAddress(event.address)) return;
  const virtual = virtualAddressesOn(host, groups);
  const changes = host.noteAddress(event, (address) => virtual.some((v) => v.family === address.family && v.text === address.text));
  sourcesMoved(host, changes, groups, logger);
}

/** After lost address events: the interface's addresses as re-read, carpd's own marked ones left out. */
export function followAddressList(host: InterfaceHost, list: readonly InterfaceAddress[], groups: readonly SourceFollowingGroup[], logger: Logger): void {
  const own = ownAddressesOf(list.filter((a) => a.ifindex === host.link.index && !isCarpdAddress(a)), virtualAddressesOn(host, groups));
  sourcesMoved(host, host.replaceOwnAddresses(own), groups, logger);
}

/** The virtual addresses of the interface's groups; an address owner's are the interface's own. */
function virtualAddressesOn(host: InterfaceHost, groups: readonly SourceFollowingGroup[]): IpAddress[] {
  return groups.filter((g) => g.config.interface === host.name && !isAddressOwner(g.config)).flatMap((g) => g.addresses.map((a) => a.address));
}

function sourcesMoved(host: InterfaceHost, changes: readonly SourceChange[], groups: readonly SourceFollowingGroup[], logger: Logger): void {
  if (changes.length === 0) return;
  const members = groups.filter((g) => g.config.interface === host.name);
  for (const group of members) group.sourceChanged();
  for (const { family, from, to } of changes) {
    logger.info(`interface ${host.name}: IPv${family} adverts now go out from ${to.text}${from === undefined ? '' : ` (was ${from.text}, no longer on the interface)`}`, {
      interface: host.name,
      family,
      ...(from === undefined ? {} : { from: from.text }),
      to: to.text,
      groups: members.map((g) => g.name),
    });
  }
}
