/**
 * Why a peer's authentic counters went backwards, for the one warning that names it
 * (protocols/carp/carp-group-runner.ts reportUncheckablePeer). Pure: the wall clock is passed in.
 *
 * A carpd peer sends lane-tagged wall-clock counters (protocols/carp/send-counter.ts) that never go
 * backwards while it runs; they go backwards only when it restarts with its clock behind what it
 * sent before (a clock stepped back further than its reservation covers, or its state file lost
 * or refused). The cure is its clock (NTP), not replay mode "compat", which would switch the
 * replay check off for the group. ucarp, FreeBSD and OpenBSD send random or constant counters:
 * for them "compat" is the cure (docs/replay-and-threat-model.md).
 */
import { counterAsDate, counterLane, counterSequence, PERSISTED_COUNTER_LEAD_MAX } from './send-counter.ts';

/** The likely cause, a stable log field (`likelyCause`). */
export type BackwardsCounterCause = 'peer-clock-stepped-back' | 'peer-counters-not-clock-based';

/** How near our own clock a carpd counter must be to count as one: a day (send-counter.ts). */
const NEAR_OUR_CLOCK = PERSISTED_COUNTER_LEAD_MAX >> 8n;

/**
 * A carpd clock counter that went back: both counters decode as times (2000–2200) in the same
 * lane, the new one strictly lower, and one of them within a day of our clock (the one sent while
 * the peer's clock was right). A random 64-bit counter passes all this with a chance under 1e-4.
 */
export function backwardsCounterCause(previous: bigint, counter: bigint, wallclockMicros: bigint): BackwardsCounterCause {
  const clockLike = counterAsDate(previous) !== undefined && counterAsDate(counter) !== undefined && counterLane(previous) === counterLane(counter);
  const near = (c: bigint) => {
    const distance = counterSequence(c) - wallclockMicros;
    return (distance < 0n ? -distance : distance) <= NEAR_OUR_CLOCK;
  };
  return clockLike && counter < previous && (near(previous) || near(counter)) ? 'peer-clock-stepped-back' : 'peer-counters-not-clock-based';
}
