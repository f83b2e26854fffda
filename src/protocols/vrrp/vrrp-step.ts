/**
 * The VRRPv3 state machine (RFC 5798 §6.4) of one virtual router as one pure step function; it
 * runs VRRPv2 (RFC 3768 §6.4, the same machine) too, the differences (Skew_Time, no interval
 * learning) coming from the version profile through vrrp-intervals.ts.
 * Paragraph numbers are the RFC's own line labels; P is our effective priority (vrrp-election.ts).
 *
 *   state   event                          action                                       next     RFC 5798
 *   init    start / link-up, P = 255       advert, add VIPs, announce, adver timer      master   §6.4.1 (110)–(145)
 *   init    start, mode resume-master      advert, add VIPs (in place: adopted),        master   not in the RFC: a reload's
 *                                          announce, adver timer, master script                  protocol switch (docs/state-machine.md)
 *   init    start / link-up, P < 255       Master_Adver_Interval = own, master-down     backup   §6.4.1 (150)–(165)
 *   backup  timer master-down-N            advert, add VIPs, announce, adver timer      master   §6.4.2 (370)–(410)
 *   backup  advert, priority 0             master-down := Skew_Time                     backup   §6.4.2 (425)–(430)
 *   backup  advert, preempt off or ≥ P     learn Master_Adver_Interval, re-arm          backup   §6.4.2 (445)–(460)
 *   backup  advert, preempt on and < P     discarded (master-down runs out: preemption) backup   §6.4.2 (465)–(470)
 *   master  timer advert                   advert, re-arm adver timer                   master   §6.4.3 (685)–(690)
 *   master  advert, priority 0             advert at once, re-arm adver timer           master   §6.4.3 (705)–(715)
 *   master  advert, > P or = P and higher  (one last advert: carpd,) learn interval,     backup   §6.4.3 (725)–(765)
 *                                          remove VIPs, master-down
 *           primary address
 *   master  advert, otherwise              discarded; announce (at most once per        master   §6.4.3 (770)–(775)
 *                                          interval, repeated with the next advert),             (carpd)
 *                                          master script once per MASTER spell
 *   backup  shutdown                       cancel master-down, stop script              init     §6.4.2 (345)–(355)
 *   master  shutdown                       priority-0 advert, VIPs kept, stop-hold      master   §6.4.3 (655)–(670),
 *                                          (an owner: remove VIPs, stop script, init)            carpd: make-before-break
 *   stopping advert (priority > 0), timer  remove VIPs, stop script                     init     (carpd, docs/state-machine.md
 *           stop-hold, link-down, resign,                                                        "Graceful stop")
 *           shutdown again
 *   stopping timer advert                  priority-0 advert again, re-arm              master   (carpd)
 *   any     link-down                      remove VIPs if master                        init     (carpd)
 *   master  set-demotion (P changes)       advert at once                               master   (carpd)
 *   b/m     force master|backup            as the corresponding transition              m|b      (carpd)
 *   master  resign (claim failed, adverts  priority-0 advert, remove VIPs, backup       backup   (carpd)
 *           failing: docs/fail-safe.md)
 *
 * Every other (state, event) pair yields an 'ignored' action and leaves the state unchanged.
 *
 * Deliberate choices and deviations (docs/protocol-vrrp.md "carpd's choices"):
 * - Owner and demotion. The owner is whoever runs at P = 255; it preempts whatever `preempt`
 *   says (§6.1). carpd demotes by lowering P (effectivePriority: max(1, priority − demotion)),
 *   so a demoted owner advertises ≤ 254 and is an ordinary backup from then on. The RFC has no
 *   demotion; keepalived's tracking weights change its effective priority the same way. A
 *   change of P while MASTER is advertised at once, so backups see it without waiting.
 * - Two owners. §7.1 has a receiver that owns the addresses discard every advert of its VRID;
 *   this machine does not, so two routers configured as owner settle by the §6.4.3 tie rule
 *   (keepalived also resolves an owner conflict, by lowering itself to 254, "keepalived") instead of
 *   both staying master.
 * - Lower-priority advert while MASTER: discarded, as the RFC and FRR do. keepalived instead
 *   answers with an advert at once unless lower_prio_no_advert ("keepalived"), and CARP's machine
 *   answers too; here the other master yields on our next periodic advert, at most one
 *   Advertisement_Interval later; meanwhile we re-announce (rival-master.ts).
 * - Interval mismatch: a backup follows the master's Max Adver Int (§6.4.2 (450)), as FRR and
 *   keepalived do for v3 (keepalived only logs the mismatch); it is never a reason to drop.
 * - Link down/up: the RFC has no link events. link-down leaves for Initialize without a
 *   priority-0 advert (the link cannot carry it); link-up is a Startup event, so an owner is
 *   master again at once. (keepalived has its FAULT state for this.)
 * - preempt_delay (keepalived): within it after start-up or link-up a backup follows a
 *   lower-priority master instead of discarding its adverts.
 * - One announcement on becoming master (§6.4.1 (120)–(130), §6.4.2 (375)–(395)); repeats such as
 *   keepalived's garp_master_delay are the engine's business.
 * - Times are µs derived from centiseconds without intermediate rounding (vrrp-intervals.ts).
 */
