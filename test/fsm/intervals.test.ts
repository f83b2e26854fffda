import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_DEMOTED_SKEW,
  MIN_ADVERT_INTERVAL_MICROS,
  advertIntervalMicros,
  demoteByte,
  demotedAdvskew,
  masterDownMicros,
  masterWillTimeOut,
  skewMicros,
  timevalue,
  type MasterDownFormula,
} from '../../src/protocols/carp/carp-intervals.ts';
import { nextAdvertDueAt } from '../../src/fsm/intervals.ts';

const S = 1_000_000;

describe('skewMicros', () => {
  const cases: { name: string; advskew: number; want: number }[] = [
    { name: 'skew 0 is no time', advskew: 0, want: 0 },
    { name: 'skew 1 is 1/256 s, truncated (3906.25 µs)', advskew: 1, want: 3906 },
    { name: 'skew 50 truncates 195312.5 µs', advskew: 50, want: 195_312 },
    { name: 'skew 128 is exactly half a second', advskew: 128, want: 500_000 },
    { name: 'skew 255 (bow-out) is 996093 µs', advskew: 255, want: 996_093 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(skewMicros(c.advskew), c.want));
});

describe('advertIntervalMicros', () => {
  const cases: { name: string; advbase: number; advskew: number; want: number }[] = [
    { name: '0/0 uses 1/256 s instead of zero (OpenBSD carp_send_ad)', advbase: 0, advskew: 0, want: 3906 },
    { name: '0/1 is one skew step', advbase: 0, advskew: 1, want: 3906 },
    { name: '1/0 is one second', advbase: 1, advskew: 0, want: S },
    { name: '1/50 is 1 s + 195312 µs', advbase: 1, advskew: 50, want: S + 195_312 },
    { name: '255/255 (bow-out) is 255.996093 s', advbase: 255, advskew: 255, want: 255 * S + 996_093 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(advertIntervalMicros(c.advbase, c.advskew), c.want));

  it('the minimum interval constant is 3906 µs', () => assert.equal(MIN_ADVERT_INTERVAL_MICROS, 3906));

  it('property: ordered like timevalue (smaller advertises more often)', () => {
    const tv = fc.record({ advbase: fc.integer({ min: 0, max: 255 }), advskew: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(tv, tv, (a, b) => {
        if (timevalue(a.advbase, a.advskew) < timevalue(b.advbase, b.advskew) && !(a.advbase === 0 && a.advskew === 0)) {
          assert.ok(advertIntervalMicros(a.advbase, a.advskew) < advertIntervalMicros(b.advbase, b.advskew));
        }
      }),
    );
  });
});

describe('timevalue', () => {
  it('is advbase·256 + advskew', () => assert.equal(timevalue(1, 50), 306));
  it('advbase dominates any skew', () => assert.ok(timevalue(1, 255) < timevalue(2, 0)));
});

describe('masterDownMicros', () => {
  const cases: { name: string; formula: MasterDownFormula; advbase: number; advskew: number; deadRatio?: number; want: number }[] = [
    { name: 'openbsd, 1/0: 3 s', formula: 'openbsd', advbase: 1, advskew: 0, want: 3 * S },
    { name: 'openbsd, 1/50: the skew is tripled too, 3·(1 s + 195312 µs)', formula: 'openbsd', advbase: 1, advskew: 50, want: 3 * (S + 195_312) },
    { name: 'openbsd, 0/0: three minimum intervals', formula: 'openbsd', advbase: 0, advskew: 0, want: 3 * 3906 },
    { name: 'openbsd, 0/128: 1.5 s', formula: 'openbsd', advbase: 0, advskew: 128, want: 1_500_000 },
    { name: 'freebsd, 1/50: only advbase is tripled, 3 s + 195312 µs', formula: 'freebsd', advbase: 1, advskew: 50, want: 3 * S + 195_312 },
    { name: 'freebsd, 2/0: 6 s', formula: 'freebsd', advbase: 2, advskew: 0, want: 6 * S },
    { name: 'freebsd, 0/0: never below three minimum intervals', formula: 'freebsd', advbase: 0, advskew: 0, want: 3 * 3906 },
    { name: 'freebsd, 0/128: the skew alone, 0.5 s', formula: 'freebsd', advbase: 0, advskew: 128, want: 500_000 },
    { name: 'ucarp, default dead ratio 3, 1/50', formula: 'ucarp', advbase: 1, advskew: 50, want: 3 * S + 195_312 },
    { name: 'ucarp, dead ratio 5, 2/128: 10.5 s', formula: 'ucarp', advbase: 2, advskew: 128, deadRatio: 5, want: 10_500_000 },
    { name: 'ucarp, dead ratio 1, 1/0: 1 s', formula: 'ucarp', advbase: 1, advskew: 0, deadRatio: 1, want: S },
    { name: 'ucarp, 0/0: never below three minimum intervals', formula: 'ucarp', advbase: 0, advskew: 0, want: 3 * 3906 },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(masterDownMicros(c.formula, c.advbase, c.advskew, c.deadRatio), c.want));
  }

  it('property: master-down is longer than the advert interval for every formula (dead ratio ≥ 2)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<MasterDownFormula>('openbsd', 'freebsd', 'ucarp'),
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 2, max: 10 }),
        (formula, advbase, advskew, deadRatio) => {
          assert.ok(masterDownMicros(formula, advbase, advskew, deadRatio) > advertIntervalMicros(advbase, advskew));
        },
      ),
    );
  });
});

