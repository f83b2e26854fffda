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
import type { Clock } from '../ports/clock.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';
import type { AddressEvent, HostNetlink, LinkEvent, Subscription } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import type { ScriptRunner } from '../linux/script-runner.ts';
import type { ProbeResult, ProbeUser } from '../health/probes.ts';
import type { GuardSpec } from './cleanup-guard.ts';
import type { DaemonPlatform, GuardHandle } from './daemon-platform.ts';
import { GroupInstance } from './group-instance.ts';
import type { InstanceLocks } from './instance-lock.ts';
import type { InterfaceHost } from './interface-host.ts';
import { followAddressEvent, followAddressList } from './advert-source-follower.ts';
import type { ResolvedAddress } from './linux-group-effects.ts';
import { isAddressOwner } from './protocol-settings.ts';
import { planReload, sameTrack, type GroupChange } from './reload-plan.ts';
import { resolvePrefixes } from './resolve-prefixes.ts';
import { StartupError } from './startup-error.ts';
import { calendarIso, settlesWithin } from './clock-time.ts';
import { CARPD_VERSION } from '../version.ts';
import { PacketWarningLog } from '../engine/packet-warning-log.ts';
import { DaemonEvents } from './daemon-events.ts';
import { checkGroupHostAddresses, checkInterfaces, checkOwnerAddresses, prepareGroups, removeLeftoverAddresses, resolveAddresses, type PreparedGroup } from './group-prechecks.ts';
import { guardSpecOf } from './guard-spec.ts';
import { HealthMonitors, tracksNothing } from './health-monitors.ts';
import { InterfaceHosts } from './interface-hosts.ts';
import { shareSyncSetDemotions } from './sync-sets.ts';
import { SysctlBook } from './sysctl-book.ts';

export { prepareGroups, type PreparedGroup } from './group-prechecks.ts';
export { StartupError } from './startup-error.ts';

export { CARPD_VERSION } from '../version.ts';

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

