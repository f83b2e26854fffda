/**
 * What the timed scenario tables of CARP's machine (fsm-scenario.ts) and VRRPv3's
 * (vrrp-scenario.ts) share, since both machines take events and emit actions of the same shapes
 * (machine-types.ts EventOf, ActionOf): the events that carry no advert, the checks that read
 * only those shapes and the lifecycle state, the engine's timer table, and the row runner with
 * the invariants it checks after every row:
 *   - time never goes backwards;
 *   - a timer event for an armed timer arrives within its window (a stale one is passed through
 *     so the machine can show that it ignores it);
 *   - the armed timers agree with the state (the caller's check, per machine);
 *   - a step whose only action is 'ignored' returns the state unchanged.
 */
import assert from 'node:assert/strict';
import type { ActionOf, EventOf, MachineLifecycle, Phase, TimerId } from '../../src/fsm/machine-types.ts';

/** An event either machine takes: every one but a received advert. */
export type CommonEvent = Exclude<EventOf<unknown>, { readonly type: 'advert' }>;

/** A check on one step's outcome that reads only what both machines share. */
export type CommonCheck = (actions: readonly ActionOf<unknown>[], state: MachineLifecycle) => void;

/** A check on one step's outcome. */
export type StepCheck<Action, State> = (actions: readonly Action[], state: State) => void;

/** One row of a scenario table: `[time µs, event, expected phase, expected action types or a check, ...more checks]`. */
export type TableRow<Event, State, Action extends { readonly type: string }> = readonly [
  at: number,
  event: Event,
  phase: Phase,
  expect: readonly Action['type'][] | StepCheck<Action, State>,
  ...more: StepCheck<Action, State>[],
];

export const start: CommonEvent = { type: 'start' };
export const shutdown: CommonEvent = { type: 'shutdown' };
export const linkUp: CommonEvent = { type: 'link-up' };
export const linkDown: CommonEvent = { type: 'link-down' };

/** A timer event (the engine delivers it when the armed time is reached). */
/** A timer fires; with `wakeupAt`, in the wakeup planned for that deadline (another timer's, when earlier). */
export function fire(timer: TimerId, wakeupAt?: number): CommonEvent {
  return wakeupAt === undefined ? { type: 'timer', timer } : { type: 'timer', timer, wakeupAt };
}

export function setDemotion(demotion: number): CommonEvent {
  return { type: 'set-demotion', demotion };
}

export function force(phase: 'master' | 'backup'): CommonEvent {
  return { type: 'force', phase };
}

/**
 * Check: a timer is armed once for exactly `at`; with `earliest`, also that it may fire from then
 * on (a new master's first periodic advert, intervals.ts firstAdvertSlackMicros; without it, not
 * checked: armsExactly checks there is no window).
 */
export function arms(timer: TimerId, at: number, earliest?: number): CommonCheck {
  return (actions) => {
    const armed = actions.filter((a) => a.type === 'arm-timer' && a.timer === timer);
    const seen = armed.map((a) => (a.type === 'arm-timer' && earliest === undefined ? { type: a.type, timer: a.timer, at: a.at } : a));
    assert.deepEqual(seen, [{ type: 'arm-timer', timer, at, ...(earliest === undefined ? {} : { earliest }) }], `${timer} armed once at ${at}`);
  };
}

/** Check: a timer is armed once for exactly `at`, with no early window. */
export function armsExactly(timer: TimerId, at: number): CommonCheck {
  return (actions) => {
    const armed = actions.filter((a) => a.type === 'arm-timer' && a.timer === timer);
    assert.deepEqual(armed, [{ type: 'arm-timer', timer, at }], `${timer} armed once at ${at}, no early window`);
  };
}

/** Check: the step runs exactly one script, for `phase` after `previous`, carrying the transition's `reason`. */
export function runsScript(phase: 'master' | 'backup' | 'stop', previous: Phase, reason: string): CommonCheck {
  return (actions) => {
    const runs = actions.filter((a) => a.type === 'run-script');
    assert.deepEqual(runs, [{ type: 'run-script', phase, previous, reason }]);
  };
}

/** Check: the step's transition reason. */
export function reason(want: string): CommonCheck {
  return (actions, state) => {
    const t = actions.find((a) => a.type === 'transition');
    assert.ok(t !== undefined && t.type === 'transition', 'a transition action');
    assert.equal(t.reason, want);
    assert.equal(state.reason, want);
  };
}

/** Check: the step's action types are exactly these, in order. */
export function types(...want: ActionOf<unknown>['type'][]): CommonCheck {
  return (actions) => assert.deepEqual(actions.map((a) => a.type), want);
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

/** One machine as the runner drives it: its step with the config bound, and its timer invariant. */
export interface TableMachine<Event, State, Action> {
  step(state: State, event: Event, now: number): { readonly state: State; readonly actions: readonly Action[] };
  /** Asserts that the armed timers agree with the state. */
  timersAgree(state: State, timers: FakeTimers): void;
}

/** Runs a scenario's rows from `initial`, asserting each; returns the final state. */
export function runTable<Event extends EventOf<unknown>, State extends MachineLifecycle, Action extends ActionOf<unknown>>(
  machine: TableMachine<Event, State, Action>,
  initial: State,
  rows: readonly TableRow<Event, State, Action>[],
): State {
  const timers = new FakeTimers();
  let state = initial;
  let now = 0;
  rows.forEach(([at, event, phase, expect, ...more], index) => {
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
    const result = machine.step(state, event, at);
    state = result.state;
    timers.apply(result.actions);
    try {
      assert.equal(state.phase, phase, 'phase');
      const checks: StepCheck<Action, State>[] = typeof expect === 'function' ? [expect, ...more] : [types(...expect), ...more];
      for (const check of checks) check(result.actions, state);
      if (result.actions.length > 0 && result.actions.every((a) => a.type === 'ignored')) assert.equal(state, before, 'ignored leaves the state unchanged');
      machine.timersAgree(state, timers);
    } catch (error) {
      if (error instanceof assert.AssertionError) error.message = `${where}: ${error.message}`;
      throw error;
    }
  });
  return state;
}