describe('masterWillTimeOut', () => {
  const bowOut = { advbase: 255, advskew: 255 };
  const cases: { name: string; own: { advbase: number; advskew: number }; peer: { advbase: number; advskew: number }; multiplier?: number; want: boolean }[] = [
    { name: 'bow-out vs own advbase 1: takes over', own: { advbase: 1, advskew: 0 }, peer: bowOut, want: true },
    { name: 'bow-out vs own advbase 85, skew 0: takes over (255 s < 255.996 s)', own: { advbase: 85, advskew: 0 }, peer: bowOut, want: true },
    { name: 'bow-out vs own advbase 85, skew 254: still takes over', own: { advbase: 85, advskew: 254 }, peer: bowOut, want: true },
    { name: 'bow-out vs own advbase 86: waits (258 s ≥ 255.996 s)', own: { advbase: 86, advskew: 0 }, peer: bowOut, want: false },
    { name: 'bow-out vs own advbase 0: never (advbase 0 disables the rule)', own: { advbase: 0, advskew: 0 }, peer: bowOut, want: false },
    { name: 'master advbase 4 vs own advbase 1: takes over (3 s < 4 s)', own: { advbase: 1, advskew: 0 }, peer: { advbase: 4, advskew: 0 }, want: true },
    { name: 'master advbase 3 vs own advbase 1: equal is not shorter', own: { advbase: 1, advskew: 0 }, peer: { advbase: 3, advskew: 0 }, want: false },
    { name: 'master 3/1 vs own 1/0: one skew step longer, takes over', own: { advbase: 1, advskew: 0 }, peer: { advbase: 3, advskew: 1 }, want: true },
    { name: 'own skew is added, not tripled: own 1/100 vs master 3/100 is equal', own: { advbase: 1, advskew: 100 }, peer: { advbase: 3, advskew: 100 }, want: false },
    { name: 'own 1/100 vs master 3/101 takes over', own: { advbase: 1, advskew: 100 }, peer: { advbase: 3, advskew: 101 }, want: true },
    { name: 'same timing as the master: never', own: { advbase: 1, advskew: 0 }, peer: { advbase: 1, advskew: 0 }, want: false },
    { name: 'ucarp dead ratio 5: master advbase 5 vs own 1 is not shorter', own: { advbase: 1, advskew: 0 }, peer: { advbase: 5, advskew: 0 }, multiplier: 5, want: false },
    { name: 'ucarp dead ratio 2: master advbase 3 vs own 1 takes over', own: { advbase: 1, advskew: 0 }, peer: { advbase: 3, advskew: 0 }, multiplier: 2, want: true },
  ];
  for (const c of cases) it(c.name, () => assert.equal(masterWillTimeOut(c.own, c.peer, c.multiplier), c.want));
});

