/**
 * The control API's commands on the running groups (carpctl status, demote, promote,
 * maintenance; docs/control-api.md): `all` or one group by name; every demotion change is shared
 * with the sync sets and emitted as an event.
 */
import type { CommandResult, StatusReport } from '../control/control-types.ts';
import type { Clock } from '../ports/clock.ts';
import type { ScriptRunner } from '../linux/script-runner.ts';
import type { DaemonEvents } from './daemon-events.ts';
import type { GroupInstance } from './group-instance.ts';
import type { GroupSupervisor } from './group-supervisor.ts';
import type { InterfaceHosts } from './interface-hosts.ts';
import { CARPD_VERSION } from '../version.ts';

/** What the commands need. */
export interface ControlCommandsDependencies {
  readonly clock: Clock;
  readonly groups: Pick<GroupSupervisor, 'groupInstances' | 'get' | 'updateSyncSets'>;
  readonly hosts: Pick<InterfaceHosts, 'values'>;
  readonly events: DaemonEvents;
  readonly scripts: Pick<ScriptRunner, 'stats'>;
  /** When the daemon was built (ISO 8601). */
  readonly startedAt: string;
  readonly configFile?: string;
  /** The process id shown in the status. */
  readonly pid: number;
}

/** carpctl's commands. */
export class ControlCommands {
  constructor(private readonly deps: ControlCommandsDependencies) {}

  status(): StatusReport {
    const now = { monotonicMicros: this.deps.clock.nowMicros(), wallclockMs: this.deps.clock.calendarMillis() };
    const unattributedDrops: Record<string, StatusReport['unattributedDrops'][string]> = {};
    for (const host of this.deps.hosts.values()) unattributedDrops[host.name] = { ...host.node.unattributedDrops };
    return {
      version: CARPD_VERSION,
      pid: this.deps.pid,
      startedAt: this.deps.startedAt,
      ...(this.deps.configFile === undefined ? {} : { configFile: this.deps.configFile }),
      groups: this.deps.groups.groupInstances.map((g) => g.status(this.deps.scripts.stats(g.name), now)),
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
      this.deps.groups.updateSyncSets();
      if (g.totalDemotion !== before) this.deps.events.demotion(g.name, g.totalDemotion);
    }
    return { ok: true, message: targets.map((g) => `${g.name} ${verb}: demotion ${g.totalDemotion}`).join('\n') };
  }

  maintenance(group: string, on: boolean): CommandResult {
    const targets = this.targets(group);
    if (targets.length === 0) return { ok: false, code: 'CARPD_NO_GROUP', message: `no group ${JSON.stringify(group)}` };
    for (const g of targets) {
      g.setMaintenance(on);
      this.deps.groups.updateSyncSets();
      this.deps.events.demotion(g.name, g.totalDemotion);
    }
    return { ok: true, message: targets.map((g) => `${g.name}: maintenance ${on ? 'on' : 'off'}`).join('\n') };
  }

  private targets(group: string): GroupInstance[] {
    if (group === 'all') return this.deps.groups.groupInstances;
    const exact = this.deps.groups.get(group);
    return exact === undefined ? [] : [exact];
  }
}
