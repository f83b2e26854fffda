/**
 * Group supervision: the running groups, started on their interface (leftovers of a killed run
 * removed first, health monitor, ARP sysctls, sync sets and guard updated) and stopped the same
 * way in reverse; a new configuration applied as a transaction (docs/reload.md): everything
 * that can fail without touching the host first, then removals, restarts and additions each
 * with its undo, in-place updates last (reload-plan.ts decides which); a MASTER's protocol switch
 * is handed over in place instead of restarted (protocol-switch.ts).
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { GroupStatus } from '../control/control-types.ts';
import type { StartMode } from '../fsm/machine-types.ts';
import type { Clock } from '../ports/clock.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';
import type { HostNetlink } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import type { ScriptRunner } from '../linux/script-runner.ts';
import { runtimeOf } from '../protocols/index.ts';
import type { DaemonEvents } from './daemon-events.ts';
import { GroupInstance } from './group-instance.ts';
import { checkGroupHostAddresses, checkInterfaces, checkOwnerAddresses, removeLeftoverAddresses, resolveAddresses, type PreparedGroup } from './group-prechecks.ts';
import { tracksNothing, type HealthMonitors } from './health-monitors.ts';
import type { InstanceLocks } from './instance-lock.ts';
import type { InterfaceHosts } from './interface-hosts.ts';
import type { ResolvedAddress } from './linux-group-effects.ts';
import { isAddressOwner } from './protocol-settings.ts';
import { changedFields, planReload, sameTrack, type GroupChange } from './reload-plan.ts';
import { handOverRefusal, isProtocolSwitch } from './protocol-switch.ts';
import { resolvePrefixes } from './resolve-prefixes.ts';
import { shareSyncSetDemotions } from './sync-sets.ts';
import type { SysctlBook } from './sysctl-book.ts';

/** Result of applying a configuration. */
export interface ApplyResult {
  readonly added: string[];
  readonly removed: string[];
  /** Groups changed: restarted or updated in place. */
  readonly changed: string[];
  /** Of `changed`, those updated in place (no restart, no transition). */
  readonly inPlace: string[];
}

/** What the supervisor needs. */
export interface GroupSupervisorDependencies {
  readonly logger: Logger;
  readonly netlink: HostNetlink;
  readonly clock: Clock;
  readonly store: GroupStateStore;
  readonly scripts: Pick<ScriptRunner, 'run'>;
  readonly locks?: Pick<InstanceLocks, 'hold' | 'keepOnly'>;
  readonly claimRetryDelaysMs?: readonly number[];
  readonly faultHoldDownsMs?: readonly number[];
  readonly hosts: InterfaceHosts;
  readonly sysctls: SysctlBook;
  readonly monitors: HealthMonitors;
  readonly events: DaemonEvents;
  /** The running groups changed what the cleanup guard must remove. */
  readonly refreshGuard: () => void;
}

/** The running groups, by name. */
export class GroupSupervisor {
  private readonly groups = new Map<string, GroupInstance>();

  constructor(private readonly deps: GroupSupervisorDependencies) {}

  /** The running groups. */
  get groupInstances(): GroupInstance[] {
    return [...this.groups.values()];
  }

  /** How many groups run. */
  get size(): number {
    return this.groups.size;
  }

  /** The running group of this name. */
  get(name: string): GroupInstance | undefined {
    return this.groups.get(name);
  }

  /** The groups' names. */
  names(): string[] {
    return [...this.groups.keys()];
  }

