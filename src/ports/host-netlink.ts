/**
 * The routing-netlink operations the daemon needs: links, addresses, the carp<vhid> macvlan,
 * and the kernel's change events for both. RouteNetlink (linux/netlink/route-netlink.ts) is the
 * real adapter; FakeHostNetlink (linux/netlink/fake-host-netlink.ts) is an in-memory kernel for
 * unit tests of the daemon's composition (start-up order, drift repair, reload).
 */
import type { IpAddress } from '../wire/ip-address.ts';

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
  /** The address protocol (IFA_PROTO, Linux 6.1+) when set: who added it; see isCarpdAddress. */
  readonly protocol?: number;
}

/**
 * The address protocol carpd marks every address it adds with (`ip address show` prints it as
 * `proto 112`; 112 is CARP's and VRRP's IP protocol number). Start-up reconciliation, `carpd
 * cleanup` and the cleanup guard remove only addresses with this mark, so an address the host
 * had (its own address, an operator's) is never taken away (docs/fail-safe.md).
 */
export const CARPD_ADDRESS_PROTOCOL = 112;

/** Whether carpd added this address (it carries carpd's mark, CARPD_ADDRESS_PROTOCOL). */
export function isCarpdAddress(address: Pick<InterfaceAddress, 'protocol'>): boolean {
  return address.protocol === CARPD_ADDRESS_PROTOCOL;
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
  /** Adds an address marked as carpd's (CARPD_ADDRESS_PROTOCOL); already present counts as done. */
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
