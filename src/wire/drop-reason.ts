/**
 * Why a received packet was dropped: a closed set, each a metric label. The CARP reasons are
 * listed in the order CARP's checks run (see carp-acceptance.ts and docs/replay-and-threat-model.md),
 * so the first failing check names the drop, as in ip_carp.c's carpstats. The reasons only a
 * VRRPv3 group gives follow them; vrrp-acceptance.ts has VRRP's order, which reuses the shared
 * reasons (bad-ttl, short, bad-length, bad-version, bad-type, bad-checksum, unknown-vhid, ...).
 */
export const DROP_REASONS = [
  'bad-ip', // the IP header does not parse (version, lengths, header checksum)
  'wrong-protocol', // not IP protocol 112
  'bad-ttl', // TTL / hop limit is not 255: the packet did not originate on this link
  'short', // fewer than 36 bytes of payload (VRRP: fewer than its 8-byte fixed part)
  'vrrp', // VRRPv2 or VRRPv3 sharing protocol 112 and the group (docs/protocol-vrrp.md "CARP and VRRP on one segment")
  'bad-version', // CARP version nibble is not 2 (VRRP: neither 3, nor VRRPv2 or CARP)
  'bad-length', // CARP-shaped but longer than 36 bytes (VRRP: not 8 + count × address size)
  'bad-checksum', // RFC 1071 sum over the 36 header bytes is not zero (VRRP: no accepted variant, vrrp-checksum.ts)
  'bad-type', // type is not 1 (advertisement)
  'unknown-vhid', // no group with this vhid on the receiving interface (VRRP: this VRID and family)
  'unexpected-source', // a unicast group only accepts its listed peers
  'own-advert', // our own advert came back (source is ours, or the counter is one we sent)
  'bad-auth', // HMAC-SHA1 does not match the key and address list
  'key-change-twin', // fails authentication, but is the other-key copy of a rolling key change (key-change-twin.ts)
  'replay', // authentic, but its counter is not above the group's high-water mark
  // VRRP groups only (vrrp-acceptance.ts):
  'vrrp-v2', // a VRRPv2 packet reached a VRRPv3 group (RFC 3768 layout, docs/protocol-vrrp.md "VRRPv2")
  'carp', // a CARP advert reached a VRRP group: same protocol and group (docs/protocol-vrrp.md "CARP and VRRP on one segment")
  'bad-interval', // Max Advertisement Interval 0: Master_Down_Interval would be 0 (RFC 9568 §7.1 erratum)
  'vrrp-v3', // a VRRPv3 packet reached a VRRPv2 group (docs/protocol-vrrp.md "VRRPv2")
  'auth-type-mismatch', // VRRPv2: the Auth Type is not the group's (none / simple text password)
  'password-mismatch', // VRRPv2: the simple text password is not the group's
  'interval-mismatch', // VRRPv2: the Advertisement Interval is not the group's (RFC 3768 §7.1 discards it)
] as const;

/** One drop reason. */
export type DropReason = (typeof DROP_REASONS)[number];

/** A zeroed counter per drop reason. */
export function emptyDropCounts(): Record<DropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
}
