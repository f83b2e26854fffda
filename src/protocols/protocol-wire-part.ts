/**
 * A protocol's part on the wire (ProtocolModule.wire): which protocol-112 payloads are its own
 * (protocol-112.ts tells them apart by shape), its node on an interface (engine/protocol-node.ts:
 * CARP's CarpNode, VRRP's VrrpNode), what an advert of this protocol that a group cannot hear
 * still says about its sender (foreign-advert.ts), and the drop reasons its acceptance gives
 * (the neutral ones are wire/drop-reason.ts's; the ones only it gives are merged into
 * ProtocolDropReasons by its wire file). The engine, the daemon and the metrics reach these only
 * through the registry (index.ts), never a protocol's folder.
 */
import { PRE_PROTOCOL_DROP_REASONS, type DropReason } from '../wire/drop-reason.ts';
import type { ProtocolNodeSpec } from '../engine/protocol-node.ts';
import type { ForeignAdvertSummary } from './foreign-advert.ts';
import type { Protocol112Kind } from './protocol-112.ts';

/** One protocol's wire part. */
export interface ProtocolWirePart extends ProtocolNodeSpec {
  /** The payload shapes (protocol-112.ts) that are this protocol's: its foreign adverts are summarised by it. */
  readonly payloadKinds: readonly Protocol112Kind[];
  /** A payload of one of payloadKinds, at least 6 bytes: its farewell flag and interval (foreign-advert.ts). */
  summarizeForeign(payload: Uint8Array, kind: Protocol112Kind): ForeignAdvertSummary | undefined;
  /**
   * Every reason this protocol's acceptance gives, neutral ones included, in the order of the
   * metric labels (docs/metrics.md): the full list is assembled from these (assembleDropReasons).
   */
  readonly dropReasons: readonly DropReason[];
}

/**
 * Every drop reason, in metric order: the IP layer's first, then each protocol's list in
 * registry order, each reason where it first appears. With CARP then VRRP this is the label list
 * docs/metrics.md documents (test/protocol/protocol-wire-part.test.ts pins it).
 */
export function assembleDropReasons(parts: readonly Pick<ProtocolWirePart, 'dropReasons'>[]): readonly DropReason[] {
  const reasons: DropReason[] = [...PRE_PROTOCOL_DROP_REASONS];
  for (const part of parts) for (const reason of part.dropReasons) if (!reasons.includes(reason)) reasons.push(reason);
  return reasons;
}
