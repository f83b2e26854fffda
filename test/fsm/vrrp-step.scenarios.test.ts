import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initialVrrpState, stepVrrp } from '../../src/protocols/vrrp/vrrp-step.ts';
import type { TimerId } from '../../src/fsm/machine-types.ts';
import type { VrrpConfig, VrrpEvent, VrrpState } from '../../src/protocols/vrrp/vrrp-machine-types.ts';
import { parseIpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import {
  advert,
  arms,
  armsExactly,
  fire,
  force,
  linkDown,
  linkUp,
  makeVrrpConfig,
  reason,
  runsScript,
  resign,
  runVrrpScenario,
  sends,
  setDemotion,
  shutdown,
  start,
  stateHas,
  type VrrpRow,
  type VrrpScenario,
} from '../helpers/vrrp-scenario.ts';

const S = 1_000_000;
// RFC 5798 §6.1 with priority 100 and 100 cs: Skew_Time = 156 × 100 / 256 = 60.9375 cs.
const SKEW = 609_375;
const MD = 3 * S + SKEW; // Master_Down_Interval, 3.609375 s
const BACKUP_ENTRY = ['cancel-timer', 'arm-timer', 'run-script', 'transition'] as const;
const MASTER_ENTRY = ['cancel-timer', 'send-advert', 'add-addresses', 'announce', 'arm-timer', 'run-script', 'transition'] as const;
const YIELD = ['cancel-timer', 'arm-timer', 'remove-addresses', 'run-script', 'transition'] as const;
const LEAVE_MASTER = ['cancel-timer', 'cancel-timer', 'remove-addresses', 'run-script', 'transition'] as const;

/** Start at 0, nobody else: MASTER at Master_Down_Interval. */
const toMaster: VrrpRow[] = [
  [0, start, 'backup', [...BACKUP_ENTRY], arms('master-down-4', MD)],
  [MD, fire('master-down-4'), 'master', [...MASTER_ENTRY]],
];

const scenarios: VrrpScenario[] = [
  // --- §6.4.1 Initialize ---
  {
    name: 'start, priority 100: BACKUP with Master_Down_Timer at 3 × 100 cs + 60.9375 cs; MASTER when it fires, actions in order',
    rows: [
      [1000, start, 'backup', [...BACKUP_ENTRY], arms('master-down-4', 1000 + MD), reason('started'),
        stateHas((st) => st.masterAdverIntervalCentis === 100, 'Master_Adver_Interval starts as our own (§6.4.1 (155))')],
      [1000 + MD, fire('master-down-4'), 'master', (actions) => {
        assert.deepEqual(actions, [
          { type: 'cancel-timer', timer: 'master-down-4' },
          { type: 'send-advert', families: [4], fields: { priority: 100, maxAdvertIntervalCentis: 100 }, bowOut: false },
          { type: 'add-addresses' },
          { type: 'announce' },
          // The first periodic advert may go 1/8 interval early to join another group's wakeup.
          { type: 'arm-timer', timer: 'advert', at: 1000 + MD + S, earliest: 1000 + MD + S - 125_000 },
          { type: 'run-script', phase: 'master', previous: 'backup', reason: 'master-down-timeout' },
          { type: 'transition', from: 'backup', to: 'master', reason: 'master-down-timeout' },
        ]);
      }],
    ],
  },
  {
    name: 'start, owner (255): MASTER at once with an advert at priority 255 (§6.4.1 (105)–(145))',
    config: { priority: 255 },
    rows: [[0, start, 'master', [...MASTER_ENTRY], reason('started'), sends({ priority: 255, intervalCentis: 100 }), arms('advert', S)]],
  },
  {
    name: 'start, owner with preempt off in config: still MASTER at once',
    config: { priority: 255, preempt: false },
    rows: [[0, start, 'master', [...MASTER_ENTRY], reason('started')]],
  },
  {
    name: 'start with a 20 cs interval, priority 200: skew 56 × 20 / 256 cs = 43750 µs, master-down 643750 µs',
    config: { priority: 200, advertIntervalCentis: 20 },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY], arms('master-down-4', 643_750)],
      [643_750, fire('master-down-4'), 'master', [...MASTER_ENTRY], sends({ priority: 200, intervalCentis: 20 }), arms('advert', 843_750, 843_750 - 25_000)],
      // Later adverts keep their deadline exactly: no early window.
      [843_750, fire('advert'), 'master', ['send-advert', 'arm-timer'], armsExactly('advert', 1_043_750)],
    ],
  },

  // --- §6.4.2 Backup ---
  {
    name: 'backup, priority-0 advert: Master_Down_Timer set to Skew_Time; MASTER when it fires (master-bowed-out)',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 0 }), 'backup', ['arm-timer'], arms('master-down-4', S + SKEW), stateHas((st) => st.masterResigned === true, 'resignation noted')],
      [S + SKEW, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-bowed-out')],
    ],
  },
  {
    name: 'backup, priority-0 advert repeated (a stopping master repeats it): the takeover is not pushed back',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 0 }), 'backup', ['arm-timer'], arms('master-down-4', S + SKEW)],
      [S + 500_000, advert({ priority: 0 }), 'backup', []],
      [S + SKEW, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-bowed-out')],
    ],
  },
  {
    name: 'backup, priority-0 advert: Skew_Time uses the learned Master_Adver_Interval (50 cs: 304687 µs)',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 150, intervalCentis: 50 }), 'backup', ['arm-timer'], arms('master-down-4', S + 1_500_000 + 304_687)],
      [2 * S, advert({ priority: 0, intervalCentis: 50 }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + 304_687)],
      [2 * S + 304_687, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-bowed-out'),
        // As master we advertise our own interval, not the learned one.
        sends({ intervalCentis: 100 }), arms('advert', 3 * S + 304_687)],
    ],
  },
  {
    name: 'backup: an ordinary advert after a priority-0 one restores Master_Down_Interval and the usual reason',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 0 }), 'backup', ['arm-timer'], arms('master-down-4', S + SKEW)],
      [S + 1000, advert({ priority: 200 }), 'backup', ['arm-timer'], arms('master-down-4', S + 1000 + MD), stateHas((st) => st.masterResigned === false, 'resignation forgotten')],
      [S + 1000 + MD, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-down-timeout')],
    ],
  },
  {
    name: 'backup: follows a higher-priority master and learns its interval (200 cs: master-down 6 s + 1.21875 s)',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 150, intervalCentis: 200 }), 'backup', ['arm-timer'], arms('master-down-4', S + 7_218_750),
        stateHas((st) => st.masterAdverIntervalCentis === 200, 'Master_Adver_Interval learned'),
        stateHas((st) => st.lastHeardMaster?.address.text === '10.0.0.2' && st.lastHeardMaster.priority === 150, 'remembers the master')],
      // The master speeds up: the next advert re-arms with the new interval.
      [2 * S, advert({ priority: 150, intervalCentis: 50 }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + 1_804_687)],
      [2 * S + 1_804_687, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-down-timeout')],
    ],
  },
  {
    name: 'backup: a Max Adver Int of 0 is learned as 1 cs (master-down 36093 µs), never as no time',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 150, intervalCentis: 0 }), 'backup', ['arm-timer'], arms('master-down-4', S + 36_093), stateHas((st) => st.masterAdverIntervalCentis === 1, 'clamped to 1')],
    ],
  },
  {
    name: 'backup, preempt on: a lower-priority master is discarded, so Master_Down_Timer runs out and we preempt it',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 50 }), 'backup', [], stateHas((st) => st.preempting === true && st.masterDownAt === MD, 'discarded, the timer untouched')],
      [2 * S, advert({ priority: 50 }), 'backup', []],
      [3 * S, advert({ priority: 50 }), 'backup', []],
      [MD, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('preempting-worse-master')],
    ],
  },
  {
    name: 'backup, preempt on: a pending preemption is called off by an advert of a higher priority',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 50 }), 'backup', []],
      [2 * S, advert({ priority: 120, source: '10.0.0.3' }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + MD), stateHas((st) => st.preempting === false, 'no longer preempting')],
      [2 * S + MD, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-down-timeout')],
    ],
  },
  {
    name: 'backup, preempt off: follows a lower-priority master and learns its interval (300 cs)',
    config: { preempt: false },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      // 3 × 3 s + 156 × 300 / 256 cs (1.828125 s)
      [S, advert({ priority: 50, intervalCentis: 300 }), 'backup', ['arm-timer'], arms('master-down-4', S + 10_828_125)],
    ],
  },
  // --- carpd: a backup follows the best live master (docs/protocol-vrrp.md "A backup follows the best live master") ---
  {
    name: 'backup, preempt off: a worse router’s advert while the followed master is live restarts the timer with the followed master’s interval, not its own',
    config: { preempt: false },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 150, intervalCentis: 100, source: '10.0.0.2' }), 'backup', ['arm-timer'], arms('master-down-4', S + MD)],
      // The RFC would learn 20 cs here: master-down 721875 µs, before the master's next advert.
      [S + 1000, advert({ priority: 50, intervalCentis: 20, source: '10.0.0.3' }), 'backup', ['arm-timer'], arms('master-down-4', S + 1000 + MD),
        stateHas((st) => st.masterAdverIntervalCentis === 100 && st.followedMaster?.address.text === '10.0.0.2', 'still follows 10.0.0.2 at 100 cs')],
      [2 * S, advert({ priority: 150, intervalCentis: 100, source: '10.0.0.2' }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + MD)],
      [2 * S + 500_000, advert({ priority: 50, intervalCentis: 20, source: '10.0.0.3' }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + 500_000 + MD)],
      // 10.0.0.2 silent for its Master_Down_Interval: the worse router is followed as the RFC says.
      [2 * S + MD, advert({ priority: 50, intervalCentis: 20, source: '10.0.0.3' }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + MD + 721_875),
        stateHas((st) => st.masterAdverIntervalCentis === 20 && st.followedMaster?.address.text === '10.0.0.3', 'follows 10.0.0.3 at 20 cs')],
      [2 * S + MD + 721_875, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-down-timeout'), stateHas((st) => st.followedMaster === undefined, 'a master follows nobody')],
    ],
  },
  {
    name: 'backup, preempt on: an equal-priority router at a lower address does not shorten the interval learned from a live better master',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 200, intervalCentis: 100, source: '10.0.0.2' }), 'backup', ['arm-timer'], arms('master-down-4', S + MD)],
      [S + 1000, advert({ priority: 100, intervalCentis: 20, source: '10.0.0.3' }), 'backup', ['arm-timer'], arms('master-down-4', S + 1000 + MD),
        stateHas((st) => st.masterAdverIntervalCentis === 100, 'still 100 cs')],
    ],
  },
  {
    name: 'backup: a better router replaces the followed master, whose own adverts are followed even after a demotion',
    config: { preempt: false },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 150, intervalCentis: 100, source: '10.0.0.2' }), 'backup', ['arm-timer'], arms('master-down-4', S + MD)],
      // The followed master demoted to 50 and sped up: still its adverts, learned.
      [2 * S, advert({ priority: 50, intervalCentis: 20, source: '10.0.0.2' }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + 721_875),
        stateHas((st) => st.masterAdverIntervalCentis === 20 && st.followedMaster?.priority === 50, 'learned from the followed master')],
      // A better router (200, 50 cs): followed, learned (1.5 s + 304687 µs).
      [2 * S + 1000, advert({ priority: 200, intervalCentis: 50, source: '10.0.0.4' }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + 1000 + 1_804_687),
        stateHas((st) => st.masterAdverIntervalCentis === 50 && st.followedMaster?.address.text === '10.0.0.4', 'follows 10.0.0.4')],
    ],
  },
  {
    name: 'backup: after the followed master’s priority 0 the next advertiser is followed as the RFC says',
    config: { preempt: false },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 150, intervalCentis: 100, source: '10.0.0.2' }), 'backup', ['arm-timer'], arms('master-down-4', S + MD)],
      [S + 1000, advert({ priority: 0, intervalCentis: 100, source: '10.0.0.2' }), 'backup', ['arm-timer'], arms('master-down-4', S + 1000 + SKEW),
        stateHas((st) => st.followedMaster === undefined, 'the followed master has gone')],
      [S + 2000, advert({ priority: 50, intervalCentis: 20, source: '10.0.0.3' }), 'backup', ['arm-timer'], arms('master-down-4', S + 2000 + 721_875),
        stateHas((st) => st.masterAdverIntervalCentis === 20, 'learned 20 cs')],
    ],
  },
  {
    name: 'master, outranked: steps down following the better master, so a worse advert then keeps its interval',
    config: { preempt: false },
    rows: [
      ...toMaster,
      [MD + 10, advert({ priority: 200, intervalCentis: 100, source: '10.0.0.2' }), 'backup', ['send-advert', ...YIELD], stateHas((st) => st.followedMaster?.address.text === '10.0.0.2', 'follows 10.0.0.2')],
      [MD + 20, advert({ priority: 50, intervalCentis: 20, source: '10.0.0.3' }), 'backup', ['arm-timer'], arms('master-down-4', MD + 20 + MD)],
    ],
  },
  {
    name: 'backup, preempt on: an equal-priority master is followed even from a lower address (the tie rule is the master’s)',
    config: { primaryAddress: parseIpAddress('10.0.0.9') },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 100, source: '10.0.0.2' }), 'backup', ['arm-timer'], arms('master-down-4', S + MD)],
    ],
  },
  {
    name: 'backup: preempt_delay: within the delay of start-up a lower master is followed, after it discarded',
    config: { preemptDelayMicros: 30 * S },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY], stateHas((st) => st.preemptAfter === 30 * S, 'preemption allowed from 30 s')],
      [S, advert({ priority: 50 }), 'backup', ['arm-timer'], arms('master-down-4', S + MD)],
      [29 * S, advert({ priority: 50 }), 'backup', ['arm-timer'], arms('master-down-4', 29 * S + MD)],
      [30 * S, advert({ priority: 50 }), 'backup', []],
      [29 * S + MD, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('preempting-worse-master')],
    ],
  },
  {
    name: 'backup: preempt_delay does not hold back a takeover when the master goes silent',
    config: { preemptDelayMicros: 30 * S },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [MD, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('master-down-timeout')],
    ],
  },

  // --- §6.4.3 Master ---
  {
    name: "master: the first advert, run early in another timer's wakeup, continues from that wakeup's deadline; later ones keep the schedule, with no early window",
    rows: [
      ...toMaster,
      // Run 50 ms early, in the wakeup planned for 60 ms early: continues from that deadline.
      [MD + S - 50_000, fire('advert', MD + S - 60_000), 'master', ['send-advert', 'arm-timer'], sends({ priority: 100 }), armsExactly('advert', MD + 2 * S - 60_000)],
      [MD + 2 * S - 60_000, fire('advert'), 'master', ['send-advert', 'arm-timer'], armsExactly('advert', MD + 3 * S - 60_000)],
      // 0.8 ms late: anchored.
      [MD + 3 * S - 59_200, fire('advert'), 'master', ['send-advert', 'arm-timer'], armsExactly('advert', MD + 4 * S - 60_000)],
    ],
  },
  {
    name: 'master, priority-0 advert: sends an advert at once and restarts Adver_Timer (§6.4.3 (710)–(715))',
    rows: [
      ...toMaster,
      [MD + 300_000, advert({ priority: 0 }), 'master', ['send-advert', 'arm-timer'], sends({ priority: 100, bowOut: false }), armsExactly('advert', MD + 300_000 + S)],
      [MD + 300_000 + S, fire('advert'), 'master', ['send-advert', 'arm-timer']],
    ],
  },
  {
    name: 'master: yields to a higher priority, learning its interval for Master_Down_Interval (50 cs: 1.804687 s)',
    rows: [
      ...toMaster,
      [MD + 10, advert({ priority: 200, intervalCentis: 50 }), 'backup', ['send-advert', ...YIELD], reason('outranked-by-peer'), arms('master-down-4', MD + 10 + 1_804_687),
        stateHas((st) => st.masterAdverIntervalCentis === 50 && st.lastHeardMaster?.priority === 200, 'learned the new master')],
    ],
  },
  {
    name: 'master: a lower priority is discarded: no answer advert (§6.4.3 (775); keepalived would answer), but the addresses are re-announced',
    rows: [...toMaster, [MD + 10, advert({ priority: 99, source: '10.0.0.200' }), 'master', ['announce']]],
  },
  {
    name: 'tie: master 10.0.0.2 yields to equal-priority 10.0.1.3, the numerically higher (CARP’s byte-reversed rule would keep it)',
    config: { primaryAddress: parseIpAddress('10.0.0.2') },
    rows: [...toMaster, [MD + 10, advert({ priority: 100, source: '10.0.1.3' }), 'backup', ['send-advert', ...YIELD], reason('outranked-by-peer')]],
  },
  {
    name: 'tie: master 10.0.1.3 stays against equal-priority 10.0.0.2 and does not answer with an advert (re-announces)',
    config: { primaryAddress: parseIpAddress('10.0.1.3') },
    rows: [...toMaster, [MD + 10, advert({ priority: 100, source: '10.0.0.2' }), 'master', ['announce']]],
  },
  {
    // Issue 19 item 1: after a dual master the loser yields, but clients with `vmac: false`
    // follow its MAC unless the winner re-announces (rival-master.ts).
    name: 'another master heard: announce (no script within the first interval of the spell), later the master script once; within the interval nothing; the next advert repeats the announcement',
    rows: [
      ...toMaster,
      // Within the spell's first interval: the master we just replaced, stepping down; no script.
      [MD + 10, advert({ priority: 99, source: '10.0.0.200' }), 'master', ['announce']],
      [MD + 20, advert({ priority: 99, source: '10.0.0.200' }), 'master', []],
      [MD + S, fire('advert'), 'master', ['send-advert', 'announce', 'arm-timer']],
      // One interval into the spell: another master really is there; the script runs, once.
      [MD + S + 500, advert({ priority: 99, source: '10.0.0.200' }), 'master', ['run-script'], runsScript('master', 'master', 'another-master-heard')],
      [MD + 2 * S, fire('advert'), 'master', ['send-advert', 'announce', 'arm-timer']],
      [MD + 3 * S, fire('advert'), 'master', ['send-advert', 'arm-timer']],
      [MD + 3 * S + 10, advert({ priority: 99, source: '10.0.0.200' }), 'master', ['announce']],
      [MD + 3 * S + 500, advert({ priority: 99, source: '10.0.0.200' }), 'master', []],
      [MD + 4 * S + 20, advert({ priority: 99, source: '10.0.0.200' }), 'master', ['announce']],
    ],
  },
  {
    name: 'tie: an advert with our own priority and address (our own, looped back) changes nothing',
    rows: [...toMaster, [MD + 10, advert({ priority: 100, source: '10.0.0.1' }), 'master', ['ignored']]],
  },
  {
    name: 'IPv6 virtual router: master-down-6, adverts in IPv6 only, tie on link-local fe80::1 < fe80::2',
    config: { family: 6 },
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY], arms('master-down-6', MD)],
      [S, advert({ family: 4, priority: 200 }), 'backup', ['ignored']],
      [MD, fire('master-down-6'), 'master', [...MASTER_ENTRY], sends({ families: [6] })],
      [MD + 10, advert({ family: 6, priority: 100, source: 'fe80::2' }), 'backup', ['send-advert', ...YIELD], arms('master-down-6', MD + 10 + MD)],
    ],
  },

  // --- Shutdown, link ---
  {
    name: 'master: shutdown sends a priority-0 advert and keeps the addresses; another router heard: removes them, stop script (reason shutdown), Initialize',
    rows: [
      ...toMaster,
      // Hold: Master_Down_Interval 3.609 s, within [2 s, 4 s]; the priority-0 advert repeats each interval.
      [4 * S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer'], sends({ priority: 0, intervalCentis: 100, bowOut: true }), arms('advert', 5 * S), arms('stop-hold', 4 * S + MD),
        stateHas((st) => st.running && st.stopping !== undefined, 'running, stopping')],
      [4 * S + 10, advert({ priority: 0 }), 'master', ['ignored']],
      [4 * S + 500_000, advert({ priority: 50 }), 'init', ['cancel-timer', ...LEAVE_MASTER], reason('shutdown'), runsScript('stop', 'master', 'shutdown'), stateHas((st) => !st.running, 'not running')],
      [5 * S, advert(), 'init', ['ignored']],
      [5 * S, shutdown, 'init', ['ignored']],
      [6 * S, start, 'backup', [...BACKUP_ENTRY], arms('master-down-4', 6 * S + MD)],
    ],
  },
  {
    name: 'master: shutdown with no other router: priority 0 repeated each interval, the addresses removed when the hold ends; force ignored meanwhile',
    rows: [
      ...toMaster,
      [4 * S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer'], arms('stop-hold', 4 * S + MD)],
      [5 * S, fire('advert'), 'master', ['send-advert', 'arm-timer'], sends({ priority: 0, bowOut: true }), arms('advert', 6 * S)],
      [6 * S, force('backup'), 'master', ['ignored']],
      [6 * S, setDemotion(20), 'master', []],
      [6 * S, fire('advert'), 'master', ['send-advert', 'arm-timer'], sends({ priority: 0, bowOut: true }), arms('advert', 7 * S)],
      [7 * S, fire('advert'), 'master', ['send-advert', 'cancel-timer'], sends({ priority: 0, bowOut: true })],
      [4 * S + MD, fire('stop-hold'), 'init', ['cancel-timer', ...LEAVE_MASTER], reason('shutdown'), runsScript('stop', 'master', 'shutdown')],
    ],
  },
  {
    name: 'master stopping: link-down leaves at once',
    rows: [
      ...toMaster,
      [4 * S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer']],
      [4 * S + 1, linkDown, 'init', ['cancel-timer', ...LEAVE_MASTER], reason('shutdown'), stateHas((st) => !st.running, 'not running')],
    ],
  },
  {
    name: 'master stopping: resign leaves at once',
    rows: [
      ...toMaster,
      [4 * S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer']],
      [4 * S + 1, resign, 'init', ['cancel-timer', ...LEAVE_MASTER], reason('shutdown')],
    ],
  },
  {
    name: 'master stopping: a second shutdown leaves at once',
    rows: [
      ...toMaster,
      [4 * S, shutdown, 'master', ['send-advert', 'arm-timer', 'arm-timer']],
      [4 * S + 1, shutdown, 'init', ['cancel-timer', ...LEAVE_MASTER], reason('shutdown')],
    ],
  },
  {
    name: 'owner (priority 255): shutdown leaves at once, its addresses being its interface\'s own',
    config: { priority: 255 },
    rows: [
      [0, start, 'master', [...MASTER_ENTRY]],
      [S, shutdown, 'init', ['send-advert', ...LEAVE_MASTER], sends({ priority: 0, bowOut: true }), reason('shutdown')],
    ],
  },
  {
    name: 'backup: shutdown cancels Master_Down_Timer, sends nothing, runs the stop script (§6.4.2 (345)–(355))',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY], runsScript('backup', 'init', 'started')],
      [S, shutdown, 'init', ['cancel-timer', 'cancel-timer', 'run-script', 'transition'], reason('shutdown'), runsScript('stop', 'backup', 'shutdown')],
    ],
  },
  {
    name: 'master: link-down gives up the addresses without an advert; link-up is a Startup: BACKUP',
    rows: [
      ...toMaster,
      [4 * S, linkDown, 'init', [...LEAVE_MASTER], reason('link-down'), runsScript('backup', 'master', 'link-down')],
      [5 * S, advert(), 'init', ['ignored']],
      [5 * S, fire('master-down-4'), 'init', ['ignored']],
      [5 * S, linkDown, 'init', ['ignored']],
      [6 * S, linkUp, 'backup', [...BACKUP_ENTRY], reason('link-up'), arms('master-down-4', 6 * S + MD)],
    ],
  },
  {
    name: 'owner: link-down, then link-up makes it MASTER at once',
    config: { priority: 255 },
    rows: [
      [0, start, 'master', [...MASTER_ENTRY]],
      [S, linkDown, 'init', [...LEAVE_MASTER]],
      [2 * S, linkUp, 'master', [...MASTER_ENTRY], reason('link-up')],
    ],
  },
  {
    name: 'link down before start: start stays in Initialize, link-up then starts',
    rows: [
      [0, linkDown, 'init', []],
      [S, start, 'init', []],
      [2 * S, linkUp, 'backup', [...BACKUP_ENTRY], reason('link-up')],
    ],
  },

  // --- Owner ---
  {
    name: 'owner forced to BACKUP preempts a lower master though preempt is off (the owner always preempts, §6.1)',
    config: { priority: 255, preempt: false },
    rows: [
      [0, start, 'master', [...MASTER_ENTRY]],
      // Owner skew 1/256 × 100 cs: 3906 µs.
      [S, force('backup'), 'backup', [...YIELD], reason('forced'), arms('master-down-4', S + 3_003_906)],
      [2 * S, advert({ priority: 254 }), 'backup', []],
      [S + 3_003_906, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('preempting-worse-master')],
    ],
  },
  {
    name: 'two owners: the lower address yields, then follows the other owner',
    config: { priority: 255 },
    rows: [
      [0, start, 'master', [...MASTER_ENTRY]],
      [S, advert({ priority: 255 }), 'backup', ['send-advert', ...YIELD], reason('outranked-by-peer')],
      [2 * S, advert({ priority: 255 }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + 3_003_906)],
    ],
  },
  {
    name: 'demoted owner: not an owner any more (254: BACKUP at start, no preemption without preempt); undemoted, it preempts again',
    config: { priority: 255, preempt: false },
    rows: [
      [0, setDemotion(1), 'init', []],
      // Skew at 254: 2/256 × 100 cs = 7812 µs.
      [0, start, 'backup', [...BACKUP_ENTRY], arms('master-down-4', 3_007_812)],
      [S, advert({ priority: 100 }), 'backup', ['arm-timer'], arms('master-down-4', S + 3_007_812)],
      [2 * S, setDemotion(0), 'backup', []],
      [2 * S + 1, advert({ priority: 100 }), 'backup', []],
      [S + 3_007_812, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('preempting-worse-master'), sends({ priority: 255 })],
    ],
  },

  // --- Demotion ---
  {
    name: 'master: demotion lowers the advertised priority at once and in later adverts; floor 1, counter clamped to 255',
    rows: [
      ...toMaster,
      [MD + 1, setDemotion(30), 'master', ['send-advert'], sends({ priority: 70, bowOut: false })],
      [MD + S, fire('advert'), 'master', ['send-advert', 'arm-timer'], sends({ priority: 70 })],
      [MD + S + 1, setDemotion(30), 'master', []],
      [MD + S + 2, setDemotion(200), 'master', ['send-advert'], sends({ priority: 1 })],
      // 300 clamps to 255: the priority stays 1, so nothing to tell.
      [MD + S + 3, setDemotion(300), 'master', [], stateHas((st) => st.demotion === 255, 'demotion clamped to 255')],
      [MD + S + 4, setDemotion(0), 'master', ['send-advert'], sends({ priority: 100 })],
    ],
  },
  {
    name: 'master: once demoted below a peer it yields to that peer’s next advert',
    rows: [
      ...toMaster,
      [MD + 1, advert({ priority: 95 }), 'master', ['announce']],
      [MD + 2, setDemotion(10), 'master', ['send-advert'], sends({ priority: 90 })],
      [MD + 3, advert({ priority: 95 }), 'backup', ['send-advert', ...YIELD], reason('outranked-by-peer')],
    ],
  },
  {
    name: 'backup: demotion lowers the priority used for comparisons and Skew_Time (50: 206/256 s)',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, setDemotion(50), 'backup', [], stateHas((st) => st.masterDownAt === MD, 'the running timer is kept')],
      // 60 ≥ 50: followed, with Master_Down_Interval 3 s + 804687 µs.
      [2 * S, advert({ priority: 60 }), 'backup', ['arm-timer'], arms('master-down-4', 2 * S + 3_804_687)],
      // Undemoted (100 > 60, preempt on): the next one is discarded and we preempt.
      [3 * S, setDemotion(0), 'backup', []],
      [3 * S + 1, advert({ priority: 60 }), 'backup', []],
      [2 * S + 3_804_687, fire('master-down-4'), 'master', [...MASTER_ENTRY], reason('preempting-worse-master'), sends({ priority: 100 })],
    ],
  },

  // --- Force, resign, ignored ---
  {
    name: 'force: master from BACKUP, backup from MASTER (own interval for master-down), repeats ignored',
    rows: [
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [S, advert({ priority: 150, intervalCentis: 200 }), 'backup', ['arm-timer']],
      [S + 1, force('backup'), 'backup', ['ignored']],
      [S + 2, force('master'), 'master', [...MASTER_ENTRY], reason('forced')],
      [S + 3, force('master'), 'master', ['ignored']],
      [S + 4, force('backup'), 'backup', [...YIELD], reason('forced'), arms('master-down-4', S + 4 + MD)],
    ],
  },
  {
    name: 'resign (claim failed): a priority-0 advert, then BACKUP; as BACKUP it is ignored',
    rows: [
      ...toMaster,
      [MD + 1, resign, 'backup', ['send-advert', ...YIELD], sends({ priority: 0, bowOut: true }), reason('claim-failed'), arms('master-down-4', MD + 1 + MD)],
      [MD + 2, resign, 'backup', ['ignored']],
    ],
  },
  {
    name: 'events with no row are ignored and leave the state unchanged',
    rows: [
      [0, advert(), 'init', ['ignored']],
      [0, fire('advert'), 'init', ['ignored']],
      [0, force('master'), 'init', ['ignored']],
      [0, resign, 'init', ['ignored']],
      [0, linkUp, 'init', ['ignored']],
      [0, shutdown, 'init', ['ignored']],
      [0, start, 'backup', [...BACKUP_ENTRY]],
      [1, start, 'backup', ['ignored']],
      [2, linkUp, 'backup', ['ignored']],
      [3, advert({ family: 6 }), 'backup', ['ignored']],
      [4, fire('advert'), 'backup', ['ignored']],
      [5, fire('master-down-6'), 'backup', ['ignored']],
      [MD, fire('master-down-4'), 'master', [...MASTER_ENTRY]],
      [MD + 1, fire('master-down-4'), 'master', ['ignored']],
    ],
  },
];

