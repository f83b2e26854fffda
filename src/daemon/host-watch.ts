/**
 * Host watching (docs/fail-safe.md, drift repair; issue 19): the netlink link and address events
 * routed to the groups and their interfaces. A link's state feeds the health monitors and its
 * groups (a down parent fully demotes them and their sync sets); a renamed parent is followed by
 * ifindex and said once; a re-created parent has its groups restarted on the new one; address
 * events drive drift repair and the advert sources, and lost events trigger a full resync.
 */
import type { AddressEvent, HostNetlink, LinkEvent, Subscription } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import { followAddressEvent, followAddressList } from './advert-source-follower.ts';
import type { GroupSupervisor } from './group-supervisor.ts';
import type { HealthMonitors } from './health-monitors.ts';
import type { InterfaceHost } from './interface-host.ts';
import type { InterfaceHosts } from './interface-hosts.ts';

/** What the watch needs. */
export interface HostWatchDependencies {
  readonly netlink: HostNetlink;
  readonly logger: Logger;
  readonly hosts: InterfaceHosts;
  readonly groups: Pick<GroupSupervisor, 'groupInstances' | 'addGroup' | 'removeGroup' | 'updateSyncSets'>;
  readonly monitors: Pick<HealthMonitors, 'setInterfaceState'>;
  /** True once the daemon is stopping: no interface is rebuilt then. */
  readonly stopping: () => boolean;
}

/** The daemon's netlink subscriptions and what they know. */
export class HostWatch {
  /** Last known link state by interface name, for tracked interfaces. */
  private readonly linkStates = new Map<string, boolean>();
  /** Interfaces being rebuilt after their parent was re-created. */
  private readonly rebuilding = new Set<string>();
  private watchers: Subscription[] = [];

  constructor(private readonly deps: HostWatchDependencies) {}

  /** The last known state of a link (up and running), by name. */
  linkState(name: string): boolean | undefined {
    return this.linkStates.get(name);
  }

  /** Reads every link's state once, before the groups start. */
  async readLinkStates(): Promise<void> {
    for (const link of await this.deps.netlink.listLinks()) this.linkStates.set(link.name, link.up && link.running);
  }

  /** Subscribes to link and address events. */
  watch(): void {
    this.watchers.push(this.deps.netlink.watchLinks((event) => this.onLinkEvent(event)));
    this.watchers.push(
      this.deps.netlink.watchAddresses(
        (event) => this.onAddressEvent(event),
        () => {
          this.deps.groups.groupInstances.forEach((g) => g.resync());
          void this.resyncOwnAddresses();
        },
      ),
    );
  }

  /** Unsubscribes (stop). */
  close(): void {
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }

  private onLinkEvent(event: LinkEvent): void {
    const up = event.type === 'new' && event.link.up && event.link.running;
    if (this.linkStates.get(event.link.name) !== up) {
      this.linkStates.set(event.link.name, up);
      this.deps.monitors.setInterfaceState(event.link.name, up);
    }
    for (const group of this.deps.groups.groupInstances) group.hostChanged({ kind: 'link', event });
    const host = this.deps.hosts.hostOfLink(event.link);
    if (host === undefined) return;
    if (event.link.index !== host.link.index) {
      // Same name, new ifindex: the parent was deleted and re-created. Its sockets and macvlans
      // went with the old one: rebuild the interface's groups (they are in INIT, so no flap).
      if (event.type === 'new') void this.rebuildInterface(host.name);
      return;
    }
    if (event.type === 'new') this.noticeRename(host, event.link.name);
    // A down link fully demotes its group, and so its sync set (docs/health-checks.md); an up
    // link withdraws it before the groups leave INIT, whose master-down timer counts it.
    const groups = this.deps.groups.groupInstances;
    const members = groups.filter((g) => g.config.interface === host.name);
    const before = new Map(groups.map((g) => [g.name, g.totalDemotion]));
    if (up) {
      for (const group of members) group.markLinkUp();
      this.deps.groups.updateSyncSets(before);
      for (const group of members) group.linkChanged(true);
    } else {
      for (const group of members) group.linkChanged(false);
      this.deps.groups.updateSyncSets(before);
    }
  }

  /** A parent renamed under us: said once per rename, at warn, since the configuration no longer names it. */
  private noticeRename(host: InterfaceHost, name: string): void {
    const previous = host.kernelName;
    if (name === previous) return;
    host.kernelName = name;
    const groups = this.deps.groups.groupInstances.filter((g) => g.config.interface === host.name).map((g) => g.name);
    if (name === host.name) {
      this.deps.logger.info(`interface ${previous} was renamed back to ${name}`, { interface: name, ifindex: host.link.index, groups });
      return;
    }
    this.deps.logger.warn(
      `interface ${previous} was renamed to ${name} (ifindex ${host.link.index}); the configuration says ${host.name}: its groups keep running on it and follow its link state, but a restart will not find ${host.name}: update interface in the configuration`,
      { interface: host.name, from: previous, to: name, ifindex: host.link.index, groups },
    );
  }

  private onAddressEvent(event: AddressEvent): void {
    for (const group of this.deps.groups.groupInstances) group.hostChanged({ kind: 'address', event });
    for (const host of this.deps.hosts.values()) followAddressEvent(host, event, this.deps.groups.groupInstances, this.deps.logger);
  }

  /** After lost address events: every interface's own addresses re-read, so the advert sources follow. */
  private async resyncOwnAddresses(): Promise<void> {
    for (const host of this.deps.hosts.values()) {
      const list = await this.deps.netlink.listAddresses(host.link.index).catch(() => undefined);
      if (list !== undefined && this.deps.hosts.get(host.name) === host) followAddressList(host, list, this.deps.groups.groupInstances, this.deps.logger);
    }
  }

  private async rebuildInterface(name: string): Promise<void> {
    if (this.rebuilding.has(name) || this.deps.stopping()) return;
    this.rebuilding.add(name);
    try {
      const affected = this.deps.groups.groupInstances.filter((g) => g.config.interface === name).map((g) => ({ config: g.config, key: g.currentKey }));
      this.deps.logger.warn(`interface ${name} was re-created: restarting its groups on the new one`, { interface: name, groups: affected.map((g) => g.config.name) });
      for (const group of affected) await this.deps.groups.removeGroup(group.config.name);
      const allGroups = [...this.deps.groups.groupInstances.map((g) => g.config), ...affected.map((g) => g.config)];
      for (const group of affected) {
        await this.deps.groups.addGroup(group, allGroups).catch((error: unknown) =>
          this.deps.logger.error(`group ${group.config.name}: could not start on the re-created ${name}`, { group: group.config.name, error: String(error) }),
        );
      }
    } finally {
      this.rebuilding.delete(name);
    }
  }
}
