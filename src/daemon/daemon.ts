/**
 * The daemon: every configured group on every interface in one process. Builds the shared
 * per-interface resources, starts and stops groups, applies a new configuration as a difference
 * (unchanged groups are not touched: no flap, no script), routes link events and demotions, and
 * serves the control API's model (DaemonControl).
 */
import type { CarpdConfig, GroupConfig } from '../config/config-types.ts';
import type { CommandResult, ControlEvent, DaemonControl, GroupStatus, StatusReport } from '../control/control-types.ts';
import type { IpAddress, IpFamily } from '../protocol/ip-address.ts';
import type { Clock } from '../ports/clock.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';
import type { Logger } from '../ports/logger.ts';
import type { LinkEvent, RouteNetlink } from '../linux/netlink/route-netlink.ts';
import type { ScriptRunner } from '../linux/script-runner.ts';
import { prepareVirtualMacSysctls, restoreSysctls, type SysctlChange } from '../linux/sysctl.ts';
import { HealthMonitor } from '../health/health-monitor.ts';
import { CleanupGuard } from './cleanup-guard.ts';
import { GroupInstance } from './group-instance.ts';
import { InterfaceHost, ownAddressesOf } from './interface-host.ts';
import { readCarpKey } from './read-passphrase.ts';
import { resolvePrefixes } from './resolve-prefixes.ts';

/** carpd's version, reported by status and metrics. */
export const CARPD_VERSION = '0.2.0';

/** An error the operator must fix (exit status 2): bad input, missing interface. */
export class StartupError extends Error {
  override name = 'StartupError';
  constructor(
    message: string,
    readonly code = 'CARPD_STARTUP',
  ) {
    super(message);
  }
}

/** What the daemon is built from. */
export interface DaemonDependencies {
  readonly logger: Logger;
  readonly netlink: RouteNetlink;
  readonly clock: Clock;
  readonly store: GroupStateStore;
  readonly scripts: ScriptRunner;
  /** Re-reads the configuration for a reload; undefined when it came from flags. */
  readonly loadConfig?: () => Promise<{ ok: true; config: CarpdConfig } | { ok: false; errors: readonly string[] }>;
  readonly configFile?: string;
  /** Start a SIGKILL cleanup guard (default true). */
  readonly guard?: boolean;
}

/** Result of applying a configuration. */
export interface ApplyResult {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
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
  private readonly startedAt = new Date();
  private watcher: { close(): void } | undefined;
  private guard: CleanupGuard | undefined;
  private reloading: Promise<CommandResult> | undefined;

  constructor(
    private config: CarpdConfig,
    private readonly deps: DaemonDependencies,
  ) {}

  /** The configuration in force. */
  get currentConfig(): CarpdConfig {
    return this.config;
  }

  /** The running groups. */
  get groupInstances(): GroupInstance[] {
    return [...this.groups.values()];
  }

  /** Checks interfaces, starts every group and watches links. */
  async start(): Promise<void> {
    await this.checkInterfaces(this.config.groups);
    for (const link of await this.deps.netlink.listLinks()) this.linkStates.set(link.name, link.up && link.running);
    for (const group of this.config.groups) await this.addGroup(group);
    this.watcher = this.deps.netlink.watchLinks((event) => this.onLinkEvent(event));
    this.refreshGuard();
  }

  /** Stops every group gracefully (bow-outs first, in parallel), then releases everything. */
  async stop(): Promise<void> {
    this.watcher?.close();
    await Promise.all([...this.groups.keys()].map((name) => this.removeGroup(name)));
    await withTimeout(this.deps.scripts.whenIdle(), 60_000);
    this.guard?.release();
  }