import { firstAdvertSlackMicros, gracefulStopHoldMicros, nextAdvertDueAt } from '../../fsm/intervals.ts';
import { rivalAnnounceWithAdvert, rivalMasterHeard, withoutRivalMaster } from '../../fsm/rival-master.ts';
import { ipAddressEquals } from '../../wire/ip-address.ts';
import type { Phase, ResignReason, StartMode, TimerId } from '../../fsm/machine-types.ts';
import { masterDownTimer } from '../carp/carp-step.ts';
import { MAX_DEMOTION, RESIGN_PRIORITY, advertOutranksMaster, backupFollowsAdvert, effectivePriority, isAddressOwner, isResignation } from './vrrp-election.ts';
import { centisToMicros, followedIntervalCentis, masterDownIntervalMicros, skewTimeMicros } from './vrrp-intervals.ts';
import type {
  VrrpAction,
  VrrpAdvertFields,
  VrrpAdvertReceived,
  VrrpConfig,
  VrrpEvent,
  VrrpHeardMaster,
  VrrpState,
  VrrpStepResult,
  VrrpTransitionReason,
} from './vrrp-machine-types.ts';

/** The state of a virtual router that has not been started. */
export function initialVrrpState(config: VrrpConfig, now: number): VrrpState {
  return { phase: 'init', since: now, reason: 'started', running: false, linkUp: true, demotion: 0, masterAdverIntervalCentis: config.advertIntervalCentis };
}

/** The priority we run with now, demotion included. */
export function vrrpPriority(config: VrrpConfig, state: Pick<VrrpState, 'demotion'>): number {
  return effectivePriority(config.priority, state.demotion);
}

/** The fields we advertise now. */
export function vrrpAdvertFields(config: VrrpConfig, state: Pick<VrrpState, 'demotion'>): VrrpAdvertFields {
  return { priority: vrrpPriority(config, state), maxAdvertIntervalCentis: config.advertIntervalCentis };
}

/** Our Master_Down_Timer's timer name (CARP's per-family name, so the engine's timer table serves both). */
export function vrrpMasterDownTimer(config: VrrpConfig): TimerId {
  return masterDownTimer(config.family);
}

/** Advances the machine by one event. Pure: the same inputs always give the same outputs. */
export function stepVrrp(config: VrrpConfig, state: VrrpState, event: VrrpEvent, now: number): VrrpStepResult {
  switch (event.type) {
    case 'start':
      return onStart(config, state, now, event.mode);
    case 'shutdown':
      return onShutdown(config, state, now);
    case 'link-down':
      return onLinkDown(config, state, now);
    case 'link-up':
      return onLinkUp(config, state, now);
    case 'advert':
      return onAdvert(config, state, event.advert, now);
    case 'timer':
      return onTimer(config, state, event.timer, now, event.wakeupAt);
    case 'set-demotion':
      return onSetDemotion(config, state, event.demotion);
    case 'force':
      return onForce(config, state, event.phase, now);
    case 'resign':
      return onResign(config, state, event.reason, now);
  }
}

function ignored(state: VrrpState, event: VrrpEvent['type'], why: string): VrrpStepResult {
  return { state, actions: [{ type: 'ignored', event, phase: state.phase, why }] };
}

