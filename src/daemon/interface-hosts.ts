/**
 * The parent interfaces in use and their shared resources (interface-host.ts): opened when the
 * first group on a parent starts (IPv4 only when IPv6 is off there), closed when the last one
 * stops, found by ifindex first for link events (a renamed parent keeps its index).
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { PacketWarningLog } from '../engine/packet-warning-log.ts';
import type { IpAddress, IpFamily } from '../wire/ip-address.ts';
import type { Clock } from '../ports/clock.ts';
import type { HostNetlink, LinkInfo } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import type { DaemonPlatform } from './daemon-platform.ts';
import { InterfaceHost, ownAddressesOf } from './interface-host.ts';
import { isAddressOwner } from './protocol-settings.ts';
import { StartupError } from './startup-error.ts';

/** What the interface hosts need. */
export interface InterfaceHostsDependencies {
  readonly netlink: HostNetlink;
  readonly platform: Pick<DaemonPlatform, 'openInterface'>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The one budget for warnings caused by received packets (issue 18). */
  readonly packetLog: PacketWarningLog;
}

/** The open interfaces, by configured name. */
export class InterfaceHosts {
  private readonly interfaces = new Map<string, InterfaceHost>();

  constructor(private readonly deps: InterfaceHostsDependencies) {}

  /** The open interface of this configured name. */
  get(name: string): InterfaceHost | undefined {
    return this.interfaces.get(name);
  }

  /** Every open interface. */
  values(): InterfaceHost[] {
    return [...this.interfaces.values()];
  }

  /** The parent's name in the kernel now: the configured one unless it was renamed. */
  kernelName(name: string): string {
    return this.interfaces.get(name)?.kernelName ?? name;
  }

  /** The interface for a group, opened with its sockets if no group uses it yet. */
  async open(config: GroupConfig, allGroups: readonly GroupConfig[]): Promise<InterfaceHost> {
    const existing = this.interfaces.get(config.interface);
    if (existing !== undefined) return existing;
    const { netlink, logger } = this.deps;
    const link = await netlink.linkByName(config.interface);
    if (link === undefined) throw new StartupError(`group ${config.name}: interface ${config.interface} does not exist`, 'CARPD_NO_INTERFACE');
    const onInterface = allGroups.filter((g) => g.interface === config.interface);
    // An address owner's addresses are the interface's own (and may be its only ones: the source).
    const virtual: IpAddress[] = onInterface.filter((g) => !isAddressOwner(g)).flatMap((g) => g.addresses.map((a) => a.address));
    const ownAddresses = ownAddressesOf(await netlink.listAddresses(link.index), virtual);
    const sources: Partial<Record<IpFamily, IpAddress>> = {};
    for (const g of onInterface) if (g.sourceAddress !== undefined) sources[g.sourceAddress.family] ??= g.sourceAddress;
    let families: IpFamily[] = [4, 6];
    let sockets;
    try {
      sockets = this.deps.platform.openInterface({ link, families, ownAddresses, sources, logger });
    } catch (error) {
      // No IPv6 on this interface (disabled): IPv4 only.
      logger.info('IPv6 CARP socket unavailable; IPv4 only', { interface: link.name, error: String(error) });
      families = [4];
      sockets = this.deps.platform.openInterface({ link, families, ownAddresses, sources, logger });
    }
    const host = new InterfaceHost(link, ownAddresses, families, sockets, logger, this.deps.clock, this.deps.packetLog);
    this.interfaces.set(link.name, host);
    return host;
  }

  /** Closes the interface unless `inUse` says a group still runs on it. */
  closeUnused(name: string, inUse: (name: string) => boolean): void {
    const host = this.interfaces.get(name);
    if (host !== undefined && !inUse(host.name)) {
      host.close();
      this.interfaces.delete(host.name);
    }
  }

  /**
   * The interface a link event is about. By ifindex first: a renamed parent keeps its index and
   * its sockets, and its up event carries the new name (issue 19: matched by name, the groups
   * stayed in INIT for good). By name second: the configured name with another index is the
   * parent deleted and re-created.
   */
  hostOfLink(link: LinkInfo): InterfaceHost | undefined {
    for (const host of this.interfaces.values()) if (host.link.index === link.index) return host;
    return this.interfaces.get(link.name);
  }
}
