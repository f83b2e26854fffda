/**
 * Timed scenario tables for the VRRPv3 state machine (src/protocols/vrrp/vrrp-step.ts), run on a fake
 * clock, as fsm-scenario.ts does for CARP's. A scenario is a config and rows
 * `[time µs, event, expected phase, expected action types or a check, ...more checks]`. The
 * runner (scenario-table.ts runTable, shared with fsm-scenario.ts) keeps the engine's timer
 * table from the arm-timer / cancel-timer actions and after every row checks that:
 *   - time never goes backwards;
 *   - a timer event for an armed timer arrives within its window (a stale one is passed through
 *     so the machine can show that it ignores it);
 *   - the armed timers agree with the state: Adver_Timer alone while MASTER, Master_Down_Timer
 *     alone while BACKUP, none in Initialize;
 *   - a step whose only action is 'ignored' returns the state unchanged.
 */
import assert from 'node:assert/strict';
import { initialVrrpState, stepVrrp, vrrpMasterDownTimer } from '../../src/protocols/vrrp/vrrp-step.ts';
import type { VrrpAction, VrrpConfig, VrrpEvent, VrrpState } from '../../src/protocols/vrrp/vrrp-machine-types.ts';
import { parseIpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import { runTable, type FakeTimers, type StepCheck, type TableRow } from './scenario-table.ts';

export { arms, armsExactly, fire, force, linkDown, linkUp, reason, runsScript, setDemotion, shutdown, start, types } from './scenario-table.ts';

/** An action's type tag. */
export type VrrpActionType = VrrpAction['type'];
/** A check on one step's outcome. */
export type VrrpCheck = StepCheck<VrrpAction, VrrpState>;
/** One row of a scenario table. */
export type VrrpRow = TableRow<VrrpEvent, VrrpState, VrrpAction>;

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

export const resign: VrrpEvent = { type: 'resign', reason: 'claim-failed' };

/** A checked VRRPv3 advert from `source` (IPv4 10.0.0.2 by default; priority 100, 100 cs). */
export function advert(fields: { priority?: number; intervalCentis?: number; source?: string; family?: IpFamily } = {}): VrrpEvent {
  const family = fields.family ?? 4;
  const source = parseIpAddress(fields.source ?? (family === 4 ? '10.0.0.2' : 'fe80::2'));
  return { type: 'advert', advert: { family, source, priority: fields.priority ?? 100, maxAdvertIntervalCentis: fields.intervalCentis ?? 100 } };
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

/** Check: a property of the resulting state. */
export function stateHas(check: (state: VrrpState) => boolean, what: string): VrrpCheck {
  return (_actions, state) => assert.ok(check(state), what);
}

/** Runs a scenario's rows, asserting each; returns the final state. */
export function runVrrpScenario(scenario: VrrpScenario): VrrpState {
  const config = makeVrrpConfig(scenario.config);
  return runTable<VrrpEvent, VrrpState, VrrpAction>({ step: (state, event, now) => stepVrrp(config, state, event, now), timersAgree: (state, timers) => checkTimersAgree(config, state, timers) }, initialVrrpState(config, 0), scenario.rows);
}

function checkTimersAgree(config: VrrpConfig, state: VrrpState, timers: FakeTimers): void {
  assert.equal(timers.armed.get('advert'), state.phase === 'master' ? state.advertDueAt : undefined, 'Adver_Timer matches the state');
  assert.equal(timers.armed.get(vrrpMasterDownTimer(config)), state.phase === 'backup' ? state.masterDownAt : undefined, 'Master_Down_Timer matches the state');
  if (state.phase === 'init') assert.equal(timers.armed.size, 0, 'no timers armed in Initialize');
}