function onStart(config: VrrpConfig, state: VrrpState, now: number, mode: StartMode | undefined): VrrpStepResult {
  if (state.running) return ignored(state, 'start', 'already running');
  const running = { ...state, running: true };
  // A down link gives nothing to resume: the router waits in Initialize and starts as §6.4.1 says.
  if (!running.linkUp) return { state: running, actions: [] };
  if (mode === 'resume-master') return becomeMaster(config, running, now, 'protocol-switch');
  return initialize(config, running, now, 'started');
}

function onLinkUp(config: VrrpConfig, state: VrrpState, now: number): VrrpStepResult {
  if (state.linkUp) return ignored(state, 'link-up', 'link already up');
  const up = { ...state, linkUp: true };
  if (!state.running) return { state: up, actions: [] };
  return initialize(config, up, now, 'link-up');
}

/** The Startup event in Initialize (§6.4.1): the owner is master at once, anyone else a backup. */
function initialize(config: VrrpConfig, state: VrrpState, now: number, reason: VrrpTransitionReason): VrrpStepResult {
  if (isAddressOwner(vrrpPriority(config, state))) return becomeMaster(config, state, now, reason);
  return becomeBackup(config, state, now, reason, config.advertIntervalCentis);
}

/**
 * §6.4.3 (665): priority 0 makes the backups take over after their Skew_Time, not
 * Master_Down_Interval. Unlike the RFC, the addresses stay until another router's advert is heard,
 * at most gracefulStopHoldMicros (make-before-break, as CARP's protocols/carp/carp-step.ts); an owner's addresses
 * are its interface's own and never leave, so it stops at once.
 */
function onShutdown(config: VrrpConfig, state: VrrpState, now: number): VrrpStepResult {
  if (!state.running) return ignored(state, 'shutdown', 'not running');
  const priority = vrrpPriority(config, state);
  if (state.phase !== 'master' || state.stopping !== undefined || isAddressOwner(priority)) return finishShutdown(config, state, now);
  const until = now + gracefulStopHoldMicros(masterDownIntervalMicros(priority, config.advertIntervalCentis, config.version));
  const next = nextResignation(config, { ...withoutRivalMaster(state), stopping: { until } }, now);
  return { state: next.state, actions: [resignAdvert(config), ...next.actions, { type: 'arm-timer', timer: 'stop-hold', at: until }] };
}

/** While stopping, the priority-0 advert is repeated each interval until the hold ends. */
function nextResignation(config: VrrpConfig, state: VrrpState & { stopping: { until: number } }, now: number): VrrpStepResult {
  const at = now + centisToMicros(config.advertIntervalCentis);
  if (at < state.stopping.until) return { state: { ...state, advertDueAt: at }, actions: [armAdvertTimer(config, at)] };
  const { advertDueAt: _, ...rest } = state;
  return { state: rest, actions: [{ type: 'cancel-timer', timer: 'advert' }] };
}

/** Leaves for good: addresses removed if held, the stop script, Initialize, not running. */
function finishShutdown(config: VrrpConfig, state: VrrpState, now: number): VrrpStepResult {
  const actions: VrrpAction[] = [];
  if (state.stopping === undefined) {
    if (state.phase === 'master') actions.push(resignAdvert(config));
  } else actions.push({ type: 'cancel-timer', timer: 'stop-hold' });
  const { stopping: _, ...rest } = state;
  const left = leave(config, rest, now, 'shutdown', actions);
  return { state: { ...left.state, running: false }, actions: left.actions };
}

function onLinkDown(config: VrrpConfig, state: VrrpState, now: number): VrrpStepResult {
  if (!state.linkUp) return ignored(state, 'link-down', 'link already down');
  const down = { ...state, linkUp: false };
  if (!state.running) return { state: down, actions: [] };
  if (state.stopping !== undefined) return finishShutdown(config, down, now);
  return leave(config, down, now, 'link-down', []);
}

function resignAdvert(config: VrrpConfig): VrrpAction {
  return { type: 'send-advert', families: [config.family], fields: { priority: RESIGN_PRIORITY, maxAdvertIntervalCentis: config.advertIntervalCentis }, bowOut: true };
}

function sendAdvert(config: VrrpConfig, state: VrrpState): VrrpAction {
  return { type: 'send-advert', families: [config.family], fields: vrrpAdvertFields(config, state), bowOut: false };
}

