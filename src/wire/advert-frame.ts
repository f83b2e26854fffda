/**
 * The whole Ethernet frame of a CARP advert, for sending through an AF_PACKET socket when the
 * Ethernet source must be chosen (the virtual MAC, as OpenBSD and FreeBSD send, docs/protocol-carp.md "Virtual MAC and Ethernet sources"),
 * which a raw IP socket cannot do.
 */
import type { IpAddress, IpFamily } from './ip-address.ts';
import { isMulticast, parseIpAddress } from './ip-address.ts';
import type { Datagram } from './ip-packet.ts';
import { decodeIpPacket, encodeIpv4Packet, encodeIpv6Packet } from './ip-packet.ts';
import type { EthernetFrame } from './ethernet-frame.ts';
import { decodeEthernetFrame, encodeEthernetFrame, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethernet-frame.ts';
import type { Layer2DecodeResult } from './layer2-decode-result.ts';
import { decoded, decodeFailed } from './decode-result.ts';
import type { MacAddress } from './mac-address.ts';
import { ipv4MulticastMac, ipv6MulticastMac } from './mac-address.ts';

/** 224.0.0.18, the CARP/VRRP IPv4 group. */
export const CARP_GROUP_V4: IpAddress = parseIpAddress('224.0.0.18');
/** ff02::12, the CARP/VRRP IPv6 group. */
export const CARP_GROUP_V6: IpAddress = parseIpAddress('ff02::12');

/** Inputs of advertFrame. */
export interface AdvertFrameOptions {
  readonly family: IpFamily;
  readonly sourceMac: MacAddress;
  readonly sourceIp: IpAddress;
  /** Default: the CARP group of the family. A unicast destination needs destinationMac. */
  readonly destination?: IpAddress;
  /** The peer's MAC for a unicast destination; ignored for multicast (derived from the group). */
  readonly destinationMac?: MacAddress;
  /** The CARP header and HMAC (36 bytes for a CARP v2 advert). */
  readonly payload: Uint8Array;
  /** IPv4 identification; the caller draws it at random per packet, as ucarp does (default 0). */
  readonly ipId?: number;
}

/**
 * Encodes the frame: IPv4 with TOS 0x10, DF and TTL 255 (OpenBSD and ucarp, docs/protocol-carp.md "IP layer"), or IPv6 with
 * hop limit 255; Ethernet destination 01:00:5e:00:00:12 / 33:33:00:00:00:12 for the groups.
 */
export function advertFrame(options: AdvertFrameOptions): Uint8Array {
  if (options.sourceIp.family !== options.family) {
    throw new RangeError(`source ${options.sourceIp.text} is not an IPv${options.family} address`);
  }
  const destination = options.destination ?? (options.family === 4 ? CARP_GROUP_V4 : CARP_GROUP_V6);
  const packet =
    options.family === 4
      ? encodeIpv4Packet({
          source: options.sourceIp,
          destination,
          payload: options.payload,
          tos: 0x10,
          ttl: 255,
          dontFragment: true,
          identification: options.ipId ?? 0,
        })
      : encodeIpv6Packet({ source: options.sourceIp, destination, payload: options.payload, hopLimit: 255 });
  return encodeEthernetFrame({
    destination: destinationMacFor(destination, options.destinationMac),
    source: options.sourceMac,
    etherType: options.family === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6,
    payload: packet,
  });
}

/** The groups' MACs, derived once: every advert goes to one of them (the derivation formats text). */
const CARP_GROUP_MAC_V4 = ipv4MulticastMac(CARP_GROUP_V4);
const CARP_GROUP_MAC_V6 = ipv6MulticastMac(CARP_GROUP_V6);

function destinationMacFor(destination: IpAddress, unicastMac: MacAddress | undefined): MacAddress {
  if (destination === CARP_GROUP_V4) return CARP_GROUP_MAC_V4;
  if (destination === CARP_GROUP_V6) return CARP_GROUP_MAC_V6;
  if (isMulticast(destination)) return destination.family === 4 ? ipv4MulticastMac(destination) : ipv6MulticastMac(destination);
  if (unicastMac === undefined) throw new RangeError(`unicast destination ${destination.text} needs a destinationMac`);
  return unicastMac;
}

/** A decoded advert frame: the Ethernet addresses and the IP datagram. */
export interface DecodedAdvertFrame {
  readonly destinationMac: MacAddress;
  readonly sourceMac: MacAddress;
  readonly datagram: Datagram;
}

/** Decodes an IPv4 or IPv6 Ethernet frame down to the datagram (the CARP payload is left to decodeCarpHeader). */
export function decodeAdvertFrame(bytes: Uint8Array): Layer2DecodeResult<DecodedAdvertFrame> {
  const ethernet = decodeEthernetFrame(bytes);
  if (!ethernet.ok) return ethernet;
  const frame: EthernetFrame = ethernet.value;
  const expectedVersion = frame.etherType === ETHERTYPE_IPV4 ? 4 : frame.etherType === ETHERTYPE_IPV6 ? 6 : undefined;
  if (expectedVersion === undefined) {
    return decodeFailed('bad-ip-version', `EtherType 0x${frame.etherType.toString(16)} carries no IP`);
  }
  const ip = decodeIpPacket(frame.payload);
  if (!ip.ok) return ip;
  if (ip.value.family !== expectedVersion) {
    return decodeFailed('bad-ip-version', `EtherType says IPv${expectedVersion}, the packet is IPv${ip.value.family}`);
  }
  return decoded({ destinationMac: frame.destination, sourceMac: frame.source, datagram: ip.value });
}
