/**
 * Whether a received protocol-112 datagram is an acceptable VRRPv3 advertisement for one of our
 * VRRP groups: one pure function, checks in one documented order (the first failure names the
 * drop), following RFC 9568 §7.1's list:
 *
 *   1. protocol 112                          wrong-protocol
 *   2. TTL / hop limit 255                   bad-ttl       (multicast always; unicast per group)
 *   3. the 8-byte fixed part is there        short
 *   4. the group's version (3 by default)    carp, vrrp-v2, vrrp-v3, bad-version (protocol-112.ts)
 *   5. type 1 (ADVERTISEMENT)                bad-type
 *   6. length = 8 + count × 4 (or × 16)      bad-length
 *   7. checksum, variants per the group      bad-checksum  (vrrp-checksum.ts)
 *   8. VRID configured for the family        unknown-vhid
 *   9. Max Advertisement Interval ≠ 0        bad-interval  (RFC 9568 §7.1 erratum 8301, as cited)
 *  10. VRRPv2: Auth Type, then password      auth-type-mismatch, password-mismatch (RFC 3768 §7.1)
 *  11. VRRPv2: interval equal to ours        interval-mismatch (RFC 3768 §7.1: discard)
 *  12. unicast peer list                     unexpected-source
 *  13. not our own advert                    own-advert

 * Whatever differs by version (layout, checksum, auth, interval unit, the interval rule) comes
 * from the group's profile (vrrp-version.ts). A datagram for no group is judged as VRRPv3, unless
 * it is VRRPv2 and a VRRPv2 group runs on the node (context.speaks): a VRRPv2 packet for a VRID
 * nobody runs then counts as unknown-vhid, elsewhere as vrrp-v2, as before VRRPv2 groups existed.
 *
 * An interval of 0 is dropped rather than flagged: adopted, it would make Master_Down_Interval 0
 * (RFC 5798 §6.1) and a backup would take over at once.
 *
 * Version comes before length because the length rule is VRRPv3's: a VRRPv2 or CARP packet is
 * then named for what it is (keepalived checks the length first and logs CARP as "too short").
 * The group is looked up early, as in carp-acceptance.ts, since its knobs decide steps 2 and 7; a
 * datagram for no group is checked against every checksum variant of its family, so corruption
 * counts as bad-checksum and a healthy advert of another router's VRID as unknown-vhid.
 *
 * Not drops: an advert whose Max Advertisement Interval or address list differs from ours is
 * accepted with a `mismatch` flag, for the caller to log and count. That is what the peers do
 * for VRRPv3 (docs/protocol-vrrp.md "keepalived", "FRR"): keepalived logs an interval mismatch and an address
 * mismatch, and checks the list only when the master changes; FRR adopts the interval and logs
 * an address count mismatch; RFC 5798 §6.4.2 has a backup adopt the master's interval. Only
 * VRRPv2 (RFC 3768) drops on a different interval: a VRRPv2 group does (step 11).
 */
import type { DropReason } from '../../wire/drop-reason.ts';
import type { IpAddress, IpFamily } from '../../wire/ip-address.ts';
import { ipAddressEquals, isMulticast } from '../../wire/ip-address.ts';
import type { Datagram } from '../../wire/ip-packet.ts';
import { classifyProtocol112 } from '../protocol-112.ts';
import type { VrrpChecksumMode, VrrpChecksumVariant } from './vrrp-checksum.ts';
import { IPPROTO_VRRP, recognizeVrrpChecksum } from './vrrp-checksum.ts';
import type { VrrpHeader } from './vrrp-header.ts';
import { VRRP_FIXED_LENGTH, VRRP_TYPE_ADVERTISEMENT } from './vrrp-header.ts';
import type { VrrpAuth, VrrpVersion } from './vrrp-version.ts';
import { intervalFieldCentis, VRRP_NO_AUTH, vrrpProfile } from './vrrp-version.ts';

