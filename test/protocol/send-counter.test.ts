import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  COUNTER_MAX,
  COUNTER_RESERVE,
  counterAsDate,
  counterLane,
  counterSequence,
  initialSendCounter,
  nextSendCounter,
  isPersistedCounterPlausible,
  PERSISTED_COUNTER_LEAD_MAX,
  PLAUSIBLE_SEQUENCE_MAX,
  type SendCounterState,
} from '../../src/protocols/carp/send-counter.ts';

const T0 = 1_767_225_600_000_000n; // 2026-01-01T00:00:00Z in µs
const HOUR = 3_600_000_000n;
/** A counter: sequence · 256 + lane. */
const c = (sequence: bigint, lane = 0n): bigint => (sequence << 8n) | lane;

/** Sends `n` adverts with the wall clock given per call; returns the counters and every persisted value. */
function run(state: SendCounterState, clock: (i: number) => bigint, n: number, heard?: (i: number) => bigint | undefined) {
  const counters: bigint[] = [];
  const persisted: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const next = nextSendCounter(state, clock(i), heard?.(i));
    counters.push(next.counter);
    if (next.persist !== undefined) persisted.push(next.persist);
    state = next.state;
  }
  return { counters, persisted, state };
}

function assertStrictlyIncreasing(counters: readonly bigint[]): void {
  for (let i = 1; i < counters.length; i++) assert.ok((counters[i] as bigint) > (counters[i - 1] as bigint), `counter ${i} increases`);
}

describe('nextSendCounter', () => {
  it('first counter from a fresh state is the wall clock in the sequence, in our lane', () => {
    const counter = nextSendCounter(initialSendCounter(0n), T0, undefined, 7).counter;
    assert.equal(counter, c(T0, 7n));
    assert.equal(counterSequence(counter), T0);
    assert.equal(counterLane(counter), 7);
  });

  it('two adverts in the same microsecond still increase', () => {
    const { counters } = run(initialSendCounter(0n), () => T0, 3);
    assert.deepEqual(counters, [c(T0), c(T0 + 1n), c(T0 + 2n)]);
  });

  it('two nodes continuing from the same heard counter never send the same counter', () => {
    const heard = c(T0 + HOUR, 3n);
    const b = nextSendCounter(initialSendCounter(0n), T0, heard, 11).counter;
    const d = nextSendCounter(initialSendCounter(0n), T0, heard, 12).counter;
    assert.notEqual(b, d);
    assert.ok(b > heard && d > heard);
  });

  it('strictly increasing across many calls with a wall clock that jumps backwards', () => {
    // One advert per second, with the clock stepped back an hour at call 100 and 10 s at 300.
    const clock = (i: number) => T0 + BigInt(i) * 1_000_000n - (i >= 100 ? HOUR : 0n) - (i >= 300 ? 10_000_000n : 0n);
    const { counters } = run(initialSendCounter(0n), clock, 1000);
    assertStrictlyIncreasing(counters);
  });

  it('property: strictly increasing and never above COUNTER_MAX for any clock and heard values', () => {
    const call = fc.tuple(fc.bigInt({ min: 0n, max: T0 * 2n }), fc.option(fc.bigInt({ min: 0n, max: T0 * 2n }), { nil: undefined }));
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: T0 }), fc.array(call, { minLength: 1, maxLength: 50 }), (persisted, calls) => {
        const { counters } = run(initialSendCounter(persisted), (i) => (calls[i] as (typeof calls)[number])[0], calls.length, (i) => (calls[i] as (typeof calls)[number])[1]);
        assertStrictlyIncreasing(counters);
        assert.ok((counters[0] as bigint) > persisted);
      }),
    );
  });

  it('adopts a heard counter ahead of the clock: the next sequence, in our lane', () => {
    const heard = c(T0 + HOUR, 200n);
    assert.equal(nextSendCounter(initialSendCounter(0n), T0, heard, 5).counter, c(T0 + HOUR + 1n, 5n));
  });

  it('a heard counter behind our own is not adopted', () => {
    const state: SendCounterState = { last: c(T0 + 100n), reservedUntil: c(T0) + COUNTER_RESERVE };
    assert.equal(nextSendCounter(state, T0, c(T0 + 5n)).counter, c(T0 + 101n));
  });

  it('a heard counter at COUNTER_MAX is not adopted (it would saturate and repeat), nor wrapped to 0', () => {
    const next = nextSendCounter(initialSendCounter(0n), T0, COUNTER_MAX);
    assert.equal(counterSequence(next.counter), T0);
  });
});

