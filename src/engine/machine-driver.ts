/**
 * The lifecycle commands of a group runner, CARP's (GroupRunner) or VRRPv3's (VrrpGroupRunner):
 * each is one event of the shape both machines share (machine-types.ts EventOf), fed to the
 * runner's own machine through dispatch(); RunnerCore keeps the timers and the counters. What a
 * command does in each protocol is the machine's business (fsm/lifecycle.ts, with each protocol's rules in protocols/carp/carp-step.ts and protocols/vrrp/vrrp-step.ts).
 */
import type { EventOf, MachineLifecycle, StartMode, TransitionReason } from '../fsm/machine-types.ts';
import type { DropReason } from '../wire/drop-reason.ts';
import { ForeignMasterWatch, type ForeignAdvertKind, type ForeignAdvertSummary, type ForeignMasterStats } from './foreign-master-watch.ts';
import type { GroupStats } from './group-stats.ts';
import { RunnerCore, type RunnerCorePorts, type TransitionEvent } from './runner-core.ts';
import { SendFault } from './send-fault.ts';


/**
 * What a runner takes from its protocol's wire side (protocols/protocol-wire-part.ts), handed in
 * by the protocol's runner so that the engine imports no protocol: the drop reasons it counts
 * (each from 0) and how a foreign advert of any protocol is summarised (protocols/foreign-advert.ts).
 */
export interface RunnerWire {
  readonly dropReasons: readonly DropReason[];
  summarizeForeign(payload: Uint8Array): ForeignAdvertSummary | undefined;
}

/** Takeovers from a master that is still there: it cannot hear us if our adverts fail (send-fault.ts). */
const PREEMPTION_REASONS: ReadonlySet<TransitionReason> = new Set(['preempting-worse-master', 'master-more-demoted', 'master-will-time-out']);

/** A runner whose machine takes received adverts of type `Advert`. */
export abstract class MachineDriver<Advert> {
  /** Timers, effects, transition reports and counters (runner-core.ts). */
  protected readonly core: RunnerCore;
  /** Re-announces while a foreign master is heard for our id (fsm/foreign-master.ts). */
  private readonly foreign: ForeignMasterWatch;
  /** Leaves mastership when adverts cannot leave, and holds the group down (send-fault.ts). */
  private readonly sendFault: SendFault;
  /** The demotion the daemon asked for; the machine gets it raised during a send-fault hold-down. */
  private requestedDemotion = 0;
  private resigningForSends = false;
  /** A graceful stop in progress: resolved once the machine has left (INIT, not running). */
  private stopWaiters: (() => void)[] = [];
  private readonly log: RunnerCorePorts['logger'];

  private readonly summarizeForeign: (payload: Uint8Array) => ForeignAdvertSummary | undefined;

  constructor(ports: RunnerCorePorts, wire: RunnerWire) {
    this.core = new RunnerCore(ports, () => ({ name: this.settings.name, vhid: this.vhid }), (timer, wakeupAt) => this.dispatch({ type: 'timer', timer, wakeupAt }), wire.dropReasons);
    this.summarizeForeign = wire.summarizeForeign;
    this.foreign = new ForeignMasterWatch(
      ports.clock,
      () => ports.effects.announce(),
      // A stopping MASTER is leaving: it must not pull clients back with re-announcements.
      () => this.state.phase === 'master' && this.state.stopping === undefined,
      () => this.advertIntervalMicros,
    );
    this.log = ports.logger;
    this.sendFault = new SendFault(ports.clock, () => {
      ports.logger.info(`${this.settings.name}: advert send hold-down over: competing for mastership again`, { group: this.settings.name });
      this.dispatch({ type: 'set-demotion', demotion: this.requestedDemotion });
    });
    this.core.onTransition((event) => {
      if (event.from === 'master') this.foreign.reset();
      // Each MASTER spell counts its own failing sends.
      if (event.from === 'master') this.core.forgetSendFailures();
    });
  }

  /** Our master-down interval now (µs): how long a MASTER's adverts may fail before it resigns. */
  abstract get masterDownMicros(): number;

  /**
   * Called by the runner after each event's actions: a MASTER whose adverts cannot leave resigns
   * (checkAdvertSends), and a graceful stop whose machine has left is complete.
   */
  protected afterEvent(): void {
    this.checkAdvertSends();
    if (this.stopWaiters.length > 0 && !this.state.running) this.stopped();
  }

  /**
   * A MASTER whose adverts have all failed for a master-down interval leaves mastership like a
   * failed claim (send-fault.ts, docs/fail-safe.md).
   */
  private checkAdvertSends(): void {
    if (this.state.phase !== 'master' || this.resigningForSends) return;
    if (this.core.advertSendsWork) {
      this.sendFault.sendsWork();
      return;
    }
    const failingFor = this.core.advertSendsFailingFor();
    const preempted = PREEMPTION_REASONS.has(this.state.reason);
    if (failingFor < (preempted && this.sendFault.failingInARow ? 0 : this.masterDownMicros)) return;
    this.resignForSends(failingFor);
  }

