/**
 * The daemon: every configured group on every interface in one process. Builds the shared
 * per-interface resources, starts and stops groups, applies a new configuration as a
 * transaction (reload.ts decides what changes and how), watches links and addresses and routes
 * them to the groups (drift repair), and serves the control API's model (DaemonControl).
 *
 * Everything it does to the host goes through two ports, HostNetlink and DaemonPlatform, so the
 * whole composition runs in unit tests on FakeHostNetlink and a fake platform.
 */
import type { CarpdConfig, GroupConfig, HealthCheckConfig } from '../config/config-types.ts';
import { STOP_SCRIPT_BUDGET_SECONDS } from '../config/stop-budget.ts';
import type { CommandResult, ControlEvent, DaemonControl, GroupStatus, StatusReport } from '../control/control-types.ts';
import type { IpAddress, IpFamily } from '../protocol/ip-address.ts';
import type { Clock } from '../ports/clock.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';
import { isCarpdAddress, type AddressEvent, type HostNetlink, type InterfaceAddress, type LinkEvent, type LinkInfo, type Subscription } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import type { ScriptRunner } from '../linux/script-runner.ts';
import type { SysctlChange } from '../linux/sysctl.ts';
import { HealthMonitor } from '../health/health-monitor.ts';
import type { ProbeResult, ProbeUser } from '../health/probes.ts';
import type { GuardSpec } from './cleanup-guard.ts';
import { cleanupDownScript } from './cleanup-script.ts';
import type { DaemonPlatform, GuardHandle } from './daemon-platform.ts';
import { GroupInstance } from './group-instance.ts';
import type { InstanceLocks } from './instance-lock.ts';
import { checkHostAddresses } from './host-address-check.ts';
import { InterfaceHost, ownAddressesOf } from './interface-host.ts';
import { followAddressEvent, followAddressList } from './advert-source-follower.ts';
import type { ResolvedAddress } from './linux-group-effects.ts';
import { isAddressOwner, keyPurposeOf } from './protocol-settings.ts';
import { planReload, sameTrack, type GroupChange } from './reload-plan.ts';
import { resolvePrefixes } from './resolve-prefixes.ts';
import { StartupError } from './startup-error.ts';
import { calendarIso, settlesWithin } from './clock-time.ts';
import { CARPD_VERSION } from '../version.ts';
import { PacketWarningLog } from '../engine/packet-warning-log.ts';

export { StartupError } from './startup-error.ts';

export { CARPD_VERSION } from '../version.ts';

/** A group ready to start: its configuration and its key, read and checked (empty for VRRP: no authentication). */
export interface PreparedGroup {
  readonly config: GroupConfig;
  readonly key: Uint8Array;
}

/** The key of a VRRPv3 group: VRRPv3 has no authentication (RFC 5798 §9), so there is none to read. */
const NO_KEY = new Uint8Array(0);

/** What the daemon is built from. */
export interface DaemonDependencies {
  readonly logger: Logger;
  readonly netlink: HostNetlink;
  readonly platform: DaemonPlatform;
  readonly clock: Clock;
  readonly store: GroupStateStore;
  readonly scripts: Pick<ScriptRunner, 'run' | 'whenIdle' | 'stats' | 'cutShort'>;
  /** How long a stop gives the final scripts (default STOP_SCRIPT_BUDGET_SECONDS; tests shorten it). */
  readonly stopScriptBudgetMs?: number;
  /** Re-reads the configuration for a reload; undefined when it came from flags. */
  readonly loadConfig?: () => Promise<{ ok: true; config: CarpdConfig } | { ok: false; errors: readonly string[] }>;
  /** Without loadConfig: why there is nothing to reload, and what to do instead (ucarp mode says its own). */
  readonly reloadUnsupported?: string;
  readonly configFile?: string;
  /** Start the SIGKILL cleanup guard (default true). */
  readonly guard?: boolean;
  /** The instance locks; a reload takes those of new groups through them. */
  readonly locks?: Pick<InstanceLocks, 'hold' | 'keepOnly'>;
  /** Delays between claim attempts (tests use zeros). */
  readonly claimRetryDelaysMs?: readonly number[];
  /** Runs a health check's probe as a user (health/probes.ts runProbe); the monitor's own default when absent. */
  readonly probe?: (check: HealthCheckConfig, timeoutMs: number, user?: ProbeUser) => Promise<ProbeResult>;
  /** Fault hold-downs (tests use short ones). */
  readonly faultHoldDownsMs?: readonly number[];
}

