/**
 * The lifecycle core (src/fsm/lifecycle.ts) on its own, driven by a minimal fake protocol: the
 * transitions and the order of their effects that CARP's and VRRP's machines rely on
 * (protocols/carp/carp-step.ts, protocols/vrrp/vrrp-step.ts; docs/state-machine.md "The lifecycle core").
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lifecycle, ignored, MAX_DEMOTION } from '../../src/fsm/lifecycle.ts';
import type { LifecycleRules, LifecycleStep } from '../../src/fsm/lifecycle-types.ts';
import { GRACEFUL_STOP_HOLD_MIN_MICROS, firstAdvertSlackMicros } from '../../src/fsm/intervals.ts';
import type { EventOf, MachineLifecycle, Phase, TransitionReason } from '../../src/fsm/machine-types.ts';
import type { IpFamily } from '../../src/wire/ip-address.ts';

/** The fake protocol: one number advertised (its demotion), a fixed interval, "better" adverts. */
interface FakeConfig {
  readonly families: readonly IpFamily[];
  readonly preemptDelayMicros?: number;
  /** Leaves at once on shutdown instead of a graceful stop (as VRRP's owner). */
  readonly stopsAtOnce?: boolean;
  /** Repeat the announcement with the n-th periodic advert after becoming MASTER (as CARP's). */
  readonly repeatAfter?: number;
}
interface FakeState extends MachineLifecycle {
  readonly masterDownAt?: number;
  /** The phases enterPhase was asked for, in order, with the deadline it got. */
  readonly entered: readonly string[];
  readonly repeatIn?: number;
}
interface FakeAdvert {
  readonly family: IpFamily;
  readonly better: boolean;
}
interface FakeFields {
  readonly demotion: number;
}
type Step = LifecycleStep<FakeState, FakeFields, TransitionReason>;

const INTERVAL = 1_000_000;
const MASTER_DOWN = 3_000_000;

const RULES: LifecycleRules<FakeConfig, FakeState, FakeAdvert, FakeFields, TransitionReason> = {
  initName: 'FAKE-INIT',
  unitName: 'a fake',
  reason: (reason) => reason,
  families: (config) => config.families,
  advertFields: (_config, state) => ({ demotion: state.demotion }),
  farewellFields: () => ({ demotion: -1 }),
  advertIntervalMicros: () => INTERVAL,
  ownMasterDownMicros: () => MASTER_DOWN,
  enterPhase: (config, state, masterDownAt) => {
    const { masterDownAt: _, repeatIn: _r, ...rest } = state;
    const entered = [...state.entered, `${state.phase}${masterDownAt === undefined ? '' : `@${masterDownAt}`}`];
    const repeat = state.phase === 'master' && config.repeatAfter !== undefined ? { repeatIn: config.repeatAfter } : {};
    return { ...rest, entered, ...repeat, ...(masterDownAt === undefined ? {} : { masterDownAt }) };
  },
  startUp: (config, state, now, reason) => CORE.becomeBackup(config, state, now, reason, MASTER_DOWN),
  backup: (config, state, now, reason) => CORE.becomeBackup(config, state, now, reason, MASTER_DOWN),
  stopsAtOnce: (config) => config.stopsAtOnce === true,
  onAdvert: (config, state, advert, now) => {
    if (state.phase === 'backup') return { state, actions: [] };
    if (state.stopping !== undefined) return CORE.finishShutdown(config, state, now);
    if (advert.better) return CORE.stepDown(config, state, advert.family, CORE.becomeBackup(config, state, now, 'outranked-by-peer', MASTER_DOWN));
    return CORE.answerRivalMaster(config, state, now);
  },
  masterDownExpired: (config, state, timer, now) => {
    if (state.phase !== 'backup' || state.masterDownAt === undefined) return ignored(state, 'timer', `${timer} not armed`);
    return CORE.becomeMaster(config, state, now, 'master-down-timeout');
  },
  repeatAnnouncement: (state) => {
    if (state.repeatIn === undefined) return { state, announce: false };
    const repeatIn = state.repeatIn - 1;
    return { state: { ...state, repeatIn }, announce: repeatIn === 0 };
  },
  tellsDemotion: (_config, before, after) => after.demotion > before.demotion,
};

const CORE = new Lifecycle(RULES);

const V4: FakeConfig = { families: [4] };

