/**
 * The lifecycle core under every protocol's state machine (protocols/carp/carp-step.ts,
 * protocols/vrrp/vrrp-step.ts): the transitions and effects both machines have, parameterised by
 * a protocol's rules (fsm/lifecycle-types.ts LifecycleRules: its election, intervals and advert
 * fields). docs/state-machine.md "The lifecycle core".
 *
 *   phase    event                      effects, in order                                 next
 *   init     start (link up)            the protocol's start-up (rules.startUp)           backup|master
 *   init     start, resume-master       as becoming MASTER (a reload's protocol switch)   master
 *   any      link-down                  as leaving (below); a stopping MASTER finishes    init
 *   init     link-up (running)          the protocol's start-up                           backup|master
 *   b/m      advert                     the protocol's (rules.onAdvert)
 *   b/i      shutdown                   as leaving, stop script                           init
 *   master   shutdown                   farewell advert, advert timer, stop-hold timer    master (stopping)
 *   stopping timer advert               farewell again, re-armed until the hold ends      master (stopping)
 *   stopping timer stop-hold, resign    remove addresses, stop script                     init
 *   master   timer advert               advert (+ announce), re-arm                       master
 *   backup   timer master-down          the protocol's (rules.masterDownExpired)
 *   master   set-demotion               advert at once when the protocol says so          master
 *   b/m      force                      as becoming MASTER / the protocol's BACKUP         master|backup
 *   master   resign                     farewell advert, the protocol's BACKUP             backup
 *
 *   becoming BACKUP: cancel the advert timer, arm master-down (a timer per family), remove
 *     addresses if MASTER, backup script, transition.
 *   becoming MASTER: cancel master-down, advert (first, so backups hear the new master before
 *     anything slower happens), add addresses, announce, arm the advert timer (its first may go
 *     early: firstAdvertSlackMicros), master script, transition.
 *   leaving for INIT: cancel every timer, remove addresses if MASTER, the stop script on a
 *     shutdown (docs/scripts.md, scripts.stop) or else the backup script if MASTER, transition.
 *
 * Every other (phase, event) pair yields an 'ignored' action with the state unchanged, which the
 * engine logs at debug level. Pure: the same inputs always give the same outputs.
 */
import type { IpFamily } from '../wire/ip-address.ts';
import { firstAdvertSlackMicros, gracefulStopHoldMicros, nextAdvertDueAt } from './intervals.ts';
import type { LifecycleConfig, LifecycleRules, LifecycleStep } from './lifecycle-types.ts';
import type { ActionOf, EventOf, MachineEventType, MachineLifecycle, Phase, ResignReason, StartMode, TimerId, TransitionReason } from './machine-types.ts';
import { rivalAnnounceWithAdvert, rivalMasterHeard, withoutRivalMaster } from './rival-master.ts';

/** The highest demotion counter; every machine clamps to it. */
export const MAX_DEMOTION = 255;

/** The master-down timer of a family (one per family, so the engine's timer table serves every machine). */
export function masterDownTimer(family: IpFamily): TimerId {
  return family === 4 ? 'master-down-4' : 'master-down-6';
}

/** No change, and an 'ignored' action saying why (logged at debug level). */
export function ignored<S extends MachineLifecycle<R>, F, R extends TransitionReason>(state: S, event: MachineEventType, why: string): LifecycleStep<S, F, R> {
  return { state, actions: [{ type: 'ignored', event, phase: state.phase, why }] };
}

/**
 * The core bound to one protocol's rules (each step file holds one: CARP_LIFECYCLE,
 * VRRP_LIFECYCLE). It keeps nothing but the rules: every method is a pure function of its arguments.
 */
export class Lifecycle<C extends LifecycleConfig, S extends MachineLifecycle<R>, A, F, R extends TransitionReason> {
  constructor(private readonly rules: LifecycleRules<C, S, A, F, R>) {}

  /** No change, and an 'ignored' action saying why. */
  ignored(state: S, event: MachineEventType, why: string): LifecycleStep<S, F, R> {
    return ignored(state, event, why);
  }

  /** Advances a machine by one event under its protocol's rules. */
  step(config: C, state: S, event: EventOf<A>, now: number): LifecycleStep<S, F, R> {
    switch (event.type) {
      case 'start':
        return this.onStart(config, state, now, event.mode);
      case 'shutdown':
        return this.onShutdown(config, state, now);
      case 'link-down':
        return this.onLinkDown(config, state, now);
      case 'link-up':
        return this.onLinkUp(config, state, now);
      case 'advert':
        if (state.phase === 'init') return this.ignored(state, 'advert', `adverts are ignored in ${this.rules.initName}`);
        return this.rules.onAdvert(config, state, event.advert, now);
      case 'timer':
        return this.onTimer(config, state, event.timer, now, event.wakeupAt);
      case 'set-demotion':
        return this.onSetDemotion(config, state, event.demotion);
      case 'force':
        return this.onForce(config, state, event.phase, now);
      case 'resign':
        return this.onResign(config, state, event.reason, now);
    }
  }