  /**
   * Applies new groups as a transaction: everything that can fail without touching the host is
   * done first (interfaces, prefixes, locks); then removals, restarts, additions and in-place
   * updates, each with its undo. If a step fails, the undos run in reverse and the running groups
   * are as before; the error is rethrown. `committed` runs once nothing can fail any more.
   */
  async apply(wanted: readonly PreparedGroup[], committed: () => void): Promise<ApplyResult> {
    const plan = planReload(
      this.groupInstances.map((g) => ({ config: g.config, key: g.currentKey })),
      wanted,
    );
    const byName = new Map(wanted.map((g) => [g.config.name, g] as const));
    const starting = [...plan.added, ...plan.restarted].map((name) => byName.get(name) as PreparedGroup);
    await checkInterfaces(this.deps.netlink, starting.map((g) => g.config));
    await checkGroupHostAddresses(this.deps.netlink, this.deps.logger, wanted.map((g) => g.config));
    const inPlace: { instance: GroupInstance; group: PreparedGroup; addresses: ResolvedAddress[] }[] = [];
    for (const change of plan.inPlace) {
      const instance = this.groups.get(change.name) as GroupInstance;
      const group = byName.get(change.name) as PreparedGroup;
      inPlace.push({ instance, group, addresses: await resolveAddresses(this.deps.netlink, group.config, instance.config.interface) });
    }
    const allGroups = [...this.groupInstances.map((g) => g.config), ...wanted.map((g) => g.config)];
    await this.deps.locks?.hold(wanted.map((g) => g.config));
    const undo: (() => Promise<void>)[] = [];
    try {
      for (const name of plan.removed) {
        const old = this.prepared(name);
        await this.removeGroup(name);
        undo.push(() => this.addGroup(old, allGroups));
      }
      for (const name of plan.restarted) {
        const old = this.prepared(name);
        const group = byName.get(name) as PreparedGroup;
        if (this.handsOver(old, group)) {
          // Undone the same way: handed back in place, so a reload that fails later costs no failover either.
          await this.switchProtocol(name, group, allGroups);
          undo.push(() => this.switchProtocol(name, old, allGroups));
          continue;
        }
        await this.removeGroup(name);
        undo.push(() => this.addGroup(old, allGroups));
        await this.addGroup(group, allGroups);
        undo.push(() => this.removeGroup(name));
      }
      for (const name of plan.added) {
        await this.addGroup(byName.get(name) as PreparedGroup, allGroups);
        undo.push(() => this.removeGroup(name));
      }
    } catch (error) {
      this.deps.logger.error('reload failed part way: putting back the groups as they were', { error: error instanceof Error ? error.message : String(error) });
      for (const step of undo.reverse()) {
        await step().catch((undoError: unknown) => this.deps.logger.error('could not put a group back', { error: String(undoError) }));
      }
      this.deps.locks?.keepOnly(this.groupInstances.map((g) => g.config));
      this.deps.refreshGuard();
      throw error;
    }
    // In place last: nothing after them can fail, so they never need undoing.
    for (const { instance, group, addresses } of inPlace) this.reconfigureInPlace(instance, group, addresses, plan.inPlace.find((c) => c.name === group.config.name) as GroupChange);
    committed();
    this.deps.locks?.keepOnly(this.groupInstances.map((g) => g.config));
    this.updateSyncSets();
    this.deps.refreshGuard();
    return { added: plan.added, removed: plan.removed, changed: [...plan.restarted, ...plan.inPlace.map((c) => c.name)], inPlace: plan.inPlace.map((c) => c.name) };
  }

  private reconfigureInPlace(instance: GroupInstance, group: PreparedGroup, addresses: ResolvedAddress[], change: GroupChange): void {
    const before = instance.config;
    instance.reconfigure(group.config, group.key, addresses);
    if (!sameTrack(before, group.config)) {
      this.deps.monitors.replace(group.config);
      if (tracksNothing(group.config)) instance.setHealth(0, []);
    }
    this.deps.logger.info(`${group.config.name}: updated in place`, { group: group.config.name, fields: change.fields });
  }

  /**
   * A restart that only switches the protocol of a MASTER is handed over in place
   * (protocol-switch.ts); a refused one is logged (loudly when a peer of the old protocol is
   * still there) and restarts as before.
   */
  private handsOver(old: PreparedGroup, group: PreparedGroup): boolean {
    if (!isProtocolSwitch(changedFields(old, group))) return false;
    const instance = this.groups.get(old.config.name) as GroupInstance;
    const refusal = handOverRefusal({ config: old.config, isMaster: instance.isMaster, ...instance.peerHearing }, group.config, this.deps.clock.nowMicros());
    if (refusal === undefined) return true;
    const fields = { group: old.config.name, from: protocolName(old.config), to: protocolName(group.config), refusal };
    if (refusal === 'old-protocol-peer-heard') this.deps.logger.warn(`${old.config.name}: a peer of the old protocol was heard within the master-down interval: the protocol switch restarts the group (a failover) instead of keeping the addresses; stop the other nodes first (docs/migration.md)`, fields);
    else this.deps.logger.info(`${old.config.name}: protocol switch by a restart`, fields);
    return false;
  }

  /**
   * The protocol switch itself: the running instance hands over (addresses kept), the new one
   * starts as MASTER adopting them. Should the new one fail to start, the old one is put back
   * the same way before the error goes on (a failed start leaves nothing behind, addGroup).
   */
  private async switchProtocol(name: string, group: PreparedGroup, allGroups: readonly GroupConfig[]): Promise<void> {
    const old = this.prepared(name);
    const running = this.groups.get(name) as GroupInstance;
    const kept = { ifindex: running.hostLinkIndex, addresses: [...running.addresses] };
    await this.dropGroup(name, (instance) => instance.handOver());
    try {
      await this.addGroup(group, allGroups, 'resume-master');
    } catch (error) {
      await this.addGroup(old, allGroups, 'resume-master').catch(async (undoError: unknown) => {
        this.deps.logger.error('could not put a group back', { error: String(undoError) });
        // No instance manages the kept addresses now: a VIP nobody announces or gives up would
        // stay here beside whichever node takes over. Remove them (as a stop would).
        await this.releaseKept(name, kept.ifindex, kept.addresses);
      });
      throw error;
    }
    this.deps.logger.info(`${name}: protocol switched in place, the addresses kept`, { group: name, from: protocolName(old.config), to: protocolName(group.config) });
  }

  /** Best effort: the addresses a failed protocol switch kept, taken off the interface. */
  private async releaseKept(name: string, ifindex: number, addresses: readonly ResolvedAddress[]): Promise<void> {
    for (const a of addresses) {
      await this.deps.netlink.removeAddress(ifindex, a.address, a.prefixLength).catch((error: unknown) => this.deps.logger.error(`${name}: could not remove ${a.address.text} after a failed protocol switch`, { group: name, error: String(error) }));
    }
  }