/** Result of applying a configuration. */
export interface ApplyResult {
  readonly added: string[];
  readonly removed: string[];
  /** Groups changed: restarted or updated in place. */
  readonly changed: string[];
  /** Of `changed`, those updated in place (no restart, no transition). */
  readonly inPlace: string[];
}

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

/** The running daemon. */
export class Daemon implements DaemonControl {
  private readonly interfaces = new Map<string, InterfaceHost>();
  private readonly groups = new Map<string, GroupInstance>();
  private readonly listeners = new Set<(event: ControlEvent) => void>();
  private readonly sysctls = new Map<string, SysctlChange[]>();
  /** One health monitor per group, so a reload leaves unchanged groups' check states alone. */
  private readonly monitors = new Map<string, HealthMonitor>();
  /** Last known link state by interface name, for tracked interfaces. */
  private readonly linkStates = new Map<string, boolean>();
  /** Interfaces being rebuilt after their parent was re-created. */
  private readonly rebuilding = new Set<string>();
  /** When this daemon was built, on the clock's wall clock (ISO 8601). */
  private readonly startedAt: string;
  private watchers: Subscription[] = [];
  private guard: GuardHandle | undefined;
  /** The reload running now, if any. */
  private reloading: Promise<CommandResult> | undefined;
  /** The one reload queued behind it: it re-reads the file once the running one is done (docs/reload.md). */
  private queuedReload: Promise<CommandResult> | undefined;
  private stopping: Promise<void> | undefined;

  /** The one budget for warnings caused by received packets, shared by every interface and group (issue 18). */
  private readonly packetLog: PacketWarningLog;

  constructor(
    private config: CarpdConfig,
    private readonly deps: DaemonDependencies,
  ) {
    this.packetLog = new PacketWarningLog(deps.logger, deps.clock);
    this.startedAt = calendarIso(deps.clock);
  }

  /** The configuration in force: the global settings, and the groups as they run. */
  get currentConfig(): CarpdConfig {
    return { ...this.config, groups: this.groupInstances.map((g) => g.config) };
  }

  /** The running groups. */
  get groupInstances(): GroupInstance[] {
    return [...this.groups.values()];
  }

  /**
   * Starts every group. Read-only checks come first (keys, interfaces); then the guard and the
   * watchers; then each group (leftovers of an earlier run removed, carp<vhid> created, BACKUP).
   * If any group fails, every group already started is stopped the graceful way and the error
   * is rethrown: the daemon never runs half-started. `abort` (a SIGTERM during start-up) stops
   * between groups the same way.
   */
  async start(prepared?: readonly PreparedGroup[], abort?: AbortSignal): Promise<void> {
    const groups = prepared ?? prepareGroups(this.config.groups, this.deps.platform, this.deps.logger);
    await this.checkInterfaces(groups.map((g) => g.config));
    await this.checkHostAddresses(groups.map((g) => g.config));
    for (const link of await this.deps.netlink.listLinks()) this.linkStates.set(link.name, link.up && link.running);
    if (this.deps.guard !== false) this.guard = this.deps.platform.startGuard({ items: [] }, this.deps.logger);
    this.watchers.push(this.deps.netlink.watchLinks((event) => this.onLinkEvent(event)));
    this.watchers.push(
      this.deps.netlink.watchAddresses(
        (event) => this.onAddressEvent(event),
        () => {
          this.groupInstances.forEach((g) => g.resync());
          void this.resyncOwnAddresses();
        },
      ),
    );
    try {
      for (const group of groups) {
        if (abort?.aborted === true) throw new StartupError('stopped during start-up', 'CARPD_STOPPED');
        await this.addGroup(group, groups.map((g) => g.config));
      }
    } catch (error) {
      this.deps.logger.error('start-up failed: stopping the groups already started', { error: error instanceof Error ? error.message : String(error) });
      await this.stop();
      throw error;
    }
  }

