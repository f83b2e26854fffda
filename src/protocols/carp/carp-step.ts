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
 */
import { compareOffers, isBowOutOffer, masterIsGuaranteedToTimeOut, masterIsMoreDemoted, peerOutranksUs, shouldPreempt, type Offer } from './carp-election.ts';
import { advertIntervalMicros, demotedAdvskew, firstAdvertSlackMicros, demoteByte, gracefulStopHoldMicros, masterDownMicros, nextAdvertDueAt, takeoverDelayMicros } from '../../fsm/intervals.ts';
import type {
  AdvertFields,
  AdvertReceived,
  MachineAction,
  MachineConfig,
  MachineEvent,
  MachineState,
  Phase,
  ResignReason,
  StartMode,
  StepResult,
  TimerId,
  TransitionReason,
} from '../../fsm/machine-types.ts';
import type { IpFamily } from '../../wire/ip-address.ts';
import { rivalAnnounceWithAdvert, rivalMasterHeard, withoutRivalMaster } from '../../fsm/rival-master.ts';
import { familiesStillHeard, familyHeard, markFamilySilent, withoutSilentFamilies } from '../../fsm/silent-family.ts';

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
      return onSetDemotion(config, state, event.demotion, now);
    case 'force':
      return onForce(config, state, event.phase, now);
    case 'resign':
      return onResign(config, state, event.reason, now);
  }
}

function ignored(state: MachineState, event: MachineEvent['type'], why: string): StepResult {
  return { state, actions: [{ type: 'ignored', event, phase: state.phase, why }] };
}

function onStart(config: MachineConfig, state: MachineState, now: number, mode: StartMode | undefined): StepResult {
  if (state.running) return ignored(state, 'start', 'already running');
  const running = { ...state, running: true };
  // A down link gives nothing to resume: the group waits in INIT and comes up as BACKUP.
  if (!running.linkUp) return { state: running, actions: [] };
  if (mode === 'resume-master') return becomeMaster(config, running, now, 'protocol-switch');
  return becomeBackup(config, running, now, 'started');
}

/**
 * A MASTER bows out (so backups take over at once instead of after master-down, OpenBSD
 * carp_ioctl) but keeps its addresses until it hears its successor, at most
 * gracefulStopHoldMicros: make-before-break (issue 19 item 4). A second shutdown, or any other
 * phase, leaves at once.
 */
function onShutdown(config: MachineConfig, state: MachineState, now: number): StepResult {
  if (!state.running) return ignored(state, 'shutdown', 'not running');
  if (state.phase !== 'master' || state.stopping !== undefined) return finishShutdown(config, state, now);
  const until = now + gracefulStopHoldMicros(masterDownInterval(config, state));
  const bowOut: MachineAction = { type: 'send-advert', families: config.families, fields: advertFields(config, state), bowOut: true };
  const next = nextBowOut(config, withoutRivalMaster({ ...state, stopping: { until } }), now);
  return { state: next.state, actions: [bowOut, ...next.actions, { type: 'arm-timer', timer: 'stop-hold', at: until }] };
}

/**
 * While stopping, the bow-out is sent again each advert interval until the hold ends: one lost
 * copy must not cost a backup its master-down interval.
 */
function nextBowOut(config: MachineConfig, state: MachineState & { stopping: { until: number } }, now: number): StepResult {
  const fields = advertFields(config, state);
  const at = now + advertIntervalMicros(fields.advbase, fields.advskew);
  if (at < state.stopping.until) return { state: { ...state, advertDueAt: at }, actions: [{ type: 'arm-timer', timer: 'advert', at }] };
  const { advertDueAt: _, ...rest } = state;
  return { state: rest, actions: [{ type: 'cancel-timer', timer: 'advert' }] };
}

/** Leaves for good: addresses removed if held, the stop script, INIT, not running. */
function finishShutdown(config: MachineConfig, state: MachineState, now: number): StepResult {
  const actions: MachineAction[] = state.stopping === undefined ? [] : [{ type: 'cancel-timer', timer: 'stop-hold' }];
  const { stopping: _, ...rest } = state;
  const left = leave(config, rest, now, 'shutdown', actions);
  return { state: { ...left.state, running: false }, actions: left.actions };
}

