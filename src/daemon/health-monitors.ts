/**
 * The groups' health monitors (health/health-monitor.ts; docs/health-checks.md): one per group
 * with checks or tracked interfaces, so a reload leaves unchanged groups' check states alone; a
 * group whose checks change gets a new monitor that carries the old one's verdicts over.
 */
import type { GroupConfig, HealthCheckConfig } from '../config/config-types.ts';
import type { CheckStatus } from '../control/control-types.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import { HealthMonitor } from '../health/health-monitor.ts';
import type { ProbeResult, ProbeUser } from '../health/probes.ts';

/** What the monitors need. */
export interface HealthMonitorsDependencies {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Runs a health check's probe as a user (health/probes.ts runProbe); the monitor's own default when absent. */
  readonly probe?: (check: HealthCheckConfig, timeoutMs: number, user?: ProbeUser) => Promise<ProbeResult>;
  /** A group's configuration as it runs now (a reload may change its script_user in place). */
  readonly currentConfig: (config: GroupConfig) => GroupConfig;
  /** The last known link state of an interface. */
  readonly linkState: (name: string) => boolean | undefined;
  /** A group's health demotion and check states changed. */
  readonly onChange: (group: string, health: number, checks: readonly CheckStatus[]) => void;
  /** One check's verdict changed (the control API's `check` events). */
  readonly onCheckChange: (group: string, check: CheckStatus) => void;
}

/** True when a group has nothing to monitor. */
export function tracksNothing(config: GroupConfig): boolean {
  return config.track.checks.length === 0 && config.track.interfaces.length === 0;
}

/** Every group's monitor, by group name. */
export class HealthMonitors {
  private readonly monitors = new Map<string, HealthMonitor>();

  constructor(private readonly deps: HealthMonitorsDependencies) {}

  /** Starts a group's monitor, if it tracks anything; `carryOver` is the one it replaces. */
  start(config: GroupConfig, carryOver?: HealthMonitor): void {
    if (tracksNothing(config)) return;
    const probe = this.deps.probe;
    const monitor = new HealthMonitor({
      ...(carryOver === undefined ? {} : { carryOver }),
      groups: [{ group: config.name, checks: config.track.checks, interfaces: config.track.interfaces }],
      logger: this.deps.logger,
      clock: this.deps.clock,
      // Command checks run as the group's script_user, as it is now (a reload may change it in place).
      ...(probe === undefined ? {} : { probe: (check, timeoutMs) => probe(check, timeoutMs, this.deps.currentConfig(config).scripts.user) }),
      onChange: (group, health, checks) => this.deps.onChange(group, health, checks),
      onCheckChange: (group, check) => this.deps.onCheckChange(group, check),
    });
    this.monitors.set(config.name, monitor);
    for (const tracked of config.track.interfaces) monitor.setInterfaceState(tracked.interface, this.deps.linkState(tracked.interface) ?? false);
    monitor.start();
  }

  /** A reload changed a group's checks: the old monitor stops, a new one carries its verdicts over. */
  replace(config: GroupConfig): void {
    const previous = this.monitors.get(config.name);
    previous?.stop();
    this.monitors.delete(config.name);
    this.start(config, previous);
  }

  /** Stops a group's monitor. */
  stop(name: string): void {
    this.monitors.get(name)?.stop();
    this.monitors.delete(name);
  }

  /** A link went up or down: every monitor tracking it hears. */
  setInterfaceState(name: string, up: boolean): void {
    for (const monitor of this.monitors.values()) monitor.setInterfaceState(name, up);
  }

  /** How many monitors run. */
  get size(): number {
    return this.monitors.size;
  }
}