/** The drop reasons VRRP acceptance gives a VRRPv3 group, in the order its checks run. */
export const VRRP_DROP_REASONS = [
  'wrong-protocol',
  'bad-ttl',
  'short',
  'carp',
  'vrrp-v2',
  'bad-version',
  'bad-type',
  'bad-length',
  'bad-checksum',
  'unknown-vhid',
  'bad-interval',
  'unexpected-source',
  'own-advert',
] as const satisfies readonly DropReason[];

/** The reasons only a VRRPv2 group gives (steps 4, 10 and 11), in order. */
export const VRRP2_DROP_REASONS = ['vrrp-v3', 'auth-type-mismatch', 'password-mismatch', 'interval-mismatch'] as const satisfies readonly DropReason[];

/** One VRRP drop reason (a DropReason, so it shares the metric label set). */
export type VrrpDropReason = (typeof VRRP_DROP_REASONS)[number] | (typeof VRRP2_DROP_REASONS)[number];

/** What acceptance needs to know about one VRRP group (one VRID in one family). */
export interface VrrpGroupAcceptance {
  /** The VRRP version the group speaks (default 3): its profile decides layout, checksum, auth and the interval rule. */
  readonly version?: VrrpVersion;
  /** VRRPv2: the group's authentication (default none). */
  readonly auth?: VrrpAuth;
  /** Which checksum variants are accepted (vrrp-checksum.ts). */
  readonly checksumMode: VrrpChecksumMode;
  /** When false, a unicast advert may arrive with any TTL: keepalived skips the check for unicast peers (docs/protocol-vrrp.md "keepalived"). */
  readonly requireTtl255ForUnicast: boolean;
  /** When set, only these sources are accepted (unicast peers; keepalived check_unicast_src). */
  readonly allowedSources?: readonly IpAddress[];
  /** Our Advertisement_Interval in centiseconds: a different one is flagged (v3) or dropped (v2). */
  readonly advertInterval: number;
  /** Our virtual addresses of this family: a different set is flagged, not dropped. */
  readonly addresses: readonly IpAddress[];
}

/** What acceptance needs to know about the node. */
export interface VrrpAcceptanceContext {
  /** The group for a VRID in a family: VRRP runs IPv4 and IPv6 as separate instances (RFC 5798 §1). */
  group(family: IpFamily, vrid: number): VrrpGroupAcceptance | undefined;
  isOwnAddress(address: IpAddress): boolean;
  /**
   * Whether any group here speaks this VRRP version. A datagram for no group is judged as VRRPv3,
   * or as VRRPv2 when it is one and a VRRPv2 group runs here, so that another router's VRRPv2
   * VRID counts as unknown-vhid, not vrrp-v2. Absent: VRRPv3 only.
   */
  speaks?(version: VrrpVersion): boolean;
}

/** How an accepted advert differs from the group's own configuration. */
export interface VrrpMismatch {
  /** Its Max Advertisement Interval is not our Advertisement_Interval. */
  readonly interval: boolean;
  /** Its addresses are not our addresses (compared as sets: order is not significant). */
  readonly addresses: boolean;
}

/** An accepted advertisement. */
export interface AcceptedVrrpAdvert {
  readonly datagram: Datagram;
  readonly header: VrrpHeader;
  readonly group: VrrpGroupAcceptance;
  /** The checksum variant it verified with, so that legacy senders can be counted. */
  readonly checksumVariant: VrrpChecksumVariant;
  readonly mismatch: VrrpMismatch;
}

/** The outcome: the advert, or the drop reason (with the VRID when it was readable). */
export type VrrpAcceptance =
  | { readonly ok: true; readonly advert: AcceptedVrrpAdvert }
  | { readonly ok: false; readonly reason: VrrpDropReason; readonly vrid?: number };

function drop(reason: VrrpDropReason, vrid?: number): VrrpAcceptance {
  return vrid === undefined ? { ok: false, reason } : { ok: false, reason, vrid };
}

