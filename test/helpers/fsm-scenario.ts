/**
 * Timed scenario tables for the per-vhid state machine (src/fsm/step.ts), run on a fake clock.
 *
 * A scenario is a config and rows `[time µs, event, expected phase, expected action types or a
 * check, ...more checks]`. The runner keeps a fake timer table from the arm-timer / cancel-timer
 * actions, as the engine does, and after every row checks that:
 *   - time never goes backwards;
 *   - a timer event for an armed timer arrives exactly when it was armed for (a stale one is
 *     passed through so the machine can show that it ignores it);
 *   - the machine's own deadlines agree with the armed timers, and INIT has none armed;
 *   - a step whose only action is 'ignored' returns the state unchanged.
 */
import assert from 'node:assert/strict';
import { initialState, masterDownTimer, step } from '../../src/fsm/step.ts';
import type { ActionOf, AdvertReceived, MachineAction, MachineConfig, MachineEvent, MachineState, Phase, TimerId } from '../../src/fsm/machine-types.ts';
import { parseIpAddress, type IpFamily } from '../../src/protocol/ip-address.ts';

/** One second in µs. */
export const S = 1_000_000;

/** An action's type tag. */
export type ActionType = MachineAction['type'];
/** A check on one step's outcome. */
export type Check = (actions: readonly MachineAction[], state: MachineState) => void;
/** One row of a scenario table. */
export type Row = readonly [at: number, event: MachineEvent, phase: Phase, expect: readonly ActionType[] | Check, ...more: Check[]];

/** A timed scenario. */
export interface Scenario {
  readonly name: string;
  readonly config?: Partial<MachineConfig>;
  readonly rows: readonly Row[];
}

/** carpd defaults for the scenarios: vhid 1, advbase 1, advskew 0, IPv4 only, OpenBSD timing. */
export function makeConfig(overrides: Partial<MachineConfig> = {}): MachineConfig {
  return {
    vhid: 1,
    advbase: 1,
    advskew: 0,
    preempt: false,
    masterDownFormula: 'openbsd',
    deadRatio: 3,
    families: [4],
    sourceAddresses: { 4: parseIpAddress('10.0.0.1'), 6: parseIpAddress('fe80::1') },
    ...overrides,
  };
}

export const start: MachineEvent = { type: 'start' };
export const shutdown: MachineEvent = { type: 'shutdown' };
export const linkUp: MachineEvent = { type: 'link-up' };
export const linkDown: MachineEvent = { type: 'link-down' };

/** A timer event (the engine delivers it when the armed time is reached). */
export function fire(timer: TimerId): MachineEvent {
  return { type: 'timer', timer };
}

/** An authenticated advert from `source` (IPv4 by default). */
export function advert(fields: { advbase?: number; advskew?: number; demote?: number; source?: string; family?: IpFamily } = {}): MachineEvent {
  const family = fields.family ?? 4;
  const source = parseIpAddress(fields.source ?? (family === 4 ? '10.0.0.2' : 'fe80::2'));
  const a: AdvertReceived = { family, source, advbase: fields.advbase ?? 1, advskew: fields.advskew ?? 0, demote: fields.demote ?? 0 };
  return { type: 'advert', advert: a };
}

export function setDemotion(demotion: number): MachineEvent {
  return { type: 'set-demotion', demotion };
}

export function force(phase: 'master' | 'backup'): MachineEvent {
  return { type: 'force', phase };
}

/**
 * Check: a timer is armed once for exactly `at`; with `earliest`, also that it may fire from then
 * on (periodic adverts carry a slack, intervals.ts advertSlackMicros; without it, not checked).
 */
export function arms(timer: TimerId, at: number, earliest?: number): Check {
  return (actions) => {
    const armed = actions.filter((a) => a.type === 'arm-timer' && a.timer === timer);
    const seen = armed.map((a) => (a.type === 'arm-timer' && earliest === undefined ? { type: a.type, timer: a.timer, at: a.at } : a));
    assert.deepEqual(seen, [{ type: 'arm-timer', timer, at, ...(earliest === undefined ? {} : { earliest }) }], `${timer} armed once at ${at}`);
  };
}