function initial(now = 0): FakeState {
  return { phase: 'init', since: now, reason: 'started', running: false, linkUp: true, demotion: 0, entered: [] };
}

/** Runs events in order, each at its time, and returns every step's result. */
function run(config: FakeConfig, events: readonly (readonly [number, EventOf<FakeAdvert>])[], state = initial()): Step[] {
  const steps: Step[] = [];
  for (const [at, event] of events) {
    const result = CORE.step(config, state, event, at);
    steps.push(result);
    state = result.state;
  }
  return steps;
}

function last(steps: readonly Step[]): Step {
  const step = steps.at(-1);
  assert.ok(step !== undefined);
  return step;
}

/** The actions as short words, in order: `arm-timer:advert`, `run-script:backup`, `transition:init>backup`... */
function words(step: Step): string[] {
  return step.actions.map((a) => {
    switch (a.type) {
      case 'arm-timer':
      case 'cancel-timer':
        return `${a.type}:${a.timer}`;
      case 'run-script':
        return `run-script:${a.phase}`;
      case 'transition':
        return `transition:${a.from}>${a.to}`;
      case 'send-advert':
        return a.bowOut ? 'farewell' : 'advert';
      case 'ignored':
        return `ignored:${a.why}`;
      default:
        return a.type;
    }
  });
}

const START = [0, { type: 'start' }] as const;
const MASTER_DOWN_FIRES = [MASTER_DOWN, { type: 'timer', timer: 'master-down-4' }] as const;

describe('lifecycle core: leaving INIT', () => {
  it('start: the protocol starts up (here BACKUP): advert timer cancelled, master-down armed, backup script, transition', () => {
    const step = last(run(V4, [START]));
    assert.deepEqual(words(step), ['cancel-timer:advert', 'arm-timer:master-down-4', 'run-script:backup', 'transition:init>backup']);
    assert.deepEqual(step.actions[1], { type: 'arm-timer', timer: 'master-down-4', at: MASTER_DOWN });
    assert.equal(step.state.phase, 'backup');
    assert.equal(step.state.running, true);
    assert.equal(step.state.reason, 'started');
    assert.deepEqual(step.state.entered, [`backup@${MASTER_DOWN}`]);
  });

  it('a dual-stack machine arms one master-down timer per family, and cancels both on becoming MASTER', () => {
    const steps = run({ families: [4, 6] }, [START, MASTER_DOWN_FIRES]);
    assert.deepEqual(words(steps[0] as Step), ['cancel-timer:advert', 'arm-timer:master-down-4', 'arm-timer:master-down-6', 'run-script:backup', 'transition:init>backup']);
    assert.deepEqual(words(last(steps)).slice(0, 2), ['cancel-timer:master-down-4', 'cancel-timer:master-down-6']);
  });

  it('start with the link down waits in INIT; link-up then starts up with reason link-up', () => {
    const steps = run(V4, [
      [0, { type: 'link-down' }],
      START,
      [5, { type: 'link-up' }],
    ]);
    assert.deepEqual(steps[1]?.actions, []);
    assert.equal(steps[1]?.state.phase, 'init');
    assert.equal(steps[1]?.state.running, true);
    assert.equal(last(steps).state.phase, 'backup');
    assert.equal(last(steps).state.reason, 'link-up');
  });

  it('start in resume-master mode goes straight to MASTER (a protocol switch): advert first, then addresses, announce, timer, script', () => {
    const step = last(run(V4, [[7, { type: 'start', mode: 'resume-master' }]]));
    assert.deepEqual(words(step), ['cancel-timer:master-down-4', 'advert', 'add-addresses', 'announce', 'arm-timer:advert', 'run-script:master', 'transition:init>master']);
    assert.deepEqual(step.actions[4], { type: 'arm-timer', timer: 'advert', at: 7 + INTERVAL, earliest: 7 + INTERVAL - firstAdvertSlackMicros(INTERVAL) });
    assert.equal(step.state.reason, 'protocol-switch');
    assert.equal(step.state.advertDueAt, 7 + INTERVAL);
  });

  it('ignores a second start, an advert in INIT (in the protocol\'s words), link-up when up, shutdown when not running', () => {
    assert.deepEqual(words(last(run(V4, [START, START]))), ['ignored:already running']);
    assert.deepEqual(words(last(run(V4, [[0, { type: 'advert', advert: { family: 4, better: true } }]]))), ['ignored:adverts are ignored in FAKE-INIT']);
    assert.deepEqual(words(last(run(V4, [[0, { type: 'link-up' }]]))), ['ignored:link already up']);
    assert.deepEqual(words(last(run(V4, [[0, { type: 'shutdown' }]]))), ['ignored:not running']);
    assert.deepEqual(words(last(run(V4, [[0, { type: 'force', phase: 'master' }]]))), ['ignored:cannot force a fake in FAKE-INIT']);
  });
});