  /** Applies a new configuration: groups whose settings did not change are left alone. */
  async apply(next: CarpdConfig): Promise<ApplyResult> {
    const current = new Map(this.config.groups.map((g) => [g.name, g]));
    const wanted = new Map(next.groups.map((g) => [g.name, g]));
    const removed = [...current.keys()].filter((name) => !wanted.has(name));
    const changed = [...wanted.keys()].filter((name) => current.has(name) && !sameGroup(current.get(name) as GroupConfig, wanted.get(name) as GroupConfig));
    const added = [...wanted.keys()].filter((name) => !current.has(name));
    await this.checkInterfaces([...added, ...changed].map((name) => wanted.get(name) as GroupConfig));
    // Removals first, so a vhid or address moving between groups is free when the new group starts.
    await Promise.all([...removed, ...changed].map((name) => this.removeGroup(name)));
    this.config = next;
    for (const name of [...changed, ...added]) await this.addGroup(wanted.get(name) as GroupConfig);
    if (next.controlSocket !== this.config.controlSocket || next.metricsListen !== this.config.metricsListen) {
      this.deps.logger.warn('control_socket and metrics changes take effect at the next restart');
    }
    this.refreshGuard();
    return { added, removed, changed };
  }

  private async checkInterfaces(groups: readonly GroupConfig[]): Promise<void> {
    const names = new Set((await this.deps.netlink.listLinks()).map((l) => l.name));
    for (const group of groups) {
      if (!names.has(group.interface)) throw new StartupError(`group ${group.name}: interface ${group.interface} does not exist`, 'CARPD_NO_INTERFACE');
    }
  }

  private async addGroup(config: GroupConfig): Promise<void> {
    const { netlink, logger } = this.deps;
    let key: Uint8Array;
    try {
      key = readCarpKey(config.passphrase, logger);
    } catch (error) {
      throw new StartupError(`group ${config.name}: ${error instanceof Error ? error.message : String(error)}`, 'CARPD_PASSPHRASE');
    }
    const host = await this.interfaceHost(config);
    const parentAddresses = await netlink.listAddresses(host.link.index);
    const addresses = resolvePrefixes(config.addresses, parentAddresses);
    if (config.manageAddresses !== false) {
      // A VIP left on the parent by a killed run would be on two machines once another node is master.
      for (const stale of parentAddresses.filter((p) => addresses.some((a) => a.address.text === p.address.text))) {
        logger.warn('removing a virtual address left on the interface by a previous run', { group: config.name, address: `${stale.address.text}/${stale.prefixLength}` });
        await netlink.removeAddress(host.link.index, stale.address, stale.prefixLength);
      }
    }
    const instance = new GroupInstance(config, { host, netlink, clock: this.deps.clock, store: this.deps.store, scripts: this.deps.scripts, logger, key, addresses });
    instance.onTransition((event) =>
      this.emit({ type: 'transition', at: new Date().toISOString(), group: config.name, interface: host.name, vhid: event.vhid, from: stateName(event.from), to: stateName(event.to), reason: event.reason, ...(event.peer === undefined ? {} : { peer: event.peer }) }),
    );
    this.groups.set(config.name, instance);
    await instance.start();
    this.startHealth(config);
    if (config.vmac && config.manageAddresses !== false && !this.sysctls.has(host.name + '/' + config.virtualInterface)) {
      this.sysctls.set(host.name + '/' + config.virtualInterface, prepareVirtualMacSysctls(host.name, config.virtualInterface, logger));
    }
    this.updateSyncSets();
  }

  private async removeGroup(name: string): Promise<void> {
    const instance = this.groups.get(name);
    if (instance === undefined) return;
    this.monitors.get(name)?.stop();
    this.monitors.delete(name);
    await instance.stop();
    this.groups.delete(name);
    const key = `${instance.config.interface}/${instance.config.virtualInterface}`;
    const changes = this.sysctls.get(key);
    if (changes !== undefined) {
      this.sysctls.delete(key);
      // The macvlan's own settings went with it; put the parent's back once no group needs them.
      const parentStillNeeded = [...this.sysctls.keys()].some((k) => k.startsWith(`${instance.config.interface}/`));
      if (!parentStillNeeded) restoreSysctls(changes.filter((c) => c.path.includes(`/conf/${instance.config.interface}/`)), this.deps.logger);
    }
    const host = this.interfaces.get(instance.config.interface);
    if (host !== undefined && ![...this.groups.values()].some((g) => g.config.interface === host.name)) {
      host.close();
      this.interfaces.delete(host.name);
    }
    this.updateSyncSets();
  }