/** The running daemon. */
export class Daemon implements DaemonControl {
  private readonly hosts: InterfaceHosts;
  private readonly groups = new Map<string, GroupInstance>();
  private readonly events: DaemonEvents;
  private readonly sysctls: SysctlBook;
  /** One health monitor per group, so a reload leaves unchanged groups' check states alone. */
  private readonly monitors: HealthMonitors;
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
    this.events = new DaemonEvents(deps.clock, deps.logger);
    this.sysctls = new SysctlBook(deps.platform, deps.logger);
    this.hosts = new InterfaceHosts({ netlink: deps.netlink, platform: deps.platform, logger: deps.logger, clock: deps.clock, packetLog: this.packetLog });
    this.monitors = new HealthMonitors({
      logger: deps.logger,
      clock: deps.clock,
      ...(deps.probe === undefined ? {} : { probe: deps.probe }),
      currentConfig: (config) => this.groups.get(config.name)?.config ?? config,
      linkState: (name) => this.linkStates.get(name),
      onChange: (group, health, checks) => this.setHealth(group, health, checks),
      onCheckChange: (group, check) => this.events.emit({ type: 'check', at: calendarIso(this.deps.clock), group, check: check.name, healthy: check.healthy, result: check.lastResult }),
    });
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
    await checkInterfaces(this.deps.netlink, groups.map((g) => g.config));
    await checkGroupHostAddresses(this.deps.netlink, this.deps.logger, groups.map((g) => g.config));
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
      this.monitors.replace(group.config);
      if (tracksNothing(group.config)) instance.setHealth(0, []);
    }
    this.deps.logger.info(`${group.config.name}: updated in place`, { group: group.config.name, fields: change.fields });
  }

  private prepared(name: string): PreparedGroup {
    const instance = this.groups.get(name) as GroupInstance;
    return { config: instance.config, key: instance.currentKey };
  }

  private async addGroup(group: PreparedGroup, allGroups: readonly GroupConfig[]): Promise<void> {
    const { netlink, logger } = this.deps;
    const config = group.config;
    const host = await this.hosts.open(config, allGroups);
    try {
      const parentAddresses = await netlink.listAddresses(host.link.index);
      const addresses = resolvePrefixes(config.addresses, parentAddresses);
      if (isAddressOwner(config)) {
        checkOwnerAddresses(config, host.name, parentAddresses);
      } else if (config.manageAddresses !== false) {
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
          this.refreshGuard();
          this.reapplySysctls(config.name);
        },
        ...(this.deps.claimRetryDelaysMs === undefined ? {} : { claimRetryDelaysMs: this.deps.claimRetryDelaysMs }),
        ...(this.deps.faultHoldDownsMs === undefined ? {} : { faultHoldDownsMs: this.deps.faultHoldDownsMs }),
      });
      instance.onTransition((event) =>
        this.events.emit({ type: 'transition', at: calendarIso(this.deps.clock), group: config.name, interface: host.name, vhid: event.vhid, from: stateName(event.from), to: stateName(event.to), reason: event.reason, ...(event.peer === undefined ? {} : { peer: event.peer }) }),
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
      this.monitors.start(config);
      this.sysctls.groupStarted(host.name, config);
      this.updateSyncSets();
      this.refreshGuard();
    } finally {
      this.hosts.closeUnused(host.name, (name) => this.groupInstances.some((g) => g.config.interface === name));
    }
  }

  /** carp<vhid> was re-created: its ARP settings are set again (sysctl-book.ts). */
  private reapplySysctls(groupName: string): void {
    const instance = this.groups.get(groupName);
    if (instance === undefined) return;
    this.sysctls.reapply(groupName, instance.config, this.hosts.kernelName(instance.config.interface));
  }

  private async removeGroup(name: string): Promise<void> {
    const instance = this.groups.get(name);
    if (instance === undefined) return;
    this.monitors.stop(name);
    try {
      await instance.stop();
    } finally {
      this.groups.delete(name);
      this.sysctls.groupStopped(instance.config, this.hosts.kernelName(instance.config.interface));
      this.hosts.closeUnused(instance.config.interface, (name) => this.groupInstances.some((g) => g.config.interface === name));
      this.updateSyncSets();
      this.refreshGuard();
    }
  }

  private onLinkEvent(event: LinkEvent): void {
    const up = event.type === 'new' && event.link.up && event.link.running;
    if (this.linkStates.get(event.link.name) !== up) {
      this.linkStates.set(event.link.name, up);
      this.monitors.setInterfaceState(event.link.name, up);
    }
    for (const group of this.groups.values()) group.hostChanged({ kind: 'link', event });
    const host = this.hosts.hostOfLink(event.link);
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
    for (const host of this.hosts.values()) followAddressEvent(host, event, this.groupInstances, this.deps.logger);
  }

  /** After lost address events: every interface's own addresses re-read, so the advert sources follow. */
  private async resyncOwnAddresses(): Promise<void> {
    for (const host of this.hosts.values()) {
      const list = await this.deps.netlink.listAddresses(host.link.index).catch(() => undefined);
      if (list !== undefined && this.hosts.get(host.name) === host) followAddressList(host, list, this.groupInstances, this.deps.logger);
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

  /** Shared fate (sync-sets.ts). */
  private updateSyncSets(previous?: ReadonlyMap<string, number>): void {
    shareSyncSetDemotions(this.groups.values(), (group, demotion) => this.events.demotion(group, demotion), previous);
  }

  /** What the cleanup guard must remove if the daemon dies now. */
  guardSpec(): GuardSpec {
    return guardSpecOf(this.groupInstances);
  }

  private refreshGuard(): void {
    this.guard?.update(this.guardSpec());
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
    if (instance.totalDemotion !== before) this.events.emit({ type: 'demotion', at: calendarIso(this.deps.clock), group, demotion: instance.totalDemotion });
  }

  // --- DaemonControl ---

  status(): StatusReport {
    const now = this.now();
    const unattributedDrops: Record<string, StatusReport['unattributedDrops'][string]> = {};
    for (const host of this.hosts.values()) unattributedDrops[host.name] = { ...host.node.unattributedDrops };
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
      if (g.totalDemotion !== before) this.events.emit({ type: 'demotion', at: calendarIso(this.deps.clock), group: g.name, demotion: g.totalDemotion });
    }
    return { ok: true, message: targets.map((g) => `${g.name} ${verb}: demotion ${g.totalDemotion}`).join('\n') };
  }

  maintenance(group: string, on: boolean): CommandResult {
    const targets = this.targets(group);
    if (targets.length === 0) return { ok: false, code: 'CARPD_NO_GROUP', message: `no group ${JSON.stringify(group)}` };
    for (const g of targets) {
      g.setMaintenance(on);
      this.updateSyncSets();
      this.events.emit({ type: 'demotion', at: calendarIso(this.deps.clock), group: g.name, demotion: g.totalDemotion });
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
      this.events.emit({ type: 'reload', at: calendarIso(this.deps.clock), ok: false, added: [], removed: [], changed: [], errors: loaded.errors });
      return { ok: false, code: 'CARPD_RELOAD_INVALID', message: loaded.errors.join('\n') };
    }
    try {
      const result = await this.apply(loaded.config);
      this.deps.logger.info('configuration reloaded', { ...result });
      this.events.emit({ type: 'reload', at: calendarIso(this.deps.clock), ok: true, added: result.added, removed: result.removed, changed: result.changed });
      const unchanged = this.groups.size - result.added.length - result.changed.length;
      return {
        ok: true,
        message: `reloaded: ${result.added.length} added, ${result.removed.length} removed, ${result.changed.length} changed (${result.inPlace.length} in place), ${unchanged} unchanged`,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.deps.logger.error('reload failed; the running groups are as before', { error: message });
      this.events.emit({ type: 'reload', at: calendarIso(this.deps.clock), ok: false, added: [], removed: [], changed: [], errors: [message] });
      return { ok: false, code: error instanceof StartupError ? error.code : 'CARPD_RELOAD_FAILED', message: `reload failed, nothing changed: ${message}` };
    }
  }

  onEvent(listener: (event: ControlEvent) => void): () => void {
    return this.events.onEvent(listener);
  }
}

function stateName(phase: string): 'INIT' | 'BACKUP' | 'MASTER' {
  return phase === 'master' ? 'MASTER' : phase === 'backup' ? 'BACKUP' : 'INIT';
}