/** Runs checks 1–13 on a datagram. */
export function acceptVrrpAdvert(datagram: Datagram, context: VrrpAcceptanceContext): VrrpAcceptance {
  if (datagram.protocol !== IPPROTO_VRRP) return drop('wrong-protocol');
  const payload = datagram.payload;
  const vrid = payload.length >= 2 ? payload[1] : undefined;
  const group = vrid === undefined ? undefined : context.group(datagram.family, vrid);
  const ttlRequired = isMulticast(datagram.destination) || group === undefined || group.requireTtl255ForUnicast;
  if (ttlRequired && datagram.ttl !== 255) return drop('bad-ttl', vrid);
  if (payload.length < VRRP_FIXED_LENGTH) return drop('short', vrid);
  const profile = vrrpProfile(group?.version ?? unclaimedVersion(payload, context));
  const versionDrop = versionCheck(payload, profile.version);
  if (versionDrop !== undefined) return drop(versionDrop, vrid);
  if (((payload[0] as number) & 0xf) !== VRRP_TYPE_ADVERTISEMENT) return drop('bad-type', vrid);
  const decoded = profile.decode(payload, datagram.family);
  if (!decoded.ok) return drop(decoded.error.code, vrid);
  const header = decoded.value;
  const accepted = profile.acceptedChecksums(group?.checksumMode ?? 'compatible', datagram.family);
  const checksumVariant = recognizeVrrpChecksum(payload, datagram, accepted);
  if (checksumVariant === undefined) return drop('bad-checksum', header.vrid);
  if (group === undefined) return drop('unknown-vhid', header.vrid);
  if (header.maxAdvertInterval === 0) return drop('bad-interval', header.vrid);
  const authDrop = profile.authMismatch(group.auth ?? VRRP_NO_AUTH, header.auth);
  if (authDrop !== undefined) return drop(authDrop, header.vrid);
  const intervalDiffers = intervalFieldCentis(profile, header.maxAdvertInterval) !== group.advertInterval;
  if (intervalDiffers && profile.dropsIntervalMismatch) return drop('interval-mismatch', header.vrid);
  if (group.allowedSources !== undefined && !group.allowedSources.some((a) => ipAddressEquals(a, datagram.source))) return drop('unexpected-source', header.vrid);
  if (context.isOwnAddress(datagram.source)) return drop('own-advert', header.vrid);
  const mismatch: VrrpMismatch = {
    interval: intervalDiffers,
    addresses: !sameAddressSet(header.addresses, group.addresses),
  };
  return { ok: true, advert: { datagram, header, group, checksumVariant, mismatch } };
}

/**
 * Step 4: the group's version passes. Version 2 is CARP or VRRPv2, told apart as in
 * docs/protocol-carp.md "CARP or VRRP on protocol 112"; the other VRRP version is named, so the
 * caller can say what to change.
 */
function versionCheck(payload: Uint8Array, expected: VrrpVersion): VrrpDropReason | undefined {
  const version = (payload[0] as number) >> 4;
  if (version !== 2 && version !== 3) return 'bad-version';
  const kind = classifyProtocol112(payload);
  // Anything of version 2 that is not CARP-shaped is VRRPv2's (even when too short to be a good one).
  if (kind === 'carp' || kind === 'carp-oversized') return 'carp';
  if (version === expected) return undefined;
  return version === 2 ? 'vrrp-v2' : 'vrrp-v3';
}

/** The version to judge a datagram for no group by (see VrrpAcceptanceContext.speaks). */
function unclaimedVersion(payload: Uint8Array, context: VrrpAcceptanceContext): VrrpVersion {
  return (payload[0] as number) >> 4 === 2 && context.speaks?.(2) === true ? 2 : 3;
}

function sameAddressSet(a: readonly IpAddress[], b: readonly IpAddress[]): boolean {
  const contains = (list: readonly IpAddress[], x: IpAddress): boolean => list.some((y) => ipAddressEquals(x, y));
  return a.every((x) => contains(b, x)) && b.every((x) => contains(a, x));
}