  private sendAdvert(config: C, state: S, families = this.rules.families(config)): ActionOf<F, R> {
    return { type: 'send-advert', families, fields: this.rules.advertFields(config, state), bowOut: false };
  }

  private sendFarewell(config: C, state: S): ActionOf<F, R> {
    return { type: 'send-advert', families: this.rules.families(config), fields: this.rules.farewellFields(config, state), bowOut: true };
  }

  private onStart(config: C, state: S, now: number, mode: StartMode | undefined): LifecycleStep<S, F, R> {
    if (state.running) return this.ignored(state, 'start', 'already running');
    const running: S = { ...state, running: true };
    // A down link gives nothing to resume: the machine waits in INIT and starts when the link comes up.
    if (!running.linkUp) return { state: running, actions: [] };
    if (mode === 'resume-master') return this.becomeMaster(config, running, now, this.rules.reason('protocol-switch'));
    return this.rules.startUp(config, running, now, 'started');
  }

  private onLinkUp(config: C, state: S, now: number): LifecycleStep<S, F, R> {
    if (state.linkUp) return this.ignored(state, 'link-up', 'link already up');
    const up: S = { ...state, linkUp: true };
    if (!state.running) return { state: up, actions: [] };
    return this.rules.startUp(config, up, now, 'link-up');
  }

  private onLinkDown(config: C, state: S, now: number): LifecycleStep<S, F, R> {
    if (!state.linkUp) return this.ignored(state, 'link-down', 'link already down');
    const down: S = { ...state, linkUp: false };
    if (!state.running) return { state: down, actions: [] };
    // The addresses are no use on a down link: a stopping MASTER waits no longer.
    if (state.stopping !== undefined) return this.finishShutdown(config, down, now);
    return this.leave(config, down, now, this.rules.reason('link-down'), []);
  }

  /**
   * A MASTER says farewell (so backups take over at once instead of after master-down) but keeps
   * its addresses until it hears its successor, at most gracefulStopHoldMicros: make-before-break
   * (docs/state-machine.md "Graceful stop"). A second shutdown, any other phase, or a MASTER the
   * protocol stops at once (rules.stopsAtOnce) leaves at once.
   */
  private onShutdown(config: C, state: S, now: number): LifecycleStep<S, F, R> {
    if (!state.running) return this.ignored(state, 'shutdown', 'not running');
    if (state.phase !== 'master' || state.stopping !== undefined || this.rules.stopsAtOnce(config, state)) return this.finishShutdown(config, state, now);
    const until = now + gracefulStopHoldMicros(this.rules.ownMasterDownMicros(config, state));
    const next = this.nextFarewell(config, { ...withoutRivalMaster(state), stopping: { until } }, now);
    return { state: next.state, actions: [this.sendFarewell(config, state), ...next.actions, { type: 'arm-timer', timer: 'stop-hold', at: until }] };
  }

  /**
   * While stopping, the farewell is sent again each advert interval until the hold ends: one lost
   * copy must not cost a backup its master-down interval.
   */
  private nextFarewell(config: C, state: S & { readonly stopping: { readonly until: number } }, now: number): LifecycleStep<S, F, R> {
    const at = now + this.rules.advertIntervalMicros(config, state);
    if (at < state.stopping.until) return { state: { ...state, advertDueAt: at }, actions: [{ type: 'arm-timer', timer: 'advert', at }] };
    const { advertDueAt: _, ...rest } = state;
    return { state: rest as S, actions: [{ type: 'cancel-timer', timer: 'advert' }] };
  }

  /**
   * Leaves for good: addresses removed if held, the stop script, INIT, not running. A MASTER that
   * leaves without a graceful stop (rules.stopsAtOnce) says farewell first.
   */
  finishShutdown(config: C, state: S, now: number): LifecycleStep<S, F, R> {
    const actions: ActionOf<F, R>[] = [];
    if (state.stopping !== undefined) actions.push({ type: 'cancel-timer', timer: 'stop-hold' });
    else if (state.phase === 'master') actions.push(this.sendFarewell(config, state));
    const { stopping: _, ...rest } = state;
    const left = this.leave(config, rest as S, now, this.rules.reason('shutdown'), actions);
    return { state: { ...left.state, running: false }, actions: left.actions };
  }

