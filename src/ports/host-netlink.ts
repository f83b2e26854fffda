/**
 * The routing-netlink operations the daemon needs: links, addresses, the carp<vhid> macvlan,
 * and the kernel's change events for both. RouteNetlink (linux/netlink/route-netlink.ts) is the
 * real adapter; FakeHostNetlink (linux/netlink/fake-host-netlink.ts) is an in-memory kernel for
 * unit tests of the daemon's composition (start-up order, drift repair, reload).
 */
import type { IpAddress } from '../protocol/ip-address.ts';

/** A network interface as carpd needs to know it. */
export interface LinkInfo {
  readonly index: number;
  readonly name: string;
  /** Hardware address, "aa:bb:cc:dd:ee:ff"; empty when the link has none (IFLA_ADDRESS absent). */
  readonly mac: string;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** Operationally up: up with carrier (IFF_RUNNING). */
  readonly running: boolean;
  /** IFLA_INFO_KIND: 'macvlan', 'veth' ...; absent for physical devices. */
  readonly kind?: string;
  /** IFLA_LINK: a macvlan's parent (a veth's peer). */
  readonly parentIndex?: number;
}

/** An address on an interface. */
export interface InterfaceAddress {
  readonly ifindex: number;
  readonly address: IpAddress;
  readonly prefixLength: number;
}

/** A link appeared, changed ('new') or went away ('del'). */
export interface LinkEvent {
  readonly type: 'new' | 'del';
  readonly link: LinkInfo;
}

/** An address was added ('new') or removed ('del'). */
export interface AddressEvent {
  readonly type: 'new' | 'del';
  readonly address: InterfaceAddress;
}

/** A subscription; close() stops it. */
export interface Subscription {
  close(): void;
}

/** The netlink port. Every operation rejects with an error whose `code` is the errno name. */
export interface HostNetlink {
  listLinks(): Promise<LinkInfo[]>;
  /** One link by name, or undefined when there is none. */
  linkByName(name: string): Promise<LinkInfo | undefined>;
  /** IPv4 and IPv6 addresses, of one interface or all. */
  listAddresses(ifindex?: number): Promise<InterfaceAddress[]>;
  /** Adds an address; already present counts as done. */
  addAddress(ifindex: number, address: IpAddress, prefixLength: number, options?: { nodad?: boolean }): Promise<void>;
  /** Removes an address; already gone (or the interface gone) counts as done. */
  removeAddress(ifindex: number, address: IpAddress, prefixLength: number): Promise<void>;
  /** Creates a bridge-mode macvlan, down, without IPv6 address generation; resolves with its ifindex. */
  createMacvlan(spec: { name: string; parentIndex: number; mac: string }): Promise<number>;
  deleteLink(ifindex: number): Promise<void>;
  setLinkUp(ifindex: number, up: boolean): Promise<void>;
  /** Reports link changes; after lost events, every link again as 'new'. */
  watchLinks(listener: (event: LinkEvent) => void): Subscription;
  /**
   * Reports address changes; after lost events, `resynced` is called and the caller re-reads
   * the addresses it cares about.
   */
  watchAddresses(listener: (event: AddressEvent) => void, resynced?: () => void): Subscription;
  /** Closes the adapter: pending requests fail, watchers stop. */
  close(): void;
}