describe('demotedAdvskew', () => {
  const cases: { name: string; advskew: number; demotion: number; want: number }[] = [
    { name: 'no demotion keeps the configured skew', advskew: 10, demotion: 0, want: 10 },
    { name: 'negative demotion keeps the configured skew', advskew: 10, demotion: -5, want: 10 },
    { name: 'demotion adds to the skew', advskew: 10, demotion: 20, want: 30 },
    { name: 'capped at 240 (FreeBSD CARP_MAXSKEW)', advskew: 100, demotion: 200, want: 240 },
    { name: 'reaching exactly 240', advskew: 200, demotion: 40, want: 240 },
    { name: 'a configured 240 stays 240', advskew: 240, demotion: 1, want: 240 },
    { name: 'a configured skew above 240 is never lowered', advskew: 250, demotion: 10, want: 250 },
    { name: 'large demotion from zero caps at 240', advskew: 0, demotion: 255, want: 240 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(demotedAdvskew(c.advskew, c.demotion), c.want));

  it('property: never lowers the skew and never exceeds max(skew, 240)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: -300, max: 300 }), (advskew, demotion) => {
        const got = demotedAdvskew(advskew, demotion);
        assert.ok(got >= advskew);
        assert.ok(got <= Math.max(advskew, MAX_DEMOTED_SKEW));
      }),
    );
  });
});

describe('demoteByte', () => {
  const cases: { name: string; demotion: number; want: number }[] = [
    { name: 'zero', demotion: 0, want: 0 },
    { name: 'a small counter passes through', demotion: 7, want: 7 },
    { name: '128 (common boot-time demotion)', demotion: 128, want: 128 },
    { name: '255 is the top', demotion: 255, want: 255 },
    { name: 'above 255 clamps to 255 (carp_group_demote_count)', demotion: 1000, want: 255 },
    { name: 'negative clamps to 0', demotion: -3, want: 0 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(demoteByte(c.demotion), c.want));
});

describe('nextAdvertDueAt', () => {
  const cases: { name: string; due: number; now: number; wakeupAt?: number; want: number }[] = [
    { name: 'on time: the next one interval on', due: 10 * S, now: 10 * S, want: 11 * S },
    { name: 'late: anchored to the schedule, the latency is not carried on', due: 10 * S, now: 10 * S + 4_200, want: 11 * S },
    { name: "early in another timer's wakeup: continues from that wakeup's deadline", due: 10 * S, now: 10 * S - 40_000, wakeupAt: 10 * S - 41_000, want: 11 * S - 41_000 },
    { name: "due, run late in an earlier timer's late wakeup: keeps its own schedule", due: 10 * S, now: 10 * S + 500, wakeupAt: 10 * S - 2_000, want: 11 * S },
    { name: 'its own wakeup, fired a little early by the clock: anchored', due: 10 * S, now: 10 * S - 300, wakeupAt: 10 * S, want: 11 * S },
    { name: 'a wakeup the clock reports as late (the process held up): continues from when it came, no catch-up', due: 10 * S, now: 10 * S + 6_100, wakeupAt: 10 * S + 6_000, want: 11 * S + 6_000 },
    { name: 'early, from a clock that cannot tell the wakeup: continues from now', due: 10 * S, now: 10 * S - 40_000, want: 11 * S - 40_000 },
    { name: 'stalled past the next one: restarts from now', due: 10 * S, now: 11 * S, want: 12 * S },
  ];
  for (const c of cases) it(c.name, () => assert.equal(nextAdvertDueAt(c.due, c.now, S, c.wakeupAt), c.want));

  it('the adverts that joined a wakeup early, run one after the other, all continue from its deadline: one deadline for the batch', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 40 }), (earlyBy) => {
        const wakeupAt = 5 * S;
        // The i-th runs 40 µs after the one before, still before its own deadline.
        const next = earlyBy.map((early, index) => {
          const now = wakeupAt + index * 40;
          return nextAdvertDueAt(now + early, now, S, wakeupAt);
        });
        return next.every((due) => due === wakeupAt + S);
      }),
    );
  });
});