describe('lifecycle core: BACKUP and MASTER', () => {
  it('preempt_delay counts from start-up and link-up only, not from a forced BACKUP', () => {
    const config: FakeConfig = { families: [4], preemptDelayMicros: 500 };
    assert.equal(last(run(config, [START])).state.preemptAfter, 500);
    const forced = run(config, [[0, { type: 'start', mode: 'resume-master' }], [10, { type: 'force', phase: 'backup' }]]);
    assert.equal(last(forced).state.phase, 'backup');
    assert.equal(last(forced).state.preemptAfter, undefined);
  });

  it('the protocol\'s master-down expiry becomes MASTER; periodic adverts keep the cadence', () => {
    const steps = run(V4, [START, MASTER_DOWN_FIRES, [MASTER_DOWN + INTERVAL, { type: 'timer', timer: 'advert' }]]);
    assert.equal(steps[1]?.state.phase, 'master');
    assert.deepEqual(words(last(steps)), ['advert', 'arm-timer:advert']);
    assert.deepEqual(last(steps).actions[1], { type: 'arm-timer', timer: 'advert', at: MASTER_DOWN + 2 * INTERVAL });
    assert.deepEqual(last(steps).state.entered, [`backup@${MASTER_DOWN}`, 'master']);
  });

  it('a periodic advert carries the protocol\'s repeated announcement, once', () => {
    const t = (n: number) => [MASTER_DOWN + n * INTERVAL, { type: 'timer', timer: 'advert' }] as const;
    const steps = run({ families: [4], repeatAfter: 2 }, [START, MASTER_DOWN_FIRES, t(1), t(2), t(3)]);
    assert.deepEqual(steps.slice(2).map(words), [
      ['advert', 'arm-timer:advert'],
      ['advert', 'announce', 'arm-timer:advert'],
      ['advert', 'arm-timer:advert'],
    ]);
  });

  it('the advert timer outside MASTER and a stop-hold outside a graceful stop are ignored', () => {
    assert.deepEqual(words(last(run(V4, [START, [1, { type: 'timer', timer: 'advert' }]]))), ['ignored:advert timer outside MASTER']);
    assert.deepEqual(words(last(run(V4, [START, [1, { type: 'timer', timer: 'stop-hold' }]]))), ['ignored:stop-hold outside a graceful stop']);
  });

  it('a MASTER outranked steps down: one last advert in that family, then BACKUP with the addresses removed', () => {
    const step = last(run({ families: [4, 6] }, [START, MASTER_DOWN_FIRES, [MASTER_DOWN + 1, { type: 'advert', advert: { family: 6, better: true } }]]));
    assert.deepEqual(words(step), ['advert', 'cancel-timer:advert', 'arm-timer:master-down-4', 'arm-timer:master-down-6', 'remove-addresses', 'run-script:backup', 'transition:master>backup']);
    assert.deepEqual(step.actions[0], { type: 'send-advert', families: [6], fields: { demotion: 0 }, bowOut: false });
    assert.equal(step.state.advertDueAt, undefined);
  });

  it('a MASTER hearing a worse master re-announces at once and with its next advert, and re-runs its script once per spell', () => {
    const heard = (at: number) => [at, { type: 'advert', advert: { family: 4, better: false } }] as const;
    const steps = run(V4, [START, MASTER_DOWN_FIRES, heard(MASTER_DOWN + 10), [MASTER_DOWN + INTERVAL, { type: 'timer', timer: 'advert' }], heard(MASTER_DOWN + 3 * INTERVAL)]);
    // Within its first interval the other master is the one we just outranked: no script for it.
    assert.deepEqual(words(steps[2] as Step), ['announce']);
    assert.deepEqual(words(steps[3] as Step), ['advert', 'announce', 'arm-timer:advert']);
    assert.deepEqual(words(steps[4] as Step), ['announce', 'run-script:master']);
    const script = steps[4]?.actions[1];
    assert.ok(script?.type === 'run-script' && script.reason === 'another-master-heard');
  });

  it('set-demotion: clamped; a MASTER tells the backups at once when the protocol says so, a BACKUP does not', () => {
    const master = run(V4, [START, MASTER_DOWN_FIRES, [MASTER_DOWN + 1, { type: 'set-demotion', demotion: 1000 }], [MASTER_DOWN + 2, { type: 'set-demotion', demotion: 10 }]]);
    assert.equal(master[2]?.state.demotion, MAX_DEMOTION);
    assert.deepEqual(master[2]?.actions, [{ type: 'send-advert', families: [4], fields: { demotion: MAX_DEMOTION }, bowOut: false }]);
    assert.deepEqual(master[3]?.actions, [], 'lowered: the fake protocol does not tell');
    const backup = run(V4, [START, [1, { type: 'set-demotion', demotion: 5 }], [2, { type: 'set-demotion', demotion: 5 }]]);
    assert.deepEqual(backup[1]?.actions, []);
    assert.equal(backup[1]?.state.demotion, 5);
    assert.equal(backup[2]?.state, backup[1]?.state, 'unchanged demotion: the same state');
  });

  it('force: MASTER from BACKUP and back, with reason forced; the current phase is ignored', () => {
    const steps = run(V4, [START, [1, { type: 'force', phase: 'master' }], [2, { type: 'force', phase: 'master' }], [3, { type: 'force', phase: 'backup' }]]);
    assert.equal(steps[1]?.state.phase, 'master');
    assert.equal(steps[1]?.state.reason, 'forced');
    assert.deepEqual(words(steps[2] as Step), ['ignored:already master']);
    assert.equal(last(steps).state.phase, 'backup');
    assert.equal(last(steps).state.reason, 'forced');
  });

  it('resign: a MASTER says farewell, then becomes BACKUP; anything else ignores it', () => {
    const step = last(run(V4, [START, MASTER_DOWN_FIRES, [MASTER_DOWN + 1, { type: 'resign', reason: 'claim-failed' }]]));
    assert.deepEqual(words(step), ['farewell', 'cancel-timer:advert', 'arm-timer:master-down-4', 'remove-addresses', 'run-script:backup', 'transition:master>backup']);
    assert.deepEqual(step.actions[0], { type: 'send-advert', families: [4], fields: { demotion: -1 }, bowOut: true });
    assert.equal(step.state.reason, 'claim-failed');
    assert.deepEqual(words(last(run(V4, [START, [1, { type: 'resign', reason: 'advert-send-failed' }]]))), ['ignored:not master']);
  });

  it('link-down: leaves for INIT, addresses removed and the backup script if MASTER; link-up starts again', () => {
    const steps = run(V4, [START, MASTER_DOWN_FIRES, [MASTER_DOWN + 1, { type: 'link-down' }], [MASTER_DOWN + 2, { type: 'link-down' }], [MASTER_DOWN + 3, { type: 'link-up' }]]);
    assert.deepEqual(words(steps[2] as Step), ['cancel-timer:advert', 'cancel-timer:master-down-4', 'remove-addresses', 'run-script:backup', 'transition:master>init']);
    assert.equal(steps[2]?.state.reason, 'link-down');
    assert.equal(steps[2]?.state.advertDueAt, undefined);
    assert.deepEqual(words(steps[3] as Step), ['ignored:link already down']);
    assert.equal(last(steps).state.phase, 'backup');
  });
});