  /** Stops every group gracefully (bow-outs first, in parallel), then releases everything. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    // A reload in progress may still be adding groups: let it finish (a queued one is refused,
    // as stopping is set) so the groups removed below include everything it added (issue 19 item 12).
    await this.reloading?.catch(() => undefined);
    for (const watcher of this.watchers.splice(0)) watcher.close();
    await Promise.all(
      [...this.groups.keys()].map((name) =>
        this.removeGroup(name).catch((error: unknown) => this.deps.logger.error('could not stop a group cleanly', { group: name, error: String(error) })),
      ),
    );
    // The final scripts are queued now: cut the running ones short so they start at once, and
    // bound them all by the stop budget (docs/scripts.md, "Shutdown"; issue 19 item 7).
    const budgetMs = this.deps.stopScriptBudgetMs ?? STOP_SCRIPT_BUDGET_SECONDS * 1000;
    this.deps.scripts.cutShort(budgetMs);
    // The runner SIGKILLs by the deadline; the margin covers the exit and output drain.
    // Real time on purpose (ports/clock.ts setRealTimeout): the scripts are processes, and the stop must end.
    await settlesWithin(this.deps.clock, this.deps.scripts.whenIdle(), budgetMs + 1_000);
    this.packetLog.flush();
    this.guard?.release();
    this.guard = undefined;
  }

  /**
   * Applies a new configuration as a transaction: everything that can fail without touching the
   * host is done first (keys, interfaces, prefixes, locks); then removals, restarts, additions
   * and in-place updates, each with its undo. If a step fails, the undos run in reverse and the
   * running groups are as before; the error is rethrown.
   */
  async apply(next: CarpdConfig): Promise<ApplyResult> {
    const wanted = prepareGroups(next.groups, this.deps.platform, this.deps.logger);
    const plan = planReload(
      this.groupInstances.map((g) => ({ config: g.config, key: g.currentKey })),
      wanted,
    );
    const byName = new Map(wanted.map((g) => [g.config.name, g] as const));
    const starting = [...plan.added, ...plan.restarted].map((name) => byName.get(name) as PreparedGroup);
    await this.checkInterfaces(starting.map((g) => g.config));
    await this.checkHostAddresses(wanted.map((g) => g.config));
    const inPlace: { instance: GroupInstance; group: PreparedGroup; addresses: ResolvedAddress[] }[] = [];
    for (const change of plan.inPlace) {
      const instance = this.groups.get(change.name) as GroupInstance;
      const group = byName.get(change.name) as PreparedGroup;
      inPlace.push({ instance, group, addresses: await this.resolveAddresses(group.config, instance.config.interface) });
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
        await this.removeGroup(name);
        undo.push(() => this.addGroup(old, allGroups));
        await this.addGroup(byName.get(name) as PreparedGroup, allGroups);
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
      this.refreshGuard();
      throw error;
    }
    // In place last: nothing after them can fail, so they never need undoing.
    for (const { instance, group, addresses } of inPlace) this.reconfigureInPlace(instance, group, addresses, plan.inPlace.find((c) => c.name === group.config.name) as GroupChange);
    if (next.controlSocket !== this.config.controlSocket || next.metricsListen !== this.config.metricsListen) {
      this.deps.logger.warn('control_socket and metrics changes take effect at the next restart');
    }
    this.config = next;
    this.deps.locks?.keepOnly(this.groupInstances.map((g) => g.config));
    this.updateSyncSets();
    this.refreshGuard();
    return { added: plan.added, removed: plan.removed, changed: [...plan.restarted, ...plan.inPlace.map((c) => c.name)], inPlace: plan.inPlace.map((c) => c.name) };
  }

  private reconfigureInPlace(instance: GroupInstance, group: PreparedGroup, addresses: ResolvedAddress[], change: GroupChange): void {
    const before = instance.config;
    instance.reconfigure(group.config, group.key, addresses);
    if (!sameTrack(before, group.config)) {
      const previous = this.monitors.get(group.config.name);
      previous?.stop();
      this.monitors.delete(group.config.name);
      if (group.config.track.checks.length === 0 && group.config.track.interfaces.length === 0) instance.setHealth(0, []);
      this.startHealth(group.config, previous);
    }
    this.deps.logger.info(`${group.config.name}: updated in place`, { group: group.config.name, fields: change.fields });
  }

  private prepared(name: string): PreparedGroup {
    const instance = this.groups.get(name) as GroupInstance;
    return { config: instance.config, key: instance.currentKey };
  }

  private async checkInterfaces(groups: readonly GroupConfig[]): Promise<void> {
    const names = new Set((await this.deps.netlink.listLinks()).map((l) => l.name));
    for (const group of groups) {
      if (!names.has(group.interface)) throw new StartupError(`group ${group.name}: interface ${group.interface} does not exist`, 'CARPD_NO_INTERFACE');
    }
  }

