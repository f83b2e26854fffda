import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initialRiseFall, observe, type RiseFallParams, type RiseFallState } from '../../src/health/rise-fall.ts';

/** Feeds a sequence of results ('+' success, '-' failure) and returns the verdict after each one. */
function run(params: RiseFallParams, results: string, start: RiseFallState = initialRiseFall()): { healthy: string; changes: number[]; final: RiseFallState } {
  let state = start;
  let healthy = '';
  const changes: number[] = [];
  [...results].forEach((r, index) => {
    const stepped = observe(state, r === '+', params);
    state = stepped.state;
    healthy += state.healthy ? 'H' : 'F';
    if (stepped.changed) changes.push(index);
  });
  return { healthy, changes, final: state };
}

describe('initialRiseFall', () => {
  it('starts failed and pending (unproven service must not win mastership)', () => {
    assert.deepEqual(initialRiseFall(), { healthy: false, pending: true, successes: 0, failures: 0 });
  });
});

describe('observe', () => {
  // healthy: the verdict after each result; changes: indexes of results that flipped the verdict.
  const cases: { name: string; params: RiseFallParams; results: string; healthy: string; changes: number[] }[] = [
    { name: 'start: healthy only after rise=2 successes', params: { rise: 2, fall: 3 }, results: '++', healthy: 'FH', changes: [1] },
    { name: 'start: rise=1 is healthy at the first success', params: { rise: 1, fall: 1 }, results: '+', healthy: 'H', changes: [0] },
    { name: 'start: a failure resets the rise count', params: { rise: 2, fall: 3 }, results: '+-++', healthy: 'FFFH', changes: [3] },
    { name: 'start: failing from the start never changes the verdict', params: { rise: 2, fall: 3 }, results: '-----', healthy: 'FFFFF', changes: [] },
    { name: 'healthy: falls after fall=3 consecutive failures', params: { rise: 2, fall: 3 }, results: '++---', healthy: 'FHHHF', changes: [1, 4] },
    { name: 'healthy: a success between failures resets the fall count', params: { rise: 2, fall: 3 }, results: '++--+--', healthy: 'FHHHHHH', changes: [1] },
    { name: 'healthy: fall=1 fails on the first failure', params: { rise: 1, fall: 1 }, results: '+-', healthy: 'HF', changes: [0, 1] },
    { name: 'failed: recovers after rise successes', params: { rise: 3, fall: 1 }, results: '+++-+++', healthy: 'FFHFFFH', changes: [2, 3, 6] },
    { name: 'failed: more failures keep it failed', params: { rise: 2, fall: 2 }, results: '++------', healthy: 'FHHFFFFF', changes: [1, 3] },
    { name: 'rise/fall below 1 act as 1', params: { rise: 0, fall: -4 }, results: '+-+', healthy: 'HFH', changes: [0, 1, 2] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = run(c.params, c.results);
      assert.equal(got.healthy, c.healthy);
      assert.deepEqual(got.changes, c.changes);
    });
  }

  it('pending ends at the first verdict, by rise or by fall', () => {
    assert.equal(run({ rise: 2, fall: 3 }, '++').final.pending, false);
    assert.equal(run({ rise: 2, fall: 3 }, '--').final.pending, true);
    assert.equal(run({ rise: 2, fall: 3 }, '---').final.pending, false);
  });

  it('property: the verdict flips only after rise successes or fall failures in a row', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.boolean(), { maxLength: 60 }), (rise, fall, results) => {
        let state = initialRiseFall();
        let streak = 0;
        let last: boolean | undefined;
        for (const success of results) {
          streak = success === last ? streak + 1 : 1;
          last = success;
          const { state: next, changed } = observe(state, success, { rise, fall });
          assert.equal(changed, next.healthy !== state.healthy);
          if (changed) assert.equal(streak >= (success ? rise : fall), true);
          if (changed) assert.equal(next.healthy, success);
          state = next;
        }
      }),
    );
  });
});
