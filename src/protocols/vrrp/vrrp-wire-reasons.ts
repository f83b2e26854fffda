/**
 * The drop reasons VRRP acceptance gives (vrrp-acceptance.ts, which lists them in its check
 * order: VRRP_DROP_REASONS, VRRP2_DROP_REASONS), here in metric order; the reasons only VRRP
 * gives are merged into wire/drop-reason.ts's closed set below.
 */
import type { DropReason } from '../../wire/drop-reason.ts';

declare module '../../wire/drop-reason.ts' {
  interface ProtocolDropReasons {
    /** A VRRPv2 packet reached a VRRPv3 group (RFC 3768 layout, docs/protocol-vrrp.md "VRRPv2"). */
    'vrrp-v2': true;
    /** A CARP advert reached a VRRP group: same protocol and group (docs/protocol-vrrp.md "CARP and VRRP on one segment"). */
    carp: true;
    /** Max Advertisement Interval 0: Master_Down_Interval would be 0 (RFC 9568 §7.1 erratum). */
    'bad-interval': true;
    /** A VRRPv3 packet reached a VRRPv2 group (docs/protocol-vrrp.md "VRRPv2"). */
    'vrrp-v3': true;
    /** VRRPv2: the Auth Type is not the group's (none / simple text password). */
    'auth-type-mismatch': true;
    /** VRRPv2: the simple text password is not the group's. */
    'password-mismatch': true;
    /** VRRPv2: the Advertisement Interval is not the group's (RFC 3768 §7.1 discards it). */
    'interval-mismatch': true;
  }
}

/** Every reason VRRP acceptance gives (v3 and v2 groups), neutral ones included, in metric order. */
export const VRRP_WIRE_DROP_REASONS = [
  'wrong-protocol',
  'bad-ttl',
  'short', // fewer than the 8-byte fixed part
  'bad-version', // neither 3, nor VRRPv2 or CARP
  'bad-length', // not 8 + count × address size
  'bad-checksum', // no accepted variant (vrrp-checksum.ts)
  'bad-type',
  'unknown-vhid', // this VRID and family
  'unexpected-source',
  'own-advert',
  'vrrp-v2',
  'carp',
  'bad-interval',
  'vrrp-v3',
  'auth-type-mismatch',
  'password-mismatch',
  'interval-mismatch',
] as const satisfies readonly DropReason[];