  /**
   * No VIP may be an address the host has of its own (CARPD_HOST_ADDRESS); one outside its
   * interface's subnets is logged (host-address-check.ts). Read-only: runs before anything changes.
   */
  private async checkHostAddresses(groups: readonly GroupConfig[]): Promise<void> {
    const { netlink, logger } = this.deps;
    const found = checkHostAddresses({ groups }, { links: await netlink.listLinks(), addresses: await netlink.listAddresses() });
    for (const warning of found.warnings) logger.warn(warning.message, { code: warning.code });
    if (found.errors.length > 0) throw new StartupError(found.errors.map((e) => e.message).join('; '), 'CARPD_HOST_ADDRESS');
  }

  private async resolveAddresses(config: GroupConfig, interfaceName: string): Promise<ResolvedAddress[]> {
    const link = await this.deps.netlink.linkByName(interfaceName);
    if (link === undefined) throw new StartupError(`group ${config.name}: interface ${interfaceName} does not exist`, 'CARPD_NO_INTERFACE');
    const present = await this.deps.netlink.listAddresses(link.index);
    // An owner's new address list must be on the interface too, checked before anything changes.
    if (isAddressOwner(config)) checkOwnerAddresses(config, interfaceName, present);
    return resolvePrefixes(config.addresses, present);
  }

