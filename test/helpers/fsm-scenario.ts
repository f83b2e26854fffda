/**
 * Timed scenario tables for the per-vhid state machine (src/protocols/carp/carp-step.ts), run on a fake clock.
 *
 * A scenario is a config and rows `[time µs, event, expected phase, expected action types or a
 * check, ...more checks]`. The runner (scenario-table.ts runTable, shared with vrrp-scenario.ts)
 * keeps a fake timer table from the arm-timer / cancel-timer actions, as the engine does, and
 * after every row checks that:
 *   - time never goes backwards;
 *   - a timer event for an armed timer arrives exactly when it was armed for (a stale one is
 *     passed through so the machine can show that it ignores it);
 *   - the machine's own deadlines agree with the armed timers, and INIT has none armed;
 *   - a step whose only action is 'ignored' returns the state unchanged.
 */
import assert from 'node:assert/strict';
import { initialState, masterDownTimer, step } from '../../src/protocols/carp/carp-step.ts';
import type { AdvertReceived, MachineAction, MachineConfig, MachineEvent, MachineState } from '../../src/protocols/carp/carp-machine-types.ts';
import { parseIpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import { runTable, type FakeTimers, type StepCheck, type TableRow } from './scenario-table.ts';

export { arms, armsExactly, fire, force, linkDown, linkUp, reason, runsScript, setDemotion, shutdown, start, types, FakeTimers } from './scenario-table.ts';

/** One second in µs. */
export const S = 1_000_000;

/** An action's type tag. */
export type ActionType = MachineAction['type'];
/** A check on one step's outcome. */
export type Check = StepCheck<MachineAction, MachineState>;
/** One row of a scenario table. */
export type Row = TableRow<MachineEvent, MachineState, MachineAction>;

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

/** An authenticated advert from `source` (IPv4 by default). */
export function advert(fields: { advbase?: number; advskew?: number; demote?: number; source?: string; family?: IpFamily } = {}): MachineEvent {
  const family = fields.family ?? 4;
  const source = parseIpAddress(fields.source ?? (family === 4 ? '10.0.0.2' : 'fe80::2'));
  const a: AdvertReceived = { family, source, advbase: fields.advbase ?? 1, advskew: fields.advskew ?? 0, demote: fields.demote ?? 0 };
  return { type: 'advert', advert: a };
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

/** Check: the state's own field. */
export function stateHas(check: (state: MachineState) => boolean, what: string): Check {
  return (_actions, state) => assert.ok(check(state), what);
}

/** Runs a scenario's rows, asserting each; returns the final state. */
export function runScenario(scenario: Scenario): MachineState {
  const config = makeConfig(scenario.config);
  return runTable<MachineEvent, MachineState, MachineAction>({ step: (state, event, now) => step(config, state, event, now), timersAgree: (state, timers) => checkTimersAgree(config, state, timers) }, initialState(0), scenario.rows);
}

function checkTimersAgree(config: MachineConfig, state: MachineState, timers: FakeTimers): void {
  if (state.phase === 'init') assert.equal(timers.armed.size, 0, 'no timers armed in INIT');
  if (state.phase === 'master') assert.equal(timers.armed.get('advert'), state.advertDueAt, 'advert timer matches advertDueAt');
  for (const family of config.families) {
    const md = timers.armed.get(masterDownTimer(family));
    assert.equal(md, state.phase === 'backup' ? state.masterDownAt[family] : undefined, `master-down-${family} timer matches the state`);
  }
}
