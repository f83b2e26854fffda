/**
 * All VRRP interval arithmetic (RFC 5798 §6.1, RFC 3768 §6.1 for VRRPv2; docs/protocol-vrrp.md
 * "Timers", "VRRPv2"). The one difference between the versions, Skew_Time, comes from the
 * version profile (protocols/vrrp/vrrp-version.ts). The protocol counts in
 * centiseconds; the machine runs on integer microseconds like CARP's, so every value is derived
 * from centiseconds and truncated once, at the end. That keeps Skew_Time exact where keepalived
 * keeps it exact (it computes in µs: 156 × 100 cs / 256 = 609375 µs), where FRR's integer
 * centisecond division would give 60 cs; the difference only shifts a takeover by under 1 cs.
 */
import { DEFAULT_VRRP_VERSION, vrrpProfile, type VrrpVersion } from './vrrp-version.ts';

/** Microseconds in one centisecond. */
export const MICROS_PER_CENTISECOND = 10_000;
/** The smallest Advertisement_Interval the 12-bit Max Adver Int field can carry usefully. */
export const MIN_ADVERT_INTERVAL_CENTIS = 1;
/** The largest value of the 12-bit Max Adver Int field (40.95 s). */
export const MAX_ADVERT_INTERVAL_CENTIS = 4095;
/** RFC 5798 §6.1 default Advertisement_Interval: 1 s. */
export const DEFAULT_ADVERT_INTERVAL_CENTIS = 100;

/** A centisecond count in microseconds. */
export function centisToMicros(centis: number): number {
  return centis * MICROS_PER_CENTISECOND;
}

/**
 * A received Max Adver Int made safe to learn as Master_Adver_Interval: whole centiseconds within
 * 1..4095. A 0 from a broken peer would otherwise shrink Master_Down_Interval to the skew alone
 * and make every backup take over at once.
 */
export function learnableIntervalCentis(maxAdvertIntervalCentis: number): number {
  const whole = Math.trunc(maxAdvertIntervalCentis);
  return Math.min(MAX_ADVERT_INTERVAL_CENTIS, Math.max(MIN_ADVERT_INTERVAL_CENTIS, Number.isFinite(whole) ? whole : MIN_ADVERT_INTERVAL_CENTIS));
}

/**
 * Skew_Time in µs, truncated. VRRPv3: ((256 − Priority) × Master_Adver_Interval) / 256; VRRPv2
 * (RFC 3768 §6.1): (256 − Priority) / 256 seconds, whatever the interval. The better backup
 * (higher priority) waits less, so of several backups it takes over first. An owner's (255) skew
 * is 1/256 of the interval (v3) or of a second (v2), as keepalived computes it.
 */
export function skewTimeMicros(priority: number, masterAdverIntervalCentis: number, version: VrrpVersion = DEFAULT_VRRP_VERSION): number {
  const base = vrrpProfile(version).skewScalesWithInterval ? centisToMicros(masterAdverIntervalCentis) : 1_000_000;
  return Math.floor(((256 - priority) * base) / 256);
}

/** Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time, in µs. */
export function masterDownIntervalMicros(priority: number, masterAdverIntervalCentis: number, version: VrrpVersion = DEFAULT_VRRP_VERSION): number {
  return 3 * centisToMicros(masterAdverIntervalCentis) + skewTimeMicros(priority, masterAdverIntervalCentis, version);
}

/**
 * The Master_Adver_Interval a BACKUP runs with after hearing `advertised` (centiseconds): the
 * master's, made safe, in VRRPv3 (RFC 5798 §6.4.2); its own in VRRPv2, which has none to learn.
 */
export function followedIntervalCentis(ownCentis: number, advertisedCentis: number, version: VrrpVersion = DEFAULT_VRRP_VERSION): number {
  return vrrpProfile(version).learnsMasterInterval ? learnableIntervalCentis(advertisedCentis) : ownCentis;
}
