/**
 * The daemon: every configured group on every interface in one process, as a thin composition
 * of its capabilities, each in its own file: group supervision and reload as a transaction
 * (group-supervisor.ts, reload-plan.ts), host watching (host-watch.ts: links, addresses, renamed
 * and re-created parents), the control API's commands and events (control-commands.ts,
 * daemon-events.ts), reload queueing (reload-queue.ts), the parents' shared resources
 * (interface-hosts.ts), health monitors (health-monitors.ts), ARP sysctls (sysctl-book.ts) and
 * the cleanup guard's spec (guard-spec.ts). It owns start-up and stop, and the configuration.
 *
 * Everything it does to the host goes through two ports, HostNetlink and DaemonPlatform, so the
 * whole composition runs in unit tests on FakeHostNetlink and a fake platform.
 */
import type { CarpdConfig, HealthCheckConfig } from '../config/config-types.ts';
import { STOP_SCRIPT_BUDGET_SECONDS } from '../config/stop-budget.ts';
import type { CommandResult, ControlEvent, DaemonControl, GroupStatus, StatusReport } from '../control/control-types.ts';
import type { Clock } from '../ports/clock.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';
import type { HostNetlink } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import type { ScriptRunner } from '../linux/script-runner.ts';
import type { ProbeResult, ProbeUser } from '../health/probes.ts';
import type { GuardSpec } from './cleanup-guard.ts';
import type { DaemonPlatform, GuardHandle } from './daemon-platform.ts';
import type { GroupInstance } from './group-instance.ts';
import type { InstanceLocks } from './instance-lock.ts';
import { StartupError } from './startup-error.ts';
import { calendarIso, settlesWithin } from './clock-time.ts';
import { PacketWarningLog } from '../engine/packet-warning-log.ts';
import { ControlCommands } from './control-commands.ts';
import { DaemonEvents } from './daemon-events.ts';
import { checkGroupHostAddresses, checkInterfaces, prepareGroups, type PreparedGroup } from './group-prechecks.ts';
import { GroupSupervisor, type ApplyResult } from './group-supervisor.ts';
import { guardSpecOf } from './guard-spec.ts';
import { HealthMonitors } from './health-monitors.ts';
import { HostWatch } from './host-watch.ts';
import { InterfaceHosts } from './interface-hosts.ts';
import { ReloadQueue } from './reload-queue.ts';
import { SysctlBook } from './sysctl-book.ts';

export { StartupError } from './startup-error.ts';

export { CARPD_VERSION } from '../version.ts';

export { prepareGroups, type PreparedGroup } from './group-prechecks.ts';

export type { ApplyResult } from './group-supervisor.ts';

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

/** The running daemon. */
export class Daemon implements DaemonControl {
  private readonly events: DaemonEvents;
  private readonly hosts: InterfaceHosts;
  /** One health monitor per group, so a reload leaves unchanged groups' check states alone. */
  private readonly monitors: HealthMonitors;
  private readonly supervisor: GroupSupervisor;
  private readonly watch: HostWatch;
  private readonly commands: ControlCommands;
  private readonly reloads: ReloadQueue;
  private guard: GuardHandle | undefined;
  private stopping: Promise<void> | undefined;

  /** The one budget for warnings caused by received packets, shared by every interface and group (issue 18). */
  private readonly packetLog: PacketWarningLog;

