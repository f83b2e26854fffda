/**
 * A group's demotion parts and how they add up: manual (carpctl demote/promote), maintenance,
 * health (checks and tracked interfaces), a down parent link, the fault hold-down
 * (fault-hold-down.ts), and the sync set's share (shared fate, docs/health-checks.md). Pure
 * bookkeeping: the group applies the total to its runner.
 */
import type { CheckStatus, DemotionStatus } from '../control/control-types.ts';

/** The fault demotion: the worst a node can advertise. */
export const FAULT_DEMOTION = 255;

/** One group's demotion state. */
export class GroupDemotion {
  private manual = 0;
  private maintenanceOn = false;
  /** The parent's link is down: the group is in INIT, and its sync set must not stay behind (docs/health-checks.md). */
  private linkDown = false;
  private health = 0;
  private healthChecks: readonly CheckStatus[] = [];
  private syncSet: { name: string; demotion: number } | undefined;

  /** `faulted` says whether the fault hold-down is on now. */
  constructor(private readonly faulted: () => boolean) {}

  /** Manual demotion (carpctl demote/promote), kept within 0..255; returns the new value. */
  adjustManual(delta: number): number {
    this.manual = Math.max(0, Math.min(255, this.manual + delta));
    return this.manual;
  }

  /** Maintenance: demote fully so every peer takes over. */
  setMaintenance(on: boolean): void {
    this.maintenanceOn = on;
  }

  /** Health demotion from checks and tracked interfaces. */
  setHealth(demotion: number, checks: readonly CheckStatus[]): void {
    this.health = demotion;
    this.healthChecks = checks;
  }

  /** The check states last reported. */
  get checks(): readonly CheckStatus[] {
    return this.healthChecks;
  }

  /** The parent's link state: down counts as full demotion. */
  setLinkDown(down: boolean): void {
    this.linkDown = down;
  }

  /** The sync set's demotion, when higher than ours (shared fate). */
  setSyncSet(value: { name: string; demotion: number } | undefined): void {
    this.syncSet = value;
  }

  /**
   * The group's own demotion before sync-set sharing. A down link counts as full demotion, as
   * OpenBSD demotes the carp group when a carpdev goes down: the set's other members step down
   * with it instead of splitting the set across nodes (issue 19).
   */
  get own(): number {
    return this.maintenanceOn || this.faulted() || this.linkDown ? FAULT_DEMOTION : Math.min(255, this.manual + this.health);
  }

  /** The demotion advertised. */
  get total(): number {
    return Math.max(this.own, this.syncSet?.demotion ?? 0);
  }

  /** The parts, for carpctl status. */
  status(): DemotionStatus {
    return {
      total: this.total,
      manual: this.manual,
      maintenance: this.maintenanceOn,
      health: this.health,
      ...(this.syncSet !== undefined && this.syncSet.demotion > this.own ? { syncSet: this.syncSet } : {}),
      fault: this.faulted(),
      ...(this.linkDown ? { linkDown: true } : {}),
    };
  }
}
