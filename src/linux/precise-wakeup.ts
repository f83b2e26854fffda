/**
 * The addon's timerfd (native/carp_socket.cc, PreciseTimer) as SystemClock's wakeup. Node's
 * setTimeout counts whole milliseconds of a loop time cached once per turn, so a batch of
 * adverts went out up to ~1 ms early or late, a different amount each second; the timerfd wakes
 * the process at the deadline, to the microsecond. If it ever fails (its poll or read reports an
 * error, arming throws), the clock goes on with setTimeout: a wakeup a millisecond off is a
 * nuisance, a wakeup that never comes is a master that stops advertising or a backup that never
 * takes over.
 */
import { performance } from 'node:perf_hooks';
import type { NativeError, PreciseTimer, PreciseTimerBinding } from './native-binding.ts';
import { timeoutWakeup, type Wakeup } from './system-clock.ts';

/** timerfd never fires early; timers due within this much of the wakeup still share it. */
const PRECISE_EARLY_TOLERANCE_MICROS = 100;

/**
 * A SystemClock wakeup factory on the addon's timer. `onFailure` hears the error once, when the
 * clock falls back to setTimeout.
 */
export function preciseWakeup(binding: PreciseTimerBinding, onFailure: (error: unknown) => void): (onWake: () => void) => Wakeup {
  return (onWake) => {
    let fallback: Wakeup | undefined;
    /** The deadline armed, in performance.now() µs, so that a fallback can take it over. */
    let armedFor: number | undefined;
    const now = () => performance.now() * 1000;
    const fail = (error: unknown) => {
      if (fallback !== undefined) return;
      fallback = timeoutWakeup(() => {
        armedFor = undefined;
        onWake();
      });
      try {
        timer?.close();
      } catch {
        // Closing a failed timer is best effort; it is never used again.
      }
      onFailure(error);
      if (armedFor !== undefined) fallback.arm(armedFor - now());
    };
    let timer: PreciseTimer | undefined;
    try {
      timer = binding.openPreciseTimer({
        onFire: () => {
          armedFor = undefined;
          // Held only while armed, as a Node timeout is: an idle clock lets the process exit.
          timer?.unref();
          onWake();
        },
        onError: (error: NativeError) => fail(error),
      });
      timer.unref();
    } catch (error) {
      fail(error);
    }
    return {
      arm(delayMicros) {
        armedFor = now() + delayMicros;
        if (fallback !== undefined) return fallback.arm(delayMicros);
        try {
          timer?.arm(delayMicros);
          timer?.ref();
        } catch (error) {
          fail(error);
        }
      },
      disarm() {
        armedFor = undefined;
        if (fallback !== undefined) return fallback.disarm();
        try {
          timer?.disarm();
          timer?.unref();
        } catch (error) {
          // armedFor is already cleared: the fallback starts disarmed.
          fail(error);
        }
      },
      get earlyToleranceMicros() {
        return fallback?.earlyToleranceMicros ?? PRECISE_EARLY_TOLERANCE_MICROS;
      },
    };
  };
}
