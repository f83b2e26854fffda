/**
 * Decode results of the layer-2 codecs (Ethernet, ARP, Neighbor Advertisement). They have the
 * shape of DecodeResult but add their own failure codes, kept here so that the codes of the
 * advert path (decode-result.ts) stay a closed set of their own.
 */
import type { DecodeError, DecodeErrorCode, DecodeResult } from './decode-result.ts';

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

/** Why a layer-2 decode failed. */
export type Layer2DecodeError = DecodeError<Layer2DecodeErrorCode>;

/** The value, or a typed layer-2 error. */
export type Layer2DecodeResult<T> = DecodeResult<T, Layer2DecodeErrorCode>;
