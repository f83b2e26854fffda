/**
 * Issue 19 item 8: a dual-stack group whose master's adverts are lost in one family only (IPv6
 * protocol 112 filtered) took over and stepped down once per master-down interval, for as long as
 * the loss lasted. The machine now takes over only when the master is silent in every family it
 * advertises in (src/fsm/silent-family.ts, docs/state-machine.md "Dual-stack groups").
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initialState, step } from '../../src/protocols/carp/carp-step.ts';
import type { TimerId } from '../../src/fsm/machine-types.ts';
import type { MachineAction, MachineConfig, MachineEvent, MachineState } from '../../src/protocols/carp/carp-machine-types.ts';
import type { IpFamily } from '../../src/wire/ip-address.ts';
import { S, advert, arms, fire, force, linkDown, makeConfig, reason, runScenario, start, stateHas, type Row, type Scenario } from '../helpers/fsm-scenario.ts';

const md = 3 * S; // master-down of the default config (openbsd, advbase 1, advskew 0)
const DUAL_BACKUP = ['cancel-timer', 'arm-timer', 'arm-timer', 'run-script', 'transition'] as const;
const DUAL_MASTER = ['cancel-timer', 'cancel-timer', 'send-advert', 'add-addresses', 'announce', 'arm-timer', 'run-script', 'transition'] as const;

/** An IPv4 advert from the master every second from `from` to `to` (inclusive). */
function ipv4Adverts(from: number, to: number): Row[] {
  const rows: Row[] = [];
  for (let t = from; t <= to; t += S) rows.push([t, advert({ family: 4 }), 'backup', ['arm-timer'], arms('master-down-4', t + md)]);
  return rows;
}

const silent = (family: IpFamily, since: number) => stateHas((s) => s.silentFamilies?.[family] === since, `IPv${family} silent since ${since}`);
const noneSilent = stateHas((s) => s.silentFamilies === undefined, 'no family silent');
const silentAction = (family: IpFamily, heardIn: IpFamily[]) => (actions: readonly MachineAction[]) =>
  assert.deepEqual(actions, [{ type: 'family-silent', family, heardIn, silentForMicros: md }]);

