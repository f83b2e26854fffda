import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initialState, step } from '../../src/protocols/carp/carp-step.ts';
import type { TimerId } from '../../src/fsm/machine-types.ts';
import type { MachineConfig, MachineEvent, MachineState } from '../../src/protocols/carp/carp-machine-types.ts';
import { parseIpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import {
  S,
  advert,
  arms,
  armsExactly,
  fire,
  force,
  linkDown,
  linkUp,
  makeConfig,
  reason,
  runsScript,
  runScenario,
  sends,
  setDemotion,
  shutdown,
  start,
  stateHas,
  type Row,
  type Scenario,
} from '../helpers/fsm-scenario.ts';

const md = 3 * S; // master-down of the default config (openbsd, 1/0)
const BACKUP_ENTRY = ['cancel-timer', 'arm-timer', 'run-script', 'transition'] as const;
const MASTER_ENTRY = ['cancel-timer', 'send-advert', 'add-addresses', 'announce', 'arm-timer', 'run-script', 'transition'] as const;
const YIELD = ['cancel-timer', 'arm-timer', 'remove-addresses', 'run-script', 'transition'] as const;

/** start at 0, master-down at 3 s: the default config is MASTER from t = 3 s. */
const toMaster: Row[] = [
  [0, start, 'backup', [...BACKUP_ENTRY]],
  [md, fire('master-down-4'), 'master', [...MASTER_ENTRY]],
];

const scenarios: Scenario[] = [
  // --- start and master-down, per formula (advbase 1, advskew 50: skew 195312 µs) ---
  ...(
    [
      ['openbsd', 3, 3 * (S + 195_312)],
      ['freebsd', 3, 3 * S + 195_312],
      ['ucarp', 4, 4 * S + 195_312],
    ] as const
  ).map(([formula, deadRatio, wait]): Scenario => ({
    name: `start (${formula}): BACKUP with master-down armed at now + ${wait} µs`,
    config: { advskew: 50, masterDownFormula: formula, deadRatio },
    rows: [
      [1000, start, 'backup', [...BACKUP_ENTRY], arms('master-down-4', 1000 + wait), reason('started')],
      [1000 + wait, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-down-timeout')],
    ],
  })),
  {
    // Issue 19 item 8: master-down-6 expiring while the master is heard over IPv4 is no takeover
    // (silent-family.ts; test/fsm/silent-family.scenarios.test.ts); silence in both families is.
    name: 'dual stack: two master-down timers; an IPv4 advert re-arms only master-down-4; MASTER when both expired',
    config: { families: [4, 6] },
    rows: [
      [0, start, 'backup', ['cancel-timer', 'arm-timer', 'arm-timer', 'run-script', 'transition'], arms('master-down-4', md), arms('master-down-6', md)],
      [S, advert({ family: 4 }), 'backup', ['arm-timer'], arms('master-down-4', S + md)],
      [2 * S, advert({ family: 4 }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + md)],
      [md, fire('master-down-6'), 'backup', ['family-silent']],
      [2 * S + md, fire('master-down-4'), 'master', ['cancel-timer', 'cancel-timer', ...MASTER_ENTRY.slice(1)], sends({ families: [4, 6] }), reason('master-down-timeout')],
    ],
  },
  {
    name: 'dual stack: an IPv6 advert re-arms only master-down-6',
    config: { families: [4, 6] },
    rows: [
      [0, start, 'backup', (actions) => assert.equal(actions.length, 5)],
      [S, advert({ family: 6 }), 'backup', ['arm-timer'], arms('master-down-6', S + md)],
      [md, fire('master-down-4'), 'backup', ['family-silent']],
      [S + md, fire('master-down-6'), 'master', (actions) => assert.ok(actions.some((a) => a.type === 'send-advert'))],
    ],
  },
  {
    name: 'master-down: MASTER with advert, addresses, announce, advert timer, master script, transition in order',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [md, fire('master-down-4'), 'master', (actions) => {
        assert.deepEqual(actions, [
          { type: 'cancel-timer', timer: 'master-down-4' },
          { type: 'send-advert', families: [4], fields: { advbase: 1, advskew: 0, demote: 0 }, bowOut: false },
          { type: 'add-addresses' },
          { type: 'announce' },
          // The first may go up to 1/8 interval early (firstAdvertSlackMicros) to join a wakeup.
          { type: 'arm-timer', timer: 'advert', at: md + S, earliest: md + S - 125_000 },
          { type: 'run-script', phase: 'master', previous: 'backup', reason: 'master-down-timeout' },
          { type: 'transition', from: 'backup', to: 'master', reason: 'master-down-timeout' },
        ]);
      }],
    ],
  },
  {
    name: 'master: periodic adverts on schedule, the delayed announcement after exactly 2 further adverts',
    config: { advskew: 128 }, // interval 1.5 s, master-down 4.5 s
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY], arms('master-down-4', 4_500_000)],
      [4_500_000, fire('master-down-4'), 'master', [...MASTER_ENTRY], arms('advert', 6_000_000)],
      [6_000_000, fire('advert'), 'master', ['send-advert', 'arm-timer'], armsExactly('advert', 7_500_000)],
      [7_500_000, fire('advert'), 'master', ['send-advert', 'announce', 'arm-timer'], arms('advert', 9_000_000)],
      [9_000_000, fire('advert'), 'master', ['send-advert', 'arm-timer'], arms('advert', 10_500_000)],
      [10_500_000, fire('advert'), 'master', ['send-advert', 'arm-timer']],
    ],
  },
  {
    name: 'master: yields to a better advert (lower advskew)',
    config: { advskew: 100 },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [3 * (S + 390_625), fire('master-down-4'), 'master', [...MASTER_ENTRY]],
      [5 * S, advert({ advskew: 50 }), 'backup', ['send-advert', ...YIELD], reason('outranked-by-peer'), arms('master-down-4', 5 * S + 3 * (S + 390_625)),
        stateHas((s) => s.lastHeardMaster?.address.text === '10.0.0.2', 'remembers the new master')],
    ],
  },
  {
    name: 'master: yields to a lower demote even with worse timing',
    rows: [
      ...toMaster,
      [md + 1, setDemotion(2), 'master', ['send-advert'], sends({ demote: 2, advskew: 2 })],
      [md + 2, advert({ advbase: 5, advskew: 200, demote: 1 }), 'backup', ['send-advert', ...YIELD], reason('outranked-by-peer')],
    ],
  },
  {
    name: 'master: stays on a worse advert and answers at once in that family only',
    config: { families: [4, 6] },
    rows: [
      [0, start, 'backup', (a) => assert.equal(a.length, 5)],
      [md, fire('master-down-4'), 'master', (a) => assert.ok(a.some((x) => x.type === 'add-addresses'))],
      [md + 10, advert({ family: 6, advskew: 1 }), 'master', ['send-advert', 'announce'], sends({ families: [6], bowOut: false })],
      [md + 20, advert({ family: 4, advbase: 2 }), 'master', ['send-advert'], sends({ families: [4] })],
    ],
  },
  {
    // Issue 19 item 1: after a dual master the loser yields, but clients with `vmac: false`
    // follow its MAC unless the winner re-announces (rival-master.ts).
    name: 'another master heard: answer + announce (no script within the first interval of the spell), later the master script once; within the interval no announce; the next advert repeats it',
    rows: [
      ...toMaster,
      // Within the spell's first interval: the master we just replaced, stepping down; no script.
      [md + 10, advert({ advskew: 10 }), 'master', ['send-advert', 'announce']],
      [md + 20, advert({ advskew: 10 }), 'master', ['send-advert']],
      [4 * S, fire('advert'), 'master', ['send-advert', 'announce', 'arm-timer']],
      // One interval into the spell: another master really is there; the script runs, once.
      [4 * S + 500, advert({ advskew: 10 }), 'master', ['send-advert', 'run-script'], runsScript('master', 'master', 'another-master-heard')],
      // The delayed announcement of the spell (sc_delayed_arp) and the pending one are one.
      [5 * S, fire('advert'), 'master', ['send-advert', 'announce', 'arm-timer']],
      [6 * S, fire('advert'), 'master', ['send-advert', 'arm-timer']],
      [6 * S + 10, advert({ advskew: 10 }), 'master', ['send-advert', 'announce']],
      [6 * S + 500, advert({ advskew: 10 }), 'master', ['send-advert']],
      [6 * S + 20 + S, advert({ advskew: 10 }), 'master', ['send-advert', 'announce']],
    ],
  },
  {
    name: 'tie rule: master 10.99.1.2 yields to 10.99.2.1 (ucarp, observed on the wire)',
    config: { sourceAddresses: { 4: parseIpAddress('10.99.1.2') } },
    rows: [...toMaster, [md + 1, advert({ source: '10.99.2.1' }), 'backup', ['send-advert', ...YIELD], reason('outranked-by-peer')]],
  },
  {
    name: 'tie rule: master 10.99.2.1 stays against 10.99.1.2 and answers',
    config: { sourceAddresses: { 4: parseIpAddress('10.99.2.1') } },
    rows: [...toMaster, [md + 1, advert({ source: '10.99.1.2' }), 'master', ['send-advert', 'announce']]],
  },
  {
    name: 'tie rule: master with no source address stays on an exact tie without answering',
    config: { sourceAddresses: {} },
    rows: [...toMaster, [md + 1, advert({ source: '10.99.1.2' }), 'master', ['ignored']]],
  },
  {
    name: 'backup, preempt on: takes over from a strictly worse master',
    config: { preempt: true },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ advskew: 100 }), 'master', [...MASTER_ENTRY], reason('preempting-worse-master')],
    ],
  },
  {
    name: 'backup, preempt off: keeps waiting behind a worse master',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ advskew: 100 }), 'backup', ['arm-timer'], arms('master-down-4', S + md)],
    ],
  },
  {
    name: 'backup, preempt on: no takeover from a better or exactly tied master',
    config: { preempt: true, advskew: 100, sourceAddresses: {} },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ advskew: 50 }), 'backup', ['arm-timer']],
      [2 * S, advert({ advskew: 100 }), 'backup', ['arm-timer']],
    ],
  },
  {
    name: 'backup: takes over from a more demoted master, even without preempt, after its own skew time',
    config: { advskew: 100 },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      // skew 100: 100/256 s = 390.625 ms, so that a better backup (smaller skew) goes first.
      [S, advert({ advskew: 0, demote: 1 }), 'backup', ['arm-timer'], arms('master-down-4', S + 390_625)],
      [S + 390_625, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-more-demoted')],
    ],
  },
  {
    name: 'backup: preempt_delay: no preemption within the delay of start-up, then as usual; a missing master is still replaced',
    config: { preempt: true, preemptDelayMicros: 30 * S },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY], stateHas((st) => st.preemptAfter === 30 * S, 'preemption allowed from 30 s')],
      // A worse master (skew 100 vs our 0) within the delay: followed, not preempted.
      [S, advert({ advskew: 100 }), 'backup', ['arm-timer']],
      [29 * S, advert({ advskew: 100 }), 'backup', ['arm-timer']],
      // After the delay the next worse advert preempts (skew 0: at once).
      [30 * S, advert({ advskew: 100 }), 'master', [...MASTER_ENTRY], reason('preempting-worse-master')],
    ],
  },
  {
    name: 'backup: preempt_delay does not hold back a takeover when the master goes silent',
    config: { preempt: true, preemptDelayMicros: 30 * S },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [md, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-down-timeout')],
    ],
  },
  {
    name: 'backup: a pending takeover is called off by a better master heard first, on every family',
    config: { advskew: 100, families: [4, 6], preempt: true },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY.slice(0, 1), 'arm-timer', 'arm-timer', ...BACKUP_ENTRY.slice(2)]],
      // The master (skew 0) is demoted to skew 150: worse than our 100.
      [S, advert({ advskew: 150, family: 4 }), 'backup', ['arm-timer', 'arm-timer'], arms('master-down-4', S + 390_625), arms('master-down-6', S + 390_625)],
      // Its next worse advert does not push the deadline back.
      [S + 100_000, advert({ advskew: 150, family: 4 }), 'backup', []],
      // A better backup (skew 50) took over first: its IPv4 advert calls ours off on both families.
      [S + 200_000, advert({ advskew: 50, family: 4 }), 'backup', ['arm-timer', 'arm-timer'],
        stateHas((st) => st.takeover === undefined, 'no takeover pending')],
    ],
  },
  {
    name: 'backup: master advbase 4 vs own advbase 1 will time out, so MASTER at once',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ advbase: 4 }), 'master', [...MASTER_ENTRY], reason('master-will-time-out')],
    ],
  },
  {
    name: 'backup: master advbase 3 vs own advbase 1 is not guaranteed to time out',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ advbase: 3 }), 'backup', ['arm-timer']],
    ],
  },
  {
    name: 'backup: bow-out re-arms master-down to own skew time, then MASTER when it fires',
    config: { advskew: 64, families: [4, 6] }, // skew time 250 ms
    rows: [
      [0, start, 'backup', (a) => assert.equal(a.length, 5)],
      [S, advert({ advbase: 255, advskew: 255 }), 'backup', ['arm-timer', 'arm-timer'], arms('master-down-4', S + 250_000), arms('master-down-6', S + 250_000)],
      [S + 250_000, fire('master-down-4'), 'master', (a) => assert.ok(a.some((x) => x.type === 'send-advert')), reason('master-bowed-out')],
    ],
  },
  {
    name: 'backup, demoted: a repeated bow-out (a stopping master repeats it each interval) does not push the takeover back',
    config: { advskew: 64 }, // demoted by 10: advertised skew 74 (289 062 µs) + 1 s
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [0, setDemotion(10), 'backup', []],
      [S, advert({ advbase: 255, advskew: 255 }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + 289_062)],
      [2 * S, advert({ advbase: 255, advskew: 255 }), 'backup', []],
      [2 * S + 289_062, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-bowed-out')],
    ],
  },
  {
    name: 'backup: bow-out with own advskew 0 re-arms master-down to now',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ advbase: 255, advskew: 255 }), 'backup', ['arm-timer'], arms('master-down-4', S)],
      [S, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-bowed-out')],
    ],
  },
  {
    name: 'backup: an ordinary advert after a bow-out restores the normal master-down and its reason',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ advbase: 255, advskew: 255 }), 'backup', ['arm-timer'], arms('master-down-4', S)],
      [S, advert(), 'backup', ['arm-timer'], arms('master-down-4', S + md)],
      [S + md, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-down-timeout')],
    ],
  },
  {
    name: 'backup: a bow-out heard before a link flap does not label a later timeout as a bow-out',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ advbase: 255, advskew: 255 }), 'backup', ['arm-timer']],
      [S, linkDown, 'init', ['cancel-timer', 'cancel-timer', 'transition']],
      [2 * S, linkUp, 'backup', [...BACKUP_ENTRY], arms('master-down-4', 2 * S + md)],
      [2 * S + md, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-down-timeout')],
    ],
  },
  {
    name: 'master: a bow-out from another node is ignored',
    rows: [...toMaster, [md + 1, advert({ advbase: 255, advskew: 255 }), 'master', ['ignored']]],
  },
  {
    name: 'master: shutdown bows out and keeps the addresses; the successor heard: addresses removed, stop script (reason shutdown), INIT',
    config: { advskew: 10 },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY], runsScript('backup', 'init', 'started')],
      [3 * (S + 39_062), fire('master-down-4'), 'master', [...MASTER_ENTRY], runsScript('master', 'backup', 'master-down-timeout')],
      // Hold: master-down 3 × 1.039 s, within [2 s, 4 s]; the bow-out repeats each advert interval.
      [4 * S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer'], sends({ bowOut: true, families: [4] }), arms('advert', 4 * S + S + 39_062),
        arms('stop-hold', 4 * S + 3 * (S + 39_062)), stateHas((s) => s.running && s.stopping !== undefined, 'running, stopping')],
      [4 * S + 10, advert({ advbase: 255, advskew: 255 }), 'master', ['ignored']],
      [4 * S + 400_000, advert({ advskew: 100 }), 'init', ['cancel-timer', 'cancel-timer', 'cancel-timer', 'remove-addresses', 'run-script', 'transition'],
        reason('shutdown'), runsScript('stop', 'master', 'shutdown'), stateHas((s) => !s.running && s.stopping === undefined, 'not running')],
      [5 * S, advert(), 'init', ['ignored']],
      [5 * S, fire('stop-hold'), 'init', ['ignored']],
      [6 * S, start, 'backup', [...BACKUP_ENTRY], arms('master-down-4', 6 * S + 3 * (S + 39_062))],
    ],
  },
  {
    name: 'master: shutdown with no successor: bow-out repeated each advert interval, addresses removed when the hold ends',
    rows: [
      ...toMaster,
      [4 * S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer'], arms('advert', 5 * S), arms('stop-hold', 4 * S + md)],
      [5 * S, fire('advert'), 'master', ['send-advert', 'arm-timer'], sends({ bowOut: true }), arms('advert', 6 * S)],
      [6 * S, fire('advert'), 'master', ['send-advert', 'cancel-timer'], sends({ bowOut: true })],
      [6 * S, force('backup'), 'master', ['ignored']],
      [6 * S, setDemotion(50), 'master', []],
      [4 * S + md, fire('stop-hold'), 'init', ['cancel-timer', 'cancel-timer', 'cancel-timer', 'remove-addresses', 'run-script', 'transition'],
        reason('shutdown'), runsScript('stop', 'master', 'shutdown')],
    ],
  },
  {
    name: 'master: the hold is at least 2 s (advbase 0: master-down 12 ms)',
    config: { advbase: 0, advskew: 1 },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [3 * 3906, fire('master-down-4'), 'master', [...MASTER_ENTRY]],
      [S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer'], arms('stop-hold', 3 * S)],
    ],
  },
  {
    name: 'master: the hold is at most 4 s (advbase 3: master-down 9 s)',
    config: { advbase: 3 },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [9 * S, fire('master-down-4'), 'master', [...MASTER_ENTRY]],
      [10 * S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer'], arms('advert', 13 * S), arms('stop-hold', 14 * S)],
      [13 * S, fire('advert'), 'master', ['send-advert', 'cancel-timer'], sends({ bowOut: true })],
    ],
  },
  {
    name: 'master stopping: a second shutdown leaves at once',
    rows: [
      ...toMaster,
      [4 * S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer']],
      [4 * S + 1, shutdown, 'init', ['cancel-timer', 'cancel-timer', 'cancel-timer', 'remove-addresses', 'run-script', 'transition'], runsScript('stop', 'master', 'shutdown')],
    ],
  },
  {
    name: 'master stopping: link-down leaves at once, as a shutdown',
    rows: [
      ...toMaster,
      [4 * S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer']],
      [4 * S + 1, linkDown, 'init', ['cancel-timer', 'cancel-timer', 'cancel-timer', 'remove-addresses', 'run-script', 'transition'], reason('shutdown'), stateHas((s) => !s.running, 'not running')],
    ],
  },
  {
    name: 'master stopping: resign leaves at once, as a shutdown',
    rows: [
      ...toMaster,
      [4 * S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer']],
      [4 * S + 1, { type: 'resign', reason: 'claim-failed' }, 'init', ['cancel-timer', 'cancel-timer', 'cancel-timer', 'remove-addresses', 'run-script', 'transition'], reason('shutdown')],
    ],
  },
  {
    name: 'backup: shutdown sends no advert; its only script is the stop script (reason shutdown)',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, shutdown, 'init', ['cancel-timer', 'cancel-timer', 'run-script', 'transition'], reason('shutdown'), runsScript('stop', 'backup', 'shutdown')],
      [2 * S, shutdown, 'init', ['ignored']],
    ],
  },
  {
    name: 'master: link-down removes addresses and goes to INIT; link-up goes to BACKUP',
    rows: [
      ...toMaster,
      [4 * S, linkDown, 'init', ['cancel-timer', 'cancel-timer', 'remove-addresses', 'run-script', 'transition'], reason('link-down'), runsScript('backup', 'master', 'link-down')],
      [5 * S, advert(), 'init', ['ignored']],
      [5 * S, fire('master-down-4'), 'init', ['ignored']],
      [6 * S, linkUp, 'backup', [...BACKUP_ENTRY], reason('link-up'), arms('master-down-4', 6 * S + md)],
    ],
  },
  {
    name: 'link down before start: start stays in INIT, link-up then goes to BACKUP',
    rows: [
      [0, linkDown, 'init', []],
      [S, start, 'init', []],
      [2 * S, linkUp, 'backup', [...BACKUP_ENTRY], reason('link-up')],
    ],
  },
  {
    name: 'init: adverts, timers and force are ignored before start',
    rows: [
      [0, advert(), 'init', ['ignored']],
      [0, fire('advert'), 'init', ['ignored']],
      [0, force('master'), 'init', ['ignored']],
    ],
  },
  {
    name: "master: the first advert, run early in another timer's wakeup, continues from that wakeup's deadline; later ones keep the schedule, with no early window",
    config: { advskew: 128 }, // interval 1.5 s
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      // The first periodic advert may join a wakeup up to 1/8 interval (187.5 ms) early.
      [4_500_000, fire('master-down-4'), 'master', [...MASTER_ENTRY], arms('advert', 6_000_000, 5_812_500)],
      // Run at 5.85 s in the wakeup planned for 5.84 s: continues from 5.84 s, the deadline of
      // the timer that woke the process, so the two share every later wakeup exactly.
      [5_850_000, fire('advert', 5_840_000), 'master', ['send-advert', 'arm-timer'], armsExactly('advert', 7_340_000)],
      // Fired 0.8 ms late: anchored to the schedule, the latency does not accumulate.
      [7_340_800, fire('advert'), 'master', ['send-advert', 'announce', 'arm-timer'], armsExactly('advert', 8_840_000)],
      // Due, and run late in an earlier timer's late wakeup: still its own schedule.
      [8_840_500, fire('advert', 8_839_000), 'master', ['send-advert', 'arm-timer'], armsExactly('advert', 10_340_000)],
      [10_340_000, fire('advert', 10_340_000), 'master', ['send-advert', 'arm-timer'], armsExactly('advert', 11_840_000)],
    ],
  },
  {
    name: 'master: fast mode (advbase 0): the first periodic advert may go 1/8 of its 3.9 ms interval early (488 µs), later ones keep their deadline',
    config: { advbase: 0, advskew: 1 },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [3 * 3_906, fire('master-down-4'), 'master', [...MASTER_ENTRY], arms('advert', 4 * 3_906, 4 * 3_906 - 488)],
      [4 * 3_906, fire('advert'), 'master', ['send-advert', 'arm-timer'], armsExactly('advert', 5 * 3_906)],
    ],
  },
  {
    name: 'master: raised demotion sends an advert at once and later adverts carry it',
    config: { advskew: 10 },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [3 * (S + 39_062), fire('master-down-4'), 'master', [...MASTER_ENTRY], sends({ advskew: 10, demote: 0 })],
      [3_500_000, setDemotion(20), 'master', ['send-advert'], sends({ advskew: 30, demote: 20 })],
      [3 * (S + 39_062) + S + 39_062, fire('advert'), 'master', ['send-advert', 'arm-timer'], sends({ advskew: 30, demote: 20 }),
        // The next advert uses the demoted interval (1 s + 30/256 s).
        arms('advert', 4 * (S + 39_062) + S + 117_187)],
      [6 * S, setDemotion(5), 'master', []],
      [7 * S, setDemotion(5), 'master', []],
    ],
  },
  {
    name: 'backup: demotion changes send nothing',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, setDemotion(300), 'backup', [], stateHas((s) => s.demotion === 255, 'demotion clamped to 255')],
    ],
  },
  {
    name: 'force: master from BACKUP, backup from MASTER, and repeats are ignored',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, force('backup'), 'backup', ['ignored']],
      [S, force('master'), 'master', [...MASTER_ENTRY], reason('forced')],
      [S + 1, force('master'), 'master', ['ignored']],
      [S + 2, force('backup'), 'backup', [...YIELD], reason('forced'), arms('master-down-4', S + 2 + md)],
    ],
  },
  {
    name: 'events with no row are ignored and leave the state unchanged',
    rows: [
      [0, linkUp, 'init', ['ignored']],
      [0, shutdown, 'init', ['ignored']],
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [1, start, 'backup', ['ignored']],
      [2, linkUp, 'backup', ['ignored']],
      [3, advert({ family: 6 }), 'backup', ['ignored']], // no IPv6 addresses in this vhid
    ],
  },
  {
    name: 'stale timers (not armed) are ignored',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, fire('advert'), 'backup', ['ignored']],
      [S, fire('master-down-6'), 'backup', ['ignored']],
      [md, fire('master-down-4'), 'master', [...MASTER_ENTRY]],
      [md + 1, fire('master-down-4'), 'master', ['ignored']],
    ],
  },
];