describe('vrrp step scenarios', () => {
  for (const s of scenarios) it(s.name, () => void runVrrpScenario(s));
});

describe('vrrp step: two masters', () => {
  // Both MASTER at once (a healed partition); each one's periodic advert reaches the other.
  function meet(a: VrrpConfig, b: VrrpConfig): string[] {
    const nodes = [a, b].map((config) => {
      let state = stepVrrp(config, initialVrrpState(config, 0), { type: 'start' }, 0).state;
      if (state.phase !== 'master') state = stepVrrp(config, state, { type: 'force', phase: 'master' }, 0).state;
      return { config, state };
    });
    for (const [from, to] of [[0, 1], [1, 0]] as const) {
      const sender = nodes[from] as (typeof nodes)[number];
      const receiver = nodes[to] as (typeof nodes)[number];
      if (sender.state.phase !== 'master') continue;
      const priority = sender.config.priority;
      const ev: VrrpEvent = { type: 'advert', advert: { family: 4, source: sender.config.primaryAddress, priority, maxAdvertIntervalCentis: 100 } };
      receiver.state = stepVrrp(receiver.config, receiver.state, ev, 10).state;
    }
    return nodes.map((n) => n.state.phase);
  }

  it('the lower priority yields, whichever speaks first', () => {
    const high = makeVrrpConfig({ priority: 150, primaryAddress: parseIpAddress('10.0.0.1') });
    const low = makeVrrpConfig({ priority: 100, primaryAddress: parseIpAddress('10.0.0.2') });
    assert.deepEqual(meet(high, low), ['master', 'backup']);
    assert.deepEqual(meet(low, high), ['backup', 'master']);
  });

  it('at equal priority the lower address yields', () => {
    const a = makeVrrpConfig({ primaryAddress: parseIpAddress('10.0.0.1') });
    const b = makeVrrpConfig({ primaryAddress: parseIpAddress('10.0.0.2') });
    assert.deepEqual(meet(a, b), ['backup', 'master']);
    assert.deepEqual(meet(b, a), ['master', 'backup']);
  });
});

