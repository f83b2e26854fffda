/**
 * The per-vhid CARP state machine as one pure step function.
 *
 *   state   event                        action                                   next
 *   init    start (link up)              arm master-down, backup script            backup
 *   init    start, mode resume-master    advert, add VIPs (in place already),      master
 *           (a reload's protocol switch:  announce, master script
 *           docs/state-machine.md)
 *   init    link-up (running)            arm master-down, backup script            backup
 *   backup  timer master-down-N          advert, add VIPs, announce, master script master
 *   backup  advert, bow-out              re-arm master-down to own takeover delay  backup
 *   backup  advert, preempt & better     master-down to own takeover delay (0: now) backup (master then)
 *           (not within preempt_delay of start-up or link-up)
 *   backup  advert, master more demoted  (as above)                                backup (master then)
 *   backup  advert, will time out        (as above)                                backup (master then)
 *   backup  advert, otherwise            re-arm master-down of that family         backup
 *           (a takeover pending or a bow-out heard, every family's: a better master came first)
 *   backup  advert in a silent family    as above, and "family heard again"        backup
 *   backup  timer master-down-N, the     "family silent", N not re-armed           backup
 *           master still heard in another family (silent-family.ts)
 *   master  timer advert                 advert (+ delayed announce), re-arm       master
 *   master  advert from a better peer    one last advert (rival-master.ts), remove backup
 *                                        VIPs, backup script, arm timers
 *   master  advert from a worse peer     advert at once (ends a dual master fast), master
 *                                        announce (at most once per advert interval,
 *                                        repeated with the next advert), master script
 *                                        once per MASTER spell (rival-master.ts)
 *   master  set-demotion (raised)        advert at once                            master
 *   any     link-down                    remove VIPs if master, backup script      init
 *   b/i     shutdown                     stop script (scripts.stop)                init
 *   master  shutdown                     bow-out advert, VIPs kept, arm stop-hold  master (stopping)
 *   stopping advert from another node    remove VIPs, stop script (scripts.stop,   init
 *           (its successor); stop-hold;  else backup's)
 *           link-down; resign; shutdown
 *   stopping timer advert                bow-out advert again, re-arm              master (stopping)
 *           (graceful stop, make-before-break: docs/state-machine.md "Graceful stop")
 *   b/m     force master|backup          as the corresponding transition           master|backup
 *   master  resign (claim failed, adverts bow-out advert, remove VIPs, backup script backup
 *           failing: docs/fail-safe.md)
 *
 * Every other (state, event) pair yields an 'ignored' action, which the engine logs at debug
 * level, so nothing disappears silently (as ospfd's interface FSM does).
 *
 * The lifecycle rows (start, link, shutdown and the graceful stop, force, resign, the periodic
 * advert, demotion, and the effects of entering each phase) run on the lifecycle core every
 * machine shares, fsm/lifecycle.ts; this file supplies CARP's rules to it (CARP_RULES: the
 * election on an advert, the intervals, the advert fields, the per-family master-down timers and
 * silent families, the delayed announcement). docs/state-machine.md "The lifecycle core".
 */
import { compareOffers, isBowOutOffer, masterIsGuaranteedToTimeOut, masterIsMoreDemoted, peerOutranksUs, shouldPreempt, type Offer } from './carp-election.ts';
import { advertIntervalMicros, demotedAdvskew, demoteByte, masterDownMicros, takeoverDelayMicros } from './carp-intervals.ts';
import type { AdvertFields, AdvertReceived, MachineAction, MachineConfig, MachineEvent, MachineState, StepResult } from './carp-machine-types.ts';
import type { Phase, TimerId, TransitionReason } from '../../fsm/machine-types.ts';
import type { LifecycleRules } from '../../fsm/lifecycle-types.ts';
import { Lifecycle, ignored, masterDownTimer } from '../../fsm/lifecycle.ts';
import type { IpFamily } from '../../wire/ip-address.ts';
import { familiesStillHeard, familyHeard, markFamilySilent, withoutSilentFamilies } from '../../fsm/silent-family.ts';

export { masterDownTimer } from '../../fsm/lifecycle.ts';

