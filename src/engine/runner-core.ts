/**
 * What running a state machine on a clock takes, whichever protocol's machine it is: CARP's
 * (protocols/carp/carp-step.ts, GroupRunner) and VRRPv3's (protocols/vrrp/vrrp-step.ts, VrrpGroupRunner) emit actions of
 * the same shapes (machine-types.ts ActionOf), so everything but building and sending the advert
 * itself is done here once: the timer table on the Clock port, the effects, scripts, transition
 * reports and listeners, the counters, and the rate-limited logging of failed sends.
 */
import type { ActionOf, MachineLifecycle, Phase, StartMode, TimerId, TransitionReason } from '../fsm/machine-types.ts';
import type { IpAddress, IpFamily } from '../wire/ip-address.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { GroupEffects } from '../ports/group-effects.ts';
import type { Logger } from '../ports/logger.ts';
import type { PacketTransport } from '../ports/packet-transport.ts';
import { emptyGroupStats, type GroupStats } from './group-stats.ts';
import type { DropReason } from '../wire/drop-reason.ts';
import type { ForeignMasterStats } from './foreign-master-watch.ts';
import { FamilyLossLog } from './family-loss-log.ts';
import type { PeerTable } from './peer-table.ts';

/** The protocol a group speaks: a ProtocolName (protocols/protocol-module.ts); the engine keeps no list of them. */
export type RunnerProtocol = string;

/** A transition as reported to listeners (logs, demo timeline, control API events). */
export interface TransitionEvent {
  readonly group: string;
  readonly vhid: number;
  readonly from: Phase;
  readonly to: Phase;
  readonly reason: TransitionReason;
  readonly at: number;
  /** The master we last heard, when the transition was caused by an advert. */
  readonly peer?: string;
}

/**
 * What the daemon drives on a running group, CARP or VRRP: the operations GroupInstance calls
 * and the state it reports. The vhid is a VRRP group's VRID.
 */
export interface ProtocolRunner {
  readonly protocol: RunnerProtocol;
  readonly vhid: number;
  readonly stats: GroupStats;
  readonly peers: PeerTable;
  /** Foreign adverts heard for our id and the re-announcements they caused (foreign-master-watch.ts). */
  readonly foreignMasters: ForeignMasterStats;
  /** The machine's state (both machines share the lifecycle part). */
  readonly state: MachineLifecycle;
  onTransition(listener: (event: TransitionEvent) => void): void;
  /**
   * INIT → BACKUP (or MASTER for a VRRP address owner); 'resume-master': INIT → MASTER at once, a
   * reload's protocol switch (fsm/machine-types.ts StartMode).
   */
  start(mode?: StartMode): void;
  /**
   * Graceful stop: bow-out (CARP) or priority 0 (VRRP) when MASTER; resolves once the machine has
   * left (a CARP MASTER waits for its successor, bounded: fsm/lifecycle.ts); timers cancelled. Called
   * again meanwhile: leaves at once.
   */
  shutdown(): Promise<void>;
  /** Drops every timer without any protocol action (simulated crash). */
  halt(): void;
  linkChanged(up: boolean): void;
  setDemotion(demotion: number): void;
  force(phase: 'master' | 'backup'): void;
  /** Leaves mastership because the addresses could not be configured. */
  resign(): void;
  /** The transport's advert source moved (the interface was renumbered): the machine's own address follows. */
  sourceChanged(): void;
  /** Counts a drop that acceptance attributed to this group. */
  countDrop(reason: keyof GroupStats['drops']): void;
}

/** Transitions caused by a peer's advert: their log line names that peer. */
const ADVERT_DRIVEN_REASONS: ReadonlySet<TransitionReason> = new Set(['preempting-worse-master', 'master-more-demoted', 'master-will-time-out', 'master-bowed-out', 'outranked-by-peer']);

/** Send failures are logged at most this often (µs); every one is counted. */
const SEND_ERROR_LOG_INTERVAL_US = 10_000_000;

/** The ports RunnerCore uses. */
export interface RunnerCorePorts {
  readonly clock: Clock;
  readonly transport: PacketTransport;
  readonly effects: GroupEffects;
  readonly logger: Logger;
}

/** Who the core works for, read at each use (a reload may rename nothing, but settings change). */
export interface RunnerIdentity {
  readonly name: string;
  readonly vhid: number;
}

/** The shared half of a group runner. */
export class RunnerCore {
  readonly stats: GroupStats;
  private readonly timers = new Map<TimerId, TimerHandle>();
  private readonly transitionListeners: ((event: TransitionEvent) => void)[] = [];
  private lastSendErrorLogAt: number | undefined;
  private sendErrorsUnlogged = 0;
  /** When the adverts began to fail (µs), undefined while the last one went out (send-fault.ts). */
  private sendsFailingSince: number | undefined;
  /** Names a dual-stack master heard in one family only, once per episode. */
  private readonly familyLoss: FamilyLossLog;

  constructor(
    private readonly ports: RunnerCorePorts,
    private readonly identity: () => RunnerIdentity,
    /** Feeds an expired timer back to the machine, with the wakeup it ran in (Clock.setTimer's wakeupAt). */
    private readonly onTimer: (timer: TimerId, wakeupAt: number) => void,
    /** The drop reasons the protocol gives (its wire part's list): the keys of stats.drops. */
    dropReasons?: readonly DropReason[],
  ) {
    this.stats = emptyGroupStats(dropReasons);
    this.familyLoss = new FamilyLossLog(ports.logger);
  }

