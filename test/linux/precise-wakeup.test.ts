/**
 * The timerfd wakeup: the addon's timer fires, never before its deadline (timerfd cannot), holds
 * the event loop only while armed; and the clock falls back to setTimeout when the timer fails,
 * so that a broken timer never leaves timers unfired.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNativeBinding, type PreciseTimer, type PreciseTimerBinding, type PreciseTimerOptions } from '../../src/linux/native-binding.ts';
import { preciseWakeup } from '../../src/linux/precise-wakeup.ts';
import { SystemClock } from '../../src/linux/system-clock.ts';

const binding = loadNativeBinding();

test('the addon timer fires once, not before its deadline; arming again replaces the last; close is idempotent', async () => {
  const fired: number[] = [];
  let resolve: () => void = () => {};
  const done = new Promise<void>((r) => (resolve = r));
  const timer = binding.openPreciseTimer({ onFire: () => (fired.push(performance.now()), resolve()), onError: (error) => assert.fail(String(error)) });
  const armedAt = performance.now();
  timer.arm(500_000); // replaced by the next arm
  timer.arm(3_000);
  await done;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(fired.length, 1);
  assert.ok((fired[0] as number) - armedAt >= 3, `fired ${(fired[0] as number) - armedAt} ms after arming, deadline 3 ms`);
  timer.close();
  timer.close();
  assert.throws(() => timer.arm(1_000), /EBADF/);
});

test('the addon timer refuses bad arguments with JS errors', () => {
  const untyped = binding as unknown as { openPreciseTimer: (...args: unknown[]) => PreciseTimer };
  assert.throws(() => untyped.openPreciseTimer(), { name: 'TypeError' });
  assert.throws(() => untyped.openPreciseTimer({ onFire: 1, onError: () => {} }), { name: 'TypeError' });
  const timer = binding.openPreciseTimer({ onFire: () => {}, onError: () => {} });
  try {
    assert.throws(() => (timer.arm as (...args: unknown[]) => void)('soon'), { name: 'TypeError' });
    // NaN, negative and huge delays are clamped, never an abort.
    timer.arm(Number.NaN);
    timer.arm(-5);
    timer.arm(1e300);
    timer.disarm();
  } finally {
    timer.close();
  }
});

test('SystemClock on the addon timer: timers fire in order, each not before its deadline', async () => {
  const clock = new SystemClock(preciseWakeup(binding, (error) => assert.fail(String(error))));
  const start = clock.nowMicros();
  const ran: [string, number][] = [];
  await new Promise<void>((resolve) => {
    clock.setTimer(start + 4_000, () => ran.push(['b', clock.nowMicros()]));
    clock.setTimer(start + 2_000, () => ran.push(['a', clock.nowMicros()]));
    clock.setTimer(start + 6_000, () => (ran.push(['c', clock.nowMicros()]), resolve()));
  });
  assert.deepEqual(ran.map(([name]) => name), ['a', 'b', 'c']);
  const deadlines: Record<string, number> = { a: 2_000, b: 4_000, c: 6_000 };
  for (const [name, at] of ran) assert.ok(at - start >= (deadlines[name] as number) - 100, `${name} at +${at - start} µs`);
});

/** A binding whose timer fails the way the test says, to exercise the fallback. */
function failingBinding(how: 'open' | 'arm' | 'poll'): { binding: PreciseTimerBinding; options?: PreciseTimerOptions } {
  const holder: { binding: PreciseTimerBinding; options?: PreciseTimerOptions } = {
    binding: {
      openPreciseTimer(options) {
        if (how === 'open') throw Object.assign(new Error('timerfd_create: EMFILE'), { code: 'EMFILE' });
        holder.options = options;
        return {
          arm: () => {
            if (how === 'arm') throw Object.assign(new Error('timerfd_settime: EINVAL'), { code: 'EINVAL' });
            // 'poll': the poll fails instead of the timer firing.
            setImmediate(() => options.onError(Object.assign(new Error('uv_poll: EBADF'), { code: 'EBADF' })));
          },
          disarm: () => {},
          close: () => {},
          ref: () => {},
          unref: () => {},
        };
      },
    },
  };
  return holder;
}

for (const how of ['open', 'arm', 'poll'] as const) {
  test(`a timer that fails (${how}) hands over to setTimeout: the failure is reported once and timers still fire`, async () => {
    const failures: unknown[] = [];
    const clock = new SystemClock(preciseWakeup(failingBinding(how).binding, (error) => failures.push(error)));
    const fired = await new Promise<number>((resolve) => {
      clock.setTimer(clock.nowMicros() + 3_000, () => resolve(clock.nowMicros()));
    });
    assert.ok(fired > 0);
    assert.equal(failures.length, 1, String(failures));
    // Later timers go on firing through the fallback.
    await new Promise<void>((resolve) => clock.setTimer(clock.nowMicros() + 2_000, () => resolve()));
    assert.equal(failures.length, 1);
  });
}