/** OpenBSD repeats the gratuitous ARP after this many further adverts (sc_delayed_arp). */
export const ANNOUNCE_REPEAT_AFTER_ADVERTS = 2;

/** The state of a machine that has not been started. */
export function initialState(now: number): MachineState {
  return { phase: 'init', since: now, reason: 'started', running: false, linkUp: true, demotion: 0, masterDownAt: {}, announceAfterAdverts: 0 };
}

/** The fields we advertise now, demotion included. */
export function advertFields(config: MachineConfig, state: Pick<MachineState, 'demotion'>): AdvertFields {
  return { advbase: config.advbase, advskew: demotedAdvskew(config.advskew, state.demotion), demote: demoteByte(state.demotion) };
}

/** Our own offer in a family, for comparisons with a peer's advert. */
export function ownOffer(config: MachineConfig, state: Pick<MachineState, 'demotion'>, family: IpFamily): Offer {
  const address = config.sourceAddresses[family];
  return { ...advertFields(config, state), ...(address === undefined ? {} : { address }) };
}

/** Advances the machine by one event. Pure: the same inputs always give the same outputs. */
export function step(config: MachineConfig, state: MachineState, event: MachineEvent, now: number): StepResult {
  return CARP_LIFECYCLE.step(config, state, event, now);
}

/** CARP's rules under the lifecycle core (fsm/lifecycle.ts). */
const CARP_RULES: LifecycleRules<MachineConfig, MachineState, AdvertReceived, AdvertFields, TransitionReason> = {
  initName: 'INIT',
  unitName: 'a group',
  reason: (reason) => reason,
  families: (config) => config.families,
  advertFields,
  // The bow-out carries our own fields; the engine sends it as advbase/advskew 255/255 (bowOut).
  farewellFields: advertFields,
  advertIntervalMicros: (config, state) => {
    const fields = advertFields(config, state);
    return advertIntervalMicros(fields.advbase, fields.advskew);
  },
  ownMasterDownMicros: masterDownInterval,
  enterPhase,
  startUp: becomeBackup,
  backup: becomeBackup,
  stopsAtOnce: () => false,
  onAdvert,
  masterDownExpired,
  repeatAnnouncement,
  // Tell the backups now when the demotion rises (OpenBSD sends at once when a demote counter rises).
  tellsDemotion: (_config, before, after) => after.demotion > before.demotion,
};

const CARP_LIFECYCLE = new Lifecycle(CARP_RULES);

/**
 * CARP's fields on entering a phase: a master-down deadline per family in BACKUP; the delayed
 * announcement counted down from becoming MASTER; a pending takeover, silent families and (but
 * entering INIT) a bow-out heard forgotten.
 */
function enterPhase(config: MachineConfig, state: MachineState, masterDownAt: number | undefined): MachineState {
  const deadlines: Partial<Record<IpFamily, number>> = {};
  if (masterDownAt !== undefined) for (const family of config.families) deadlines[family] = masterDownAt;
  const announceAfterAdverts = state.phase === 'master' ? ANNOUNCE_REPEAT_AFTER_ADVERTS : 0;
  // A bow-out heard in an earlier BACKUP spell must not label this spell's timeout.
  const next: MachineState = { ...state, masterDownAt: deadlines, announceAfterAdverts, ...(state.phase === 'init' ? {} : { bowOutHeard: false }) };
  return withoutSilentFamilies(withoutTakeover(next));
}

function masterDownInterval(config: MachineConfig, state: MachineState): number {
  const fields = advertFields(config, state);
  return masterDownMicros(config.masterDownFormula, fields.advbase, fields.advskew, config.deadRatio);
}

function becomeBackup(config: MachineConfig, state: MachineState, now: number, reason: TransitionReason): StepResult {
  return CARP_LIFECYCLE.becomeBackup(config, state, now, reason, masterDownInterval(config, state));
}

function becomeMaster(config: MachineConfig, state: MachineState, now: number, reason: TransitionReason): StepResult {
  return CARP_LIFECYCLE.becomeMaster(config, state, now, reason);
}

