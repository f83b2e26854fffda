/**
 * The lifecycle commands of a group runner, CARP's (GroupRunner) or VRRPv3's (VrrpGroupRunner):
 * each is one event of the shape both machines share (machine-types.ts EventOf), fed to the
 * runner's own machine through dispatch(); RunnerCore keeps the timers and the counters. What a
 * command does in each protocol is the machine's business (fsm/step.ts, fsm/vrrp-step.ts).
 */
import type { EventOf, MachineLifecycle } from '../fsm/machine-types.ts';
import type { DropReason } from '../protocol/drop-reason.ts';
import { summarizeForeignAdvert, type ForeignAdvertKind } from '../protocol/foreign-advert.ts';
import { ForeignMasterWatch, type ForeignMasterStats } from './foreign-master-watch.ts';
import type { GroupStats } from './group-stats.ts';
import { RunnerCore, type RunnerCorePorts, type TransitionEvent } from './runner-core.ts';

/** A runner whose machine takes received adverts of type `Advert`. */
export abstract class MachineDriver<Advert> {
  /** Timers, effects, transition reports and counters (runner-core.ts). */
  protected readonly core: RunnerCore;
  /** Re-announces while a foreign master is heard for our id (fsm/foreign-master.ts). */
  private readonly foreign: ForeignMasterWatch;

  constructor(ports: RunnerCorePorts) {
    this.core = new RunnerCore(ports, () => ({ name: this.settings.name, vhid: this.vhid }), (timer, wakeupAt) => this.dispatch({ type: 'timer', timer, wakeupAt }));
    this.foreign = new ForeignMasterWatch(ports.clock, () => ports.effects.announce(), () => this.state.phase === 'master', () => this.advertIntervalMicros);
    this.core.onTransition((event) => {
      if (event.from === 'master') this.foreign.reset();
    });
  }

  /** The machine's state (both machines share the lifecycle part). */
  abstract get state(): MachineLifecycle;

  /** Our own advert interval now (µs): how often a MASTER re-announces while a foreign master is heard. */
  abstract get advertIntervalMicros(): number;

  /** Foreign adverts heard for our id and the re-announcements they caused (status). */
  get foreignMasters(): ForeignMasterStats {
    return this.foreign.stats;
  }

  /**
   * An advert for our id that this group cannot hear, from a foreign master that may hold our
   * addresses too (protocol/foreign-advert.ts): counted, and a MASTER re-announces. The caller
   * has counted the drop and logs the warning.
   */
  protected hearForeign(peer: string, kind: ForeignAdvertKind, payload: Uint8Array): void {
    this.foreign.heard(peer, kind, summarizeForeignAdvert(payload));
  }

  /** The group's vhid (a VRRP group's VRID), read at each use. */
  abstract get vhid(): number;

  /** The settings in force; the core logs under their name. */
  abstract get settings(): { readonly name: string };

  /** Steps the machine with one event and carries out its actions. */
  protected abstract dispatch(event: EventOf<Advert>): void;

  /** Counters for status and metrics. */
  get stats(): GroupStats {
    return this.core.stats;
  }

  /** Subscribes to transitions. */
  onTransition(listener: (event: TransitionEvent) => void): void {
    this.core.onTransition(listener);
  }

  /** Starts the group: INIT → BACKUP (or MASTER, for a VRRP address owner). */
  start(): void {
    this.dispatch({ type: 'start' });
  }

  /** Stops the group: the farewell advert if MASTER, addresses removed, INIT. Timers are all cancelled. */
  shutdown(): void {
    this.dispatch({ type: 'shutdown' });
    this.core.cancelAllTimers();
    this.foreign.reset();
  }

  /** Drops every timer without any protocol action: the process is going away abruptly (simulated crash). */
  halt(): void {
    this.core.cancelAllTimers();
    this.foreign.reset();
  }

  /** Reports the parent interface's link state. */
  linkChanged(up: boolean): void {
    this.dispatch({ type: up ? 'link-up' : 'link-down' });
  }

  /** Sets the demotion counter (health checks, maintenance). */
  setDemotion(demotion: number): void {
    this.dispatch({ type: 'set-demotion', demotion });
  }

  /** Forces a phase (operator command). */
  force(phase: 'master' | 'backup'): void {
    this.dispatch({ type: 'force', phase });
  }

  /** Leaves mastership because the addresses could not be configured (fsm/step.ts onResign, fsm/vrrp-step.ts). */
  resign(): void {
    this.dispatch({ type: 'resign', reason: 'claim-failed' });
  }

  /** Counts a drop that acceptance attributed to this group. */
  countDrop(reason: DropReason): void {
    this.core.stats.drops[reason]++;
  }
}