describe('nextSendCounter, reservations', () => {
  it('the first counter after a start persists counter + RESERVE', () => {
    const next = nextSendCounter(initialSendCounter(0n), T0, undefined);
    assert.equal(next.persist, c(T0) + COUNTER_RESERVE);
    assert.equal(next.state.reservedUntil, c(T0) + COUNTER_RESERVE);
  });

  const counterAt = (sequence: bigint) => c(sequence);
  const cases: { name: string; last: bigint; want: boolean }[] = [
    { name: 'not due while more than half a reserve remains', last: counterAt(T0) - COUNTER_RESERVE / 2n - 512n, want: false },
    { name: 'due once the counter comes within half a reserve', last: counterAt(T0) - COUNTER_RESERVE / 2n - 256n, want: true },
    { name: 'due when the counter reaches the reservation', last: counterAt(T0) - 256n, want: true },
  ];
  for (const k of cases) {
    it(k.name, () => {
      // The clock is far behind, so the counter is the next sequence; the reservation ends at c(T0).
      const next = nextSendCounter({ last: k.last, reservedUntil: counterAt(T0) }, 0n, undefined);
      assert.equal(next.counter, k.last + 256n);
      assert.equal(next.persist !== undefined, k.want);
      if (k.want) assert.equal(next.persist, next.counter + COUNTER_RESERVE);
      else assert.equal(next.state.reservedUntil, counterAt(T0));
    });
  }

  it('with a steady clock, persistence is due about once per half reserve', () => {
    // One advert per second for an hour: a 60 s reserve re-persisted every 30 s.
    const { persisted } = run(initialSendCounter(0n), (i) => T0 + BigInt(i) * 1_000_000n, 3600);
    assert.ok(persisted.length >= 110 && persisted.length <= 125, `${persisted.length} persists`);
  });

  it('every counter sent stays below the reservation persisted before or with it', () => {
    let persisted = 0n;
    let state = initialSendCounter(0n);
    for (let i = 0; i < 500; i++) {
      const next = nextSendCounter(state, T0 + BigInt(i) * 250_000n, i % 97 === 0 ? T0 + BigInt(i) * 2_000_000n : undefined);
      if (next.persist !== undefined) persisted = next.persist;
      assert.ok(next.counter < persisted, `counter ${i} below the persisted reservation`);
      state = next.state;
    }
  });

  it('restart from the persisted reservation with the wall clock an hour back starts above everything sent before', () => {
    const first = run(initialSendCounter(0n), (i) => T0 + BigInt(i) * 1_000_000n, 200);
    const lastPersisted = first.persisted.at(-1) as bigint;
    const highestSent = first.counters.at(-1) as bigint;
    const restarted = run(initialSendCounter(lastPersisted), (i) => T0 + 200_000_000n - HOUR + BigInt(i) * 1_000_000n, 50);
    assert.ok((restarted.counters[0] as bigint) > highestSent);
    assert.ok((restarted.counters[0] as bigint) > lastPersisted - 1n);
    assertStrictlyIncreasing([...first.counters, ...restarted.counters]);
    assert.ok(restarted.persisted.length >= 1, 'a new reservation is due at once after a restart');
  });

  it('restart with nothing persisted and a good clock also starts above the previous run', () => {
    const first = run(initialSendCounter(0n), (i) => T0 + BigInt(i) * 1_000_000n, 10);
    const restarted = nextSendCounter(initialSendCounter(0n), T0 + 20_000_000n, undefined);
    assert.ok(restarted.counter > (first.counters.at(-1) as bigint));
  });
});

