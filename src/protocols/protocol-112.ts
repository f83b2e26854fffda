/**
 * Telling CARP from VRRP on IP protocol 112 (docs/protocol-carp.md "CARP or VRRP on protocol 112"): both start with 0x21 for
 * CARP v2 / VRRPv2. A 36-byte payload whose byte 3 (authlen) is 7 is CARP.
 */

/** What a protocol-112 payload is. */
export type Protocol112Kind =
  | 'carp' // version 2, exactly 36 bytes, byte 3 = 7
  | 'carp-oversized' // version 2, byte 3 = 7, longer than 36 and not a 44-byte VRRPv2 (7 addresses)
  | 'vrrp-v2' // version 2 and not CARP-shaped
  | 'vrrp-v3' // version 3
  | 'short' // fewer than 36 bytes and not a plausible VRRP packet
  | 'other-version'; // version nibble neither 2 nor 3

/** Byte 3 of a CARP header: authlen, always 7 ("The 36-byte header"). In VRRPv2 the same byte is the address count. */
const CARP_AUTHLEN_BYTE = 7;
/** A VRRPv2 packet with 7 addresses: 8-byte header + 7 * 4 addresses + 8 bytes of auth data (RFC 3768 §5.1). */
const VRRP_V2_SEVEN_ADDRESS_LENGTH = 44;
/** The smallest VRRPv2 packet worth calling one: the 8-byte fixed header. */
const VRRP_V2_MIN_LENGTH = 8;
const CARP_LENGTH = 36;

/** Classifies a protocol-112 payload by shape alone (no checksum or HMAC). */
export function classifyProtocol112(payload: Uint8Array): Protocol112Kind {
  const first = payload[0];
  if (first === undefined) return 'short';
  const version = first >> 4;
  if (version === 3) return 'vrrp-v3';
  if (version !== 2) return 'other-version';
  // Version 2 is shared by CARP and VRRPv2 (both send 0x21): tell them apart by length and byte 3.
  const byte3 = payload[3];
  if (payload.length < CARP_LENGTH) {
    const plausibleVrrp = byte3 !== undefined && byte3 !== CARP_AUTHLEN_BYTE && payload.length >= VRRP_V2_MIN_LENGTH;
    return plausibleVrrp ? 'vrrp-v2' : 'short';
  }
  if (byte3 !== CARP_AUTHLEN_BYTE) return 'vrrp-v2';
  if (payload.length === CARP_LENGTH) return 'carp';
  if (payload.length === VRRP_V2_SEVEN_ADDRESS_LENGTH) return 'vrrp-v2';
  return 'carp-oversized';
}
