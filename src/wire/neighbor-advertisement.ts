/**
 * ICMPv6 Neighbor Advertisements (RFC 4861 §4.4) inside their IPv6 packet, and the unsolicited
 * NA a new master sends for each IPv6 virtual address (RFC 4861 §7.2.6; OpenBSD/FreeBSD
 * carp_send_na, docs/protocol-carp.md "Gratuitous ARP and unsolicited NA").
 */
import type { IpAddress } from './ip-address.ts';
import { ipAddressFromBytes, isMulticast, parseIpAddress } from './ip-address.ts';
import { decodeIpv6Packet, encodeIpv6Packet, IPV6_HEADER_LENGTH } from './ip-packet.ts';
import { internetChecksum } from './internet-checksum.ts';
import type { Layer2DecodeResult } from './layer2-decode-result.ts';
import { decoded, decodeFailed } from './decode-result.ts';
import type { MacAddress } from './mac-address.ts';
import { ipv6MulticastMac, macAddressFromBytes } from './mac-address.ts';
import { ETHERTYPE_IPV6, encodeEthernetFrame } from './ethernet-frame.ts';

/** IPv6 next header of ICMPv6. */
export const IPPROTO_ICMPV6 = 58;
/** ICMPv6 type of a Neighbor Advertisement. */
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
/** ND option type: target link-layer address (RFC 4861 §4.6.1). */
export const ND_OPTION_TARGET_LINK_LAYER_ADDRESS = 2;
/** ff02::1, all nodes on the link: where unsolicited NAs go. */
export const ALL_NODES: IpAddress = parseIpAddress('ff02::1');

/** Type, code, checksum, flags+reserved, target. */
const NA_FIXED_LENGTH = 24;
/** A target link-layer address option for Ethernet: type, length 1 (8 bytes), 6-byte MAC. */
const TLLA_OPTION_LENGTH = 8;
const FLAG_ROUTER = 0x80;
const FLAG_SOLICITED = 0x40;
const FLAG_OVERRIDE = 0x20;

/** A Neighbor Advertisement with the IPv6 fields that matter for it. */
export interface NeighborAdvertisement {
  readonly source: IpAddress;
  readonly destination: IpAddress;
  /** Must be 255 on receipt (RFC 4861 §7.1.2); reported, not enforced, by the decoder. */
  readonly hopLimit: number;
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  readonly target: IpAddress;
  /** The target link-layer address option, when present (the first one if several). */
  readonly targetMac?: MacAddress;
}

/** ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 §8.1) and the ICMPv6 message. */
export function icmpv6Checksum(source: IpAddress, destination: IpAddress, message: Uint8Array): number {
  const buffer = new Uint8Array(40 + message.length);
  buffer.set(source.bytes, 0);
  buffer.set(destination.bytes, 16);
  new DataView(buffer.buffer).setUint32(32, message.length, false); // upper-layer packet length
  buffer[39] = IPPROTO_ICMPV6; // 3 zero bytes, then next header
  buffer.set(message, 40);
  return internetChecksum(buffer);
}

/** Length of the IPv6 packet encodeNeighborAdvertisement produces. */
export function encodedNeighborAdvertisementLength(na: NeighborAdvertisement): number {
  return IPV6_HEADER_LENGTH + NA_FIXED_LENGTH + (na.targetMac === undefined ? 0 : TLLA_OPTION_LENGTH);
}

/** Encodes a Neighbor Advertisement as a whole IPv6 packet, checksum included. */
export function encodeNeighborAdvertisement(na: NeighborAdvertisement): Uint8Array {
  if (na.target.family !== 6) throw new RangeError(`NA target ${na.target.text} is not an IPv6 address`);
  const message = new Uint8Array(encodedNeighborAdvertisementLength(na) - IPV6_HEADER_LENGTH);
  message[0] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
  message[1] = 0; // code
  message[4] = (na.router ? FLAG_ROUTER : 0) | (na.solicited ? FLAG_SOLICITED : 0) | (na.override ? FLAG_OVERRIDE : 0);
  message.set(na.target.bytes, 8);
  if (na.targetMac !== undefined) {
    message[NA_FIXED_LENGTH] = ND_OPTION_TARGET_LINK_LAYER_ADDRESS;
    message[NA_FIXED_LENGTH + 1] = 1; // in units of 8 bytes
    message.set(na.targetMac.bytes, NA_FIXED_LENGTH + 2);
  }
  const checksum = icmpv6Checksum(na.source, na.destination, message);
  message[2] = checksum >> 8;
  message[3] = checksum & 0xff;
  return encodeIpv6Packet({
    source: na.source,
    destination: na.destination,
    nextHeader: IPPROTO_ICMPV6,
    hopLimit: na.hopLimit,
    payload: message,
  });
}

