/**
 * Why a received packet was dropped: a closed set, each a metric label
 * (`carpd_drops_total{reason=…}`, docs/metrics.md). The reasons here are the protocol-neutral
 * ones: the IP layer's, and the checks every protocol-112 protocol makes in its own terms (TTL,
 * length, version, type, checksum, an unknown group, a source it does not accept, its own advert
 * come back). Each protocol adds the reasons only it gives in its wire part
 * (protocols/<name>/<name>-wire.ts), by merging them into ProtocolDropReasons below, so the type
 * stays closed while wire/ knows no protocol. The full list, in metric order, is assembled from
 * the registry (protocols/index.ts DROP_REASONS; protocols/protocol-wire-part.ts).
 */
export const NEUTRAL_DROP_REASONS = [
  'bad-ip', // the IP header does not parse (version, lengths, header checksum)
  'wrong-protocol', // not IP protocol 112
  'bad-ttl', // TTL / hop limit is not 255: the packet did not originate on this link
  'short', // fewer bytes than the protocol's fixed header
  'bad-version', // a version nibble the protocol does not speak
  'bad-length', // the payload length does not fit the protocol's layout
  'bad-checksum', // the protocol's checksum does not verify
  'bad-type', // type is not 1 (advertisement)
  'unknown-vhid', // no group with this vhid (VRRP: this VRID and family) on the receiving interface
  'unexpected-source', // a unicast group only accepts its listed peers
  'own-advert', // our own advert came back (source is ours, or the counter is one we sent)
] as const;

/** The reasons counted before any protocol sees the packet (the IP layer's), first in metric order. */
export const PRE_PROTOCOL_DROP_REASONS = ['bad-ip', 'wrong-protocol'] as const satisfies readonly NeutralDropReason[];

/** One protocol-neutral drop reason. */
export type NeutralDropReason = (typeof NEUTRAL_DROP_REASONS)[number];

/**
 * The reasons the protocols add, one key per reason: each protocol's wire file merges its own in
 * (`declare module '…/wire/drop-reason.ts' { interface ProtocolDropReasons { … } }`).
 */
export interface ProtocolDropReasons {}

/** One drop reason. */
export type DropReason = NeutralDropReason | keyof ProtocolDropReasons;

/**
 * A zeroed counter per drop reason. Without a list, the neutral reasons only: the counters that
 * the engine and the nodes keep are made from the list their protocol(s) give (protocols/index.ts
 * DROP_REASONS), and readers of a counter table treat a missing reason as 0 (metrics/prometheus.ts).
 */
export function emptyDropCounts(reasons: readonly DropReason[] = NEUTRAL_DROP_REASONS): Record<DropReason, number> {
  return Object.fromEntries(reasons.map((r) => [r, 0])) as Record<DropReason, number>;
}
