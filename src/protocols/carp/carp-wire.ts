/**
 * CARP's wire part (protocols/protocol-wire-part.ts): its payloads are the version-2, 36-byte
 * shapes with authlen 7 (protocol-112.ts; docs/protocol-carp.md "CARP or VRRP on protocol 112"),
 * its node is CarpNode, and an unheard CARP advert says farewell with advbase and advskew 255.
 */
import type { ProtocolWirePart } from '../protocol-wire-part.ts';
import type { ForeignAdvertSummary } from '../foreign-advert.ts';
import { BOW_OUT_VALUE } from './carp-header.ts';
import { carpProtocolNode } from './carp-node.ts';
import { CARP_DROP_REASONS } from './carp-wire-reasons.ts';

const MICROS_PER_SECOND = 1_000_000;

/** A CARP advert's farewell flag and interval (docs/protocol-carp.md "The 36-byte header": byte 2 advskew, byte 5 advbase). */
export function summarizeCarpAdvert(payload: Uint8Array): ForeignAdvertSummary {
  const advskew = payload[2] ?? 0;
  const advbase = payload[5] ?? 0;
  const farewell = advbase === BOW_OUT_VALUE && advskew === BOW_OUT_VALUE;
  const interval = advbase * MICROS_PER_SECOND + Math.floor((advskew * MICROS_PER_SECOND) / 256);
  return { version: 2, farewell, ...(farewell || interval === 0 ? {} : { intervalMicros: interval }) };
}

export const carpWire = {
  protocol: 'carp',
  payloadKinds: ['carp', 'carp-oversized'],
  // CARP is the default judge (first in the registry): it judges first only by default.
  judgesFirst: () => false,
  // Called, not referenced, at load: a protocol's files may be mid-load in an import cycle through the registry.
  createNode: (context) => carpProtocolNode(context),
  summarizeForeign: (payload) => summarizeCarpAdvert(payload),
  dropReasons: CARP_DROP_REASONS,
} as const satisfies ProtocolWirePart;