  private prepared(name: string): PreparedGroup {
    const instance = this.groups.get(name) as GroupInstance;
    return { config: instance.config, key: instance.currentKey };
  }

  /**
   * Starts one group; a group that fails to start leaves nothing behind. 'resume-master': a
   * protocol switch's new instance, MASTER at once with the addresses already in place (kept,
   * not removed as a killed run's leftovers).
   */
  async addGroup(group: PreparedGroup, allGroups: readonly GroupConfig[], mode?: StartMode): Promise<void> {
    const { netlink, logger, hosts } = this.deps;
    const config = group.config;
    const host = await hosts.open(config, allGroups);
    try {
      const parentAddresses = await netlink.listAddresses(host.link.index);
      const addresses = resolvePrefixes(config.addresses, parentAddresses);
      if (isAddressOwner(config)) {
        checkOwnerAddresses(config, host.name, parentAddresses);
      } else if (config.manageAddresses !== false && mode === undefined) {
        await removeLeftoverAddresses(netlink, logger, config, host.name, host.link.index, parentAddresses, addresses);
      }
      const instance = new GroupInstance(config, {
        host,
        netlink,
        clock: this.deps.clock,
        store: this.deps.store,
        scripts: this.deps.scripts,
        logger,
        key: group.key,
        addresses,
        onInterfaceChanged: () => {
          this.deps.refreshGuard();
          this.reapplySysctls(config.name);
        },
        ...(this.deps.claimRetryDelaysMs === undefined ? {} : { claimRetryDelaysMs: this.deps.claimRetryDelaysMs }),
        ...(this.deps.faultHoldDownsMs === undefined ? {} : { faultHoldDownsMs: this.deps.faultHoldDownsMs }),
      });
      instance.onTransition((event) =>
        this.deps.events.emit({ type: 'transition', at: this.deps.events.at(), group: config.name, interface: host.name, vhid: event.vhid, from: stateName(event.from), to: stateName(event.to), reason: event.reason, ...(event.peer === undefined ? {} : { peer: event.peer }) }),
      );
      this.groups.set(config.name, instance);
      try {
        await instance.start(mode);
      } catch (error) {
        // Take back whatever start() did (the macvlan), so a failed group leaves nothing behind.
        await instance.stop().catch(() => undefined);
        this.groups.delete(config.name);
        throw error;
      }
      this.deps.monitors.start(config);
      this.deps.sysctls.groupStarted(host.name, config);
      this.updateSyncSets();
      this.deps.refreshGuard();
    } finally {
      hosts.closeUnused(host.name, (name) => this.groupInstances.some((g) => g.config.interface === name));
    }
  }

  /** carp<vhid> was re-created: its ARP settings are set again (sysctl-book.ts). */
  private reapplySysctls(groupName: string): void {
    const instance = this.groups.get(groupName);
    if (instance === undefined) return;
    this.deps.sysctls.reapply(groupName, instance.config, this.deps.hosts.kernelName(instance.config.interface));
  }

  /** Stops one group gracefully and releases what it alone used. */
  async removeGroup(name: string): Promise<void> {
    await this.dropGroup(name, (instance) => instance.stop());
  }

  /** Stops one group the given way (a graceful stop, or a protocol switch's hand-over) and releases what it alone used. */
  private async dropGroup(name: string, leave: (instance: GroupInstance) => Promise<void>): Promise<void> {
    const instance = this.groups.get(name);
    if (instance === undefined) return;
    this.deps.monitors.stop(name);
    try {
      await leave(instance);
    } finally {
      this.groups.delete(name);
      this.deps.sysctls.groupStopped(instance.config, this.deps.hosts.kernelName(instance.config.interface));
      this.deps.hosts.closeUnused(instance.config.interface, (name) => this.groupInstances.some((g) => g.config.interface === name));
      this.updateSyncSets();
      this.deps.refreshGuard();
    }
  }

  /** Shared fate (sync-sets.ts). */
  updateSyncSets(previous?: ReadonlyMap<string, number>): void {
    shareSyncSetDemotions(this.groups.values(), (group, demotion) => this.deps.events.demotion(group, demotion), previous);
  }

  /** Called by the health monitor: a group's health demotion and check states. */
  setHealth(group: string, demotion: number, checks: GroupStatus['checks']): void {
    const instance = this.groups.get(group);
    if (instance === undefined) return;
    const before = instance.totalDemotion;
    instance.setHealth(demotion, checks);
    this.updateSyncSets();
    if (instance.totalDemotion !== before) this.deps.events.emit({ type: 'demotion', at: this.deps.events.at(), group, demotion: instance.totalDemotion });
  }
}

/** How the switch's log lines name a group's protocol (carp, vrrp, vrrp2: its runtime part's label). */
function protocolName(config: GroupConfig): string {
  return runtimeOf(config).label(config);
}

function stateName(phase: string): 'INIT' | 'BACKUP' | 'MASTER' {
  return phase === 'master' ? 'MASTER' : phase === 'backup' ? 'BACKUP' : 'INIT';
}