  /** The state in a new phase: the core's per-phase fields dropped, then the protocol's (rules.enterPhase). */
  private entering(config: C, state: S, phase: Phase, since: number, reason: R, masterDownAt?: number): S {
    const { advertDueAt: _, ...rest } = withoutRivalMaster(state);
    return this.rules.enterPhase(config, { ...rest, phase, since, reason } as S, masterDownAt);
  }

  /** Goes to INIT from any phase, giving up the addresses if we held them. */
  private leave(config: C, state: S, now: number, reason: R, actions: ActionOf<F, R>[]): LifecycleStep<S, F, R> {
    const from = state.phase;
    actions.push({ type: 'cancel-timer', timer: 'advert' }, ...this.rules.families(config).map((f): ActionOf<F, R> => ({ type: 'cancel-timer', timer: masterDownTimer(f) })));
    if (from === 'master') actions.push({ type: 'remove-addresses' });
    // A shutdown is one stop, whatever the phase (docs/scripts.md, scripts.stop); anything else only leaves MASTER.
    if (reason === 'shutdown') actions.push({ type: 'run-script', phase: 'stop', previous: from, reason });
    else if (from === 'master') actions.push({ type: 'run-script', phase: 'backup', previous: from, reason });
    if (from !== 'init') actions.push({ type: 'transition', from, to: 'init', reason });
    return { state: this.entering(config, state, 'init', from === 'init' ? state.since : now, from === 'init' ? state.reason : reason), actions };
  }

  /**
   * Becomes BACKUP with its master-down timers armed `masterDownMicros` from now (the protocol's
   * interval: CARP's own, VRRP's from the master's interval it follows).
   */
  becomeBackup(config: C, state: S, now: number, reason: R, masterDownMicros: number): LifecycleStep<S, F, R> {
    const from = state.phase;
    const at = now + masterDownMicros;
    const actions: ActionOf<F, R>[] = [{ type: 'cancel-timer', timer: 'advert' }, ...this.rules.families(config).map((f): ActionOf<F, R> => ({ type: 'arm-timer', timer: masterDownTimer(f), at }))];
    if (from === 'master') actions.push({ type: 'remove-addresses' });
    actions.push({ type: 'run-script', phase: 'backup', previous: from, reason }, { type: 'transition', from, to: 'backup', reason });
    const next = this.entering(config, state, 'backup', now, reason, at);
    // preempt_delay counts from start-up and from the link coming back, not from later spells as BACKUP.
    const delay = config.preemptDelayMicros ?? 0;
    const fresh = (reason === 'started' || reason === 'link-up') && delay > 0;
    return { state: fresh ? { ...next, preemptAfter: now + delay } : next, actions };
  }

  /** Becomes MASTER: the advert first, then the addresses, the announcement, the advert timer and the script. */
  becomeMaster(config: C, state: S, now: number, reason: R): LifecycleStep<S, F, R> {
    const from = state.phase;
    const interval = this.rules.advertIntervalMicros(config, state);
    const advertDueAt = now + interval;
    const actions: ActionOf<F, R>[] = [
      ...this.rules.families(config).map((f): ActionOf<F, R> => ({ type: 'cancel-timer', timer: masterDownTimer(f) })),
      // The advert goes first so backups hear the new master before anything slower happens.
      this.sendAdvert(config, state),
      { type: 'add-addresses' },
      { type: 'announce' },
      { type: 'arm-timer', timer: 'advert', at: advertDueAt, earliest: advertDueAt - firstAdvertSlackMicros(interval) },
      { type: 'run-script', phase: 'master', previous: from, reason },
      { type: 'transition', from, to: 'master', reason },
    ];
    return { state: { ...this.entering(config, state, 'master', now, reason), advertDueAt }, actions };
  }

  /**
   * A MASTER outranked by the advertiser in `family` steps down to `backup` (the protocol's BACKUP
   * for it), after one last advert of its own: it tells the better master that we held the
   * addresses too, so it re-announces them (rival-master.ts); it may never hear us otherwise, when
   * its advert reaches us before our next one reaches it.
   */
  stepDown(config: C, state: S, family: IpFamily, backup: LifecycleStep<S, F, R>): LifecycleStep<S, F, R> {
    return { state: backup.state, actions: [this.sendAdvert(config, state, [family]), ...backup.actions] };
  }