/**
 * Decodes a Neighbor Advertisement from a whole IPv6 packet: ICMPv6 type 136 code 0, a verified
 * checksum, at least 24 bytes, a non-multicast target and well-formed options (RFC 4861 §7.1.2).
 */
export function decodeNeighborAdvertisement(bytes: Uint8Array): Layer2DecodeResult<NeighborAdvertisement> {
  const ip = decodeIpv6Packet(bytes);
  if (!ip.ok) return ip;
  const { payload: message, protocol } = ip.value;
  if (protocol !== IPPROTO_ICMPV6) return decodeFailed('not-icmpv6', `next header ${protocol} is not ICMPv6 (58)`);
  if (message.length < 2) return decodeFailed('short', `an ICMPv6 message of ${message.length} bytes`);
  if (message[0] !== ICMPV6_NEIGHBOR_ADVERTISEMENT || message[1] !== 0) {
    return decodeFailed('not-neighbor-advertisement', `ICMPv6 type ${message[0]} code ${message[1]}`);
  }
  if (message.length < NA_FIXED_LENGTH) {
    return decodeFailed('short', `a Neighbor Advertisement is at least ${NA_FIXED_LENGTH} bytes, got ${message.length}`);
  }
  if (icmpv6Checksum(ip.value.source, ip.value.destination, message) !== 0) {
    return decodeFailed('bad-icmpv6-checksum', 'the ICMPv6 checksum does not verify');
  }
  const target = ipAddressFromBytes(message.subarray(8, 24));
  if (isMulticast(target)) return decodeFailed('bad-nd-target', `target ${target.text} is multicast`);
  const targetMac = findTargetMac(message.subarray(NA_FIXED_LENGTH));
  if (!targetMac.ok) return targetMac;
  const flags = message[4] as number;
  const na: NeighborAdvertisement = {
    source: ip.value.source,
    destination: ip.value.destination,
    hopLimit: ip.value.ttl,
    router: (flags & FLAG_ROUTER) !== 0,
    solicited: (flags & FLAG_SOLICITED) !== 0,
    override: (flags & FLAG_OVERRIDE) !== 0,
    target,
    ...(targetMac.value === undefined ? {} : { targetMac: targetMac.value }),
  };
  return decoded(na);
}

/** Walks the ND options (type, length in 8-byte units, data) and returns the first Ethernet TLLA. */
function findTargetMac(options: Uint8Array): Layer2DecodeResult<MacAddress | undefined> {
  let found: MacAddress | undefined;
  let offset = 0;
  while (offset < options.length) {
    if (offset + 2 > options.length) return decodeFailed('bad-nd-option', `option at ${offset} is cut off`);
    const type = options[offset] as number;
    const length = (options[offset + 1] as number) * 8;
    if (length === 0) return decodeFailed('bad-nd-option', `option ${type} at ${offset} has length 0`);
    if (offset + length > options.length) {
      return decodeFailed('bad-nd-option', `option ${type} at ${offset} needs ${length} bytes`);
    }
    if (type === ND_OPTION_TARGET_LINK_LAYER_ADDRESS && length === TLLA_OPTION_LENGTH && found === undefined) {
      found = macAddressFromBytes(options.subarray(offset + 2, offset + 8));
    }
    offset += length;
  }
  return decoded(found);
}

/** Inputs of unsolicitedNeighborAdvertisement. */
export interface UnsolicitedNaOptions {
  /** The link-layer address to advertise: the virtual MAC with --vmac, else the NIC's. */
  readonly mac: MacAddress;
  /** The IPv6 virtual address. */
  readonly target: IpAddress;
  /** Set the Router flag: OpenBSD does when forwarding is on, FRR always, FreeBSD never (docs/protocol-carp.md "Gratuitous ARP and unsolicited NA", docs/protocol-vrrp.md "FRR"). */
  readonly router: boolean;
}

/**
 * The unsolicited NA for one IPv6 virtual address, as an IPv6 packet: from the VIP itself (as
 * keepalived, §7.5) to ff02::1, hop limit 255, Override set, Solicited clear (RFC 4861 §7.2.6),
 * with a target link-layer address option.
 */
export function unsolicitedNeighborAdvertisement(options: UnsolicitedNaOptions): Uint8Array {
  return encodeNeighborAdvertisement({
    source: options.target,
    destination: ALL_NODES,
    hopLimit: 255,
    router: options.router,
    solicited: false,
    override: true,
    target: options.target,
    targetMac: options.mac,
  });
}

/** The unsolicited NA as a whole Ethernet frame, from `mac` to 33:33:00:00:00:01. */
export function unsolicitedNeighborAdvertisementFrame(options: UnsolicitedNaOptions): Uint8Array {
  return encodeEthernetFrame({
    destination: ipv6MulticastMac(ALL_NODES),
    source: options.mac,
    etherType: ETHERTYPE_IPV6,
    payload: unsolicitedNeighborAdvertisement(options),
  });
}
