/**
 * The VRRPv3 state machine's vocabulary (RFC 5798 §6): configuration, state, events and actions,
 * all plain data so stepVrrp() stays a pure function of (state, event, now). Times are monotonic
 * microseconds from an injected clock; protocol intervals are centiseconds (vrrp-intervals.ts).
 *
 * One machine runs one virtual router: one VRID in one address family. RFC 5798 gives IPv4 and
 * IPv6 virtual routers separate virtual MACs (§7.3) and an advert carries one family only
 * (§5.2.9); FRR runs a separate state machine per family under one VRID, keepalived an instance
 * per family. So unlike CARP's machine (one state, a master-down timer per family) a dual-stack
 * VRID is two machines, whose masters may differ.
 *
 * Phases, the lifecycle fields (advertDueAt: Adver_Timer's deadline), event tags, timer names and
 * action shapes are every machine's (fsm/machine-types.ts), so the engine drives both machines
 * the same way.
 */
import type { IpAddress, IpFamily } from '../../wire/ip-address.ts';
import type { VrrpVersion } from './vrrp-version.ts';
import type { ActionOf, EventOf, MachineLifecycle, TransitionReason } from '../../fsm/machine-types.ts';
import { DEFAULT_ADVERT_INTERVAL_CENTIS } from './vrrp-intervals.ts';

/** Static settings of one virtual router. The config layer validates them; the machine trusts them. */
export interface VrrpConfig {
  /** 1..255. */
  readonly vrid: number;
  readonly family: IpFamily;
  /** VRRPv2 (RFC 3768) or VRRPv3 (the default): Skew_Time and interval learning differ (vrrp-intervals.ts). */
  readonly version?: VrrpVersion;
  /** 1..255; 255 = the address owner (§5.2.4), which starts as master and always preempts. */
  readonly priority: number;
  /** Advertisement_Interval, centiseconds 1..4095 (VRRPv2: whole seconds, 100..25500). */
  readonly advertIntervalCentis: number;
  /** Preempt_Mode (§6.1): take over from a lower-priority master. */
  readonly preempt: boolean;
  /**
   * keepalived's preempt_delay, in µs: after start-up or the link coming back, no preemption for
   * this long (the node's services may not be ready); a missing master is still replaced. 0: none.
   */
  readonly preemptDelayMicros?: number;
  /**
   * Accept_Mode (§6.1): a non-owner master accepts packets addressed to the virtual addresses.
   * Data for the Linux side only; the election does not depend on it.
   */
  readonly acceptMode: boolean;
  /**
   * Our primary address in this family (IPv6: the link-local one): the source of our adverts
   * (§5.1.1.1, §5.1.2.1) and our side of the equal-priority tie (§6.4.3 (735)).
   */
  readonly primaryAddress: IpAddress;
}

/** RFC 5798 §6.1 defaults (priority 100, 1 s, preempt on, accept off), for the config layer. */
export const VRRP_DEFAULTS = {
  priority: 100,
  advertIntervalCentis: DEFAULT_ADVERT_INTERVAL_CENTIS,
  preempt: true,
  acceptMode: false,
} as const;

/** The transition reasons the VRRP machine gives, each in the same sense as for CARP. */
export type VrrpTransitionReason = Extract<
  TransitionReason,
  | 'started'
  | 'master-down-timeout'
  /** Master_Down_Timer expired while we were discarding a lower-priority master's adverts. */
  | 'preempting-worse-master'
  /** Master_Down_Timer expired after the master's priority-0 advert had shortened it to Skew_Time. */
  | 'master-bowed-out'
  | 'outranked-by-peer'
  | 'link-down'
  | 'link-up'
  | 'shutdown'
  | 'forced'
  | 'claim-failed'
  | 'another-master-heard'
  | 'advert-send-failed'
  | 'protocol-switch'
>;

/**
 * A VRRPv3 advert as the machine needs it, after the codec's checks (version, type, TTL,
 * checksum, VRID): who sent it and what it offers.
 */
export interface VrrpAdvertReceived {
  readonly family: IpFamily;
  /** The IP source: the sender's primary address, compared in the tie rule. */
  readonly source: IpAddress;
  /** 0..255; 0 = the master is resigning. */
  readonly priority: number;
  /** The 12-bit Max Adver Int field, centiseconds. */
  readonly maxAdvertIntervalCentis: number;
}

/** The master as last heard by this node. */
export interface VrrpHeardMaster {
  readonly address: IpAddress;
  readonly priority: number;
  readonly maxAdvertIntervalCentis: number;
  readonly at: number;
}

/** The machine's whole state. */
export interface VrrpState extends MachineLifecycle<VrrpTransitionReason> {
  /**
   * Master_Adver_Interval, centiseconds: our own Advertisement_Interval at start-up, then learned
   * from every advert a BACKUP follows (§6.4.2 (450)) or yields to (§6.4.3 (745)).
   */
  readonly masterAdverIntervalCentis: number;
  /** BACKUP: when Master_Down_Timer expires. */
  readonly masterDownAt?: number;
  /** BACKUP: a priority-0 advert shortened Master_Down_Timer to Skew_Time. */
  readonly masterResigned?: boolean;
  /** BACKUP: the last advert came from a lower-priority master and was discarded so we preempt it. */
  readonly preempting?: boolean;
  readonly lastHeardMaster?: VrrpHeardMaster;
  /**
   * BACKUP: the master we follow, i.e. whose Max Adver Int is our Master_Adver_Interval, as last
   * heard. While it is live a worse advertiser's adverts restart Master_Down_Timer but do not
   * replace it (docs/protocol-vrrp.md "A backup follows the best live master").
   */
  readonly followedMaster?: VrrpHeardMaster;
  /**
   * MASTER being shut down: it has resigned (priority 0) and keeps its addresses until it hears
   * another router's advert or `until` passes (make-before-break, fsm/lifecycle.ts).
   */
  readonly stopping?: { readonly until: number };
}

/** Inputs to the machine: every machine's events, carrying a VRRP advert. */
export type VrrpEvent = EventOf<VrrpAdvertReceived>;

/** The values to put in an outgoing advert (the codec adds VRID, addresses and checksum). */
export interface VrrpAdvertFields {
  /** Our effective priority, or 0 in the farewell advert. */
  readonly priority: number;
  /** Our Advertisement_Interval, centiseconds. */
  readonly maxAdvertIntervalCentis: number;
}

/** Effects the engine must carry out, in order: every machine's action shapes with VRRP advert fields. */
export type VrrpAction = ActionOf<VrrpAdvertFields, VrrpTransitionReason>;

/** What stepVrrp() returns. */
export interface VrrpStepResult {
  readonly state: VrrpState;
  readonly actions: readonly VrrpAction[];
}