describe('nextSendCounter at COUNTER_MAX', () => {
  it('COUNTER_MAX is 2^64 − 1', () => assert.equal(COUNTER_MAX, 0xffff_ffff_ffff_ffffn));

  it('a previous counter near the top is not continued from (it would stay at the top, repeating): the clock is', () => {
    const top = COUNTER_MAX >> 8n;
    const { counters } = run({ last: c(top - 2n, 255n), reservedUntil: COUNTER_MAX }, (i) => T0 + BigInt(i), 4);
    assert.deepEqual(counters, [c(T0), c(T0 + 1n), c(T0 + 2n), c(T0 + 3n)]);
  });

  it('a wall clock above the counter space is clamped', () => {
    assert.equal(nextSendCounter(initialSendCounter(0n), COUNTER_MAX + 10n, undefined, 255).counter, COUNTER_MAX);
  });

  it('a persisted reservation never exceeds 64 bits', () => {
    const clock = (COUNTER_MAX - COUNTER_RESERVE) >> 8n; // only a clock this far ahead gets near the top now
    const { persisted, state } = run({ last: COUNTER_MAX - COUNTER_RESERVE, reservedUntil: COUNTER_MAX - COUNTER_RESERVE }, (i) => clock + BigInt(i), 3);
    assert.ok(persisted.length > 0);
    for (const value of persisted) assert.ok(value <= COUNTER_MAX, `persisted ${value} fits in 64 bits`);
    assert.ok(state.reservedUntil <= COUNTER_MAX);
  });
});

describe('counterAsDate', () => {
  const cases: { name: string; counter: bigint; want: string | undefined }[] = [
    { name: 'a carpd counter decodes to its wall-clock time', counter: c(T0 + 123_456n, 9n), want: '2026-01-01T00:00:00.123Z' },
    { name: 'the lower bound, 2000-01-01', counter: c(946_684_800_000_000n), want: '2000-01-01T00:00:00.000Z' },
    { name: 'just below 2000 is not a date', counter: c(946_684_799_999_999n, 255n), want: undefined },
    { name: 'the upper bound, 2200-01-01', counter: c(7_258_118_400_000_000n, 255n), want: '2200-01-01T00:00:00.000Z' },
    { name: 'just above 2200 is not a date', counter: c(7_258_118_400_000_001n), want: undefined },
    { name: 'a small (BSD-continued) counter is not a date', counter: 42n, want: undefined },
    { name: 'a ucarp random counter is not a date', counter: 0xc819695857265d17n, want: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(counterAsDate(c.counter)?.toISOString(), c.want));
});

describe('sanity bounds (issue 19 item 9)', () => {
  const DAY = 86_400_000_000n;
  it('a persisted counter up to a day ahead of the clock is plausible; a day and a µs or a saturated one is not', () => {
    assert.equal(isPersistedCounterPlausible(0n, T0), true);
    assert.equal(isPersistedCounterPlausible(c(T0 + DAY), T0), true);
    assert.equal(isPersistedCounterPlausible(c(T0 + DAY + 1n), T0), false);
    assert.equal(isPersistedCounterPlausible(COUNTER_MAX, T0), false);
    assert.equal(PERSISTED_COUNTER_LEAD_MAX, c(DAY));
  });
  it('a saturated previous counter is not continued from: the counters never repeat and follow the clock', () => {
    const { counters } = run({ last: COUNTER_MAX, reservedUntil: COUNTER_MAX }, (i) => T0 + BigInt(i), 1_000);
    assertStrictlyIncreasing(counters);
    assert.equal(counterSequence(counters[0] as bigint), T0);
  });
  it('a saturated heard counter is not adopted: the counters never repeat and never persist far ahead of the clock', () => {
    const { counters, persisted } = run(initialSendCounter(0n), () => T0, 1_000, () => COUNTER_MAX);
    assertStrictlyIncreasing(counters);
    assert.equal(new Set(counters).size, counters.length);
    for (const value of persisted) assert.ok(isPersistedCounterPlausible(value, T0), `persisted ${value} within a day of the clock`);
  });
  it('a heard counter past year 2200 is not adopted, one before it still is (a peer whose clock is far ahead)', () => {
    const beyond = c(PLAUSIBLE_SEQUENCE_MAX + 1n);
    assert.equal(counterSequence(nextSendCounter(initialSendCounter(0n), T0, beyond).counter), T0);
    const aheadByAYear = c(T0 + 365n * DAY);
    assert.equal(counterSequence(nextSendCounter(initialSendCounter(0n), T0, aheadByAYear).counter), T0 + 365n * DAY + 1n);
  });
  it('property: from any state and heard counter, 50 sends are strictly increasing', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: COUNTER_MAX }), fc.bigInt({ min: 0n, max: COUNTER_MAX }), (last, heard) => {
        const { counters } = run({ last, reservedUntil: last }, (i) => T0 + BigInt(i), 50, () => heard);
        assertStrictlyIncreasing(counters);
      }),
    );
  });
});
