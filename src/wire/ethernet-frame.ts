/**
 * Ethernet II frames as sent and received on an AF_PACKET socket: destination, source,
 * EtherType, payload. No FCS (the NIC adds it) and no padding to the 60-byte minimum: drivers
 * pad short frames on transmit, and ucarp's 42-byte gratuitous ARP goes out unpadded as well.
 */
import type { Layer2DecodeResult } from './layer2-decode-result.ts';
import { decoded, decodeFailed } from './decode-result.ts';
import type { MacAddress } from './mac-address.ts';
import { MAC_ADDRESS_LENGTH, macAddressFromBytes } from './mac-address.ts';

/** EtherType of IPv4. */
export const ETHERTYPE_IPV4 = 0x0800;
/** EtherType of ARP. */
export const ETHERTYPE_ARP = 0x0806;
/** EtherType of IPv6. */
export const ETHERTYPE_IPV6 = 0x86dd;

/** Destination, source and EtherType. */
export const ETHERNET_HEADER_LENGTH = 14;

/** Values below this in the type/length field are IEEE 802.3 lengths, not EtherTypes. */
const MIN_ETHERTYPE = 0x0600;

/** An Ethernet II frame. */
export interface EthernetFrame {
  readonly destination: MacAddress;
  readonly source: MacAddress;
  readonly etherType: number;
  /** Everything after the header, including any minimum-size padding (upper layers cut it off by their own length). */
  readonly payload: Uint8Array;
}

/** Length of the frame encodeEthernetFrame produces for a payload of this length. */
export function encodedEthernetFrameLength(payloadLength: number): number {
  return ETHERNET_HEADER_LENGTH + payloadLength;
}

/** Encodes an Ethernet II frame. */
export function encodeEthernetFrame(frame: EthernetFrame): Uint8Array {
  if (!Number.isInteger(frame.etherType) || frame.etherType < MIN_ETHERTYPE || frame.etherType > 0xffff) {
    throw new RangeError(`EtherType 0x${frame.etherType.toString(16)} must be between 0x0600 and 0xffff`);
  }
  const out = new Uint8Array(encodedEthernetFrameLength(frame.payload.length));
  out.set(frame.destination.bytes, 0);
  out.set(frame.source.bytes, MAC_ADDRESS_LENGTH);
  out[12] = frame.etherType >> 8;
  out[13] = frame.etherType & 0xff;
  out.set(frame.payload, ETHERNET_HEADER_LENGTH);
  return out;
}

/** Decodes an Ethernet II frame; the payload is a view into `bytes`. */
export function decodeEthernetFrame(bytes: Uint8Array): Layer2DecodeResult<EthernetFrame> {
  if (bytes.length < ETHERNET_HEADER_LENGTH) {
    return decodeFailed('short', `an Ethernet header is ${ETHERNET_HEADER_LENGTH} bytes, got ${bytes.length}`);
  }
  const etherType = ((bytes[12] as number) << 8) | (bytes[13] as number);
  if (etherType < MIN_ETHERTYPE) {
    return decodeFailed('not-ethernet-ii', `type/length field ${etherType} is an 802.3 length, not an EtherType`);
  }
  const frame: EthernetFrame = {
    destination: macAddressFromBytes(bytes.subarray(0, 6)),
    source: macAddressFromBytes(bytes.subarray(6, 12)),
    etherType,
    payload: bytes.subarray(ETHERNET_HEADER_LENGTH),
  };
  return decoded(frame);
}