/** Check: the step's transition reason. */
export function reason(want: string): Check {
  return (actions, state) => {
    const t = actions.find((a) => a.type === 'transition');
    assert.ok(t !== undefined && t.type === 'transition', 'a transition action');
    assert.equal(t.reason, want);
    assert.equal(state.reason, want);
  };
}

/** Check: the first send-advert action's details. */
export function sends(want: { families?: readonly IpFamily[]; advskew?: number; demote?: number; bowOut?: boolean }): Check {
  return (actions) => {
    const send = actions.find((a) => a.type === 'send-advert');
    assert.ok(send !== undefined && send.type === 'send-advert', 'a send-advert action');
    if (want.families !== undefined) assert.deepEqual(send.families, want.families);
    if (want.advskew !== undefined) assert.equal(send.fields.advskew, want.advskew);
    if (want.demote !== undefined) assert.equal(send.fields.demote, want.demote);
    if (want.bowOut !== undefined) assert.equal(send.bowOut, want.bowOut);
  };
}

/** Check: the step's action types are exactly these, in order. */
export function types(...want: ActionType[]): Check {
  return (actions) => assert.deepEqual(actions.map((a) => a.type), want);
}

/** Check: the state's own field. */
export function stateHas(check: (state: MachineState) => boolean, what: string): Check {
  return (_actions, state) => assert.ok(check(state), what);
}

/** The fake timer table the engine would keep (for CARP's and VRRP's actions alike). */
export class FakeTimers {
  readonly armed = new Map<TimerId, number>();
  /** Where a timer may fire early (arm-timer's earliest), the first moment it may. */
  readonly earliest = new Map<TimerId, number>();
  apply(actions: readonly ActionOf<unknown>[]): void {
    for (const a of actions) {
      if (a.type === 'arm-timer') {
        this.armed.set(a.timer, a.at);
        this.earliest.set(a.timer, a.earliest ?? a.at);
      }
      if (a.type === 'cancel-timer') this.armed.delete(a.timer);
    }
  }
}

/** Runs a scenario's rows, asserting each; returns the final state. */
export function runScenario(scenario: Scenario): MachineState {
  const config = makeConfig(scenario.config);
  const timers = new FakeTimers();
  let state = initialState(0);
  let now = 0;
  scenario.rows.forEach(([at, event, phase, expect, ...more], index) => {
    const where = `row ${index} (t=${at}, ${event.type}${event.type === 'timer' ? ' ' + event.timer : ''})`;
    assert.ok(at >= now, `${where}: time goes backwards`);
    now = at;
    if (event.type === 'timer' && timers.armed.has(event.timer)) {
      const deadline = timers.armed.get(event.timer) as number;
      const earliest = timers.earliest.get(event.timer) ?? deadline;
      // Real timers run late by up to ~1 ms; a row may model that.
      assert.ok(at >= earliest && at <= deadline + 1_000, `${where}: fired within its window [${earliest}, ${deadline}] (+1 ms late)`);
      timers.armed.delete(event.timer);
    }
    const before = state;
    const result = step(config, state, event, at);
    state = result.state;
    timers.apply(result.actions);
    try {
      assert.equal(state.phase, phase, 'phase');
      const checks = typeof expect === 'function' ? [expect, ...more] : [types(...expect), ...more];
      for (const check of checks) check(result.actions, state);
      if (result.actions.length > 0 && result.actions.every((a) => a.type === 'ignored')) assert.equal(state, before, 'ignored leaves the state unchanged');
      checkTimersAgree(config, state, timers);
    } catch (error) {
      if (error instanceof assert.AssertionError) error.message = `${where}: ${error.message}`;
      throw error;
    }
  });
  return state;
}

function checkTimersAgree(config: MachineConfig, state: MachineState, timers: FakeTimers): void {
  if (state.phase === 'init') assert.equal(timers.armed.size, 0, 'no timers armed in INIT');
  if (state.phase === 'master') assert.equal(timers.armed.get('advert'), state.advertDueAt, 'advert timer matches advertDueAt');
  for (const family of config.families) {
    const md = timers.armed.get(masterDownTimer(family));
    assert.equal(md, state.phase === 'backup' ? state.masterDownAt[family] : undefined, `master-down-${family} timer matches the state`);
  }
}
