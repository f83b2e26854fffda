/**
 * The drop reasons CARP acceptance gives (carp-acceptance.ts), in the order its checks run (see
 * docs/replay-and-threat-model.md), so the first failing check names the drop, as in ip_carp.c's
 * carpstats; the reasons only CARP gives are merged into wire/drop-reason.ts's closed set below.
 */
import type { DropReason } from '../../wire/drop-reason.ts';

declare module '../../wire/drop-reason.ts' {
  interface ProtocolDropReasons {
    /** A VRRPv2 or VRRPv3 packet sharing protocol 112 and the group (docs/protocol-vrrp.md "CARP and VRRP on one segment"). */
    vrrp: true;
    /** HMAC-SHA1 does not match the key and address list. */
    'bad-auth': true;
    /** Fails authentication, but is the other-key copy of a rolling key change (key-change-twin.ts). */
    'key-change-twin': true;
    /** Authentic, but its counter is not above the group's high-water mark. */
    replay: true;
  }
}

/** Every reason CARP acceptance gives, neutral ones included, in check order (also the metric order). */
export const CARP_DROP_REASONS = [
  'wrong-protocol',
  'bad-ttl',
  'short', // fewer than 36 bytes of payload
  'vrrp',
  'bad-version', // version nibble is not 2
  'bad-length', // CARP-shaped but longer than 36 bytes
  'bad-checksum', // RFC 1071 sum over the 36 header bytes is not zero
  'bad-type',
  'unknown-vhid',
  'unexpected-source',
  'own-advert',
  'bad-auth',
  'key-change-twin',
  'replay',
] as const satisfies readonly DropReason[];