  constructor(
    private config: CarpdConfig,
    private readonly deps: DaemonDependencies,
  ) {
    this.packetLog = new PacketWarningLog(deps.logger, deps.clock);
    this.events = new DaemonEvents(deps.clock, deps.logger);
    this.hosts = new InterfaceHosts({ netlink: deps.netlink, platform: deps.platform, logger: deps.logger, clock: deps.clock, packetLog: this.packetLog });
    this.monitors = new HealthMonitors({
      logger: deps.logger,
      clock: deps.clock,
      ...(deps.probe === undefined ? {} : { probe: deps.probe }),
      currentConfig: (config) => this.supervisor.get(config.name)?.config ?? config,
      linkState: (name) => this.watch.linkState(name),
      onChange: (group, health, checks) => this.setHealth(group, health, checks),
      onCheckChange: (group, check) => this.events.emit({ type: 'check', at: calendarIso(this.deps.clock), group, check: check.name, healthy: check.healthy, result: check.lastResult }),
    });
    this.supervisor = new GroupSupervisor({
      logger: deps.logger,
      netlink: deps.netlink,
      clock: deps.clock,
      store: deps.store,
      scripts: deps.scripts,
      ...(deps.locks === undefined ? {} : { locks: deps.locks }),
      ...(deps.claimRetryDelaysMs === undefined ? {} : { claimRetryDelaysMs: deps.claimRetryDelaysMs }),
      ...(deps.faultHoldDownsMs === undefined ? {} : { faultHoldDownsMs: deps.faultHoldDownsMs }),
      hosts: this.hosts,
      sysctls: new SysctlBook(deps.platform, deps.logger),
      monitors: this.monitors,
      events: this.events,
      refreshGuard: () => this.refreshGuard(),
    });
    this.watch = new HostWatch({ netlink: deps.netlink, logger: deps.logger, hosts: this.hosts, groups: this.supervisor, monitors: this.monitors, stopping: () => this.stopping !== undefined });
    this.commands = new ControlCommands({
      clock: deps.clock,
      groups: this.supervisor,
      hosts: this.hosts,
      events: this.events,
      scripts: deps.scripts,
      startedAt: calendarIso(deps.clock),
      ...(deps.configFile === undefined ? {} : { configFile: deps.configFile }),
      pid: process.pid,
    });
    this.reloads = new ReloadQueue({
      logger: deps.logger,
      events: this.events,
      ...(deps.loadConfig === undefined ? {} : { loadConfig: deps.loadConfig }),
      ...(deps.reloadUnsupported === undefined ? {} : { reloadUnsupported: deps.reloadUnsupported }),
      apply: (next) => this.apply(next),
      stopping: () => this.stopping !== undefined,
      groupCount: () => this.supervisor.size,
    });
  }

  /** The configuration in force: the global settings, and the groups as they run. */
  get currentConfig(): CarpdConfig {
    return { ...this.config, groups: this.groupInstances.map((g) => g.config) };
  }

  /** The running groups. */
  get groupInstances(): GroupInstance[] {
    return this.supervisor.groupInstances;
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
    await this.watch.readLinkStates();
    if (this.deps.guard !== false) this.guard = this.deps.platform.startGuard({ items: [] }, this.deps.logger);
    this.watch.watch();
    try {
      for (const group of groups) {
        if (abort?.aborted === true) throw new StartupError('stopped during start-up', 'CARPD_STOPPED');
        await this.supervisor.addGroup(group, groups.map((g) => g.config));
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
    await this.reloads.running?.catch(() => undefined);
    this.watch.close();
    await Promise.all(
      this.supervisor.names().map((name) =>
        this.supervisor.removeGroup(name).catch((error: unknown) => this.deps.logger.error('could not stop a group cleanly', { group: name, error: String(error) })),
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
   * Applies a new configuration as a transaction (group-supervisor.ts): keys read first, then
   * the groups; if a step fails the running groups are as before and the error is rethrown.
   */
  async apply(next: CarpdConfig): Promise<ApplyResult> {
    const wanted = prepareGroups(next.groups, this.deps.platform, this.deps.logger);
    return this.supervisor.apply(wanted, () => {
      if (next.controlSocket !== this.config.controlSocket || next.metricsListen !== this.config.metricsListen) {
        this.deps.logger.warn('control_socket and metrics changes take effect at the next restart');
      }
      this.config = next;
    });
  }

  /** What the cleanup guard must remove if the daemon dies now. */
  guardSpec(): GuardSpec {
    return guardSpecOf(this.groupInstances);
  }

  private refreshGuard(): void {
    this.guard?.update(this.guardSpec());
  }

  /** Called by the health monitor: a group's health demotion and check states. */
  setHealth(group: string, demotion: number, checks: GroupStatus['checks']): void {
    this.supervisor.setHealth(group, demotion, checks);
  }

  // --- DaemonControl ---

  status(): StatusReport {
    return this.commands.status();
  }

  demote(group: string, amount: number): CommandResult {
    return this.commands.demote(group, amount);
  }

  promote(group: string, amount: number): CommandResult {
    return this.commands.promote(group, amount);
  }

  maintenance(group: string, on: boolean): CommandResult {
    return this.commands.maintenance(group, on);
  }

  /** One reload at a time, one queued behind it (reload-queue.ts; docs/reload.md). */
  reload(): Promise<CommandResult> {
    return this.reloads.reload();
  }

  onEvent(listener: (event: ControlEvent) => void): () => void {
    return this.events.onEvent(listener);
  }
}