describe('lifecycle core: shutdown', () => {
  it('a BACKUP stops at once: timers cancelled, the stop script, INIT, not running', () => {
    const step = last(run(V4, [START, [1, { type: 'shutdown' }]]));
    assert.deepEqual(words(step), ['cancel-timer:advert', 'cancel-timer:master-down-4', 'run-script:stop', 'transition:backup>init']);
    assert.equal(step.state.running, false);
    assert.equal(step.state.reason, 'shutdown');
  });

  it('a MASTER stops gracefully: farewell, repeated each interval, addresses kept until the hold ends', () => {
    const s = MASTER_DOWN;
    const steps = run(V4, [START, MASTER_DOWN_FIRES, [s + 1, { type: 'shutdown' }], [s + 1 + INTERVAL, { type: 'timer', timer: 'advert' }], [s + 1 + GRACEFUL_STOP_HOLD_MIN_MICROS + 1_000_000, { type: 'timer', timer: 'stop-hold' }]]);
    const until = s + 1 + Math.max(GRACEFUL_STOP_HOLD_MIN_MICROS, MASTER_DOWN);
    assert.deepEqual(words(steps[2] as Step), ['farewell', 'arm-timer:advert', 'arm-timer:stop-hold']);
    assert.deepEqual(steps[2]?.actions[2], { type: 'arm-timer', timer: 'stop-hold', at: until });
    assert.deepEqual(steps[2]?.state.stopping, { until });
    assert.equal(steps[2]?.state.phase, 'master');
    assert.deepEqual(words(steps[3] as Step), ['farewell', 'arm-timer:advert']);
    assert.deepEqual(words(last(steps)), ['cancel-timer:stop-hold', 'cancel-timer:advert', 'cancel-timer:master-down-4', 'remove-addresses', 'run-script:stop', 'transition:master>init']);
    assert.equal(last(steps).state.running, false);
    assert.equal(last(steps).state.stopping, undefined);
  });

  it('while stopping: the last interval before the hold ends has no advert timer; force is ignored; the successor\'s advert ends it', () => {
    const s = MASTER_DOWN;
    const until = s + 1 + MASTER_DOWN;
    const steps = run(V4, [START, MASTER_DOWN_FIRES, [s + 1, { type: 'shutdown' }], [until - 10, { type: 'timer', timer: 'advert' }], [until - 5, { type: 'force', phase: 'backup' }], [until - 1, { type: 'advert', advert: { family: 4, better: true } }]]);
    assert.deepEqual(words(steps[3] as Step), ['farewell', 'cancel-timer:advert']);
    assert.equal(steps[3]?.state.advertDueAt, undefined);
    assert.deepEqual(words(steps[4] as Step), ['ignored:stopping']);
    assert.deepEqual(words(last(steps)), ['cancel-timer:stop-hold', 'cancel-timer:advert', 'cancel-timer:master-down-4', 'remove-addresses', 'run-script:stop', 'transition:master>init']);
  });

  it('a stopping MASTER leaves at once on link-down, resign or a second shutdown', () => {
    for (const event of [{ type: 'link-down' }, { type: 'resign', reason: 'claim-failed' }, { type: 'shutdown' }] as const) {
      const step = last(run(V4, [START, MASTER_DOWN_FIRES, [MASTER_DOWN + 1, { type: 'shutdown' }], [MASTER_DOWN + 2, event]]));
      assert.deepEqual(words(step), ['cancel-timer:stop-hold', 'cancel-timer:advert', 'cancel-timer:master-down-4', 'remove-addresses', 'run-script:stop', 'transition:master>init'], event.type);
      assert.equal(step.state.running, false, event.type);
    }
  });

  it('a MASTER the protocol stops at once says farewell, then leaves', () => {
    const step = last(run({ families: [4], stopsAtOnce: true }, [START, MASTER_DOWN_FIRES, [MASTER_DOWN + 1, { type: 'shutdown' }]]));
    assert.deepEqual(words(step), ['farewell', 'cancel-timer:advert', 'cancel-timer:master-down-4', 'remove-addresses', 'run-script:stop', 'transition:master>init']);
  });

  it('every transition drops the core\'s per-phase fields (advert deadline, rival-master marks) and asks the protocol for its own', () => {
    const steps = run(V4, [START, MASTER_DOWN_FIRES, [MASTER_DOWN + INTERVAL, { type: 'advert', advert: { family: 4, better: false } }], [MASTER_DOWN + INTERVAL + 1, { type: 'link-down' }]]);
    assert.equal(steps[2]?.state.rivalAnnouncePending, true);
    const left: Partial<FakeState> = last(steps).state;
    assert.equal(left.rivalAnnouncePending, undefined);
    assert.equal(left.rivalAnnouncedAt, undefined);
    assert.equal(left.advertDueAt, undefined);
    assert.deepEqual(left.entered, [`backup@${MASTER_DOWN}`, 'master', 'init']);
    const phases: Phase[] = steps.map((s) => s.state.phase);
    assert.deepEqual(phases, ['backup', 'master', 'master', 'init']);
  });
});
