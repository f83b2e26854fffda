/**
 * The rise/fall filter of one health check (pure): a healthy check counts as failed only after
 * `fall` consecutive failed probes, and a failed one as healthy only after `rise` consecutive
 * successes, so one slow answer does not move a virtual address.
 *
 * Start state: FAILED, pending its first `rise` successes. A node whose service is not yet proven
 * healthy should not win mastership, so a freshly started carpd advertises the check's weight
 * until the service has answered `rise` times in a row. This is keepalived's `init_fail`
 * behaviour (its default is the optimistic opposite), and the automated form of the OpenBSD
 * practice of booting with `carpdemote 128` and undemoting once services are up (docs/protocol-carp.md
 * "Demotion"). The cost is a short demotion at every start (about rise × interval); a node that is
 * alone on the segment still becomes MASTER, since demotion only ranks nodes against each other.
 */

/** The filter's parameters: consecutive results needed to change the verdict (each ≥ 1). */
export interface RiseFallParams {
  readonly rise: number;
  readonly fall: number;
}

/** One check's filtered state. */
export interface RiseFallState {
  /** The verdict after rise/fall: does the check count as healthy? */
  readonly healthy: boolean;
  /** True until the first verdict was reached by probes (the start state is assumed, not observed). */
  readonly pending: boolean;
  /** Consecutive successes so far (reset by a failure). */
  readonly successes: number;
  /** Consecutive failures so far (reset by a success). */
  readonly failures: number;
}

/** The result of one observation. */
export interface RiseFallStep {
  readonly state: RiseFallState;
  /** Did the verdict (`healthy`) change? */
  readonly changed: boolean;
}

/** The start state: failed and pending, so the check demotes until `rise` successes (see header). */
export function initialRiseFall(): RiseFallState {
  return { healthy: false, pending: true, successes: 0, failures: 0 };
}

/** Feeds one probe result through the filter. Parameters below 1 act as 1. */
export function observe(state: RiseFallState, success: boolean, params: RiseFallParams): RiseFallStep {
  const rise = Math.max(1, params.rise);
  const fall = Math.max(1, params.fall);
  const successes = success ? state.successes + 1 : 0;
  const failures = success ? 0 : state.failures + 1;
  let healthy = state.healthy;
  let pending = state.pending;
  if (!healthy && successes >= rise) {
    healthy = true;
    pending = false;
  } else if (healthy && failures >= fall) {
    healthy = false;
  } else if (pending && !success && failures >= fall) {
    // Failing from the start: the assumed verdict is now an observed one.
    pending = false;
  }
  return { state: { healthy, pending, successes, failures }, changed: healthy !== state.healthy };
}
