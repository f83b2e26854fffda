/**
 * What a `protocol: vrrp` group's settings mean, shared by the YAML file (config/config-schema.ts,
 * vrrp-config-part.ts) and the one-group flags (config/daemon-options.ts), so that both accept the
 * same values with the same messages: the advertisement interval in centiseconds (whole seconds in
 * VRRPv2), one address family per virtual router, the default names, the simple password's length.
 */
import type { IpAddress, IpFamily } from '../../wire/ip-address.ts';
import { VRRP2_AUTH_DATA_LENGTH, VRRP2_MAX_ADVERT_INTERVAL } from './vrrp2-header.ts';
import { DEFAULT_VRRP_VERSION, VRRP_VERSIONS, type VrrpVersion } from './vrrp-version.ts';
import type { VirtualAddressConfig } from '../../config/config-types.ts';
import type { ConfigErrorCode } from '../../config/error-codes.ts';
import type { SecretLimit, ValueProblem } from '../protocol-config-part.ts';

export type { SecretLimit } from '../protocol-config-part.ts';

/** Priority (RFC 5798 §5.2.4): 1..254 a backup, 255 the address owner. 0 is only sent, to resign. */
export const VRRP_PRIORITY_RANGE = [1, 255] as const;
/** advert_interval in seconds: the 12-bit Max Adver Int field in centiseconds, 1..4095 (§5.2.7). */
export const VRRP_ADVERT_INTERVAL_RANGE = [0.01, 40.95] as const;

export type { ValueProblem } from '../protocol-config-part.ts';

/** advert_interval in a VRRPv2 group: whole seconds (RFC 3768 §5.3.7: one byte of seconds). */
export const VRRP2_ADVERT_INTERVAL_RANGE = [1, VRRP2_MAX_ADVERT_INTERVAL] as const;

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

/**
 * Why an advert_interval cannot be used by a group of this VRRP version, or undefined. VRRPv2
 * carries whole seconds, 1..255: a fraction is refused with a code of its own, so the message can
 * say that this is the version's limit, not a typo.
 */
export function advertIntervalProblemFor(version: VrrpVersion, seconds: number): ValueProblem | undefined {
  if (version === 3) return advertIntervalProblem(seconds);
  const [min, max] = VRRP2_ADVERT_INTERVAL_RANGE;
  if (!Number.isFinite(seconds) || seconds < min || seconds > max) return { code: 'CARPD_CONFIG_RANGE', detail: `${seconds} is outside ${min}..${max} (whole seconds, VRRPv2)` };
  if (!Number.isInteger(seconds)) {
    return { code: 'CARPD_CONFIG_VRRP2_WHOLE_SECONDS', detail: `${seconds} is not a whole number of seconds: VRRPv2 carries the interval in whole seconds (RFC 3768); use ${Math.max(min, Math.floor(seconds))} or ${Math.min(max, Math.ceil(seconds))}, or vrrp_version: 3 for centiseconds` };
  }
  return undefined;
}

/** For the schema, which does not know the version yet: a value some version can use passes (build-group.ts judges it per version). */
export function advertIntervalProblemAnyVersion(seconds: number): ValueProblem | undefined {
  const problems = VRRP_VERSIONS.map((v) => advertIntervalProblemFor(v, seconds));
  return problems.some((p) => p === undefined) ? undefined : problems[VRRP_VERSIONS.indexOf(DEFAULT_VRRP_VERSION)];
}

/** VRRPv2: the 8 bytes of Authentication Data (RFC 3768 §5.3.10). */
export const VRRP2_SECRET_LIMIT: SecretLimit = { maxBytes: VRRP2_AUTH_DATA_LENGTH, code: 'CARPD_CONFIG_VRRP2_PASSWORD_TOO_LONG', what: 'a VRRPv2 simple password (keepalived auth_pass) allows' };

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