const scenarios: Scenario[] = [
  {
    name: 'IPv6 adverts lost, IPv4 arriving for 30 s: BACKUP throughout, IPv6 named silent once; MASTER one master-down after the last IPv4 advert',
    config: { families: [4, 6] },
    rows: [
      [0, start, 'backup', [...DUAL_BACKUP]],
      ...ipv4Adverts(S, 2 * S),
      [md, fire('master-down-6'), 'backup', silentAction(6, [4]), silent(6, 0)],
      // Nothing more about IPv6 while IPv4 arrives: the timer is not re-armed, so no repetition.
      ...ipv4Adverts(3 * S, 30 * S),
      [30 * S + md, fire('master-down-4'), 'master', [...DUAL_MASTER], reason('master-down-timeout'), noneSilent],
    ],
  },
  {
    name: 'IPv4 adverts lost, IPv6 arriving: the same, the other way round',
    config: { families: [4, 6] },
    rows: [
      [0, start, 'backup', [...DUAL_BACKUP]],
      [S, advert({ family: 6 }), 'backup', ['arm-timer'], arms('master-down-6', S + md)],
      [2 * S, advert({ family: 6 }), 'backup', ['arm-timer']],
      [md, fire('master-down-4'), 'backup', silentAction(4, [6]), silent(4, 0)],
      [4 * S, advert({ family: 6 }), 'backup', ['arm-timer']],
      [4 * S + md, fire('master-down-6'), 'master', [...DUAL_MASTER], reason('master-down-timeout')],
    ],
  },
  {
    name: 'the family comes back: named once, its timer re-armed; lost again later: named silent again',
    config: { families: [4, 6] },
    rows: [
      [0, start, 'backup', [...DUAL_BACKUP]],
      ...ipv4Adverts(S, 2 * S),
      [md, fire('master-down-6'), 'backup', ['family-silent']],
      [md + 500_000, advert({ family: 6 }), 'backup', (actions) => {
        assert.deepEqual(actions[0], { type: 'family-heard-again', family: 6, silentForMicros: md + 500_000 });
        assert.deepEqual(actions.slice(1), [{ type: 'arm-timer', timer: 'master-down-6', at: 2 * md + 500_000 }]);
      }, noneSilent],
      [md + S, advert({ family: 6 }), 'backup', ['arm-timer']], // no second "heard again"
      ...ipv4Adverts(md + S, md + 4 * S),
      [2 * md + S, fire('master-down-6'), 'backup', silentAction(6, [4]), silent(6, md + S)],
    ],
  },
  {
    name: 'a master that advertises in IPv4 only (a single-family peer): BACKUP while it is heard, MASTER when it stops',
    config: { families: [4, 6] },
    rows: [
      [0, start, 'backup', [...DUAL_BACKUP]],
      ...ipv4Adverts(500_000, 2_500_000),
      [md, fire('master-down-6'), 'backup', ['family-silent']],
      ...ipv4Adverts(3_500_000, 9_500_000),
      [9_500_000 + md, fire('master-down-4'), 'master', [...DUAL_MASTER], reason('master-down-timeout')],
    ],
  },
  {
    name: 'first start with no master at all: MASTER at the first master-down expiry (both expire together)',
    config: { families: [4, 6] },
    rows: [
      [0, start, 'backup', [...DUAL_BACKUP]],
      [md, fire('master-down-4'), 'master', [...DUAL_MASTER], reason('master-down-timeout')],
    ],
  },
  {
    name: 'first start, no master, the timers delivered in the other order: still MASTER at once',
    config: { families: [4, 6] },
    rows: [
      [0, start, 'backup', [...DUAL_BACKUP]],
      [md, fire('master-down-6'), 'master', [...DUAL_MASTER], reason('master-down-timeout')],
    ],
  },
  {
    name: 'a single-family group is unchanged: MASTER when its one timer expires',
    rows: [
      [0, start, 'backup', ['cancel-timer', 'arm-timer', 'run-script', 'transition']],
      [S, advert(), 'backup', ['arm-timer']],
      [S + md, fire('master-down-4'), 'master', (a) => assert.ok(a.some((x) => x.type === 'add-addresses')), reason('master-down-timeout')],
    ],
  },
  {
    name: 'IPv6 silent, then the master bows out over IPv4: MASTER after the own skew time, as in a single-family group',
    config: { families: [4, 6], advskew: 64 }, // skew time 250 ms, master-down 3.75 s
    rows: [
      [0, start, 'backup', [...DUAL_BACKUP]],
      [S, advert({ family: 4 }), 'backup', ['arm-timer']],
      [3_750_000, fire('master-down-6'), 'backup', ['family-silent']],
      [4 * S, advert({ family: 4, advbase: 255, advskew: 255 }), 'backup', ['arm-timer', 'arm-timer'], arms('master-down-4', 4_250_000), arms('master-down-6', 4_250_000)],
      [4_250_000, fire('master-down-4'), 'master', (a) => assert.ok(a.some((x) => x.type === 'add-addresses')), reason('master-bowed-out'), noneSilent],
    ],
  },
  {
    name: 'IPv6 silent, then the master is demoted below us (IPv4 advert): MASTER after the own skew time',
    config: { families: [4, 6], advskew: 64, preempt: true },
    rows: [
      [0, start, 'backup', [...DUAL_BACKUP]],
      [S, advert({ family: 4 }), 'backup', ['arm-timer']],
      [3_750_000, fire('master-down-6'), 'backup', ['family-silent']],
      [4 * S, advert({ family: 4, advskew: 100 }), 'backup', ['arm-timer', 'arm-timer']],
      [4_250_000, fire('master-down-6'), 'master', (a) => assert.ok(a.some((x) => x.type === 'add-addresses')), reason('preempting-worse-master')],
    ],
  },
  {
    name: 'after a bow-out, a new master heard in IPv4 first re-arms both families: its IPv6 advert a moment later is not a silence',
    config: { families: [4, 6], advskew: 64 },
    rows: [
      [0, start, 'backup', [...DUAL_BACKUP]],
      [S, advert({ family: 4, advbase: 255, advskew: 255 }), 'backup', ['arm-timer', 'arm-timer']],
      [S + 100_000, advert({ family: 4, source: '10.0.0.3' }), 'backup', ['arm-timer', 'arm-timer'], arms('master-down-6', S + 100_000 + 3_750_000)],
      [S + 200_000, advert({ family: 6, source: 'fe80::3' }), 'backup', ['arm-timer']],
    ],
  },
  {
    name: 'a transition forgets the silent family (link down, forced MASTER)',
    config: { families: [4, 6] },
    rows: [
      [0, start, 'backup', [...DUAL_BACKUP]],
      ...ipv4Adverts(S, 2 * S),
      [md, fire('master-down-6'), 'backup', ['family-silent'], silent(6, 0)],
      [md + 1, force('master'), 'master', [...DUAL_MASTER], noneSilent],
      [md + 2, force('backup'), 'backup', (a) => assert.ok(a.some((x) => x.type === 'transition')), noneSilent],
      ...ipv4Adverts(md + S, md + 2 * S),
      [2 * md + 2, fire('master-down-6'), 'backup', ['family-silent']],
      [2 * md + 3, linkDown, 'init', (a) => assert.ok(a.some((x) => x.type === 'transition')), noneSilent],
    ],
  },
  {
    name: 'a stale IPv6 timer event after the family fell silent is ignored',
    config: { families: [4, 6] },
    rows: [
      [0, start, 'backup', [...DUAL_BACKUP]],
      ...ipv4Adverts(S, 2 * S),
      [md, fire('master-down-6'), 'backup', ['family-silent']],
      [md + 1, fire('master-down-6'), 'backup', ['ignored']],
    ],
  },
];

