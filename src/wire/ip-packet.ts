/**
 * The IP packet around a CARP advert, as it arrives on a raw socket (IPv4: with its header)
 * or is sent through a packet socket. IPv6 raw sockets deliver only the payload; the Linux
 * adapter then builds a Datagram from ancillary data instead of calling decodeIpv6Packet.
 */
import type { DecodeResult } from './decode-result.ts';
import { decoded, decodeFailed } from './decode-result.ts';
import type { IpAddress, IpFamily } from './ip-address.ts';
import { ipAddressFromBytes } from './ip-address.ts';
import { internetChecksum } from './internet-checksum.ts';

/** IP protocol number shared by CARP and VRRP. */
export const IPPROTO_CARP = 112;

/** A received or to-be-sent IP datagram reduced to what CARP needs. */
export interface Datagram {
  readonly family: IpFamily;
  readonly source: IpAddress;
  readonly destination: IpAddress;
  /** IPv4 TTL or IPv6 hop limit. */
  readonly ttl: number;
  /** IPv4 protocol or the IPv6 upper-layer next header (after any skipped extension headers). */
  readonly protocol: number;
  /** The bytes after the IP header(s), cut to the IP length. */
  readonly payload: Uint8Array;
}

/** Options for encoding an IPv4 packet. */
export interface Ipv4EncodeOptions {
  readonly source: IpAddress;
  readonly destination: IpAddress;
  readonly payload: Uint8Array;
  readonly protocol?: number; // default 112
  readonly ttl?: number; // default 255
  readonly tos?: number; // default 0x10 (IPTOS_LOWDELAY, as OpenBSD and ucarp)
  readonly identification?: number; // default 0
  readonly dontFragment?: boolean; // default true
}

/** Options for encoding an IPv6 packet. */
export interface Ipv6EncodeOptions {
  readonly source: IpAddress;
  readonly destination: IpAddress;
  readonly payload: Uint8Array;
  readonly nextHeader?: number; // default 112
  readonly hopLimit?: number; // default 255
  readonly trafficClass?: number; // default 0
  readonly flowLabel?: number; // default 0
}

/** Length of an IPv4 header without options. */
export const IPV4_HEADER_LENGTH = 20;
/** Length of the fixed IPv6 header. */
export const IPV6_HEADER_LENGTH = 40;

/** IPv6 extension headers skipped on the way to the upper-layer protocol (RFC 8200 §4). */
const SKIPPED_IPV6_EXTENSIONS: ReadonlySet<number> = new Set([0, 43, 60]); // hop-by-hop, routing, destination options
/** IPv6 fragment header: a fragment never carries a whole advert, so it is refused. */
const IPV6_FRAGMENT_HEADER = 44;
const IPV4_DONT_FRAGMENT = 0x4000;
const MAX_IP_LENGTH = 0xffff;

/**
 * Decodes an IPv4 packet (header checksum verified, options skipped, payload cut to total length).
 * Bytes after the total length (Ethernet minimum-frame padding) are ignored. The payload is a
 * view into `bytes`, not a copy.
 */
