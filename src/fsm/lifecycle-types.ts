/**
 * What a protocol supplies to the lifecycle core (fsm/lifecycle.ts): the rules in which CARP's
 * machine (protocols/carp/carp-step.ts) and VRRP's (protocols/vrrp/vrrp-step.ts) differ. The core
 * owns what they share: the phases and their transitions, the order of the effects of each, the
 * graceful stop, link events, forcing, resigning, the periodic advert and demotion changes
 * (docs/state-machine.md "The lifecycle core"). A protocol owns its election (who is better,
 * when a backup takes over), its intervals, the fields of its adverts and its own state fields.
 */
import type { IpFamily } from '../wire/ip-address.ts';
import type { ActionOf, MachineLifecycle, ResignReason, TimerId, TransitionReason } from './machine-types.ts';

/** What a step of a machine returns: its next state and the effects, in order. */
export interface LifecycleStep<State, Fields, Reason extends TransitionReason> {
  readonly state: State;
  readonly actions: readonly ActionOf<Fields, Reason>[];
}

/** The transition reasons the core gives itself; every protocol's reason type includes them. */
export type LifecycleReason = 'started' | 'link-up' | 'link-down' | 'shutdown' | 'forced' | 'protocol-switch' | 'another-master-heard' | ResignReason;

/** The settings the core reads: the rest of a protocol's config is its rules' business. */
export interface LifecycleConfig {
  /** After start-up or the link coming back, no preemption for this long (µs; keepalived's preempt_delay). */
  readonly preemptDelayMicros?: number;
}

/**
 * One protocol's rules. `Config`: its machine's settings; `State`: its whole state (the shared
 * lifecycle fields and its own); `Advert`: an advert as received; `Fields`: what it puts in an
 * advert it sends; `Reason`: the transition reasons it gives.
 */
export interface LifecycleRules<Config extends LifecycleConfig, State extends MachineLifecycle<Reason>, Advert, Fields, Reason extends TransitionReason> {
  /** How the protocol names INIT and one of its instances, in the 'ignored' actions' words. */
  readonly initName: string;
  readonly unitName: string;
  /**
   * The core's own reasons as the protocol's: `(reason) => reason`, which type-checks only when
   * the protocol's reasons include every LifecycleReason.
   */
  reason(reason: LifecycleReason): Reason;
  /** The families the machine advertises in, one master-down timer each (CARP: its addresses'; VRRP: one). */
  families(config: Config): readonly IpFamily[];
  /** The fields of our advert now, demotion included. */
  advertFields(config: Config, state: State): Fields;
  /** The fields of our farewell (CARP: its own, sent as the 255/255 bow-out; VRRP: priority 0). */
  farewellFields(config: Config, state: State): Fields;
  /** Our own advert interval now, µs: a MASTER's cadence. */
  advertIntervalMicros(config: Config, state: State): number;
  /** Our own master-down interval now, µs: what a graceful stop's hold is made of. */
  ownMasterDownMicros(config: Config, state: State): number;
  /**
   * The protocol's own fields on entering `state.phase` (the core has set phase, since and reason
   * and dropped the fields it owns): those of the phase left dropped, and, entering BACKUP, the
   * master-down deadline `masterDownAt` recorded.
   */
  enterPhase(config: Config, state: State, masterDownAt: number | undefined): State;
  /** Leaves INIT on 'start' or 'link-up': BACKUP (VRRP's address owner: MASTER). */
  startUp(config: Config, state: State, now: number, reason: 'started' | 'link-up'): LifecycleStep<State, Fields, Reason>;
  /** Becomes BACKUP on the operator's or the engine's word ('force', 'resign'). */
  backup(config: Config, state: State, now: number, reason: 'forced' | ResignReason): LifecycleStep<State, Fields, Reason>;
  /** A MASTER that gives up its addresses at once on shutdown instead of holding them for its successor (VRRP's owner). */
  stopsAtOnce(config: Config, state: State): boolean;
  /** An advert heard, in BACKUP or MASTER (the core ignores adverts in INIT before asking). */
  onAdvert(config: Config, state: State, advert: Advert, now: number): LifecycleStep<State, Fields, Reason>;
  /** A master-down timer fired (any phase: the protocol says whether it was armed). */
  masterDownExpired(config: Config, state: State, timer: TimerId, now: number): LifecycleStep<State, Fields, Reason>;
  /** A periodic advert goes out: whether it carries a repeated announcement of the protocol's own (CARP's delayed one). */
  repeatAnnouncement?(state: State): { readonly state: State; readonly announce: boolean };
  /** A MASTER's demotion changed from `before` to `after`: whether the backups are told at once. */
  tellsDemotion(config: Config, before: State, after: State): boolean;
}