describe('step scenarios', () => {
  for (const s of scenarios) it(s.name, () => void runScenario(s));
});

describe('step: two masters', () => {
  // Both nodes MASTER at once (a healed partition), then each advert is delivered to the other
  // node and every advert it answers with is delivered back. A finite exchange must end it.
  function exchange(a: MachineConfig, b: MachineConfig): { rounds: number; phases: string[] } {
    const nodes = [a, b].map((config) => {
      let state = step(config, initialState(0), { type: 'start' }, 0).state;
      state = step(config, state, { type: 'force', phase: 'master' }, 0).state;
      return { config, state };
    });
    let sender = 0;
    let rounds = 0;
    for (; rounds < 20; rounds++) {
      const from = nodes[sender] as (typeof nodes)[number];
      const to = nodes[1 - sender] as (typeof nodes)[number];
      const src = from.config.sourceAddresses[4];
      const fields = { advbase: from.config.advbase, advskew: from.config.advskew, demote: 0 };
      const ev: MachineEvent = { type: 'advert', advert: { family: 4, source: src ?? parseIpAddress('10.0.0.9'), ...fields } };
      const result = step(to.config, to.state, ev, 10 + rounds);
      to.state = result.state;
      if (!result.actions.some((x) => x.type === 'send-advert')) break;
      sender = 1 - sender;
    }
    return { rounds, phases: nodes.map((n) => n.state.phase) };
  }

  it('a better and a worse master settle after one answer', () => {
    const got = exchange(makeConfig({ advskew: 0 }), makeConfig({ advskew: 10, sourceAddresses: { 4: parseIpAddress('10.0.0.2') } }));
    assert.deepEqual(got.phases, ['master', 'backup']);
    assert.ok(got.rounds <= 2); // its advert, the worse one's last advert (rival-master.ts), the answer
  });

  it('an exact tie with unknown addresses is not answered, so two such masters do not ping-pong', () => {
    const got = exchange(makeConfig({ sourceAddresses: {} }), makeConfig({ sourceAddresses: {} }));
    assert.ok(got.rounds < 20, `answered each other ${got.rounds} times`);
  });
});