/** OpenBSD's delayed announcement: the second periodic advert after becoming MASTER repeats it. */
function repeatAnnouncement(state: MachineState): { state: MachineState; announce: boolean } {
  if (state.announceAfterAdverts <= 0) return { state, announce: false };
  const announceAfterAdverts = state.announceAfterAdverts - 1;
  return { state: { ...state, announceAfterAdverts }, announce: announceAfterAdverts === 0 };
}

function withoutTakeover(state: MachineState): MachineState {
  const { takeover: _, ...rest } = state;
  return rest;
}

function heard(advert: AdvertReceived, now: number): MachineState['lastHeardMaster'] {
  return { address: advert.source, advbase: advert.advbase, advskew: advert.advskew, demote: advert.demote, at: now };
}

function onAdvert(config: MachineConfig, state: MachineState, advert: AdvertReceived, now: number): StepResult {
  if (!config.families.includes(advert.family)) return ignored(state, 'advert', `no addresses in IPv${advert.family}`);
  const own = ownOffer(config, state, advert.family);
  const peer: Offer = { advbase: advert.advbase, advskew: advert.advskew, demote: advert.demote, address: advert.source };
  return state.phase === 'master' ? onAdvertAsMaster(config, state, advert, own, peer, now) : onAdvertAsBackup(config, state, advert, own, peer, now);
}

function onAdvertAsMaster(config: MachineConfig, state: MachineState, advert: AdvertReceived, own: Offer, peer: Offer, now: number): StepResult {
  if (isBowOutOffer(peer)) return ignored(state, 'advert', 'bow-out from another node while master');
  // Stopping: whoever advertises now has taken over (or is the better master): the addresses can go.
  if (state.stopping !== undefined) return CARP_LIFECYCLE.finishShutdown(config, { ...state, lastHeardMaster: heard(advert, now) }, now);
  // Two masters: the worse steps down, with one last advert (fsm/lifecycle.ts stepDown).
  if (peerOutranksUs(own, peer)) return CARP_LIFECYCLE.stepDown(config, state, advert.family, becomeBackup(config, { ...state, lastHeardMaster: heard(advert, now) }, now, 'outranked-by-peer'));
  // An exact tie the tie rule cannot decide (an address unknown): the incumbent keeps its role,
  // but must not answer, or two such masters would answer each other's answers without end.
  if (compareOffers(own, peer) === 0) return ignored(state, 'advert', 'exact tie with an undecidable tie-break: staying MASTER');
  // A worse node also claims mastership: answer at once so it steps down within one RTT
  // instead of one advert interval (keepalived does the same); then take the clients back
  // (rival-master.ts, docs/state-machine.md "Another master heard").
  const answer = CARP_LIFECYCLE.answerRivalMaster(config, state, now);
  return { state: answer.state, actions: [CARP_LIFECYCLE.answerAdvert(config, state, advert.family), ...answer.actions] };
}

function onAdvertAsBackup(config: MachineConfig, state: MachineState, advert: AdvertReceived, own: Offer, peer: Offer, now: number): StepResult {
  // Every path below leaves the family's timer armed (re-armed, or armed for a pending takeover).
  const again = familyHeard(state, advert.family, now);
  const result = onAdvertAsBackupFor(config, again.state, advert, own, peer, now);
  return again.actions.length === 0 ? result : { state: result.state, actions: [...again.actions, ...result.actions] };
}