/** Goes to Initialize from any phase, giving up the addresses if we held them. */
function leave(config: VrrpConfig, state: VrrpState, now: number, reason: VrrpTransitionReason, actions: VrrpAction[]): VrrpStepResult {
  const from = state.phase;
  actions.push({ type: 'cancel-timer', timer: 'advert' }, { type: 'cancel-timer', timer: vrrpMasterDownTimer(config) });
  if (from === 'master') actions.push({ type: 'remove-addresses' });
  // A shutdown is one stop, whatever the phase (docs/scripts.md, scripts.stop); anything else only leaves MASTER.
  if (reason === 'shutdown') actions.push({ type: 'run-script', phase: 'stop', previous: from, reason });
  else if (from === 'master') actions.push({ type: 'run-script', phase: 'backup', previous: from, reason });
  if (from !== 'init') actions.push({ type: 'transition', from, to: 'init', reason });
  const { preemptAfter: _, ...next } = withPhase(state, 'init', from === 'init' ? state.since : now, from === 'init' ? state.reason : reason);
  return { state: next, actions };
}

/** The state in a new phase, with every per-phase field dropped. */
function withPhase(state: VrrpState, phase: Phase, since: number, reason: VrrpTransitionReason): VrrpState {
  const { masterDownAt: _md, advertDueAt: _ad, masterResigned: _mr, preempting: _p, ...rest } = withoutRivalMaster(state);
  return { ...rest, phase, since, reason };
}

function becomeBackup(config: VrrpConfig, state: VrrpState, now: number, reason: VrrpTransitionReason, masterAdverIntervalCentis: number): VrrpStepResult {
  const from = state.phase;
  const masterDownAt = now + masterDownIntervalMicros(vrrpPriority(config, state), masterAdverIntervalCentis, config.version);
  const actions: VrrpAction[] = [
    { type: 'cancel-timer', timer: 'advert' },
    { type: 'arm-timer', timer: vrrpMasterDownTimer(config), at: masterDownAt },
  ];
  if (from === 'master') actions.push({ type: 'remove-addresses' });
  actions.push({ type: 'run-script', phase: 'backup', previous: from, reason }, { type: 'transition', from, to: 'backup', reason });
  const next: VrrpState = { ...withPhase(state, 'backup', now, reason), masterAdverIntervalCentis, masterDownAt };
  // preempt_delay counts from start-up and from the link coming back (leave() drops it), not from
  // later spells as BACKUP.
  const delay = config.preemptDelayMicros ?? 0;
  const fresh = (reason === 'started' || reason === 'link-up') && delay > 0;
  return { state: fresh ? { ...next, preemptAfter: now + delay } : next, actions };
}

function becomeMaster(config: VrrpConfig, state: VrrpState, now: number, reason: VrrpTransitionReason): VrrpStepResult {
  const from = state.phase;
  const advertDueAt = now + centisToMicros(config.advertIntervalCentis);
  const actions: VrrpAction[] = [
    { type: 'cancel-timer', timer: vrrpMasterDownTimer(config) },
    // The advert goes first so backups hear the new master before anything slower happens.
    sendAdvert(config, state),
    { type: 'add-addresses' },
    { type: 'announce' },
    armAdvertTimer(config, advertDueAt, true),
    { type: 'run-script', phase: 'master', previous: from, reason },
    { type: 'transition', from, to: 'master', reason },
  ];
  return { state: { ...withPhase(state, 'master', now, reason), advertDueAt }, actions };
}

function heard(advert: VrrpAdvertReceived, now: number): VrrpHeardMaster {
  return { address: advert.source, priority: advert.priority, maxAdvertIntervalCentis: advert.maxAdvertIntervalCentis, at: now };
}

function onAdvert(config: VrrpConfig, state: VrrpState, advert: VrrpAdvertReceived, now: number): VrrpStepResult {
  if (state.phase === 'init') return ignored(state, 'advert', 'adverts are ignored in Initialize');
  if (advert.family !== config.family) return ignored(state, 'advert', `an IPv${advert.family} advert for an IPv${config.family} virtual router`);
  return state.phase === 'master' ? onAdvertAsMaster(config, state, advert, now) : onAdvertAsBackup(config, state, advert, now);
}

