/**
 * The VRRP version profile: every rule that differs between VRRPv2 (RFC 3768) and VRRPv3
 * (RFC 5798 / RFC 9568), in one table, so that the codec, acceptance, state machine and config
 * consult it instead of asking the version each (docs/protocol-vrrp.md "VRRPv2").
 *
 *                         VRRPv2                           VRRPv3
 *   interval field        whole seconds, 1..255            centiseconds, 1..4095
 *   Skew_Time             (256 − Priority) / 256 s         (256 − Priority) × interval / 256
 *   Master_Adver_Interval our own (nothing to learn)       learned from the master
 *   interval mismatch     dropped (RFC 3768 §7.1)          accepted and flagged
 *   checksum              the message alone                pseudo-header (variants: vrrp-checksum.ts)
 *   authentication        none or simple text password     none
 *   families              IPv4                             IPv4, IPv6
 *
 * Intervals are centiseconds everywhere inside carpd; only the wire field has a unit per version.
 */
import type { DecodeResult } from '../../wire/decode-result.ts';
import type { IpFamily } from '../../wire/ip-address.ts';
import type { VrrpChecksumMode, VrrpChecksumVariant, VrrpEndpoints } from './vrrp-checksum.ts';
import { acceptedVrrpChecksumVariants } from './vrrp-checksum.ts';
import type { VrrpDecodeErrorCode, VrrpHeader } from './vrrp-header.ts';
import { decodeVrrpHeader, encodeVrrpHeader, VRRP_MAX_ADVERT_INTERVAL } from './vrrp-header.ts';
import { decodeVrrp2Header, encodeVrrp2Header, VRRP2_AUTH_NONE, VRRP2_AUTH_PASS, VRRP2_MAX_ADVERT_INTERVAL, vrrp2AuthData } from './vrrp2-header.ts';

/** The VRRP versions carpd speaks. */
export const VRRP_VERSIONS = [2, 3] as const;
/** One of them. */
export type VrrpVersion = (typeof VRRP_VERSIONS)[number];
/** The version a `protocol: vrrp` group speaks unless told otherwise. */
export const DEFAULT_VRRP_VERSION: VrrpVersion = 3;

/** A group's authentication: none, or VRRPv2's simple text password (8 bytes, zero-padded, sent in clear). */
export type VrrpAuth = { readonly type: 'none' } | { readonly type: 'pass'; readonly password: Uint8Array };
/** The authentication names the config uses. 'ah' (Auth Type 2) is refused there. */
export const VRRP_AUTH_TYPES = ['none', 'pass', 'ah'] as const;
export type VrrpAuthTypeName = (typeof VRRP_AUTH_TYPES)[number];
/** No authentication. */
export const VRRP_NO_AUTH: VrrpAuth = { type: 'none' };

/** What an outgoing advert carries, whatever the version. */
export interface VrrpAdvertOut {
  readonly vrid: number;
  readonly priority: number;
  readonly advertIntervalCentis: number;
  readonly addresses: VrrpHeader['addresses'];
  readonly auth: VrrpAuth;
}

/** The rules of one version. */
export interface VrrpVersionProfile {
  readonly version: VrrpVersion;
  /** Families a virtual router of this version may run in. */
  readonly families: readonly IpFamily[];
  /** Centiseconds in one unit of the interval field. */
  readonly intervalUnitCentis: number;
  /** The largest interval field value. */
  readonly maxIntervalField: number;
  /** Skew_Time scales with the interval (v3) or is a fraction of one second (v2). */
  readonly skewScalesWithInterval: boolean;
  /** A BACKUP adopts the master's advertised interval (v3, RFC 5798 §6.4.2). */
  readonly learnsMasterInterval: boolean;
  /** An advert with another interval is dropped (v2, RFC 3768 §7.1) rather than flagged. */
  readonly dropsIntervalMismatch: boolean;
  /** Authentication types a group of this version may use. */
  readonly authTypes: readonly VrrpAuth['type'][];
  /** The checksum this version sends; any other accepted variant is a legacy one worth a note. */
  readonly standardChecksum: VrrpChecksumVariant;
  /** Why a received advert's authentication does not match the group's (RFC 3768 §7.1), or undefined. */
  authMismatch(auth: VrrpAuth, received: VrrpHeader['auth']): 'auth-type-mismatch' | 'password-mismatch' | undefined;
  /** The checksum variants accepted on receive, in the order they are tried. */
  acceptedChecksums(mode: VrrpChecksumMode, family: IpFamily): readonly VrrpChecksumVariant[];
  /** Encodes an advert; throws RangeError for a value that does not fit. */
  encode(advert: VrrpAdvertOut, endpoints: VrrpEndpoints): Uint8Array;
  /** Decodes a message of this version; never throws. */
  decode(payload: Uint8Array, family: IpFamily): DecodeResult<VrrpHeader, VrrpDecodeErrorCode>;
}