function onLinkDown(config: MachineConfig, state: MachineState, now: number): StepResult {
  if (!state.linkUp) return ignored(state, 'link-down', 'link already down');
  const down = { ...state, linkUp: false };
  if (!state.running) return { state: down, actions: [] };
  // The addresses are no use on a down link: a stopping MASTER waits no longer.
  if (state.stopping !== undefined) return finishShutdown(config, down, now);
  return leave(config, down, now, 'link-down', []);
}

function onLinkUp(config: MachineConfig, state: MachineState, now: number): StepResult {
  if (state.linkUp) return ignored(state, 'link-up', 'link already up');
  const up = { ...state, linkUp: true };
  if (!state.running) return { state: up, actions: [] };
  return becomeBackup(config, up, now, 'link-up');
}

/** Goes to INIT from any phase, giving up the addresses if we held them. */
function leave(config: MachineConfig, state: MachineState, now: number, reason: TransitionReason, actions: MachineAction[]): StepResult {
  const from = state.phase;
  actions.push(...cancelAllTimers(config));
  if (from === 'master') actions.push({ type: 'remove-addresses' });
  // A shutdown is one stop, whatever the phase (docs/scripts.md, scripts.stop); anything else only leaves MASTER.
  if (reason === 'shutdown') actions.push({ type: 'run-script', phase: 'stop', previous: from, reason });
  else if (from === 'master') actions.push({ type: 'run-script', phase: 'backup', previous: from, reason });
  if (from !== 'init') actions.push({ type: 'transition', from, to: 'init', reason });
  const next: MachineState = { ...state, phase: 'init', since: from === 'init' ? state.since : now, reason: from === 'init' ? state.reason : reason, masterDownAt: {}, announceAfterAdverts: 0 };
  delete (next as { advertDueAt?: number }).advertDueAt;
  return { state: withoutSilentFamilies(withoutRivalMaster(withoutTakeover(next))), actions };
}

function cancelAllTimers(config: MachineConfig): MachineAction[] {
  return [{ type: 'cancel-timer', timer: 'advert' }, ...config.families.map((f): MachineAction => ({ type: 'cancel-timer', timer: masterDownTimer(f) }))];
}

/** The master-down timer of a family. */
export function masterDownTimer(family: IpFamily): TimerId {
  return family === 4 ? 'master-down-4' : 'master-down-6';
}

function masterDownInterval(config: MachineConfig, state: MachineState): number {
  const fields = advertFields(config, state);
  return masterDownMicros(config.masterDownFormula, fields.advbase, fields.advskew, config.deadRatio);
}

function becomeBackup(config: MachineConfig, state: MachineState, now: number, reason: TransitionReason): StepResult {
  const from = state.phase;
  const deadline = now + masterDownInterval(config, state);
  const masterDownAt: Partial<Record<IpFamily, number>> = {};
  const actions: MachineAction[] = [{ type: 'cancel-timer', timer: 'advert' }];
  for (const family of config.families) {
    masterDownAt[family] = deadline;
    actions.push({ type: 'arm-timer', timer: masterDownTimer(family), at: deadline });
  }
  if (from === 'master') actions.push({ type: 'remove-addresses' });
  actions.push({ type: 'run-script', phase: 'backup', previous: from, reason }, { type: 'transition', from, to: 'backup', reason });
  // A bow-out heard in an earlier BACKUP spell must not label this spell's timeout.
  const next: MachineState = { ...state, phase: 'backup', since: now, reason, masterDownAt, announceAfterAdverts: 0, bowOutHeard: false };
  delete (next as { advertDueAt?: number }).advertDueAt;
  // preempt_delay counts from start-up and from the link coming back, not from other spells.
  const delay = config.preemptDelayMicros ?? 0;
  if ((reason === 'started' || reason === 'link-up') && delay > 0) (next as { preemptAfter?: number }).preemptAfter = now + delay;
  return { state: withoutSilentFamilies(withoutRivalMaster(withoutTakeover(next))), actions };
}