export function decodeIpv4Packet(bytes: Uint8Array): DecodeResult<Datagram> {
  if (bytes.length < IPV4_HEADER_LENGTH) {
    return decodeFailed('short', `an IPv4 header is at least ${IPV4_HEADER_LENGTH} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0) >> 4;
  if (version !== 4) return decodeFailed('bad-ip-version', `IPv4 version nibble is ${version}`);
  const headerLength = (view.getUint8(0) & 0xf) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) {
    return decodeFailed('bad-ip-header-length', `IHL says ${headerLength} bytes, the minimum is ${IPV4_HEADER_LENGTH}`);
  }
  if (headerLength > bytes.length) {
    return decodeFailed('short', `IHL says ${headerLength} bytes, only ${bytes.length} present`);
  }
  const totalLength = view.getUint16(2, false);
  if (totalLength < headerLength || totalLength > bytes.length) {
    return decodeFailed(
      'bad-ip-total-length',
      `total length ${totalLength} must be between the header length ${headerLength} and the ${bytes.length} bytes present`,
    );
  }
  if (internetChecksum(bytes.subarray(0, headerLength)) !== 0) {
    return decodeFailed('bad-ip-checksum', `IPv4 header checksum 0x${hex16(view.getUint16(10, false))} does not verify`);
  }
  // A CARP advert is 56 bytes with DF set: a fragment is never one, and is not reassembled.
  const fragment = view.getUint16(6, false);
  if ((fragment & 0x2000) !== 0 || (fragment & 0x1fff) !== 0) {
    return decodeFailed('ipv4-fragment', `IPv4 fragment (flags/offset 0x${hex16(fragment)}): fragments are not reassembled`);
  }
  const datagram: Datagram = {
    family: 4,
    source: ipAddressFromBytes(bytes.subarray(12, 16)),
    destination: ipAddressFromBytes(bytes.subarray(16, 20)),
    ttl: view.getUint8(8),
    protocol: view.getUint8(9),
    payload: bytes.subarray(headerLength, totalLength),
  };
  return decoded(datagram);
}

/** Decodes an IPv6 packet (hop-by-hop/routing/destination-options headers skipped; fragments rejected). */
export function decodeIpv6Packet(bytes: Uint8Array): DecodeResult<Datagram> {
  if (bytes.length < IPV6_HEADER_LENGTH) {
    return decodeFailed('short', `an IPv6 header is ${IPV6_HEADER_LENGTH} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0) >> 4;
  if (version !== 6) return decodeFailed('bad-ip-version', `IPv6 version nibble is ${version}`);
  const end = IPV6_HEADER_LENGTH + view.getUint16(4, false);
  if (end > bytes.length) {
    return decodeFailed(
      'bad-ip-total-length',
      `payload length ${end - IPV6_HEADER_LENGTH} exceeds the ${bytes.length - IPV6_HEADER_LENGTH} bytes present`,
    );
  }
  const upper = skipIpv6Extensions(view, view.getUint8(6), end);
  if (!upper.ok) return upper;
  const datagram: Datagram = {
    family: 6,
    source: ipAddressFromBytes(bytes.subarray(8, 24)),
    destination: ipAddressFromBytes(bytes.subarray(24, 40)),
    ttl: view.getUint8(7),
    protocol: upper.value.protocol,
    payload: bytes.subarray(upper.value.offset, end),
  };
  return decoded(datagram);
}

/** Where the upper-layer protocol starts after the extension headers. */
interface UpperLayer {
  readonly protocol: number;
  readonly offset: number;
}

/** Walks the extension header chain; each header's length is (byte 1 + 1) * 8 (RFC 8200 §4.3-4.6). */
function skipIpv6Extensions(view: DataView, firstNextHeader: number, end: number): DecodeResult<UpperLayer> {
  let nextHeader = firstNextHeader;
  let offset = IPV6_HEADER_LENGTH;
  while (SKIPPED_IPV6_EXTENSIONS.has(nextHeader)) {
    if (offset + 2 > end) return decodeFailed('short', `IPv6 extension header ${nextHeader} at ${offset} is cut off`);
    const length = (view.getUint8(offset + 1) + 1) * 8;
    if (offset + length > end) {
      return decodeFailed('short', `IPv6 extension header ${nextHeader} at ${offset} needs ${length} bytes`);
    }
    nextHeader = view.getUint8(offset);
    offset += length;
  }
  if (nextHeader === IPV6_FRAGMENT_HEADER) {
    return decodeFailed('unsupported-ipv6-extension', `IPv6 fragment header at ${offset}: fragments are not reassembled`);
  }
  return decoded({ protocol: nextHeader, offset });
}

/** Decodes an IPv4 or IPv6 packet by its version nibble. */
export function decodeIpPacket(bytes: Uint8Array): DecodeResult<Datagram> {
  const first = bytes[0];
  if (first === undefined) return decodeFailed('short', 'empty packet');
  const version = first >> 4;
  if (version === 4) return decodeIpv4Packet(bytes);
  if (version === 6) return decodeIpv6Packet(bytes);
  return decodeFailed('bad-ip-version', `IP version nibble is ${version}`);
}

/** Encodes a 20-byte-header IPv4 packet with a valid header checksum. */
export function encodeIpv4Packet(options: Ipv4EncodeOptions): Uint8Array {
  checkFamily('source', options.source, 4);
  checkFamily('destination', options.destination, 4);
  const totalLength = encodedIpPacketLength(4, options.payload.length);
  const out = new Uint8Array(totalLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, 0x45); // version 4, IHL 5 words
  view.setUint8(1, checkedByte('tos', options.tos ?? 0x10));
  view.setUint16(2, totalLength, false);
  view.setUint16(4, checkedUint16('identification', options.identification ?? 0), false);
  // DF as OpenBSD, FreeBSD and ucarp set it (docs/protocol-carp.md "IP layer"); fragment offset 0.
  view.setUint16(6, (options.dontFragment ?? true) ? IPV4_DONT_FRAGMENT : 0, false);
  view.setUint8(8, checkedByte('ttl', options.ttl ?? 255));
  view.setUint8(9, checkedByte('protocol', options.protocol ?? IPPROTO_CARP));
  out.set(options.source.bytes, 12);
  out.set(options.destination.bytes, 16);
  view.setUint16(10, internetChecksum(out.subarray(0, IPV4_HEADER_LENGTH)), false);
  out.set(options.payload, IPV4_HEADER_LENGTH);
  return out;
}

/** Encodes a 40-byte-header IPv6 packet. */
export function encodeIpv6Packet(options: Ipv6EncodeOptions): Uint8Array {
  checkFamily('source', options.source, 6);
  checkFamily('destination', options.destination, 6);
  const out = new Uint8Array(encodedIpPacketLength(6, options.payload.length));
  const view = new DataView(out.buffer);
  const trafficClass = checkedByte('trafficClass', options.trafficClass ?? 0);
  const flowLabel = options.flowLabel ?? 0;
  if (!Number.isInteger(flowLabel) || flowLabel < 0 || flowLabel > 0xfffff) {
    throw new RangeError(`flowLabel ${flowLabel} must be an integer between 0 and ${0xfffff}`);
  }
  // 4 bits version, 8 bits traffic class, 20 bits flow label; >>> 0 keeps it unsigned.
  view.setUint32(0, ((6 << 28) | (trafficClass << 20) | flowLabel) >>> 0, false);
  view.setUint16(4, options.payload.length, false);
  view.setUint8(6, checkedByte('nextHeader', options.nextHeader ?? IPPROTO_CARP));
  view.setUint8(7, checkedByte('hopLimit', options.hopLimit ?? 255));
  out.set(options.source.bytes, 8);
  out.set(options.destination.bytes, 24);
  out.set(options.payload, IPV6_HEADER_LENGTH);
  return out;
}

/** Length of the packet encodeIpv4Packet/encodeIpv6Packet would produce; throws RangeError when it cannot be encoded. */
export function encodedIpPacketLength(family: IpFamily, payloadLength: number): number {
  const headerLength = family === 4 ? IPV4_HEADER_LENGTH : IPV6_HEADER_LENGTH;
  // IPv4 counts the header in its 16-bit total length; IPv6's 16-bit field counts the payload only.
  const limit = family === 4 ? MAX_IP_LENGTH - IPV4_HEADER_LENGTH : MAX_IP_LENGTH;
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || payloadLength > limit) {
    throw new RangeError(`an IPv${family} payload must be between 0 and ${limit} bytes, not ${payloadLength}`);
  }
  return headerLength + payloadLength;
}

function checkFamily(role: string, address: IpAddress, family: IpFamily): void {
  if (address.family !== family) {
    throw new RangeError(`${role} ${address.text} is not an IPv${family} address`);
  }
}

function checkedByte(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new RangeError(`${name} ${value} must be an integer between 0 and 255`);
  }
  return value;
}

function checkedUint16(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new RangeError(`${name} ${value} must be an integer between 0 and 65535`);
  }
  return value;
}

function hex16(value: number): string {
  return value.toString(16).padStart(4, '0');
}