describe('vrrp step properties', () => {
  const family = fc.constantFrom<IpFamily>(4, 6);
  const event: fc.Arbitrary<VrrpEvent> = fc.oneof(
    fc.constantFrom<VrrpEvent>(start, shutdown, linkUp, linkDown, resign),
    fc.constantFrom<TimerId>('advert', 'master-down-4', 'master-down-6', 'stop-hold').map(fire),
    fc.integer({ min: -5, max: 300 }).map(setDemotion),
    fc.constantFrom<'master' | 'backup'>('master', 'backup').map(force),
    fc
      .record({ family, last: fc.integer({ min: 1, max: 3 }), priority: fc.constantFrom(0, 1, 50, 100, 101, 254, 255), intervalCentis: fc.constantFrom(0, 1, 100, 4095) })
      .map(({ family: f, last, ...fields }) => advert({ ...fields, family: f, source: f === 4 ? `10.0.0.${last}` : `fe80::${last}` })),
  );
  const config: fc.Arbitrary<VrrpConfig> = fc
    .record({
      family,
      priority: fc.constantFrom(1, 50, 100, 254, 255),
      advertIntervalCentis: fc.constantFrom(1, 20, 100, 4095),
      preempt: fc.boolean(),
      preemptDelayMicros: fc.constantFrom(0, 5 * S),
    })
    .map((c) => makeVrrpConfig(c));
  const timeline = fc.array(fc.tuple(fc.integer({ min: 0, max: 5 * S }), event), { maxLength: 60 });

  it('property: never throws; MASTER entered only with an advert; addresses and timers exactly per phase; advertised priority 1..255', () => {
    fc.assert(
      fc.property(config, timeline, (cfg, events) => {
        let state: VrrpState = initialVrrpState(cfg, 0);
        let now = 0;
        let holding = false;
        for (const [dt, ev] of events) {
          now += dt;
          const before = state.phase;
          const { state: next, actions } = stepVrrp(cfg, state, ev, now);
          if (next.phase === 'master' && before !== 'master') assert.ok(actions.some((a) => a.type === 'send-advert'), 'MASTER entered with an advert');
          for (const a of actions) {
            if (a.type === 'send-advert') {
              assert.deepEqual(a.families, [cfg.family]);
              if (a.bowOut) assert.equal(a.fields.priority, 0);
              else assert.ok(a.fields.priority >= 1 && a.fields.priority <= 255);
            }
            if (a.type === 'add-addresses') assert.equal(holding, false, 'two adds without a remove');
            if (a.type === 'remove-addresses') assert.equal(holding, true, 'a remove without an add');
            if (a.type === 'add-addresses' || a.type === 'remove-addresses') holding = a.type === 'add-addresses';
          }
          assert.equal(holding, next.phase === 'master', 'addresses held exactly while MASTER');
          // (Timers here fire only when the timeline says so, so a deadline may lie in the past.)
          assert.equal(next.masterDownAt !== undefined, next.phase === 'backup', 'Master_Down_Timer exactly while BACKUP');
          // A stopping MASTER's last interval before its hold ends has no Adver_Timer (protocols/vrrp/vrrp-step.ts nextResignation).
          if (next.stopping === undefined) assert.equal(next.advertDueAt !== undefined, next.phase === 'master', 'Adver_Timer exactly while MASTER');
          state = next;
        }
      }),
      { numRuns: 300 },
    );
  });
});