describe('step properties', () => {
  const family = fc.constantFrom<IpFamily>(4, 6);
  const event: fc.Arbitrary<MachineEvent> = fc.oneof(
    fc.constantFrom<MachineEvent>({ type: 'start' }, { type: 'shutdown' }, { type: 'link-up' }, { type: 'link-down' }),
    fc.constantFrom<TimerId>('advert', 'master-down-4', 'master-down-6', 'stop-hold').map((timer): MachineEvent => ({ type: 'timer', timer })),
    fc.integer({ min: -5, max: 300 }).map((demotion): MachineEvent => ({ type: 'set-demotion', demotion })),
    fc.constantFrom<'master' | 'backup'>('master', 'backup').map((phase): MachineEvent => ({ type: 'force', phase })),
    fc
      .record({
        family,
        last: fc.integer({ min: 1, max: 3 }),
        advbase: fc.constantFrom(0, 1, 2, 4, 255),
        advskew: fc.constantFrom(0, 1, 100, 255),
        demote: fc.integer({ min: 0, max: 2 }),
      })
      .map(({ family: f, last, ...fields }): MachineEvent => advert({ ...fields, family: f, source: f === 4 ? `10.0.0.${last}` : `fe80::${last}` })),
  );
  const config: fc.Arbitrary<MachineConfig> = fc
    .record({
      advbase: fc.integer({ min: 0, max: 3 }),
      advskew: fc.integer({ min: 0, max: 254 }),
      preempt: fc.boolean(),
      masterDownFormula: fc.constantFrom('openbsd' as const, 'freebsd' as const, 'ucarp' as const),
      deadRatio: fc.integer({ min: 1, max: 5 }),
      families: fc.constantFrom<IpFamily[]>([4], [6], [4, 6]),
    })
    .map((c) => makeConfig(c));
  const timeline = fc.array(fc.tuple(fc.integer({ min: 0, max: 5 * S }), event), { maxLength: 60 });

  it('property: never throws, valid phases, MASTER entered only with an advert, addresses added and removed alternately', () => {
    fc.assert(
      fc.property(config, timeline, (cfg, events) => {
        let state: MachineState = initialState(0);
        let now = 0;
        let holding = false;
        for (const [dt, ev] of events) {
          now += dt;
          const before = state.phase;
          const { state: next, actions } = step(cfg, state, ev, now);
          assert.ok(['init', 'backup', 'master'].includes(next.phase));
          if (next.phase === 'master' && before !== 'master') assert.ok(actions.some((a) => a.type === 'send-advert'), 'MASTER entered with an advert');
          for (const a of actions) {
            if (a.type === 'add-addresses') assert.equal(holding, false, 'two adds without a remove');
            if (a.type === 'remove-addresses') assert.equal(holding, true, 'a remove without an add');
            if (a.type === 'add-addresses' || a.type === 'remove-addresses') holding = a.type === 'add-addresses';
          }
          assert.equal(holding, next.phase === 'master', 'addresses held exactly while MASTER');
          state = next;
        }
      }),
      { numRuns: 500 },
    );
  });
});