const V3: VrrpVersionProfile = {
  version: 3,
  families: [4, 6],
  intervalUnitCentis: 1,
  maxIntervalField: VRRP_MAX_ADVERT_INTERVAL,
  skewScalesWithInterval: true,
  learnsMasterInterval: true,
  dropsIntervalMismatch: false,
  authTypes: ['none'],
  standardChecksum: 'pseudo-header',
  // VRRPv3 has no authentication fields (RFC 5798 §9).
  authMismatch: () => undefined,
  acceptedChecksums: acceptedVrrpChecksumVariants,
  encode: (advert, endpoints) =>
    encodeVrrpHeader({ vrid: advert.vrid, priority: advert.priority, maxAdvertInterval: advert.advertIntervalCentis, addresses: advert.addresses }, endpoints),
  decode: decodeVrrpHeader,
};

const V2: VrrpVersionProfile = {
  version: 2,
  families: [4],
  intervalUnitCentis: 100,
  maxIntervalField: VRRP2_MAX_ADVERT_INTERVAL,
  skewScalesWithInterval: false,
  learnsMasterInterval: false,
  dropsIntervalMismatch: true,
  authTypes: ['none', 'pass'],
  standardChecksum: 'no-pseudo-header',
  authMismatch: (auth, received) => vrrpAuthMismatch(auth, received),
  // RFC 3768 §5.3.8: the message alone, whatever the mode (the variants are VRRPv3's).
  acceptedChecksums: () => ['no-pseudo-header'],
  encode: (advert, endpoints) =>
    encodeVrrp2Header(
      {
        vrid: advert.vrid,
        priority: advert.priority,
        advertIntervalSeconds: Math.round(advert.advertIntervalCentis / 100),
        addresses: advert.addresses,
        authType: authTypeByte(advert.auth),
        authData: advert.auth.type === 'pass' ? vrrp2AuthData(advert.auth.password) : new Uint8Array(8),
      },
      endpoints,
    ),
  decode: (payload) => decodeVrrp2Header(payload),
};

/** The profile of a version. */
export function vrrpProfile(version: VrrpVersion = DEFAULT_VRRP_VERSION): VrrpVersionProfile {
  return version === 2 ? V2 : V3;
}

/** An interval field as carried, in centiseconds. */
export function intervalFieldCentis(profile: VrrpVersionProfile, field: number): number {
  return field * profile.intervalUnitCentis;
}

/** The Auth Type byte for a group's authentication (RFC 3768 §5.3.6). */
export function authTypeByte(auth: VrrpAuth): number {
  return auth.type === 'pass' ? VRRP2_AUTH_PASS : VRRP2_AUTH_NONE;
}

/**
 * Why a received advert's authentication does not match the group's, or undefined when it does:
 * the Auth Type first, then for a password all 8 bytes of Authentication Data (the configured
 * password zero-padded, so "secret" and "secret\0\0" are the same, as on the wire). With no
 * authentication the data is ignored (RFC 3768 §5.3.10: "ignored on receipt").
 */
export function vrrpAuthMismatch(auth: VrrpAuth, received: { readonly type: number; readonly data: Uint8Array } | undefined): 'auth-type-mismatch' | 'password-mismatch' | undefined {
  if (received === undefined) return undefined;
  if (received.type !== authTypeByte(auth)) return 'auth-type-mismatch';
  if (auth.type === 'none') return undefined;
  const expected = vrrp2AuthData(auth.password);
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= (expected[i] as number) ^ (received.data[i] ?? 0);
  return diff === 0 ? undefined : 'password-mismatch';
}

/** The name of an Auth Type byte, for logs and status. */
export function authTypeName(type: number): string {
  return type === 0 ? 'none' : type === 1 ? 'simple text password' : type === 2 ? 'IP Authentication Header' : `unknown (${type})`;
}