function onAdvertAsMaster(config: VrrpConfig, state: VrrpState, advert: VrrpAdvertReceived, now: number): VrrpStepResult {
  if (state.stopping !== undefined) {
    if (isResignation(advert.priority) || ipAddressEquals(advert.source, config.primaryAddress)) return ignored(state, 'advert', 'stopping: waiting for another router');
    return finishShutdown(config, { ...state, lastHeardMaster: heard(advert, now) }, now);
  }
  if (isResignation(advert.priority)) {
    // §6.4.3 (710)–(715): another master resigned; make sure the backups hear that we are here.
    const advertDueAt = now + centisToMicros(config.advertIntervalCentis);
    return { state: { ...state, advertDueAt }, actions: [sendAdvert(config, state), armAdvertTimer(config, advertDueAt)] };
  }
  const own = { priority: vrrpPriority(config, state), address: config.primaryAddress };
  if (advertOutranksMaster(own, { priority: advert.priority, address: advert.source })) {
    const learned = followedIntervalCentis(config.advertIntervalCentis, advert.maxAdvertIntervalCentis, config.version);
    // One last advert of ours tells the better master that we held the addresses too, so it
    // re-announces them (rival-master.ts): it may never hear us otherwise.
    const backup = becomeBackup(config, { ...state, lastHeardMaster: heard(advert, now) }, now, 'outranked-by-peer', learned);
    return { state: backup.state, actions: [sendAdvert(config, state), ...backup.actions] };
  }
  if (ipAddressEquals(advert.source, config.primaryAddress)) return ignored(state, 'advert', 'our own advert, looped back');
  // §6.4.3 (775) discards it: the other master yields on our next periodic advert. But it also
  // announced our addresses: take the clients back, now and with that advert, and re-run the
  // master script (rival-master.ts, docs/state-machine.md "Another master heard").
  const answer = rivalMasterHeard(state, centisToMicros(config.advertIntervalCentis), now, state.since);
  const actions: VrrpAction[] = [];
  if (answer.announce) actions.push({ type: 'announce' });
  if (answer.rerunScript) actions.push({ type: 'run-script', phase: 'master', previous: 'master', reason: 'another-master-heard' });
  return { state: answer.state, actions };
}

/**
 * Adver_Timer. The first after becoming master may fire up to 1/8 interval early so that many
 * groups' adverts share a wakeup (intervals.ts firstAdvertSlackMicros); later ones keep their
 * deadline exactly, which the groups of a batch then share.
 */
function armAdvertTimer(config: VrrpConfig, at: number, first = false): VrrpAction {
  if (!first) return { type: 'arm-timer', timer: 'advert', at };
  return { type: 'arm-timer', timer: 'advert', at, earliest: at - firstAdvertSlackMicros(centisToMicros(config.advertIntervalCentis)) };
}

function onAdvertAsBackup(config: VrrpConfig, state: VrrpState, advert: VrrpAdvertReceived, now: number): VrrpStepResult {
  const priority = vrrpPriority(config, state);
  const withHeard: VrrpState = { ...state, lastHeardMaster: heard(advert, now) };
  if (isResignation(advert.priority)) {
    // §6.4.2 (430): the backups take over after their own Skew_Time, the best one first. A
    // stopping master repeats its priority 0 (onShutdown): a repeat never pushes the takeover back.
    const at = now + skewTimeMicros(priority, state.masterAdverIntervalCentis, config.version);
    if (state.masterResigned === true && state.masterDownAt !== undefined && state.masterDownAt <= at) return { state: withHeard, actions: [] };
    return rearmMasterDown(config, { ...withHeard, masterResigned: true, preempting: false }, at);
  }
  if (backupFollowsAdvert(preemptMode(config, state, priority, now), priority, advert.priority)) {
    // §6.4.2 (450)–(460): learn the master's interval (VRRPv3 only), recompute Master_Down_Interval, restart the timer.
    const learned = followedIntervalCentis(config.advertIntervalCentis, advert.maxAdvertIntervalCentis, config.version);
    const following: VrrpState = { ...withHeard, masterAdverIntervalCentis: learned, masterResigned: false, preempting: false };
    return rearmMasterDown(config, following, now + masterDownIntervalMicros(priority, learned, config.version));
  }
  // §6.4.2 (470): discarded, so Master_Down_Timer runs out and we preempt the lower-priority master.
  return { state: { ...withHeard, preempting: true }, actions: [] };
}