  private async interfaceHost(config: GroupConfig): Promise<InterfaceHost> {
    const existing = this.interfaces.get(config.interface);
    if (existing !== undefined) return existing;
    const { netlink, logger } = this.deps;
    const link = await netlink.linkByName(config.interface);
    if (link === undefined) throw new StartupError(`group ${config.name}: interface ${config.interface} does not exist`, 'CARPD_NO_INTERFACE');
    const virtual: IpAddress[] = this.config.groups.filter((g) => g.interface === config.interface).flatMap((g) => g.addresses.map((a) => a.address));
    const own = ownAddressesOf(await netlink.listAddresses(link.index), virtual);
    const sources: Partial<Record<IpFamily, IpAddress>> = {};
    for (const g of this.config.groups) if (g.interface === config.interface && g.sourceAddress !== undefined) sources[g.sourceAddress.family] ??= g.sourceAddress;
    let host: InterfaceHost;
    try {
      host = new InterfaceHost(link, own, [4, 6], sources, logger);
    } catch (error) {
      // No IPv6 on this interface (disabled): IPv4 only.
      logger.info('IPv6 CARP socket unavailable; IPv4 only', { interface: link.name, error: String(error) });
      host = new InterfaceHost(link, own, [4], sources, logger);
    }
    this.interfaces.set(link.name, host);
    return host;
  }