  private async addGroup(group: PreparedGroup, allGroups: readonly GroupConfig[]): Promise<void> {
    const { netlink, logger } = this.deps;
    const config = group.config;
    const host = await this.interfaceHost(config, allGroups);
    try {
      const parentAddresses = await netlink.listAddresses(host.link.index);
      const addresses = resolvePrefixes(config.addresses, parentAddresses);
      if (isAddressOwner(config)) {
        checkOwnerAddresses(config, host.name, parentAddresses);
      } else if (config.manageAddresses !== false) {
        await this.removeLeftoverAddresses(config, host.name, host.link.index, parentAddresses, addresses);
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
          this.refreshGuard();
          this.reapplySysctls(config.name);
        },
        ...(this.deps.claimRetryDelaysMs === undefined ? {} : { claimRetryDelaysMs: this.deps.claimRetryDelaysMs }),
        ...(this.deps.faultHoldDownsMs === undefined ? {} : { faultHoldDownsMs: this.deps.faultHoldDownsMs }),
      });
      instance.onTransition((event) =>
        this.emit({ type: 'transition', at: calendarIso(this.deps.clock), group: config.name, interface: host.name, vhid: event.vhid, from: stateName(event.from), to: stateName(event.to), reason: event.reason, ...(event.peer === undefined ? {} : { peer: event.peer }) }),
      );
      this.groups.set(config.name, instance);
      try {
        await instance.start();
      } catch (error) {
        // Take back whatever start() did (the macvlan), so a failed group leaves nothing behind.
        await instance.stop().catch(() => undefined);
        this.groups.delete(config.name);
        throw error;
      }
      this.startHealth(config);
      const sysctlKey = `${host.name}/${config.virtualInterface}`;
      if (config.vmac && config.manageAddresses !== false && !this.sysctls.has(sysctlKey)) {
        this.sysctls.set(sysctlKey, this.deps.platform.prepareSysctls(host.name, config.virtualInterface, logger));
      }
      this.updateSyncSets();
      this.refreshGuard();
    } finally {
      this.closeUnusedInterface(host.name);
    }
  }

  /**
   * A VIP left on the parent by a killed run would be on two machines once another node is
   * master: removed, but only when it carries carpd's mark (CARPD_ADDRESS_PROTOCOL). An unmarked
   * one is the host's own address (or an operator's): never deleted, the group refused
   * (CARPD_HOST_ADDRESS). Safe only because the instance lock is held: no other carpd runs this group.
   */
  private async removeLeftoverAddresses(config: GroupConfig, interfaceName: string, ifindex: number, present: readonly InterfaceAddress[], wanted: readonly ResolvedAddress[]): Promise<void> {
    const matching = present.filter((p) => wanted.some((a) => a.address.family === p.address.family && a.address.text === p.address.text));
    const hostOwn = matching.filter((p) => !isCarpdAddress(p));
    if (hostOwn.length > 0) {
      throw new StartupError(
        `group ${config.name}: ${hostOwn.map((a) => a.address.text).join(', ')} ${hostOwn.length === 1 ? 'is an address' : 'are addresses'} of this host on ${interfaceName}, not carpd's: left in place; use a free address`,
        'CARPD_HOST_ADDRESS',
      );
    }
    for (const stale of matching) {
      this.deps.logger.warn('removing a virtual address left on the interface by a previous run', { group: config.name, address: `${stale.address.text}/${stale.prefixLength}` });
      await this.deps.netlink.removeAddress(ifindex, stale.address, stale.prefixLength);
    }
  }

  /**
   * carp<vhid> was re-created (drift repair, a claim): its arp_ignore/arp_announce went with the
   * old link, and without them it answers ARP for the host's own addresses with the virtual MAC
   * (issue 19). Set again before the claim adds the VIPs (ensure() calls back synchronously).
   * At start-up there is nothing recorded yet: addGroup prepares them once start() is done.
   */
  private reapplySysctls(groupName: string): void {
    const instance = this.groups.get(groupName);
    if (instance === undefined) return;
    const { interface: parent, virtualInterface } = instance.config;
    const key = `${parent}/${virtualInterface}`;
    const recorded = this.sysctls.get(key);
    if (recorded === undefined) return;
    const kernelName = this.interfaces.get(parent)?.kernelName ?? parent;
    try {
      const changes = this.deps.platform.prepareSysctls(kernelName, virtualInterface, this.deps.logger);
      // The first values read are the ones to put back: a path already recorded keeps its entry.
      this.sysctls.set(key, [...recorded, ...changes.filter((c) => !recorded.some((r) => r.path === c.path))]);
    } catch (error) {
      // The claim goes on: a VIP answered with two MACs beats no VIP; said at error level.
      this.deps.logger.error(`${groupName}: could not set the ARP settings of the re-created ${virtualInterface}`, { group: groupName, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async removeGroup(name: string): Promise<void> {
    const instance = this.groups.get(name);
    if (instance === undefined) return;
    this.monitors.get(name)?.stop();
    this.monitors.delete(name);
    try {
      await instance.stop();
    } finally {
      this.groups.delete(name);
      const key = `${instance.config.interface}/${instance.config.virtualInterface}`;
      const changes = this.sysctls.get(key);
      if (changes !== undefined) {
        this.sysctls.delete(key);
        // The macvlan's own settings went with it; put the parent's back once no group needs them.
        // Only the first group on a parent changed (and so can restore) the parent's settings:
        // while another group still needs them, hand them over to it.
        // A renamed parent's settings moved with it (/proc/sys/net/ipv4/conf/<new name>/): restored there.
        const kernelName = this.interfaces.get(instance.config.interface)?.kernelName ?? instance.config.interface;
        const parentChanges = changes
          .filter((c) => c.path.includes(`/conf/${instance.config.interface}/`))
          .map((c) => ({ ...c, path: c.path.replace(`/conf/${instance.config.interface}/`, `/conf/${kernelName}/`) }));
        const heir = [...this.sysctls.keys()].find((k) => k.startsWith(`${instance.config.interface}/`));
        if (heir === undefined) this.deps.platform.restoreSysctls(parentChanges, this.deps.logger);
        else this.sysctls.set(heir, [...parentChanges, ...(this.sysctls.get(heir) ?? [])]);
      }
      this.closeUnusedInterface(instance.config.interface);
      this.updateSyncSets();
      this.refreshGuard();
    }
  }

  private closeUnusedInterface(name: string): void {
    const host = this.interfaces.get(name);
    if (host !== undefined && ![...this.groups.values()].some((g) => g.config.interface === host.name)) {
      host.close();
      this.interfaces.delete(host.name);
    }
  }

  private async interfaceHost(config: GroupConfig, allGroups: readonly GroupConfig[]): Promise<InterfaceHost> {
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
    const host = new InterfaceHost(link, ownAddresses, families, sockets, logger, this.deps.clock, this.packetLog);
    this.interfaces.set(link.name, host);
    return host;
  }

  private startHealth(config: GroupConfig, carryOver?: HealthMonitor): void {
    if (config.track.checks.length === 0 && config.track.interfaces.length === 0) return;
    const probe = this.deps.probe;
    const monitor = new HealthMonitor({
      ...(carryOver === undefined ? {} : { carryOver }),
      groups: [{ group: config.name, checks: config.track.checks, interfaces: config.track.interfaces }],
      logger: this.deps.logger,
      clock: this.deps.clock,
      // Command checks run as the group's script_user, as it is now (a reload may change it in place).
      ...(probe === undefined ? {} : { probe: (check, timeoutMs) => probe(check, timeoutMs, (this.groups.get(config.name)?.config ?? config).scripts.user) }),
      onChange: (group, health, checks) => this.setHealth(group, health, checks),
      onCheckChange: (group, check) => this.emit({ type: 'check', at: calendarIso(this.deps.clock), group, check: check.name, healthy: check.healthy, result: check.lastResult }),
    });
    this.monitors.set(config.name, monitor);
    for (const tracked of config.track.interfaces) monitor.setInterfaceState(tracked.interface, this.linkStates.get(tracked.interface) ?? false);
    monitor.start();
  }

  private onLinkEvent(event: LinkEvent): void {
    const up = event.type === 'new' && event.link.up && event.link.running;
    if (this.linkStates.get(event.link.name) !== up) {
      this.linkStates.set(event.link.name, up);
      for (const monitor of this.monitors.values()) monitor.setInterfaceState(event.link.name, up);
    }
    for (const group of this.groups.values()) group.hostChanged({ kind: 'link', event });
    const host = this.hostOfLink(event.link);
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
    const members = this.groupInstances.filter((g) => g.config.interface === host.name);
    const before = new Map(this.groupInstances.map((g) => [g.name, g.totalDemotion]));
    if (up) {
      for (const group of members) group.markLinkUp();
      this.updateSyncSets(before);
      for (const group of members) group.linkChanged(true);
    } else {
      for (const group of members) group.linkChanged(false);
      this.updateSyncSets(before);
    }
  }

  /**
   * The interface a link event is about. By ifindex first: a renamed parent keeps its index and
   * its sockets, and its up event carries the new name (issue 19: matched by name, the groups
   * stayed in INIT for good). By name second: the configured name with another index is the
   * parent deleted and re-created.
   */
  private hostOfLink(link: LinkInfo): InterfaceHost | undefined {
    for (const host of this.interfaces.values()) if (host.link.index === link.index) return host;
    return this.interfaces.get(link.name);
  }

  /** A parent renamed under us: said once per rename, at warn, since the configuration no longer names it. */
  private noticeRename(host: InterfaceHost, name: string): void {
    const previous = host.kernelName;
    if (name === previous) return;
    host.kernelName = name;
    const groups = this.groupInstances.filter((g) => g.config.interface === host.name).map((g) => g.name);
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
    for (const group of this.groups.values()) group.hostChanged({ kind: 'address', event });
    for (const host of this.interfaces.values()) followAddressEvent(host, event, this.groupInstances, this.deps.logger);
  }

  /** After lost address events: every interface's own addresses re-read, so the advert sources follow. */
  private async resyncOwnAddresses(): Promise<void> {
    for (const host of [...this.interfaces.values()]) {
      const list = await this.deps.netlink.listAddresses(host.link.index).catch(() => undefined);
      if (list !== undefined && this.interfaces.get(host.name) === host) followAddressList(host, list, this.groupInstances, this.deps.logger);
    }
  }

  private async rebuildInterface(name: string): Promise<void> {
    if (this.rebuilding.has(name) || this.stopping !== undefined) return;
    this.rebuilding.add(name);
    try {
      const affected = this.groupInstances.filter((g) => g.config.interface === name).map((g) => ({ config: g.config, key: g.currentKey }));
      this.deps.logger.warn(`interface ${name} was re-created: restarting its groups on the new one`, { interface: name, groups: affected.map((g) => g.config.name) });
      for (const group of affected) await this.removeGroup(group.config.name);
      const allGroups = [...this.groupInstances.map((g) => g.config), ...affected.map((g) => g.config)];
      for (const group of affected) {
        await this.addGroup(group, allGroups).catch((error: unknown) =>
          this.deps.logger.error(`group ${group.config.name}: could not start on the re-created ${name}`, { group: group.config.name, error: String(error) }),
        );
      }
    } finally {
      this.rebuilding.delete(name);
    }
  }

  /** Shared fate: every member of a sync set advertises at least the highest demotion of any member. */
  private updateSyncSets(previous?: ReadonlyMap<string, number>): void {
    const highest = new Map<string, number>();
    for (const g of this.groups.values()) {
      if (g.config.syncSet !== undefined) highest.set(g.config.syncSet, Math.max(highest.get(g.config.syncSet) ?? 0, g.ownDemotion));
    }
    for (const g of this.groups.values()) {
      const set = g.config.syncSet;
      const demotion = set === undefined ? undefined : highest.get(set);
      const before = previous?.get(g.name) ?? g.totalDemotion;
      g.setSyncSetDemotion(set === undefined || demotion === undefined ? undefined : { name: set, demotion });
      if (g.totalDemotion !== before) this.emit({ type: 'demotion', at: calendarIso(this.deps.clock), group: g.name, demotion: g.totalDemotion });
    }
  }

  /** What the cleanup guard must remove if the daemon dies now. */
  guardSpec(): GuardSpec {
    return {
      items: this.groupInstances
        .filter((g) => g.config.manageAddresses !== false)
        .map((g) => ({
          interfaceName: g.config.interface,
          ...(g.virtualInterface === undefined ? {} : { virtualInterface: g.virtualInterface.name, virtualInterfaceIndex: g.virtualInterface.index }),
          // An address owner's addresses are its interface's own: never removed, not even by the guard.
          addresses: g.virtualInterface === undefined && !isAddressOwner(g.config) ? g.addresses.map((a) => `${a.address.text}/${a.prefixLength}`) : [],
        })),
      // Addresses the scripts own (ucarp mode): the guard runs the down script (cleanup-script.ts).
      downScripts: this.groupInstances.flatMap((g) => cleanupDownScript(g.config) ?? []),
    };
  }

  private refreshGuard(): void {
    this.guard?.update(this.guardSpec());
  }

  private emit(event: ControlEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.deps.logger.warn('event listener failed', { error: String(error) });
      }
    }
  }

  private now(): { monotonicMicros: number; wallclockMs: number } {
    return { monotonicMicros: this.deps.clock.nowMicros(), wallclockMs: this.deps.clock.calendarMillis() };
  }

  /** Called by the health monitor: a group's health demotion and check states. */
  setHealth(group: string, demotion: number, checks: GroupStatus['checks']): void {
    const instance = this.groups.get(group);
    if (instance === undefined) return;
    const before = instance.totalDemotion;
    instance.setHealth(demotion, checks);
    this.updateSyncSets();
    if (instance.totalDemotion !== before) this.emit({ type: 'demotion', at: calendarIso(this.deps.clock), group, demotion: instance.totalDemotion });
  }

  // --- DaemonControl ---

  status(): StatusReport {
    const now = this.now();
    const unattributedDrops: Record<string, StatusReport['unattributedDrops'][string]> = {};
    for (const host of this.interfaces.values()) unattributedDrops[host.name] = { ...host.node.unattributedDrops };
    return {
      version: CARPD_VERSION,
      pid: process.pid,
      startedAt: this.startedAt,
      ...(this.deps.configFile === undefined ? {} : { configFile: this.deps.configFile }),
      groups: this.groupInstances.map((g) => g.status(this.deps.scripts.stats(g.name), now)),
      unattributedDrops,
    };
  }

  demote(group: string, amount: number): CommandResult {
    return this.adjust(group, Math.abs(amount), 'demoted');
  }

  promote(group: string, amount: number): CommandResult {
    return this.adjust(group, -Math.abs(amount), 'promoted');
  }

  private adjust(group: string, delta: number, verb: string): CommandResult {
    const targets = this.targets(group);
    if (targets.length === 0) return { ok: false, code: 'CARPD_NO_GROUP', message: `no group ${JSON.stringify(group)}` };
    for (const g of targets) {
      const before = g.totalDemotion;
      g.adjustManualDemotion(delta);
      this.updateSyncSets();
      if (g.totalDemotion !== before) this.emit({ type: 'demotion', at: calendarIso(this.deps.clock), group: g.name, demotion: g.totalDemotion });
    }
    return { ok: true, message: targets.map((g) => `${g.name} ${verb}: demotion ${g.totalDemotion}`).join('\n') };
  }

  maintenance(group: string, on: boolean): CommandResult {
    const targets = this.targets(group);
    if (targets.length === 0) return { ok: false, code: 'CARPD_NO_GROUP', message: `no group ${JSON.stringify(group)}` };
    for (const g of targets) {
      g.setMaintenance(on);
      this.updateSyncSets();
      this.emit({ type: 'demotion', at: calendarIso(this.deps.clock), group: g.name, demotion: g.totalDemotion });
    }
    return { ok: true, message: targets.map((g) => `${g.name}: maintenance ${on ? 'on' : 'off'}`).join('\n') };
  }

  private targets(group: string): GroupInstance[] {
    if (group === 'all') return this.groupInstances;
    const exact = this.groups.get(group);
    return exact === undefined ? [] : [exact];
  }

  /**
   * One reload at a time. A request while one runs must not share its reply: the running one may
   * have read the file before the change this request is about. So it queues one follow-up that
   * reads the file again once the running one is done; later requests join that follow-up
   * (docs/reload.md, "Reloads requested during a reload").
   */
  reload(): Promise<CommandResult> {
    if (this.queuedReload !== undefined) return this.queuedReload;
    const running = this.reloading;
    if (running === undefined) return this.startReload();
    const next = (): Promise<CommandResult> => {
      this.queuedReload = undefined;
      return this.startReload();
    };
    this.queuedReload = running.then(next, next);
    return this.queuedReload;
  }

  private startReload(): Promise<CommandResult> {
    const run: Promise<CommandResult> = this.doReload().finally(() => {
      if (this.reloading === run) this.reloading = undefined;
    });
    this.reloading = run;
    return run;
  }

  private async doReload(): Promise<CommandResult> {
    const load = this.deps.loadConfig;
    if (load === undefined) {
      // Logged here, whether SIGHUP or carpctl asked: a reload that does nothing must say so.
      const message = this.deps.reloadUnsupported ?? 'carpd was started from flags: there is no file to reload';
      this.deps.logger.warn(`reload not possible: ${message}`, { code: 'CARPD_NO_CONFIG_FILE' });
      return { ok: false, code: 'CARPD_NO_CONFIG_FILE', message };
    }
    if (this.stopping !== undefined) return { ok: false, code: 'CARPD_RELOAD_FAILED', message: 'carpd is stopping' };
    const loaded = await load();
    if (this.stopping !== undefined) return { ok: false, code: 'CARPD_RELOAD_FAILED', message: 'carpd is stopping' };
    if (!loaded.ok) {
      this.deps.logger.error('reload refused: the new configuration is invalid; the running one stays', { errors: loaded.errors });
      this.emit({ type: 'reload', at: calendarIso(this.deps.clock), ok: false, added: [], removed: [], changed: [], errors: loaded.errors });
      return { ok: false, code: 'CARPD_RELOAD_INVALID', message: loaded.errors.join('\n') };
    }
    try {
      const result = await this.apply(loaded.config);
      this.deps.logger.info('configuration reloaded', { ...result });
      this.emit({ type: 'reload', at: calendarIso(this.deps.clock), ok: true, added: result.added, removed: result.removed, changed: result.changed });
      const unchanged = this.groups.size - result.added.length - result.changed.length;
      return {
        ok: true,
        message: `reloaded: ${result.added.length} added, ${result.removed.length} removed, ${result.changed.length} changed (${result.inPlace.length} in place), ${unchanged} unchanged`,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.deps.logger.error('reload failed; the running groups are as before', { error: message });
      this.emit({ type: 'reload', at: calendarIso(this.deps.clock), ok: false, added: [], removed: [], changed: [], errors: [message] });
      return { ok: false, code: error instanceof StartupError ? error.code : 'CARPD_RELOAD_FAILED', message: `reload failed, nothing changed: ${message}` };
    }
  }

  onEvent(listener: (event: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * A VRRP address owner (priority 255) owns its addresses (RFC 5798 §1): they must already be
 * addresses of its interface, which carpd never adds or removes (CARPD_VRRP_OWNER_ADDRESS).
 */
function checkOwnerAddresses(config: GroupConfig, interfaceName: string, present: readonly { address: IpAddress }[]): void {
  const missing = config.addresses.filter((a) => !present.some((p) => p.address.family === a.address.family && p.address.text === a.address.text));
  if (missing.length === 0) return;
  throw new StartupError(
    `group ${config.name}: priority 255 makes this router the address owner, but ${missing.map((a) => a.address.text).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not an address of ${interfaceName}: add ${missing.length === 1 ? 'it' : 'them'} to the interface, or give the group a priority below 255`,
    'CARPD_VRRP_OWNER_ADDRESS',
  );
}

function stateName(phase: string): 'INIT' | 'BACKUP' | 'MASTER' {
  return phase === 'master' ? 'MASTER' : phase === 'backup' ? 'BACKUP' : 'INIT';
}