/** Preempt_Mode now: the owner always preempts (§6.1); anyone else per config, after preempt_delay. */
function preemptMode(config: VrrpConfig, state: VrrpState, priority: number, now: number): boolean {
  if (isAddressOwner(priority)) return true;
  return config.preempt && (state.preemptAfter === undefined || now >= state.preemptAfter);
}

function rearmMasterDown(config: VrrpConfig, state: VrrpState, at: number): VrrpStepResult {
  return { state: { ...state, masterDownAt: at }, actions: [{ type: 'arm-timer', timer: vrrpMasterDownTimer(config), at }] };
}

function onTimer(config: VrrpConfig, state: VrrpState, timer: TimerId, now: number, wakeupAt: number | undefined): VrrpStepResult {
  if (timer === 'stop-hold') {
    if (state.stopping === undefined) return ignored(state, 'timer', 'stop-hold outside a graceful stop');
    return finishShutdown(config, state, now);
  }
  if (timer === 'advert') {
    if (state.phase !== 'master') return ignored(state, 'timer', 'advert timer outside MASTER');
    if (state.stopping !== undefined) {
      const next = nextResignation(config, { ...state, stopping: state.stopping }, now);
      return { state: next.state, actions: [resignAdvert(config), ...next.actions] };
    }
    return sendPeriodicAdvert(config, state, now, wakeupAt);
  }
  if (timer !== vrrpMasterDownTimer(config) || state.phase !== 'backup' || state.masterDownAt === undefined) return ignored(state, 'timer', `${timer} not armed`);
  const reason = state.preempting === true ? 'preempting-worse-master' : state.masterResigned === true ? 'master-bowed-out' : 'master-down-timeout';
  return becomeMaster(config, state, now, reason);
}

function sendPeriodicAdvert(config: VrrpConfig, state: VrrpState, now: number, wakeupAt: number | undefined): VrrpStepResult {
  const advertDueAt = nextAdvertDueAt(state.advertDueAt ?? now, now, centisToMicros(config.advertIntervalCentis), wakeupAt);
  const rival = rivalAnnounceWithAdvert(state, now);
  const actions: VrrpAction[] = [sendAdvert(config, state), ...(rival.announce ? [{ type: 'announce' } as const] : []), armAdvertTimer(config, advertDueAt)];
  return { state: { ...rival.state, advertDueAt }, actions };
}

function onSetDemotion(config: VrrpConfig, state: VrrpState, demotion: number): VrrpStepResult {
  const clamped = Math.max(0, Math.min(MAX_DEMOTION, Math.trunc(demotion)));
  if (clamped === state.demotion) return { state, actions: [] };
  const next = { ...state, demotion: clamped };
  // A BACKUP's new priority takes effect in its next comparison and Master_Down_Interval.
  if (state.phase !== 'master' || state.stopping !== undefined || vrrpPriority(config, next) === vrrpPriority(config, state)) return { state: next, actions: [] };
  return { state: next, actions: [sendAdvert(config, next)] };
}

function onForce(config: VrrpConfig, state: VrrpState, phase: 'master' | 'backup', now: number): VrrpStepResult {
  if (state.phase === 'init') return ignored(state, 'force', 'cannot force a virtual router in Initialize');
  if (state.stopping !== undefined) return ignored(state, 'force', 'stopping');
  if (state.phase === phase) return ignored(state, 'force', `already ${phase}`);
  return phase === 'master' ? becomeMaster(config, state, now, 'forced') : becomeBackup(config, state, now, 'forced', config.advertIntervalCentis);
}

/**
 * A MASTER whose addresses could not be configured must not stay a silent master that backups
 * follow: it resigns with a priority-0 advert (the best backup takes over after its Skew_Time,
 * as on shutdown) and waits as BACKUP. As for CARP, the caller raises the demotion first.
 */
function onResign(config: VrrpConfig, state: VrrpState, reason: ResignReason, now: number): VrrpStepResult {
  if (state.phase !== 'master') return ignored(state, 'resign', 'not master');
  if (state.stopping !== undefined) return finishShutdown(config, state, now);
  const backup = becomeBackup(config, state, now, reason, config.advertIntervalCentis);
  return { state: backup.state, actions: [resignAdvert(config), ...backup.actions] };
}