function becomeMaster(config: MachineConfig, state: MachineState, now: number, reason: TransitionReason): StepResult {
  const from = state.phase;
  const interval = advertIntervalMicros(advertFields(config, state).advbase, advertFields(config, state).advskew);
  const advertDueAt = now + interval;
  const actions: MachineAction[] = [
    ...config.families.map((f): MachineAction => ({ type: 'cancel-timer', timer: masterDownTimer(f) })),
    // The advert goes first so backups hear the new master before anything slower happens.
    { type: 'send-advert', families: config.families, fields: advertFields(config, state), bowOut: false },
    { type: 'add-addresses' },
    { type: 'announce' },
    { type: 'arm-timer', timer: 'advert', at: advertDueAt, earliest: advertDueAt - firstAdvertSlackMicros(interval) },
    { type: 'run-script', phase: 'master', previous: from, reason },
    { type: 'transition', from, to: 'master', reason },
  ];
  return {
    state: withoutSilentFamilies(withoutRivalMaster(withoutTakeover({ ...state, phase: 'master', since: now, reason, masterDownAt: {}, advertDueAt, announceAfterAdverts: ANNOUNCE_REPEAT_AFTER_ADVERTS, bowOutHeard: false }))),
    actions,
  };
}

function withoutTakeover(state: MachineState): MachineState {
  const { takeover: _, ...rest } = state;
  return rest;
}

function heard(advert: AdvertReceived, now: number): MachineState['lastHeardMaster'] {
  return { address: advert.source, advbase: advert.advbase, advskew: advert.advskew, demote: advert.demote, at: now };
}

function onAdvert(config: MachineConfig, state: MachineState, advert: AdvertReceived, now: number): StepResult {
  if (state.phase === 'init') return ignored(state, 'advert', 'adverts are ignored in INIT');
  if (!config.families.includes(advert.family)) return ignored(state, 'advert', `no addresses in IPv${advert.family}`);
  const own = ownOffer(config, state, advert.family);
  const peer: Offer = { advbase: advert.advbase, advskew: advert.advskew, demote: advert.demote, address: advert.source };
  return state.phase === 'master' ? onAdvertAsMaster(config, state, advert, own, peer, now) : onAdvertAsBackup(config, state, advert, own, peer, now);
}