  /**
   * A MASTER heard a worse master: it announced our addresses too, so take the clients back, and
   * re-run the master script (rival-master.ts, docs/state-machine.md "Another master heard").
   * Whether to answer with an advert at once is the protocol's choice (CARP does, VRRP does not).
   */
  answerRivalMaster(config: C, state: S, now: number): LifecycleStep<S, F, R> {
    const answer = rivalMasterHeard(state, this.rules.advertIntervalMicros(config, state), now, state.since);
    const actions: ActionOf<F, R>[] = [];
    if (answer.announce) actions.push({ type: 'announce' });
    if (answer.rerunScript) actions.push({ type: 'run-script', phase: 'master', previous: 'master', reason: this.rules.reason('another-master-heard') });
    return { state: answer.state, actions };
  }

  /** The advert answering another advert at once, in its family (a CARP MASTER's to a worse one). */
  answerAdvert(config: C, state: S, family: IpFamily): ActionOf<F, R> {
    return this.sendAdvert(config, state, [family]);
  }

  private onTimer(config: C, state: S, timer: TimerId, now: number, wakeupAt: number | undefined): LifecycleStep<S, F, R> {
    if (timer === 'stop-hold') {
      if (state.stopping === undefined) return this.ignored(state, 'timer', 'stop-hold outside a graceful stop');
      return this.finishShutdown(config, state, now);
    }
    if (timer !== 'advert') return this.rules.masterDownExpired(config, state, timer, now);
    if (state.phase !== 'master') return this.ignored(state, 'timer', 'advert timer outside MASTER');
    if (state.stopping !== undefined) {
      const next = this.nextFarewell(config, { ...state, stopping: state.stopping }, now);
      return { state: next.state, actions: [this.sendFarewell(config, state), ...next.actions] };
    }
    return this.sendPeriodicAdvert(config, state, now, wakeupAt);
  }

  private sendPeriodicAdvert(config: C, state: S, now: number, wakeupAt: number | undefined): LifecycleStep<S, F, R> {
    const advertDueAt = nextAdvertDueAt(state.advertDueAt ?? now, now, this.rules.advertIntervalMicros(config, state), wakeupAt);
    const repeat = this.rules.repeatAnnouncement?.(state) ?? { state, announce: false };
    const rival = rivalAnnounceWithAdvert(repeat.state, now);
    const actions: ActionOf<F, R>[] = [this.sendAdvert(config, state)];
    if (repeat.announce || rival.announce) actions.push({ type: 'announce' });
    actions.push({ type: 'arm-timer', timer: 'advert', at: advertDueAt });
    return { state: { ...rival.state, advertDueAt }, actions };
  }

  private onSetDemotion(config: C, state: S, demotion: number): LifecycleStep<S, F, R> {
    const clamped = Math.max(0, Math.min(MAX_DEMOTION, Math.trunc(demotion)));
    if (clamped === state.demotion) return { state, actions: [] };
    const next: S = { ...state, demotion: clamped };
    // A BACKUP's new demotion takes effect in its next comparison and master-down interval.
    if (state.phase !== 'master' || state.stopping !== undefined || !this.rules.tellsDemotion(config, state, next)) return { state: next, actions: [] };
    return { state: next, actions: [this.sendAdvert(config, next)] };
  }

  private onForce(config: C, state: S, phase: 'master' | 'backup', now: number): LifecycleStep<S, F, R> {
    if (state.phase === 'init') return this.ignored(state, 'force', `cannot force ${this.rules.unitName} in ${this.rules.initName}`);
    if (state.stopping !== undefined) return this.ignored(state, 'force', 'stopping');
    if (state.phase === phase) return this.ignored(state, 'force', `already ${phase}`);
    return phase === 'master' ? this.becomeMaster(config, state, now, this.rules.reason('forced')) : this.rules.backup(config, state, now, 'forced');
  }

  /**
   * A MASTER whose addresses could not be configured, or whose adverts cannot leave
   * (docs/fail-safe.md), must not stay a silent master that backups defer to: it says farewell
   * (the best backup takes over after its own skew time, as on shutdown) and waits as BACKUP. The
   * caller raises the demotion first, so it advertises as the worst node should it take over again
   * while no other node is there. A stopping MASTER has said farewell already: it leaves at once.
   */
  private onResign(config: C, state: S, reason: ResignReason, now: number): LifecycleStep<S, F, R> {
    if (state.phase !== 'master') return this.ignored(state, 'resign', 'not master');
    if (state.stopping !== undefined) return this.finishShutdown(config, state, now);
    const backup = this.rules.backup(config, state, now, reason);
    return { state: backup.state, actions: [this.sendFarewell(config, state), ...backup.actions] };
  }
}
