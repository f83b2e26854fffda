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
 *           ... but worse than the live    re-arm with the followed master's interval   backup   (carpd: docs/protocol-vrrp.md
 *           master we follow                                                                     "A backup follows the best live master")
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
 * The lifecycle rows (start, link, shutdown and the graceful stop, force, resign, Adver_Timer,
 * demotion, and the effects of entering each state) run on the lifecycle core every machine
 * shares, fsm/lifecycle.ts, the same as CARP's; this file supplies VRRP's rules to it
 * (VRRP_RULES: the election on an advert, Skew_Time and Master_Down_Interval, the advert fields,
 * the owner's start-up and stop). docs/state-machine.md "The lifecycle core".
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
 * - A backup follows the best live master: an advert from a worse (priority, address) than the
 *   master it follows, while that one is live (heard within Master_Down_Interval), restarts
 *   Master_Down_Timer with the followed master's interval instead of learning its own. The RFC
 *   learns every followed advert's interval, which lets backups at a shorter interval than the
 *   master take turns as MASTER forever (docs/protocol-vrrp.md "A backup follows the best live master").
 * - Link down/up: the RFC has no link events. link-down leaves for Initialize without a
 *   priority-0 advert (the link cannot carry it); link-up is a Startup event, so an owner is
 *   master again at once. (keepalived has its FAULT state for this.)
 * - preempt_delay (keepalived): within it after start-up or link-up a backup follows a
 *   lower-priority master instead of discarding its adverts.
 * - One announcement on becoming master (§6.4.1 (120)–(130), §6.4.2 (375)–(395)); repeats such as
 *   keepalived's garp_master_delay are the engine's business.
 * - Times are µs derived from centiseconds without intermediate rounding (vrrp-intervals.ts).
 */
import type { LifecycleRules } from '../../fsm/lifecycle-types.ts';
import { Lifecycle, ignored, masterDownTimer } from '../../fsm/lifecycle.ts';
import type { TimerId } from '../../fsm/machine-types.ts';
import { ipAddressEquals } from '../../wire/ip-address.ts';
import { RESIGN_PRIORITY, advertOutranksMaster, backupFollowsAdvert, compareVrrpOffers, effectivePriority, isAddressOwner, isResignation } from './vrrp-election.ts';
import { centisToMicros, followedIntervalCentis, masterDownIntervalMicros, skewTimeMicros } from './vrrp-intervals.ts';
import type { VrrpAction, VrrpAdvertFields, VrrpAdvertReceived, VrrpConfig, VrrpEvent, VrrpHeardMaster, VrrpState, VrrpStepResult, VrrpTransitionReason } from './vrrp-machine-types.ts';

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

/** Our Master_Down_Timer's timer name (the family's, fsm/lifecycle.ts masterDownTimer, so the engine's timer table serves every machine). */
export function vrrpMasterDownTimer(config: VrrpConfig): TimerId {
  return masterDownTimer(config.family);
}

/** Advances the machine by one event. Pure: the same inputs always give the same outputs. */
export function stepVrrp(config: VrrpConfig, state: VrrpState, event: VrrpEvent, now: number): VrrpStepResult {
  return VRRP_LIFECYCLE.step(config, state, event, now);
}

/** VRRP's rules under the lifecycle core (fsm/lifecycle.ts). */
const VRRP_RULES: LifecycleRules<VrrpConfig, VrrpState, VrrpAdvertReceived, VrrpAdvertFields, VrrpTransitionReason> = {
  initName: 'Initialize',
  unitName: 'a virtual router',
  reason: (reason) => reason,
  families: (config) => [config.family],
  advertFields: vrrpAdvertFields,
  // §6.4.3 (665): priority 0 makes the backups take over after their Skew_Time, not Master_Down_Interval.
  farewellFields: (config) => ({ priority: RESIGN_PRIORITY, maxAdvertIntervalCentis: config.advertIntervalCentis }),
  advertIntervalMicros: (config) => centisToMicros(config.advertIntervalCentis),
  ownMasterDownMicros: (config, state) => masterDownIntervalMicros(vrrpPriority(config, state), config.advertIntervalCentis, config.version),
  enterPhase,
  startUp: initialize,
  backup: (config, state, now, reason) => becomeBackup(config, state, now, reason, config.advertIntervalCentis),
  // Unlike the RFC, a stopping master keeps the addresses until another router's advert is heard
  // (make-before-break, fsm/lifecycle.ts); an owner's addresses are its interface's own and never
  // leave, so it stops at once.
  stopsAtOnce: (config, state) => isAddressOwner(vrrpPriority(config, state)),
  onAdvert,
  masterDownExpired,
  // A BACKUP's new priority takes effect in its next comparison and Master_Down_Interval.
  tellsDemotion: (config, before, after) => vrrpPriority(config, after) !== vrrpPriority(config, before),
};

const VRRP_LIFECYCLE = new Lifecycle(VRRP_RULES);

/** The Startup event in Initialize (§6.4.1): the owner is master at once, anyone else a backup. */
function initialize(config: VrrpConfig, state: VrrpState, now: number, reason: VrrpTransitionReason): VrrpStepResult {
  if (isAddressOwner(vrrpPriority(config, state))) return becomeMaster(config, state, now, reason);
  return becomeBackup(config, state, now, reason, config.advertIntervalCentis);
}

/**
 * VRRP's fields on entering a phase: Master_Down_Timer's deadline in BACKUP, the flags of the
 * BACKUP spell left dropped, and, entering Initialize, preempt_delay's start (it counts from
 * start-up and from the link coming back).
 */
function enterPhase(_config: VrrpConfig, state: VrrpState, masterDownAt: number | undefined): VrrpState {
  const { masterDownAt: _md, masterResigned: _mr, preempting: _p, ...rest } = state;
  if (state.phase === 'init') {
    const { preemptAfter: _pa, followedMaster: _fm, ...left } = rest;
    return left;
  }
  if (state.phase === 'master') {
    const { followedMaster: _fm, ...left } = rest;
    return left;
  }
  return masterDownAt === undefined ? rest : { ...rest, masterDownAt };
}

/** BACKUP, running with `masterAdverIntervalCentis` as Master_Adver_Interval. */
function becomeBackup(config: VrrpConfig, state: VrrpState, now: number, reason: VrrpTransitionReason, masterAdverIntervalCentis: number): VrrpStepResult {
  const masterDownMicros = masterDownIntervalMicros(vrrpPriority(config, state), masterAdverIntervalCentis, config.version);
  return VRRP_LIFECYCLE.becomeBackup(config, { ...state, masterAdverIntervalCentis }, now, reason, masterDownMicros);
}

function becomeMaster(config: VrrpConfig, state: VrrpState, now: number, reason: VrrpTransitionReason): VrrpStepResult {
  return VRRP_LIFECYCLE.becomeMaster(config, state, now, reason);
}

function sendAdvert(config: VrrpConfig, state: VrrpState): VrrpAction {
  return { type: 'send-advert', families: [config.family], fields: vrrpAdvertFields(config, state), bowOut: false };
}

function heard(advert: VrrpAdvertReceived, now: number): VrrpHeardMaster {
  return { address: advert.source, priority: advert.priority, maxAdvertIntervalCentis: advert.maxAdvertIntervalCentis, at: now };
}

function onAdvert(config: VrrpConfig, state: VrrpState, advert: VrrpAdvertReceived, now: number): VrrpStepResult {
  if (advert.family !== config.family) return ignored(state, 'advert', `an IPv${advert.family} advert for an IPv${config.family} virtual router`);
  return state.phase === 'master' ? onAdvertAsMaster(config, state, advert, now) : onAdvertAsBackup(config, state, advert, now);
}

function onAdvertAsMaster(config: VrrpConfig, state: VrrpState, advert: VrrpAdvertReceived, now: number): VrrpStepResult {
  if (state.stopping !== undefined) {
    if (isResignation(advert.priority) || ipAddressEquals(advert.source, config.primaryAddress)) return ignored(state, 'advert', 'stopping: waiting for another router');
    return VRRP_LIFECYCLE.finishShutdown(config, { ...state, lastHeardMaster: heard(advert, now) }, now);
  }
  if (isResignation(advert.priority)) {
    // §6.4.3 (710)–(715): another master resigned; make sure the backups hear that we are here.
    const advertDueAt = now + centisToMicros(config.advertIntervalCentis);
    return { state: { ...state, advertDueAt }, actions: [sendAdvert(config, state), { type: 'arm-timer', timer: 'advert', at: advertDueAt }] };
  }
  const own = { priority: vrrpPriority(config, state), address: config.primaryAddress };
  if (advertOutranksMaster(own, { priority: advert.priority, address: advert.source })) {
    // §6.4.3 (745): learn the master's interval; one last advert of ours first (fsm/lifecycle.ts stepDown).
    const learned = followedIntervalCentis(config.advertIntervalCentis, advert.maxAdvertIntervalCentis, config.version);
    const master = heard(advert, now);
    return VRRP_LIFECYCLE.stepDown(config, state, config.family, becomeBackup(config, { ...state, lastHeardMaster: master, followedMaster: master }, now, 'outranked-by-peer', learned));
  }
  if (ipAddressEquals(advert.source, config.primaryAddress)) return ignored(state, 'advert', 'our own advert, looped back');
  // §6.4.3 (775) discards it: the other master yields on our next periodic advert. But it also
  // announced our addresses: take the clients back, now and with that advert, and re-run the
  // master script (rival-master.ts, docs/state-machine.md "Another master heard").
  return VRRP_LIFECYCLE.answerRivalMaster(config, state, now);
}

function onAdvertAsBackup(config: VrrpConfig, state: VrrpState, advert: VrrpAdvertReceived, now: number): VrrpStepResult {
  const priority = vrrpPriority(config, state);
  const withHeard: VrrpState = { ...state, lastHeardMaster: heard(advert, now) };
  if (isResignation(advert.priority)) {
    // §6.4.2 (430): the backups take over after their own Skew_Time, the best one first. A
    // stopping master repeats its priority 0 (onShutdown): a repeat never pushes the takeover back.
    const at = now + skewTimeMicros(priority, state.masterAdverIntervalCentis, config.version);
    if (state.masterResigned === true && state.masterDownAt !== undefined && state.masterDownAt <= at) return { state: withHeard, actions: [] };
    return rearmMasterDown(config, { ...forgetFollowedIfFrom(withHeard, advert), masterResigned: true, preempting: false }, at);
  }
  if (backupFollowsAdvert(preemptMode(config, state, priority, now), priority, advert.priority)) {
    if (worseThanLiveFollowedMaster(config, state, advert, priority, now)) {
      // carpd (docs/protocol-vrrp.md "A backup follows the best live master"): restart the timer
      // as §6.4.2 (460) says, but with the followed master's interval, not the worse one's.
      const keeping: VrrpState = { ...withHeard, masterResigned: false, preempting: false };
      return rearmMasterDown(config, keeping, now + masterDownIntervalMicros(priority, state.masterAdverIntervalCentis, config.version));
    }
    // §6.4.2 (450)–(460): learn the master's interval (VRRPv3 only), recompute Master_Down_Interval, restart the timer.
    const learned = followedIntervalCentis(config.advertIntervalCentis, advert.maxAdvertIntervalCentis, config.version);
    const following: VrrpState = { ...withHeard, followedMaster: heard(advert, now), masterAdverIntervalCentis: learned, masterResigned: false, preempting: false };
    return rearmMasterDown(config, following, now + masterDownIntervalMicros(priority, learned, config.version));
  }
  // §6.4.2 (470): discarded, so Master_Down_Timer runs out and we preempt the lower-priority master.
  return { state: { ...withHeard, preempting: true }, actions: [] };
}

/**
 * The advert comes from another router, worse in (priority, address) than the master we follow,
 * and that master is live: heard within our Master_Down_Interval for its interval
 * (Master_Adver_Interval). The followed master's own adverts are always followed, whatever
 * priority they now carry (it may have been demoted).
 */
function worseThanLiveFollowedMaster(config: VrrpConfig, state: VrrpState, advert: VrrpAdvertReceived, priority: number, now: number): boolean {
  const followed = state.followedMaster;
  if (followed === undefined || ipAddressEquals(advert.source, followed.address)) return false;
  if (now >= followed.at + masterDownIntervalMicros(priority, state.masterAdverIntervalCentis, config.version)) return false;
  return compareVrrpOffers({ priority: advert.priority, address: advert.source }, { priority: followed.priority, address: followed.address }) > 0;
}

/** The followed master's priority 0: it has gone, so whoever speaks next is followed by the RFC's rules. */
function forgetFollowedIfFrom(state: VrrpState, advert: VrrpAdvertReceived): VrrpState {
  if (state.followedMaster === undefined || !ipAddressEquals(advert.source, state.followedMaster.address)) return state;
  const { followedMaster: _fm, ...rest } = state;
  return rest;
}

/** Preempt_Mode now: the owner always preempts (§6.1); anyone else per config, after preempt_delay. */
function preemptMode(config: VrrpConfig, state: VrrpState, priority: number, now: number): boolean {
  if (isAddressOwner(priority)) return true;
  return config.preempt && (state.preemptAfter === undefined || now >= state.preemptAfter);
}

function rearmMasterDown(config: VrrpConfig, state: VrrpState, at: number): VrrpStepResult {
  return { state: { ...state, masterDownAt: at }, actions: [{ type: 'arm-timer', timer: vrrpMasterDownTimer(config), at }] };
}

/** Master_Down_Timer expired (§6.4.2 (370)): become master. */
function masterDownExpired(config: VrrpConfig, state: VrrpState, timer: TimerId, now: number): VrrpStepResult {
  if (timer !== vrrpMasterDownTimer(config) || state.phase !== 'backup' || state.masterDownAt === undefined) return ignored(state, 'timer', `${timer} not armed`);
  const reason = state.preempting === true ? 'preempting-worse-master' : state.masterResigned === true ? 'master-bowed-out' : 'master-down-timeout';
  return becomeMaster(config, state, now, reason);
}
