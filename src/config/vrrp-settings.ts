/**
 * What a `protocol: vrrp` group's settings mean, shared by the YAML file (config-schema.ts,
 * build-group.ts) and the one-group flags (daemon-options.ts), so that both accept the same
 * values with the same messages: the advertisement interval in centiseconds, one address family
 * per virtual router, the default names, and the CARP fields a VRRP group leaves inert.
 */
import type { IpAddress, IpFamily } from '../protocol/ip-address.ts';
import type { GroupConfig, VirtualAddressConfig } from './config-types.ts';
import { CONFIG_DEFAULTS } from './config-types.ts';
import type { ConfigErrorCode } from './error-codes.ts';

/** Priority (RFC 5798 §5.2.4): 1..254 a backup, 255 the address owner. 0 is only sent, to resign. */
export const VRRP_PRIORITY_RANGE = [1, 255] as const;
/** advert_interval in seconds: the 12-bit Max Adver Int field in centiseconds, 1..4095 (§5.2.7). */
export const VRRP_ADVERT_INTERVAL_RANGE = [0.01, 40.95] as const;

/** A value's problem, as the file and the flags both word it. */
export interface ValueProblem {
  readonly code: ConfigErrorCode;
  readonly detail: string;
}

/** advert_interval seconds as centiseconds (the value the protocol carries). */
export function advertIntervalCentis(seconds: number): number {
  return Math.round(seconds * 100);
}

/**
 * Why an advert_interval (seconds) cannot be used, or undefined. The wire carries centiseconds, so
 * 0.015 is refused rather than rounded: two nodes rounding differently would disagree on timing.
 */
export function advertIntervalProblem(seconds: number): ValueProblem | undefined {
  const [min, max] = VRRP_ADVERT_INTERVAL_RANGE;
  if (!Number.isFinite(seconds) || seconds < min || seconds > max) return { code: 'CARPD_CONFIG_RANGE', detail: `${seconds} is outside ${min}..${max} (seconds)` };
  const centis = seconds * 100;
  // 0.29 × 100 is 28.999999999999996 in binary floating point: compare with a tolerance.
  if (Math.abs(centis - Math.round(centis)) > 1e-6) {
    const below = Math.max(1, Math.floor(centis)) / 100;
    const above = Math.min(4095, Math.ceil(centis)) / 100;
    return { code: 'CARPD_CONFIG_RESOLUTION', detail: `${seconds} is finer than a centisecond (VRRP carries the interval in 1/100 s); use ${below} or ${above}` };
  }
  return undefined;
}

/** The family of a VRRP group: that of its addresses (one family per group). IPv4 when unknown. */
export function vrrpFamily(addresses: readonly VirtualAddressConfig[]): IpFamily {
  return addresses[0]?.address.family ?? 4;
}

/**
 * The first address (by index into `addresses`) whose family differs from the first known one's,
 * with that first one; undefined when they agree. Unparsable entries are undefined and skipped.
 */
export function mixedFamily(addresses: readonly (IpAddress | undefined)[]): { index: number; first: IpAddress; other: IpAddress } | undefined {
  const first = addresses.find((a) => a !== undefined);
  const index = addresses.findIndex((a) => a !== undefined && first !== undefined && a.family !== first.family);
  const other = addresses[index];
  return first === undefined || other === undefined ? undefined : { index, first, other };
}

/**
 * The message for a VRRP group mixing families: RFC 5798 runs one virtual router per family, each
 * with its own virtual MAC (§7.3), as keepalived runs one vrrp_instance per family.
 */
export function mixedFamilyDetail(first: IpAddress, other: IpAddress): string {
  return (
    `${other.text} is IPv${other.family} but ${first.text} is IPv${first.family}: a VRRP virtual router has one address family ` +
    `(RFC 5798: its own virtual MAC per family); define one group per family (they may share the VRID)`
  );
}

/** Default name of a VRRP group: `<interface>/vrid<N>`, or `<interface>/vrid<N>v6` for IPv6. */
export function vrrpDefaultName(interfaceName: string, vrid: number, family: IpFamily): string {
  return `${interfaceName}/vrid${vrid}${family === 6 ? 'v6' : ''}`;
}

/** Default virtual interface of a VRRP group: `vrrp<N>`, or `vrrp6-<N>` for IPv6 (at most 9 bytes). */
export function vrrpDefaultVirtualInterface(vrid: number, family: IpFamily): string {
  return family === 6 ? `vrrp6-${vrid}` : `vrrp${vrid}`;
}

/** The CARP-only fields of a GroupConfig. */
export type CarpSettings = Pick<GroupConfig, 'passphrase' | 'advbase' | 'advskew' | 'masterDown' | 'deadRatio' | 'replay' | 'keyChangeWindowSeconds'>;

/**
 * What a VRRP group has in the CARP-only fields: no passphrase, and CARP's defaults, which
 * nothing reads for it. Fixed values, so a file, its normalised render and the flags give equal
 * configs.
 */
export const VRRP_INERT_CARP_SETTINGS: CarpSettings = {
  passphrase: { kind: 'none' },
  advbase: CONFIG_DEFAULTS.advbase,
  advskew: CONFIG_DEFAULTS.advskew,
  masterDown: CONFIG_DEFAULTS.masterDown,
  deadRatio: CONFIG_DEFAULTS.deadRatio,
  replay: { mode: CONFIG_DEFAULTS.replayMode, windowSeconds: CONFIG_DEFAULTS.replayWindowSeconds },
};
