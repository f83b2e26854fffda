/**
 * Decode results of the layer-2 codecs (Ethernet, ARP, Neighbor Advertisement). They share the
 * shape of DecodeResult but add their own failure codes, kept here so that the codes of the
 * advert path (decode-result.ts) stay a closed set of their own.
 */
import type { DecodeErrorCode } from './decode-result.ts';

/** Failure codes of the layer-2 codecs; IP-level codes pass through from decodeIpv6Packet. */
export type Layer2DecodeErrorCode =
  | DecodeErrorCode
  /** The type/length field is below 0x0600: an IEEE 802.3 length, not an Ethernet II type. */
  | 'not-ethernet-ii'
  /** ARP hardware/protocol type or address lengths other than Ethernet/IPv4 (1, 0x0800, 6, 4). */
  | 'unsupported-arp-format'
  /** The IPv6 upper-layer protocol is not ICMPv6 (58). */
  | 'not-icmpv6'
  /** ICMPv6 type other than 136 or code other than 0. */
  | 'not-neighbor-advertisement'
  | 'bad-icmpv6-checksum'
  /** An ND option with length 0 or running past the end (RFC 4861 §4.6). */
  | 'bad-nd-option'
  /** A multicast target address (RFC 4861 §7.1.2). */
  | 'bad-nd-target';

/** Why a layer-2 decode failed; `code` for counters and tests, `detail` for humans. */
export interface Layer2DecodeError {
  readonly code: Layer2DecodeErrorCode;
  readonly detail: string;
}

/** The value, or a typed error. */
export type Layer2DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Layer2DecodeError };

/** Builds a successful result. */
export function layer2Decoded<T>(value: T): Layer2DecodeResult<T> {
  return { ok: true, value };
}

/** Builds a failed result. */
export function layer2DecodeFailed<T>(code: Layer2DecodeErrorCode, detail: string): Layer2DecodeResult<T> {
  return { ok: false, error: { code, detail } };
}
