/**
 * Timed scenario tables for the VRRPv3 state machine (src/fsm/vrrp-step.ts), run on a fake
 * clock, as fsm-scenario.ts does for CARP's. A scenario is a config and rows
 * `[time µs, event, expected phase, expected action types or a check, ...more checks]`. The
 * runner keeps the engine's timer table from the arm-timer / cancel-timer actions and after
 * every row checks that:
 *   - time never goes backwards;
 *   - a timer event for an armed timer arrives within its window (a stale one is passed through
 *     so the machine can show that it ignores it);
 *   - the armed timers agree with the state: Adver_Timer alone while MASTER, Master_Down_Timer
 *     alone while BACKUP, none in Initialize;
 *   - a step whose only action is 'ignored' returns the state unchanged.
 */
import assert from 'node:assert/strict';
import { initialVrrpState, stepVrrp, vrrpMasterDownTimer } from '../../src/fsm/vrrp-step.ts';
import type { TimerId } from '../../src/fsm/machine-types.ts';
import type { VrrpAction, VrrpConfig, VrrpEvent, VrrpState } from '../../src/fsm/vrrp-machine-types.ts';
import { parseIpAddress, type IpFamily } from '../../src/protocol/ip-address.ts';
import { FakeTimers } from './fsm-scenario.ts';

/** An action's type tag. */
export type VrrpActionType = VrrpAction['type'];
/** A check on one step's outcome. */
export type VrrpCheck = (actions: readonly VrrpAction[], state: VrrpState) => void;
/** One row of a scenario table. */
export type VrrpRow = readonly [at: number, event: VrrpEvent, phase: VrrpState['phase'], expect: readonly VrrpActionType[] | VrrpCheck, ...more: VrrpCheck[]];

/** A timed scenario. */
export interface VrrpScenario {
  readonly name: string;
  readonly config?: Partial<VrrpConfig>;
  readonly rows: readonly VrrpRow[];
}

/** RFC defaults for the scenarios: VRID 1, IPv4, priority 100, 100 cs, preempt on, 10.0.0.1. */
export function makeVrrpConfig(overrides: Partial<VrrpConfig> = {}): VrrpConfig {
  return {
    vrid: 1,
    family: 4,
    priority: 100,
    advertIntervalCentis: 100,
    preempt: true,
    acceptMode: false,
    primaryAddress: parseIpAddress(overrides.family === 6 ? 'fe80::1' : '10.0.0.1'),
    ...overrides,
  };
}

export const start: VrrpEvent = { type: 'start' };
export const shutdown: VrrpEvent = { type: 'shutdown' };
export const linkUp: VrrpEvent = { type: 'link-up' };
export const linkDown: VrrpEvent = { type: 'link-down' };
export const resign: VrrpEvent = { type: 'resign', reason: 'claim-failed' };

/** A timer event (the engine delivers it when the armed time is reached). */
export function fire(timer: TimerId): VrrpEvent {
  return { type: 'timer', timer };
}

/** A checked VRRPv3 advert from `source` (IPv4 10.0.0.2 by default; priority 100, 100 cs). */
export function advert(fields: { priority?: number; intervalCentis?: number; source?: string; family?: IpFamily } = {}): VrrpEvent {
  const family = fields.family ?? 4;
  const source = parseIpAddress(fields.source ?? (family === 4 ? '10.0.0.2' : 'fe80::2'));
  return { type: 'advert', advert: { family, source, priority: fields.priority ?? 100, maxAdvertIntervalCentis: fields.intervalCentis ?? 100 } };
}

export function setDemotion(demotion: number): VrrpEvent {
  return { type: 'set-demotion', demotion };
}

export function force(phase: 'master' | 'backup'): VrrpEvent {
  return { type: 'force', phase };
}

/** Check: a timer is armed once for exactly `at` (and, when given, may fire from `earliest`). */
export function arms(timer: TimerId, at: number, earliest?: number): VrrpCheck {
  return (actions) => {
    const armed = actions.filter((a) => a.type === 'arm-timer' && a.timer === timer);
    const seen = armed.map((a) => (a.type === 'arm-timer' && earliest === undefined ? { type: a.type, timer: a.timer, at: a.at } : a));
    assert.deepEqual(seen, [{ type: 'arm-timer', timer, at, ...(earliest === undefined ? {} : { earliest }) }], `${timer} armed once at ${at}`);
  };
}

/** Check: the step's transition reason. */
export function reason(want: string): VrrpCheck {
  return (actions, state) => {
    const t = actions.find((a) => a.type === 'transition');
    assert.ok(t !== undefined && t.type === 'transition', 'a transition action');
    assert.equal(t.reason, want);
    assert.equal(state.reason, want);
  };
}

/** Check: the first send-advert action's details. */
export function sends(want: { families?: readonly IpFamily[]; priority?: number; intervalCentis?: number; bowOut?: boolean }): VrrpCheck {
  return (actions) => {
    const send = actions.find((a) => a.type === 'send-advert');
    assert.ok(send !== undefined && send.type === 'send-advert', 'a send-advert action');
    if (want.families !== undefined) assert.deepEqual(send.families, want.families);
    if (want.priority !== undefined) assert.equal(send.fields.priority, want.priority, 'advertised priority');
    if (want.intervalCentis !== undefined) assert.equal(send.fields.maxAdvertIntervalCentis, want.intervalCentis, 'advertised interval');
    if (want.bowOut !== undefined) assert.equal(send.bowOut, want.bowOut);
  };
}

/** Check: the step's action types are exactly these, in order. */
export function types(...want: VrrpActionType[]): VrrpCheck {
  return (actions) => assert.deepEqual(actions.map((a) => a.type), want);
}

/** Check: a property of the resulting state. */
export function stateHas(check: (state: VrrpState) => boolean, what: string): VrrpCheck {
  return (_actions, state) => assert.ok(check(state), what);
}

/** Runs a scenario's rows, asserting each; returns the final state. */
export function runVrrpScenario(scenario: VrrpScenario): VrrpState {
  const config = makeVrrpConfig(scenario.config);
  const timers = new FakeTimers();
  let state = initialVrrpState(config, 0);
  let now = 0;
  scenario.rows.forEach(([at, event, phase, expect, ...more], index) => {
    const where = `row ${index} (t=${at}, ${event.type}${event.type === 'timer' ? ' ' + event.timer : ''})`;
    assert.ok(at >= now, `${where}: time goes backwards`);
    now = at;
    if (event.type === 'timer' && timers.armed.has(event.timer)) {
      const deadline = timers.armed.get(event.timer) as number;
      const earliest = timers.earliest.get(event.timer) ?? deadline;
      assert.ok(at >= earliest && at <= deadline + 1_000, `${where}: fired within its window [${earliest}, ${deadline}] (+1 ms late)`);
      timers.armed.delete(event.timer);
    }
    const before = state;
    const result = stepVrrp(config, state, event, at);
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

function checkTimersAgree(config: VrrpConfig, state: VrrpState, timers: FakeTimers): void {
  assert.equal(timers.armed.get('advert'), state.phase === 'master' ? state.advertDueAt : undefined, 'Adver_Timer matches the state');
  assert.equal(timers.armed.get(vrrpMasterDownTimer(config)), state.phase === 'backup' ? state.masterDownAt : undefined, 'Master_Down_Timer matches the state');
  if (state.phase === 'init') assert.equal(timers.armed.size, 0, 'no timers armed in Initialize');
}
