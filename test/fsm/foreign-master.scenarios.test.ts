/**
 * fsm/foreign-master.ts as timed scenario tables: when a MASTER re-announces its addresses while
 * a foreign master is heard for its id, when it says farewell, and when it falls silent. Each row:
 * [time µs, input, announces?, active after?, wake time after (undefined: none)].
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FOREIGN_MASTER_IDLE, foreignMasterHeard, foreignMasterWake, type ForeignMasterHeard, type ForeignMasterState } from '../../src/fsm/foreign-master.ts';

const S = 1_000_000;
/** Our advert interval in these tables: 1 s. */
const I = S;

type Input = { readonly heard: ForeignMasterHeard } | 'wake';
type Row = readonly [at: number, input: Input, announces: boolean, active: boolean, wakeAt: number | undefined];

const advert: Input = { heard: { master: true, farewell: false, foreignIntervalMicros: S } };
const farewell: Input = { heard: { master: true, farewell: true } };
const asBackup: Input = { heard: { master: false, farewell: false, foreignIntervalMicros: S } };

function run(rows: readonly Row[], initial: ForeignMasterState = FOREIGN_MASTER_IDLE): ForeignMasterState {
  let state = initial;
  rows.forEach(([at, input, announces, active, wakeAt], i) => {
    if (input === 'wake') assert.equal(at, state.wakeAt, `row ${i}: a wake only at the armed time`);
    const step = input === 'wake' ? foreignMasterWake(state, I, at) : foreignMasterHeard(state, input.heard, I, at);
    state = step.state;
    assert.equal(step.announce, announces, `row ${i} (t=${at}): announce`);
    assert.equal(state.active, active, `row ${i} (t=${at}): active`);
    assert.equal(state.active ? state.wakeAt : undefined, wakeAt, `row ${i} (t=${at}): wake`);
  });
  return state;
}

describe('foreign master: a MASTER re-announces (fsm/foreign-master.ts)', () => {
  it('heard every second: first announcement a quarter interval after the first advert, then one per interval', () => {
    run([
      [0, advert, false, true, I / 4],
      [I / 4, 'wake', true, true, I / 4 + I],
      [S, advert, false, true, I / 4 + I],
      [2 * S, advert, false, true, I / 4 + I],
      [I / 4 + I, 'wake', true, true, I / 4 + 2 * I],
      [I / 4 + 2 * I, 'wake', true, true, I / 4 + 3 * I],
    ]);
  });

  it('it falls silent (killed, cable pulled): announcements go on for its master-down time (3 intervals), the last one ends the watch', () => {
    run([
      [0, advert, false, true, I / 4],
      [I / 4, 'wake', true, true, I / 4 + I],
      [I / 4 + I, 'wake', true, true, I / 4 + 2 * I],
      [I / 4 + 2 * I, 'wake', true, true, I / 4 + 3 * I],
      // Last heard at 0: 3.25 s later it is silent for longer than 3 s.
      [I / 4 + 3 * I, 'wake', true, false, undefined],
    ]);
  });

  it('it says farewell (bow-out, priority 0): announce at once, once more at the next wake, then idle', () => {
    run([
      [0, advert, false, true, I / 4],
      [I / 4, 'wake', true, true, I / 4 + I],
      [S, advert, false, true, I / 4 + I],
      [S + 500_000, farewell, true, true, I / 4 + I],
      [I / 4 + I, 'wake', true, false, undefined],
    ]);
  });

  it('announcements stay a quarter interval apart: a farewell right after one waits for the next wake', () => {
    run([
      [0, advert, false, true, I / 4],
      [I / 4, 'wake', true, true, I / 4 + I],
      [I / 4 + 100_000, farewell, false, true, I / 4 + I],
      [I / 4 + 100_001, farewell, false, true, I / 4 + I],
      [I / 4 + I, 'wake', true, false, undefined],
    ]);
  });

  it('a farewell with nothing heard before (its first advert lost): announce at once and once more', () => {
    run([
      [5 * S, farewell, true, true, 5 * S + I / 4],
      [5 * S + I / 4, 'wake', true, false, undefined],
    ]);
  });

  it('a slower foreign master (10 s adverts) is silent only after 30 s', () => {
    const slow: Input = { heard: { master: true, farewell: false, foreignIntervalMicros: 10 * S } };
    const state = run([[0, slow, false, true, I / 4]]);
    assert.equal(state.silenceMicros, 30 * S);
    assert.equal(foreignMasterWake({ ...state, wakeAt: 29 * S }, I, 29 * S).state.active, true);
    assert.equal(foreignMasterWake({ ...state, wakeAt: 31 * S }, I, 31 * S).state.active, false);
  });

  it('not MASTER: nothing to announce, and the watch is idle', () => {
    run([
      [0, asBackup, false, false, undefined],
      [S, asBackup, false, false, undefined],
    ]);
    const active = run([[0, advert, false, true, I / 4]]);
    assert.deepEqual(foreignMasterHeard(active, asBackup.heard, I, S), { state: FOREIGN_MASTER_IDLE, announce: false });
  });

  it('a wake while idle (a stale timer) does nothing', () => {
    assert.deepEqual(foreignMasterWake(FOREIGN_MASTER_IDLE, I, 7 * S), { state: FOREIGN_MASTER_IDLE, announce: false });
  });
});
