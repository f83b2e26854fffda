/**
 * The CARP machine's own vocabulary (protocols/carp/carp-step.ts): its configuration, its state
 * beyond the lifecycle every machine shares, the advert it receives and the fields it sends.
 * Plain data, so step() stays a pure function of (state, event, now); times are monotonic
 * microseconds from an injected clock. The shared part (phases, reasons, events, actions, the
 * lifecycle fields) is fsm/machine-types.ts.
 */
import type { IpAddress, IpFamily } from '../../wire/ip-address.ts';
import type { ActionOf, EventOf, MachineLifecycle, TransitionReason } from '../../fsm/machine-types.ts';
import type { MasterDownFormula } from './carp-intervals.ts';

/** Static settings of one virtual host. */
export interface MachineConfig {
  readonly vhid: number;
  /** Seconds, 0..255 (not 0 together with advskew 0 on ucarp peers). */
  readonly advbase: number;
  /** 1/256 s, 0..254 (255 is reserved for the bow-out). */
  readonly advskew: number;
  /** Take over from a worse master (net.inet.carp.preempt). */
  readonly preempt: boolean;
  /**
   * keepalived's preempt_delay, in µs: after start-up or the link coming back, no preemption for
   * this long (the node's services may not be ready); a missing master is still replaced. 0: none.
   */
  readonly preemptDelayMicros?: number;
  readonly masterDownFormula: MasterDownFormula;
  /** ucarp's --deadratio; used by the 'ucarp' formula and its time-out rule. */
  readonly deadRatio: number;
  /** Families in which the vhid has addresses: one advert stream and one master-down timer each. */
  readonly families: readonly IpFamily[];
  /** Our advert source address per family, used only by the tie rule. */
  readonly sourceAddresses: Partial<Record<IpFamily, IpAddress>>;
}

/** The master as last heard by this node. */
export interface HeardMaster {
  readonly address: IpAddress;
  readonly advbase: number;
  readonly advskew: number;
  readonly demote: number;
  readonly at: number;
}

/** The machine's whole state: the shared lifecycle (fsm/machine-types.ts) and CARP's own fields. */
export interface MachineState extends MachineLifecycle {
  /** BACKUP: master-down deadline per family. */
  readonly masterDownAt: Partial<Record<IpFamily, number>>;
  /** BACKUP: the master-down timers were shortened by a bow-out, so their expiry is reported as such. */
  readonly bowOutHeard?: boolean;
  /**
   * BACKUP: a worse master was heard and this node takes over when its own skew time has passed
   * (the master-down timers were shortened to then), unless a better master is heard first:
   * the transition's reason, and the deadline, which later worse adverts never push back.
   */
  readonly takeover?: { readonly reason: TransitionReason; readonly at: number };
  /**
   * MASTER being shut down: it has bowed out and keeps its addresses until it hears another
   * node's advert (its successor) or `until` passes, then leaves as a shutdown does (make-before-break).
   */
  readonly stopping?: { readonly until: number };
  /** MASTER: adverts still to send before the repeated announcement (OpenBSD sc_delayed_arp). */
  readonly announceAfterAdverts: number;
  readonly lastHeardMaster?: HeardMaster;
  /**
   * BACKUP, dual-stack: families whose master-down timer expired while the master was still
   * heard in another family, and when (silent-family.ts). No takeover for them; cleared when the
   * family is heard again and on every transition.
   */
  readonly silentFamilies?: Partial<Record<IpFamily, number>>;
}

/** An authenticated, replay-checked advert handed to the machine. */
export interface AdvertReceived {
  readonly family: IpFamily;
  readonly source: IpAddress;
  readonly advbase: number;
  readonly advskew: number;
  readonly demote: number;
}

/** Inputs to the CARP machine. */
export type MachineEvent = EventOf<AdvertReceived>;

/** The values to put in an outgoing advert. */
export interface AdvertFields {
  readonly advbase: number;
  readonly advskew: number;
  readonly demote: number;
}

/** Effects of the CARP machine. */
export type MachineAction = ActionOf<AdvertFields>;

/** What step() returns. */
export interface StepResult {
  readonly state: MachineState;
  readonly actions: readonly MachineAction[];
}
