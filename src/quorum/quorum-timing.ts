/**
 * The quorum's timing constants and the arithmetic on them, in integer microseconds. Every number
 * and why it is what it is: docs/partitions.md ("Terms", "Backstop for a frozen daemon",
 * "Arithmetic at carpd's defaults", "Fast mode").
 */

/** Microseconds in one second. */
export const MICROS_PER_SECOND = 1_000_000;

/** ρ: bound on each monotonic clock's rate error against real time, in parts per million (≥ 500). */
export const QUORUM_DRIFT_PPM = 500;

/**
 * L: every lease, whatever the advert interval: the backstop lifetime of 2 whole seconds (four
 * renewals before the kernel may remove the address early) + G + a 250 ms round trip.
 */
export const QUORUM_LEASE_US = 3_500_000;

/** P: the holder's own lateness plus address removal while it runs; it starts removing at T − P. */
export const QUORUM_RELEASE_MARGIN_US = 250_000;

/** G: how late the kernel may remove an address after its valid lifetime (≤ 1 s, plus workqueue latency). */
export const KERNEL_BACKSTOP_GRANULARITY_US = 1_250_000;

/** The smallest advert interval at which quorum is supported ("fast mode"). */
export const QUORUM_MIN_ADVERT_INTERVAL_US = 100_000;

/** The longest a renewal waits: renewals go every min(advert interval, this). */
export const QUORUM_MAX_RENEW_INTERVAL_US = 500_000;

/** Slack added to a voter's start hold-off beyond K·L. */
export const START_HOLD_OFF_SLACK_US = 100_000;

/** Margins a model may take away, to show that the proof depends on them (test/quorum/). */
export interface SafetyMargins {
  /** ρ in ppm used for K = (1 + ρ)/(1 − ρ); 0 removes the drift factor. */
  readonly driftPpm: number;
  /** P in µs; 0 starts removal only at the lease end. */
  readonly releaseMarginUs: number;
  /** G in µs, the kernel backstop's lateness budget; 0 lets the valid lifetime run to the lease end. */
  readonly backstopGranularityUs: number;
}

export const DEFAULT_MARGINS: SafetyMargins = { driftPpm: QUORUM_DRIFT_PPM, releaseMarginUs: QUORUM_RELEASE_MARGIN_US, backstopGranularityUs: KERNEL_BACKSTOP_GRANULARITY_US };

/** K·duration, K = (1 + ρ)/(1 − ρ), rounded up: how long a granter's promise runs on its own clock. */
export function promiseDurationUs(leaseUs: number, driftPpm: number = QUORUM_DRIFT_PPM): number {
  return Math.ceil((leaseUs * (1_000_000 + driftPpm)) / (1_000_000 - driftPpm));
}

/** How long a voter grants nothing after a start: the longest promise it could have made, plus slack. */
export function startHoldOffUs(driftPpm: number = QUORUM_DRIFT_PPM): number {
  return promiseDurationUs(QUORUM_LEASE_US, driftPpm) + START_HOLD_OFF_SLACK_US;
}

/** T_live: the one "live master" timeout all voters share, from the master's own advert interval. */
export function liveMasterTimeoutUs(masterAdvertIntervalUs: number): number {
  return 3 * masterAdvertIntervalUs;
}

/** How often a holder renews (and a held-back claimant asks again). */
export function renewIntervalUs(advertIntervalUs: number): number {
  return Math.min(advertIntervalUs, QUORUM_MAX_RENEW_INTERVAL_US);
}

/**
 * The valid lifetime, in whole seconds, that backs a lease ending at `leaseEnd` when set at `now`
 * (the kernel removes the address at most G after it); 0 when no whole second fits, which the
 * holder must treat as no quorum.
 */
export function backstopLifetimeSeconds(leaseEnd: number, now: number, granularityUs: number = KERNEL_BACKSTOP_GRANULARITY_US): number {
  const room = leaseEnd - now - granularityUs;
  return room < MICROS_PER_SECOND ? 0 : Math.floor(room / MICROS_PER_SECOND);
}

/** Why an advert interval cannot run with quorum, or undefined when it can. */
export function quorumIntervalProblem(advertIntervalUs: number): 'below-fast-mode-floor' | undefined {
  return advertIntervalUs < QUORUM_MIN_ADVERT_INTERVAL_US ? 'below-fast-mode-floor' : undefined;
}

/** Strict majority of `voters`. */
export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}