  private startHealth(config: GroupConfig): void {
    if (config.track.checks.length === 0 && config.track.interfaces.length === 0) return;
    const monitor = new HealthMonitor({
      groups: [{ group: config.name, checks: config.track.checks, interfaces: config.track.interfaces }],
      logger: this.deps.logger,
      clock: this.deps.clock,
      onChange: (group, health, checks) => this.setHealth(group, health, checks),
      onCheckChange: (group, check) => this.emit({ type: 'check', at: new Date().toISOString(), group, check: check.name, healthy: check.healthy, result: check.lastResult }),
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
    const host = this.interfaces.get(event.link.name);
    if (host === undefined || event.link.index !== host.link.index) return;
    for (const group of this.groups.values()) if (group.config.interface === host.name) group.linkChanged(up);
  }

  /** Shared fate: every member of a sync set advertises at least the highest demotion of any member. */
  private updateSyncSets(): void {
    const highest = new Map<string, number>();
    for (const g of this.groups.values()) {
      if (g.config.syncSet !== undefined) highest.set(g.config.syncSet, Math.max(highest.get(g.config.syncSet) ?? 0, g.ownDemotion));
    }
    for (const g of this.groups.values()) {
      const set = g.config.syncSet;
      const demotion = set === undefined ? undefined : highest.get(set);
      const before = g.totalDemotion;
      g.setSyncSetDemotion(set === undefined || demotion === undefined ? undefined : { name: set, demotion });
      if (g.totalDemotion !== before) this.emit({ type: 'demotion', at: new Date().toISOString(), group: g.name, demotion: g.totalDemotion });
    }
  }

  private refreshGuard(): void {
    if (this.deps.guard === false) return;
    this.guard?.release();
    this.guard = CleanupGuard.start(
      {
        items: this.groupInstances
          .filter((g) => g.config.manageAddresses !== false)
          .map((g) => ({
            interfaceName: g.config.interface,
            ...(g.virtualInterface === undefined ? {} : { virtualInterface: g.virtualInterface.name, virtualInterfaceIndex: g.virtualInterface.index }),
            addresses: g.virtualInterface === undefined ? g.status(emptyScripts, this.now()).addresses : [],
          })),
      },
      this.deps.logger,
    );
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
    return { monotonicMicros: this.deps.clock.nowMicros(), wallclockMs: Date.now() };
  }

  /** Called by the health monitor: a group's health demotion and check states. */
  setHealth(group: string, demotion: number, checks: GroupStatus['checks']): void {
    const instance = this.groups.get(group);
    if (instance === undefined) return;
    const before = instance.totalDemotion;
    instance.setHealth(demotion, checks);
    this.updateSyncSets();
    if (instance.totalDemotion !== before) this.emit({ type: 'demotion', at: new Date().toISOString(), group, demotion: instance.totalDemotion });
  }

  // --- DaemonControl ---

  status(): StatusReport {
    const now = this.now();
    const unattributedDrops: Record<string, StatusReport['unattributedDrops'][string]> = {};
    for (const host of this.interfaces.values()) unattributedDrops[host.name] = { ...host.node.unattributedDrops };
    return {
      version: CARPD_VERSION,
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
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
      if (g.totalDemotion !== before) this.emit({ type: 'demotion', at: new Date().toISOString(), group: g.name, demotion: g.totalDemotion });
    }
    return { ok: true, message: targets.map((g) => `${g.name} ${verb}: demotion ${g.totalDemotion}`).join('\n') };
  }

  maintenance(group: string, on: boolean): CommandResult {
    const targets = this.targets(group);
    if (targets.length === 0) return { ok: false, code: 'CARPD_NO_GROUP', message: `no group ${JSON.stringify(group)}` };
    for (const g of targets) {
      g.setMaintenance(on);
      this.updateSyncSets();
      this.emit({ type: 'demotion', at: new Date().toISOString(), group: g.name, demotion: g.totalDemotion });
    }
    return { ok: true, message: targets.map((g) => `${g.name}: maintenance ${on ? 'on' : 'off'}`).join('\n') };
  }

  private targets(group: string): GroupInstance[] {
    if (group === 'all') return this.groupInstances;
    const exact = this.groups.get(group);
    return exact === undefined ? [] : [exact];
  }

  async reload(): Promise<CommandResult> {
    // One reload at a time; a second request waits for the first.
    this.reloading ??= this.doReload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async doReload(): Promise<CommandResult> {
    const load = this.deps.loadConfig;
    if (load === undefined) return { ok: false, code: 'CARPD_NO_CONFIG_FILE', message: 'carpd was started from flags: there is no file to reload' };
    const loaded = await load();
    if (!loaded.ok) {
      this.deps.logger.error('reload refused: the new configuration is invalid; the running one stays', { errors: loaded.errors });
      this.emit({ type: 'reload', at: new Date().toISOString(), ok: false, added: [], removed: [], changed: [], errors: loaded.errors });
      return { ok: false, code: 'CARPD_RELOAD_INVALID', message: loaded.errors.join('\n') };
    }
    try {
      const result = await this.apply(loaded.config);
      this.deps.logger.info('configuration reloaded', { ...result });
      this.emit({ type: 'reload', at: new Date().toISOString(), ok: true, ...result });
      return { ok: true, message: `reloaded: ${result.added.length} added, ${result.removed.length} removed, ${result.changed.length} changed, ${this.groups.size - result.added.length - result.changed.length} unchanged` };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.deps.logger.error('reload failed part way', { error: message });
      return { ok: false, code: error instanceof StartupError ? error.code : 'CARPD_RELOAD_FAILED', message };
    }
  }

  onEvent(listener: (event: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const emptyScripts: GroupStatus['scripts'] = { runs: 0, failures: 0, timeouts: 0 };

function stateName(phase: string): 'INIT' | 'BACKUP' | 'MASTER' {
  return phase === 'master' ? 'MASTER' : phase === 'backup' ? 'BACKUP' : 'INIT';
}

/** Two group configurations are the same when every setting is (passphrase source included). */
export function sameGroup(a: GroupConfig, b: GroupConfig): boolean {
  return JSON.stringify(a, replacer) === JSON.stringify(b, replacer);
}

function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Array.from(value) : value;
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  if (timer !== undefined) clearTimeout(timer);
}
