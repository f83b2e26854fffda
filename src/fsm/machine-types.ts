/**
 * The vocabulary every protocol's state machine shares (protocols/carp/carp-step.ts,
 * protocols/vrrp/vrrp-step.ts, both on the lifecycle core fsm/lifecycle.ts): the phases, the
 * transition reasons, the lifecycle part of the state, the event tags, the timer names and the
 * action shapes, so the engine drives every machine the same way. Only a protocol's advert
 * received (EventOf) and the fields it puts in an advert sent (ActionOf) differ; each protocol's
 * own types are in its folder (protocols/carp/carp-machine-types.ts,
 * protocols/vrrp/vrrp-machine-types.ts). Plain data; times are monotonic microseconds.
 */
import type { IpFamily } from '../wire/ip-address.ts';

/** The three phases (CARP: INIT = 0, BACKUP = 1, MASTER = 2 in every implementation; VRRP: Initialize, Backup, Master). */
export type Phase = 'init' | 'backup' | 'master';

/**
 * Why a transition happened; stable identifiers for logs, status and tests. The VRRP machine
 * gives a subset of them (VrrpTransitionReason), each in the same sense.
 */
export type TransitionReason =
  | 'started'
  | 'master-down-timeout'
  | 'preempting-worse-master'
  | 'master-more-demoted'
  | 'master-will-time-out'
  | 'master-bowed-out'
  | 'outranked-by-peer'
  | 'link-down'
  | 'link-up'
  | 'shutdown'
  | 'forced'
  /** The host could not take the addresses (netlink failed after retries): mastership left. */
  | 'claim-failed'
  /** MASTER heard another (worse) master: the master script runs again (rival-master.ts); no transition. */
  | 'another-master-heard'
  /** The MASTER's adverts failed to leave for a master-down interval: mastership left (docs/fail-safe.md). */
  | 'advert-send-failed'
  /** A reload switched a MASTER's protocol (or VRRP version): the new machine resumed as MASTER ('start', mode 'resume-master'). */
  | 'protocol-switch';

/** Why a MASTER leaves mastership on the engine's word (the 'resign' event). */
export type ResignReason = 'claim-failed' | 'advert-send-failed';

/** The part of a machine's state that CARP's and VRRP's machines share. */
export interface MachineLifecycle<Reason extends TransitionReason = TransitionReason> {
  readonly phase: Phase;
  readonly since: number;
  readonly reason: Reason;
  /** False until 'start' and after 'shutdown'. */
  readonly running: boolean;
  readonly linkUp: boolean;
  /**
   * Demotion counter 0..255 (health checks, maintenance, link state). CARP raises the demote
   * byte and advskew by it; VRRP lowers the priority by it.
   */
  readonly demotion: number;
  /** MASTER: when we last announced because another master was heard (rival-master.ts). */
  readonly rivalAnnouncedAt?: number;
  /** MASTER: the next periodic advert repeats that announcement. */
  readonly rivalAnnouncePending?: boolean;
  /** MASTER: the master script was re-run for another master in this spell. */
  readonly rivalScriptRerun?: boolean;
  /** MASTER in a graceful stop, addresses kept until the successor is heard (docs/state-machine.md "Graceful stop"). */
  readonly stopping?: { readonly until: number };
  /** MASTER: when the next advert is due. */
  readonly advertDueAt?: number;
  /** BACKUP after start-up or link-up: no preemption before this time (the config's preemptDelayMicros). */
  readonly preemptAfter?: number;
}

/**
 * Timer names: one advert timer, one master-down timer per family, and the bound of a stopping
 * MASTER's wait for its successor (fsm/lifecycle.ts, graceful stop).
 */
export type TimerId = 'advert' | 'master-down-4' | 'master-down-6' | 'stop-hold';

/** Inputs to a machine whose adverts, as received, are `Advert` (CARP's or VRRP's). */
export type EventOf<Advert> =
  /**
   * Leave INIT: as BACKUP (or, for a VRRP address owner, MASTER), or with `mode: 'resume-master'`
   * straight to MASTER (docs/state-machine.md "Protocol switch"): a reload switched the protocol of
   * a group this host was MASTER of, the addresses are still in place and no peer of the old
   * protocol is left (daemon/protocol-switch.ts decides).
   */
  | { readonly type: 'start'; readonly mode?: StartMode }
  | { readonly type: 'shutdown' }
  | { readonly type: 'link-up' }
  | { readonly type: 'link-down' }
  | { readonly type: 'advert'; readonly advert: Advert }
  /** A timer fired; `wakeupAt`: the deadline of the wakeup it ran in, when the clock tells (Clock.setTimer). */
  | { readonly type: 'timer'; readonly timer: TimerId; readonly wakeupAt?: number }
  | { readonly type: 'set-demotion'; readonly demotion: number }
  | { readonly type: 'force'; readonly phase: 'master' | 'backup' }
  /** Leave mastership because the addresses could not be configured (effects confirmed failure). */
  | { readonly type: 'resign'; readonly reason: ResignReason };

/** How a machine leaves INIT on 'start'. */
export type StartMode = 'resume-master';

/** The event tags, the same for both machines. */
export type MachineEventType = EventOf<unknown>['type'];

/**
 * Effects the engine must carry out, in order, for a machine whose adverts carry `Fields`.
 * bowOut marks the farewell advert (CARP: advbase/advskew 255/255; VRRP: priority 0).
 */
export type ActionOf<Fields, Reason extends TransitionReason = TransitionReason> =
  | { readonly type: 'send-advert'; readonly families: readonly IpFamily[]; readonly fields: Fields; readonly bowOut: boolean }
  | {
      readonly type: 'arm-timer';
      readonly timer: TimerId;
      readonly at: number;
      /** The timer may fire from then on (a new master's first periodic advert only: firstAdvertSlackMicros). */
      readonly earliest?: number;
    }
  | { readonly type: 'cancel-timer'; readonly timer: TimerId }
  | { readonly type: 'add-addresses' }
  | { readonly type: 'remove-addresses' }
  | { readonly type: 'announce' }
  /**
   * Run the operator's script for `phase`; `reason` is the transition's (as logged). 'stop': the
   * machine was shut down (carpd stops), from whatever phase `previous` was: the effects run
   * scripts.stop, or the backup script when there is none and `previous` was MASTER (docs/scripts.md).
   */
  | { readonly type: 'run-script'; readonly phase: 'master' | 'backup' | 'stop'; readonly previous: Phase; readonly reason: Reason }
  | { readonly type: 'transition'; readonly from: Phase; readonly to: Phase; readonly reason: Reason }
  | { readonly type: 'ignored'; readonly event: MachineEventType; readonly phase: Phase; readonly why: string }
  | FamilyAction;

/**
 * A dual-stack group's master heard in one family only (CARP; a VRRPv3 group has one family):
 * a family's adverts stopped while the master is still heard in `heardIn`, so no takeover
 * (silent-family.ts); and that family heard again.
 */
export type FamilyAction =
  /** `silentForMicros`: since the family's last advert (one master-down interval), for the log. */
  | { readonly type: 'family-silent'; readonly family: IpFamily; readonly heardIn: readonly IpFamily[]; readonly silentForMicros: number }
  | { readonly type: 'family-heard-again'; readonly family: IpFamily; readonly silentForMicros: number };