function onAdvertAsBackupFor(config: MachineConfig, state: MachineState, advert: AdvertReceived, own: Offer, peer: Offer, now: number): StepResult {
  const withHeard: MachineState = { ...state, lastHeardMaster: heard(advert, now) };
  if (isBowOutOffer(peer)) {
    // Take over after our own skew time rather than at once, so that with several backups the
    // best one (smallest skew) goes first and the others hear it before their timers expire.
    // A stopping master repeats its bow-out (onShutdown): a repeat never pushes the takeover back,
    // or a backup whose takeover delay exceeds the master's interval would never take over.
    const pending = state.bowOutHeard === true ? Math.min(...config.families.map((f) => state.masterDownAt[f] ?? Infinity)) : Infinity;
    const at = Math.min(now + takeoverDelayMicros(advertFields(config, state)), state.takeover?.at ?? Infinity, pending);
    if (at === pending) return { state: withHeard, actions: [] };
    return rearmMasterDown(config, { ...withHeard, bowOutHeard: true }, at, config.families);
  }
  const preemptAllowed = config.preempt && (state.preemptAfter === undefined || now >= state.preemptAfter);
  if (shouldPreempt(preemptAllowed, own, peer)) return takeOverAfterSkew(config, withHeard, now, 'preempting-worse-master');
  if (masterIsMoreDemoted(own, peer)) return takeOverAfterSkew(config, withHeard, now, 'master-more-demoted');
  const multiplier = config.masterDownFormula === 'ucarp' ? config.deadRatio : 3;
  if (masterIsGuaranteedToTimeOut(own, peer, multiplier)) return takeOverAfterSkew(config, withHeard, now, 'master-will-time-out');
  // A master at least as good as us: a pending takeover is off, on every family it was armed on;
  // so are the deadlines a bow-out shortened, else the family not heard yet would look silent.
  const families = withHeard.takeover === undefined && state.bowOutHeard !== true ? [advert.family] : config.families;
  return rearmMasterDown(config, { ...withoutTakeover(withHeard), bowOutHeard: false }, now + masterDownInterval(config, state), families);
}

/**
 * The master got worse than us (demoted, in maintenance, failing a check): take over after our
 * own skew time, as after a bow-out, not at once. Every backup that outranks the master sees the
 * same advert; graded by skew, the best one goes first (skew 0: at once) and the others hear its
 * advert before their own time comes, so they never enter MASTER or run a script. The master's
 * later adverts, still worse, keep the first deadline (with a skew time longer than the master's
 * interval they would otherwise postpone it for ever).
 */
function takeOverAfterSkew(config: MachineConfig, state: MachineState, now: number, reason: TransitionReason): StepResult {
  const wait = takeoverDelayMicros(advertFields(config, state));
  if (wait === 0) return becomeMaster(config, state, now, reason);
  const pending = state.takeover;
  if (pending !== undefined) return { state, actions: [] };
  const at = now + wait;
  return rearmMasterDown(config, { ...state, takeover: { reason, at } }, at, config.families);
}

function rearmMasterDown(config: MachineConfig, state: MachineState, at: number, families: readonly IpFamily[]): StepResult {
  const masterDownAt = { ...state.masterDownAt };
  const actions: MachineAction[] = [];
  for (const family of families) {
    if (!config.families.includes(family)) continue;
    masterDownAt[family] = at;
    actions.push({ type: 'arm-timer', timer: masterDownTimer(family), at });
  }
  return { state: { ...state, masterDownAt }, actions };
}

/** A family's master-down timer fired: take over, unless the master is still heard in another family. */
function masterDownExpired(config: MachineConfig, state: MachineState, timer: TimerId, now: number): StepResult {
  const family: IpFamily = timer === 'master-down-4' ? 4 : 6;
  if (state.phase !== 'backup' || state.masterDownAt[family] === undefined) return ignored(state, 'timer', `${timer} not armed`);
  // Adverts lost in this family only: the master is alive (silent-family.ts, docs/state-machine.md).
  const heardIn = familiesStillHeard(config.families, state, family, now, state.takeover !== undefined || state.bowOutHeard === true);
  if (heardIn.length > 0) {
    const silent = markFamilySilent(state, family, heardIn, now, masterDownInterval(config, state));
    return { state: silent.state, actions: [silent.action] };
  }
  return becomeMaster(config, state, now, state.takeover?.reason ?? (state.bowOutHeard === true ? 'master-bowed-out' : 'master-down-timeout'));
}

/** Our rank against the last heard master, for status displays: negative when we are better. */
export function compareWithLastMaster(config: MachineConfig, state: MachineState): number | undefined {
  const last = state.lastHeardMaster;
  if (last === undefined) return undefined;
  return compareOffers(ownOffer(config, state, last.address.family), { ...last });
}

/** The phase names as the BSDs print them. */
export function phaseName(phase: Phase): 'INIT' | 'BACKUP' | 'MASTER' {
  return phase === 'init' ? 'INIT' : phase === 'backup' ? 'BACKUP' : 'MASTER';
}