  /** Subscribes to transitions. */
  onTransition(listener: (event: TransitionEvent) => void): void {
    this.transitionListeners.push(listener);
  }

  /**
   * Carries out one action other than send-advert (the caller builds and sends adverts);
   * `lastHeardMaster` names the peer of an advert-driven transition.
   */
  execute(action: Exclude<ActionOf<unknown, TransitionReason>, { type: 'send-advert' }>, lastHeardMaster: () => IpAddress | undefined): void {
    switch (action.type) {
      case 'arm-timer':
        this.armTimer(action.timer, action.at, action.earliest);
        return;
      case 'cancel-timer':
        this.cancelTimer(action.timer);
        return;
      case 'add-addresses':
        this.ports.effects.addAddresses();
        return;
      case 'remove-addresses':
        this.ports.effects.removeAddresses();
        return;
      case 'announce':
        this.ports.effects.announce();
        return;
      case 'run-script':
        this.ports.effects.runScript(action.phase, action.previous, action.reason);
        return;
      case 'transition':
        this.reportTransition(action.from, action.to, action.reason, lastHeardMaster);
        return;
      case 'ignored':
        this.ports.logger.debug('event ignored', { group: this.identity().name, event: action.event, phase: action.phase, why: action.why });
        return;
      case 'family-silent':
      case 'family-heard-again': {
        const { name, vhid } = this.identity();
        this.familyLoss.note(action, { group: name, vhid, now: this.ports.clock.nowMicros(), master: lastHeardMaster() });
        return;
      }
    }
  }

  /**
   * Sends one advert to each destination (undefined: the multicast group), the payload built per
   * destination (VRRP's checksum covers the destination). Counted once as sent when every copy
   * went out, else as one send error.
   */
  sendAdvert(family: IpFamily, destinations: readonly (IpAddress | undefined)[], payloadFor: (destination: IpAddress | undefined) => Uint8Array): void {
    let failed = 0;
    let lastError: unknown;
    for (const destination of destinations) {
      try {
        this.ports.transport.send(family, payloadFor(destination), destination);
      } catch (error) {
        failed++;
        lastError = error;
      }
    }
    if (failed === 0) {
      this.stats.advertsSent++;
      this.sendsFailingSince = undefined;
    } else {
      this.sendsFailingSince ??= this.ports.clock.nowMicros();
      this.reportSendError(family, lastError);
    }
  }

  /** For how long every advert has failed (µs; 0 while the last one went out). */
  advertSendsFailingFor(): number {
    return this.sendsFailingSince === undefined ? 0 : this.ports.clock.nowMicros() - this.sendsFailingSince;
  }

  /** True once an advert went out after the last failure. */
  get advertSendsWork(): boolean {
    return this.sendsFailingSince === undefined;
  }

  /** Starts the count of failing sends afresh (a new MASTER spell counts its own). */
  forgetSendFailures(): void {
    this.sendsFailingSince = undefined;
  }

  /** Cancels every timer (shutdown, crash). */
  cancelAllTimers(): void {
    for (const timer of [...this.timers.keys()]) this.cancelTimer(timer);
  }

  private reportTransition(from: Phase, to: Phase, reason: TransitionReason, lastHeardMaster: () => IpAddress | undefined): void {
    this.stats.transitions++;
    this.familyLoss.reset();
    const { name, vhid } = this.identity();
    const peer = ADVERT_DRIVEN_REASONS.has(reason) ? lastHeardMaster()?.text : undefined;
    const event: TransitionEvent = { group: name, vhid, from, to, reason, at: this.ports.clock.nowMicros(), ...(peer === undefined ? {} : { peer }) };
    this.ports.logger.info(`${name}: ${from.toUpperCase()} -> ${to.toUpperCase()} (${reason})`, { group: name, vhid, from, to, reason, ...(peer === undefined ? {} : { peer }) });
    for (const listener of this.transitionListeners) listener(event);
  }

  /**
   * Counts a failed advert (any destination failed) and logs it: the first failure at once,
   * later ones at most every SEND_ERROR_LOG_INTERVAL_US with the number since, so a link that
   * is down in fast mode (256 adverts/s) does not flood the log.
   */
  private reportSendError(family: IpFamily, error: unknown): void {
    this.stats.sendErrors++;
    this.sendErrorsUnlogged++;
    const now = this.ports.clock.nowMicros();
    if (this.lastSendErrorLogAt !== undefined && now - this.lastSendErrorLogAt < SEND_ERROR_LOG_INTERVAL_US) return;
    this.ports.logger.warn('advert send failed', { group: this.identity().name, family, error: String(error), failuresSinceLastReport: this.sendErrorsUnlogged, sendErrors: this.stats.sendErrors });
    this.lastSendErrorLogAt = now;
    this.sendErrorsUnlogged = 0;
  }

  private armTimer(timer: TimerId, at: number, earliest: number | undefined): void {
    this.cancelTimer(timer);
    const handle = this.ports.clock.setTimer(
      at,
      (wakeupAt) => {
        if (this.timers.get(timer) !== handle) return;
        this.timers.delete(timer);
        this.onTimer(timer, wakeupAt);
      },
      earliest,
    );
    this.timers.set(timer, handle);
  }

  private cancelTimer(timer: TimerId): void {
    const handle = this.timers.get(timer);
    if (handle === undefined) return;
    this.ports.clock.clearTimer(handle);
    this.timers.delete(timer);
  }
}