function onAdvertAsMaster(config: MachineConfig, state: MachineState, advert: AdvertReceived, own: Offer, peer: Offer, now: number): StepResult {
  if (isBowOutOffer(peer)) return ignored(state, 'advert', 'bow-out from another node while master');
  // Stopping: whoever advertises now has taken over (or is the better master): the addresses can go.
  if (state.stopping !== undefined) return finishShutdown(config, { ...state, lastHeardMaster: heard(advert, now) }, now);
  if (peerOutranksUs(own, peer)) {
    // Two masters: one last advert of ours tells the better one that we held the addresses too,
    // so it re-announces them (rival-master.ts); it may never hear us otherwise, when its advert
    // reaches us before our next one reaches it.
    const departing: MachineAction = { type: 'send-advert', families: [advert.family], fields: advertFields(config, state), bowOut: false };
    const backup = becomeBackup(config, { ...state, lastHeardMaster: heard(advert, now) }, now, 'outranked-by-peer');
    return { state: backup.state, actions: [departing, ...backup.actions] };
  }
  // An exact tie the tie rule cannot decide (an address unknown): the incumbent keeps its role,
  // but must not answer, or two such masters would answer each other's answers without end.
  if (compareOffers(own, peer) === 0) return ignored(state, 'advert', 'exact tie with an undecidable tie-break: staying MASTER');
  // A worse node also claims mastership: answer at once so it steps down within one RTT
  // instead of one advert interval (keepalived does the same).
  // It also announced our addresses: take the clients back, and re-run the master script
  // (rival-master.ts, docs/state-machine.md "Another master heard").
  const fields = advertFields(config, state);
  const answer = rivalMasterHeard(state, advertIntervalMicros(fields.advbase, fields.advskew), now, state.since);
  const actions: MachineAction[] = [{ type: 'send-advert', families: [advert.family], fields, bowOut: false }];
  if (answer.announce) actions.push({ type: 'announce' });
  if (answer.rerunScript) actions.push({ type: 'run-script', phase: 'master', previous: 'master', reason: 'another-master-heard' });
  return { state: answer.state, actions };
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

function onTimer(config: MachineConfig, state: MachineState, timer: TimerId, now: number, wakeupAt: number | undefined): StepResult {
  if (timer === 'stop-hold') {
    if (state.stopping === undefined) return ignored(state, 'timer', 'stop-hold outside a graceful stop');
    return finishShutdown(config, state, now);
  }
  if (timer === 'advert') {
    if (state.phase !== 'master') return ignored(state, 'timer', 'advert timer outside MASTER');
    if (state.stopping !== undefined) {
      const bowOut: MachineAction = { type: 'send-advert', families: config.families, fields: advertFields(config, state), bowOut: true };
      const next = nextBowOut(config, { ...state, stopping: state.stopping }, now);
      return { state: next.state, actions: [bowOut, ...next.actions] };
    }
    return sendPeriodicAdvert(config, state, now, wakeupAt);
  }
  const family: IpFamily = timer === 'master-down-4' ? 4 : 6;
  if (state.phase !== 'backup' || state.masterDownAt[family] === undefined) return ignored(state, 'timer', `${timer} not armed`);
  // Adverts lost in this family only: the master is alive (silent-family.ts, docs/state-machine.md).
  const heardIn = familiesStillHeard(config, state, family, now);
  if (heardIn.length > 0) {
    const silent = markFamilySilent(state, family, heardIn, now, masterDownInterval(config, state));
    return { state: silent.state, actions: [silent.action] };
  }
  return becomeMaster(config, state, now, state.takeover?.reason ?? (state.bowOutHeard === true ? 'master-bowed-out' : 'master-down-timeout'));
}

function sendPeriodicAdvert(config: MachineConfig, state: MachineState, now: number, wakeupAt: number | undefined): StepResult {
  const fields = advertFields(config, state);
  const interval = advertIntervalMicros(fields.advbase, fields.advskew);
  const advertDueAt = nextAdvertDueAt(state.advertDueAt ?? now, now, interval, wakeupAt);
  const actions: MachineAction[] = [{ type: 'send-advert', families: config.families, fields, bowOut: false }];
  let announceAfterAdverts = state.announceAfterAdverts;
  if (announceAfterAdverts > 0) {
    announceAfterAdverts--;
    if (announceAfterAdverts === 0) actions.push({ type: 'announce' });
  }
  const rival = rivalAnnounceWithAdvert(state, now);
  if (rival.announce && !actions.some((a) => a.type === 'announce')) actions.push({ type: 'announce' });
  actions.push({ type: 'arm-timer', timer: 'advert', at: advertDueAt });
  return { state: { ...rival.state, advertDueAt, announceAfterAdverts }, actions };
}

function onSetDemotion(config: MachineConfig, state: MachineState, demotion: number, now: number): StepResult {
  const clamped = Math.max(0, Math.min(255, Math.trunc(demotion)));
  if (clamped === state.demotion) return { state, actions: [] };
  const next = { ...state, demotion: clamped };
  if (state.phase === 'master' && clamped > state.demotion && state.stopping === undefined) {
    // Tell the backups now (OpenBSD sends at once when a demote counter rises).
    return { state: next, actions: [{ type: 'send-advert', families: config.families, fields: advertFields(config, next), bowOut: false }] };
  }
  void now;
  return { state: next, actions: [] };
}

function onForce(config: MachineConfig, state: MachineState, phase: 'master' | 'backup', now: number): StepResult {
  if (state.phase === 'init') return ignored(state, 'force', 'cannot force a group in INIT');
  if (state.stopping !== undefined) return ignored(state, 'force', 'stopping');
  if (state.phase === phase) return ignored(state, 'force', `already ${phase}`);
  return phase === 'master' ? becomeMaster(config, state, now, 'forced') : becomeBackup(config, state, now, 'forced');
}

/**
 * A MASTER whose addresses could not be configured must not stay a silent master that backups
 * defer to: it bows out (the best backup takes over after its own skew time, as on shutdown)
 * and waits as BACKUP. The caller raises the demotion first, so it advertises as the worst
 * node should it take over again while no other node is there.
 */
function onResign(config: MachineConfig, state: MachineState, reason: ResignReason, now: number): StepResult {
  if (state.phase !== 'master') return ignored(state, 'resign', 'not master');
  // Stopping, it has bowed out already: the claim failed or adverts cannot leave, so it waits no longer.
  if (state.stopping !== undefined) return finishShutdown(config, state, now);
  const bowOut: MachineAction = { type: 'send-advert', families: config.families, fields: advertFields(config, state), bowOut: true };
  const backup = becomeBackup(config, state, now, reason);
  return { state: backup.state, actions: [bowOut, ...backup.actions] };
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
