/**
 * VRRP's wire part (protocols/protocol-wire-part.ts): its payloads are version 3, and the
 * version-2 shapes that are not CARP's (protocol-112.ts; docs/protocol-vrrp.md "VRRPv2"), a
 * VRRPv3 payload is judged by a VRRP group first when one carries its VRID (engine/interface-demux.ts),
 * its node is VrrpNode, and an unheard VRRP advert says farewell with priority 0.
 */
import type { ProtocolWirePart } from '../protocol-wire-part.ts';
import type { ForeignAdvertSummary } from '../foreign-advert.ts';
import type { Protocol112Kind } from '../protocol-112.ts';
import { vrrpProtocolNode } from './vrrp-node.ts';
import { VRRP_WIRE_DROP_REASONS } from './vrrp-wire-reasons.ts';

const MICROS_PER_SECOND = 1_000_000;

/** A VRRP advert's farewell flag and interval, read as its version's layout says; undefined for a kind not VRRP's. */
export function summarizeVrrpAdvert(payload: Uint8Array, kind: Protocol112Kind): ForeignAdvertSummary | undefined {
  const byte = (i: number): number => payload[i] ?? 0;
  if (kind === 'vrrp-v2' || kind === 'short') {
    // VRRPv2 (RFC 3768 §5.1): byte 2 priority, byte 5 Adver Int in seconds.
    const seconds = byte(5);
    return { version: 2, farewell: byte(2) === 0, ...(seconds === 0 ? {} : { intervalMicros: seconds * MICROS_PER_SECOND }) };
  }
  if (kind === 'vrrp-v3') {
    // VRRPv3 (RFC 5798 §5.1): byte 2 priority, 12 bits of Max Adver Int in centiseconds.
    const centis = ((byte(4) & 0x0f) << 8) | byte(5);
    return { version: 3, farewell: byte(2) === 0, ...(centis === 0 ? {} : { intervalMicros: centis * 10_000 }) };
  }
  return undefined;
}

export const vrrpWire = {
  protocol: 'vrrp',
  // A short version-2 payload that is not CARP-shaped is read as VRRPv2's fixed part (protocol-112.ts).
  payloadKinds: ['vrrp-v2', 'vrrp-v3', 'short'],
  // classifyProtocol112's first test, alone (it runs on every datagram): version nibble 3 is VRRPv3.
  judgesFirst: (payload) => payload[0] !== undefined && payload[0] >> 4 === 3,
  // Called, not referenced, at load: a protocol's files may be mid-load in an import cycle through the registry.
  createNode: (context) => vrrpProtocolNode(context),
  summarizeForeign: summarizeVrrpAdvert,
  dropReasons: VRRP_WIRE_DROP_REASONS,
} as const satisfies ProtocolWirePart;
