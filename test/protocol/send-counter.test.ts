import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  COUNTER_MAX,
  COUNTER_RESERVE,
  counterAsDate,
  initialSendCounter,
  nextSendCounter,
  type SendCounterState,
} from '../../src/protocol/send-counter.ts';

const T0 = 1_767_225_600_000_000n; // 2026-01-01T00:00:00Z in µs
const HOUR = 3_600_000_000n;

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
  it('first counter from a fresh state is the wall clock', () => {
    assert.equal(nextSendCounter(initialSendCounter(0n), T0, undefined).counter, T0);
  });

  it('two adverts in the same microsecond still increase', () => {
    const { counters } = run(initialSendCounter(0n), () => T0, 3);
    assert.deepEqual(counters, [T0, T0 + 1n, T0 + 2n]);
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

  it('adopts a heard counter ahead of the clock: heard + 1', () => {
    const heard = T0 + HOUR;
    assert.equal(nextSendCounter(initialSendCounter(0n), T0, heard).counter, heard + 1n);
  });

  it('a heard counter behind our own is not adopted', () => {
    const state: SendCounterState = { last: T0 + 100n, reservedUntil: T0 + COUNTER_RESERVE };
    assert.equal(nextSendCounter(state, T0, T0 + 5n).counter, T0 + 101n);
  });

  it('a heard counter at COUNTER_MAX is ignored rather than wrapped to 0', () => {
    const next = nextSendCounter(initialSendCounter(0n), T0, COUNTER_MAX);
    assert.equal(next.counter, T0);
  });
});

describe('nextSendCounter, reservations', () => {
  it('the first counter after a start persists counter + RESERVE', () => {
    const next = nextSendCounter(initialSendCounter(0n), T0, undefined);
    assert.equal(next.persist, T0 + COUNTER_RESERVE);
    assert.equal(next.state.reservedUntil, T0 + COUNTER_RESERVE);
  });

  const cases: { name: string; last: bigint; want: boolean }[] = [
    { name: 'not due while more than half a reserve remains', last: T0 - COUNTER_RESERVE / 2n - 2n, want: false },
    { name: 'due once the counter comes within half a reserve', last: T0 - COUNTER_RESERVE / 2n - 1n, want: true },
    { name: 'due when the counter reaches the reservation', last: T0 - 1n, want: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      // The clock is far behind, so the counter is last + 1; the reservation ends at T0.
      const next = nextSendCounter({ last: c.last, reservedUntil: T0 }, 0n, undefined);
      assert.equal(next.counter, c.last + 1n);
      assert.equal(next.persist !== undefined, c.want);
      if (c.want) assert.equal(next.persist, next.counter + COUNTER_RESERVE);
      else assert.equal(next.state.reservedUntil, T0);
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

  it('counts up to COUNTER_MAX and then stays there, never wrapping to 0', () => {
    const { counters } = run({ last: COUNTER_MAX - 2n, reservedUntil: COUNTER_MAX }, () => T0, 4);
    assert.deepEqual(counters, [COUNTER_MAX - 1n, COUNTER_MAX, COUNTER_MAX, COUNTER_MAX]);
  });

  it('a wall clock above the counter space is clamped', () => {
    assert.equal(nextSendCounter(initialSendCounter(0n), COUNTER_MAX + 10n, undefined).counter, COUNTER_MAX);
  });

  it('a persisted reservation never exceeds 64 bits', () => {
    const { persisted, state } = run({ last: COUNTER_MAX - COUNTER_RESERVE, reservedUntil: COUNTER_MAX - COUNTER_RESERVE }, () => 0n, 3);
    assert.ok(persisted.length > 0);
    for (const value of persisted) assert.ok(value <= COUNTER_MAX, `persisted ${value} fits in 64 bits`);
    assert.ok(state.reservedUntil <= COUNTER_MAX);
  });
});

describe('counterAsDate', () => {
  const cases: { name: string; counter: bigint; want: string | undefined }[] = [
    { name: 'a carpd counter decodes to its wall-clock time', counter: T0 + 123_456n, want: '2026-01-01T00:00:00.123Z' },
    { name: 'the lower bound, 2000-01-01', counter: 946_684_800_000_000n, want: '2000-01-01T00:00:00.000Z' },
    { name: 'just below 2000 is not a date', counter: 946_684_799_999_999n, want: undefined },
    { name: 'the upper bound, 2200-01-01', counter: 7_258_118_400_000_000n, want: '2200-01-01T00:00:00.000Z' },
    { name: 'just above 2200 is not a date', counter: 7_258_118_400_000_001n, want: undefined },
    { name: 'a small (BSD-continued) counter is not a date', counter: 42n, want: undefined },
    { name: 'a ucarp random counter is not a date', counter: 0xc819695857265d17n, want: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(counterAsDate(c.counter)?.toISOString(), c.want));
});