  /**
   * Called by the runner with each authentic advert, before its machine sees it. Only masters
   * advertise (carp(4); RFC 5798 §6.4.3), so a MASTER hearing one has another master beside it.
   * When our own adverts have been failing for an advert interval, that master cannot hear us and
   * keeps its role: we leave at once (as checkAdvertSends does) instead of re-announcing our
   * addresses (fsm/rival-master.ts) to clients we are about to drop. In the lab (nft dropping our
   * protocol 112) that re-announcement pulled the client back here just before the resignation:
   * 2 s of lost pings (docs/fail-safe.md, "Adverts that cannot leave"). A farewell advert (bow-out,
   * priority 0) is no master. The advert then goes to the machine, now BACKUP, as usual.
   */
  protected otherMasterHeard(farewell: boolean): void {
    if (farewell || this.state.phase !== 'master' || this.resigningForSends || this.core.advertSendsWork) return;
    const failingFor = this.core.advertSendsFailingFor();
    if (failingFor >= this.advertIntervalMicros) this.resignForSends(failingFor);
  }

  private resignForSends(failingFor: number): void {
    const holdDown = this.sendFault.resigned();
    this.core.forgetSendFailures();
    this.log.error(`${this.settings.name}: adverts could not be sent for ${(failingFor / 1e6).toFixed(1)} s; leaving mastership (fully demoted for ${Math.round(holdDown / 1e6)} s)`, {
      group: this.settings.name,
      sendErrors: this.core.stats.sendErrors,
    });
    // Raised first, as for a failed claim: should it take over again alone, it does so as the worst
    // node. Their own adverts fail too: no second resignation from within.
    this.resigningForSends = true;
    try {
      this.dispatch({ type: 'set-demotion', demotion: this.sendFault.demotion(this.requestedDemotion) });
      this.dispatch({ type: 'resign', reason: 'advert-send-failed' });
    } finally {
      this.resigningForSends = false;
    }
  }

  /** True during the hold-down after adverts failed (tests, status). */
  get advertSendHoldDown(): boolean {
    return this.sendFault.holdingDown;
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
   * addresses too (protocols/foreign-advert.ts): counted, and a MASTER re-announces. The caller
   * has counted the drop and logs the warning.
   */
  protected hearForeign(peer: string, kind: ForeignAdvertKind, payload: Uint8Array): void {
    this.foreign.heard(peer, kind, this.summarizeForeign(payload));
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

  /** Starts the group: INIT → BACKUP (or MASTER, for a VRRP address owner); 'resume-master': MASTER at once (a protocol switch). */
  start(mode?: StartMode): void {
    this.dispatch(mode === undefined ? { type: 'start' } : { type: 'start', mode });
  }

  /**
   * Stops the group: the farewell advert if MASTER, addresses removed, INIT; resolves when the
   * machine has left, then every timer is cancelled. A CARP MASTER keeps its addresses until it
   * hears its successor, within a bound (fsm/lifecycle.ts, the graceful stop; docs/state-machine.md "Graceful
   * stop"); calling shutdown() again during that wait leaves at once.
   */
  shutdown(): Promise<void> {
    const done = new Promise<void>((resolve) => this.stopWaiters.push(resolve));
    this.dispatch({ type: 'shutdown' });
    if (!this.state.running) this.stopped();
    return done;
  }

  private stopped(): void {
    this.halt();
    for (const resolve of this.stopWaiters.splice(0)) resolve();
  }

  /** Drops every timer without any protocol action: the process is going away abruptly (simulated crash). */
  halt(): void {
    this.core.cancelAllTimers();
    this.foreign.reset();
    this.sendFault.cancel();
  }

  /** Reports the parent interface's link state. */
  linkChanged(up: boolean): void {
    this.dispatch({ type: up ? 'link-up' : 'link-down' });
  }

  /** Sets the demotion counter (health checks, maintenance). */
  setDemotion(demotion: number): void {
    this.requestedDemotion = demotion;
    this.dispatch({ type: 'set-demotion', demotion: this.sendFault.demotion(demotion) });
  }

  /** Forces a phase (operator command). */
  force(phase: 'master' | 'backup'): void {
    this.dispatch({ type: 'force', phase });
  }

  /** Leaves mastership because the addresses could not be configured (fsm/lifecycle.ts, resign). */
  resign(): void {
    this.dispatch({ type: 'resign', reason: 'claim-failed' });
  }

  /** Counts a drop that acceptance attributed to this group. */
  countDrop(reason: DropReason): void {
    this.core.stats.drops[reason] = (this.core.stats.drops[reason] ?? 0) + 1;
  }
}