describe('dual-stack group, one family silent (issue 19 item 8)', () => {
  for (const s of scenarios) it(s.name, () => void runScenario(s));
});

/**
 * Drives one machine against a master that sends an advert every second in each family unless
 * lost; fires timers exactly when due, as the engine does. Returns the transitions seen.
 */
function drive(config: MachineConfig, seconds: readonly (readonly IpFamily[])[], until: number): { transitions: { at: number; to: string }[]; state: MachineState } {
  let state = initialState(0);
  const armed = new Map<TimerId, number>();
  const transitions: { at: number; to: string }[] = [];
  const apply = (event: MachineEvent, now: number): void => {
    const result = step(config, state, event, now);
    state = result.state;
    for (const a of result.actions) {
      if (a.type === 'arm-timer') armed.set(a.timer, a.at);
      if (a.type === 'cancel-timer') armed.delete(a.timer);
      if (a.type === 'transition') transitions.push({ at: now, to: a.to });
    }
  };
  const runTimersUntil = (t: number): void => {
    for (;;) {
      const due = [...armed].filter(([, at]) => at <= t).sort((a, b) => a[1] - b[1])[0];
      if (due === undefined) return;
      armed.delete(due[0]);
      apply({ type: 'timer', timer: due[0] }, due[1]);
    }
  };
  apply({ type: 'start' }, 0);
  seconds.forEach((delivered, i) => {
    const t = (i + 1) * S;
    runTimersUntil(t);
    if (state.phase === 'master') return;
    for (const family of delivered) apply(advert({ family }), t);
  });
  runTimersUntil(until);
  return { transitions, state };
}

describe('dual-stack group: properties (issue 19 item 8)', () => {
  const config = makeConfig({ families: [4, 6] });
  // Each second the master's advert arrives in IPv4, in IPv6, or in both: never in neither.
  const alive = fc.array(fc.constantFrom<IpFamily[]>([4], [6], [4, 6]), { minLength: 1, maxLength: 90 });

  it('property: a master heard every second in at least one family is never taken over from', () => {
    fc.assert(
      fc.property(alive, (seconds) => {
        const { transitions } = drive(config, seconds, seconds.length * S + S);
        assert.deepEqual(transitions.map((t) => t.to), ['backup'], 'only the start-up transition');
      }),
      { numRuns: 300 },
    );
  });

  it('property: once the master is silent in every family, MASTER exactly one master-down interval after its last advert', () => {
    fc.assert(
      fc.property(alive, (seconds) => {
        const last = seconds.length * S;
        const { transitions, state } = drive(config, seconds, last + 2 * md);
        assert.deepEqual(transitions, [{ at: 0, to: 'backup' }, { at: last + md, to: 'master' }]);
        assert.equal(state.phase, 'master');
      }),
      { numRuns: 300 },
    );
  });

  it('property: whatever the loss pattern (including seconds lost in both families), MASTER is only entered after a master-down interval with no advert in any family', () => {
    const any = fc.array(fc.constantFrom<IpFamily[]>([], [4], [6], [4, 6]), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(any, (seconds) => {
        const { transitions } = drive(config, seconds, seconds.length * S + 2 * md);
        const becameMaster = transitions.find((t) => t.to === 'master');
        assert.ok(becameMaster !== undefined, 'MASTER once the adverts stop');
        let lastHeard = 0;
        seconds.forEach((delivered, i) => {
          if (delivered.length > 0 && (i + 1) * S < becameMaster.at) lastHeard = (i + 1) * S;
        });
        assert.equal(becameMaster.at, lastHeard + md, 'MASTER exactly one master-down after the last advert in any family');
      }),
      { numRuns: 300 },
    );
  });
});
