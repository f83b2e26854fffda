/**
 * What a netlink event about a group's interface or addresses means for it (docs/fail-safe.md,
 * drift repair; issue 19 item 11): while MASTER, anything missing is put back; a virtual address
 * appearing while not MASTER may be a conflict (someone else put it there, or another daemon
 * runs), but only if the kernel still has it when asked, since the event may be late.
 */
import { ipAddressEquals } from '../wire/ip-address.ts';
import type { AddressEvent, HostNetlink, InterfaceAddress, LinkEvent, LinkInfo } from '../ports/host-netlink.ts';
import type { ResolvedAddress } from './linux-group-effects.ts';

/** A host event as a group receives it. */
export type HostEvent = { kind: 'address'; event: AddressEvent } | { kind: 'link'; event: LinkEvent };

/** What the group should do about it. */
export type DriftVerdict = { kind: 'repair' } | { kind: 'check-conflict'; address: InterfaceAddress } | { kind: 'none' };

/** The group as the verdict needs it, now. */
export interface DriftView {
  /** manage_addresses is on and the effects exist. */
  readonly managing: boolean;
  /** A VRRP address owner: its addresses are its interface's own, the operator's to change. */
  readonly addressOwner: boolean;
  readonly addresses: readonly ResolvedAddress[];
  /** The effects hold the addresses (MASTER, claim done). */
  readonly holdingAddresses: boolean;
  /** The effects are adding or removing addresses now. */
  readonly busy: boolean;
  /** True for a link event about the group's own macvlan. */
  readonly isOwnLink: (link: LinkInfo) => boolean;
}

/** The verdict on one event. */
export function driftVerdict(event: HostEvent, view: DriftView): DriftVerdict {
  const none: DriftVerdict = { kind: 'none' };
  if (!view.managing) return none;
  if (event.kind === 'address') {
    // An owner's addresses are its interface's own: always present, and the operator's to change.
    if (view.addressOwner) return none;
    if (!view.addresses.some((a) => a.address.text === event.event.address.address.text)) return none;
    if (event.event.type === 'del' && view.holdingAddresses) return { kind: 'repair' };
    if (event.event.type === 'new' && !view.holdingAddresses && !view.busy) return { kind: 'check-conflict', address: event.event.address };
    return none;
  }
  const link = event.event.link;
  if (!view.isOwnLink(link) || !view.holdingAddresses) return none;
  return event.event.type === 'del' || !link.up ? { kind: 'repair' } : none;
}

/**
 * Is the address reported added still on its interface? The report may be late: after a MASTER
 * spell shorter than the netlink event delay carpd has already removed the address it added when
 * the 'new' event arrives (issue 19 item 11: 13 false warnings in 30 s).
 */
export async function stillPresent(netlink: Pick<HostNetlink, 'listAddresses'>, address: InterfaceAddress): Promise<boolean> {
  return netlink.listAddresses(address.ifindex).then(
    (list) => list.some((a) => ipAddressEquals(a.address, address.address)),
    (error: unknown) => (error as { code?: string }).code !== 'ENODEV', // its interface is gone: so is the address
  );
}
