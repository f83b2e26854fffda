/**
 * ARP for Ethernet and IPv4 (RFC 826), and the gratuitous ARP a new master sends for each of its
 * IPv4 virtual addresses.
 */
import type { IpAddress } from './ip-address.ts';
import { ipAddressFromBytes } from './ip-address.ts';
import type { Layer2DecodeResult } from './layer2-decode-result.ts';
import { decoded, decodeFailed } from './decode-result.ts';
import type { MacAddress } from './mac-address.ts';
import { BROADCAST_MAC, ZERO_MAC, macAddressFromBytes } from './mac-address.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, encodeEthernetFrame } from './ethernet-frame.ts';

/** ARP operation: request. */
export const ARP_REQUEST = 1;
/** ARP operation: reply. */
export const ARP_REPLY = 2;
/** Length of an Ethernet/IPv4 ARP packet. */
export const ARP_PACKET_LENGTH = 28;

/** ARP hardware type Ethernet (RFC 826, IANA "Hardware Types"). */
const HARDWARE_ETHERNET = 1;

/** An Ethernet/IPv4 ARP packet. */
export interface ArpPacket {
  /** 1 request, 2 reply; other values are carried as they are. */
  readonly operation: number;
  readonly senderMac: MacAddress;
  readonly senderIp: IpAddress;
  readonly targetMac: MacAddress;
  readonly targetIp: IpAddress;
}

/** Length of the packet encodeArpPacket produces (always 28). */
export function encodedArpPacketLength(): number {
  return ARP_PACKET_LENGTH;
}

/** Encodes an Ethernet/IPv4 ARP packet. */
export function encodeArpPacket(packet: ArpPacket): Uint8Array {
  if (packet.senderIp.family !== 4 || packet.targetIp.family !== 4) {
    throw new RangeError(`ARP carries IPv4 addresses, not ${packet.senderIp.text} / ${packet.targetIp.text}`);
  }
  if (!Number.isInteger(packet.operation) || packet.operation < 0 || packet.operation > 0xffff) {
    throw new RangeError(`ARP operation ${packet.operation} must be an integer between 0 and 65535`);
  }
  const out = new Uint8Array(ARP_PACKET_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint16(0, HARDWARE_ETHERNET, false);
  view.setUint16(2, ETHERTYPE_IPV4, false);
  view.setUint8(4, 6); // hardware address length
  view.setUint8(5, 4); // protocol address length
  view.setUint16(6, packet.operation, false);
  out.set(packet.senderMac.bytes, 8);
  out.set(packet.senderIp.bytes, 14);
  out.set(packet.targetMac.bytes, 18);
  out.set(packet.targetIp.bytes, 24);
  return out;
}

/** Decodes an Ethernet/IPv4 ARP packet; bytes after the 28 (Ethernet padding) are ignored. */
export function decodeArpPacket(bytes: Uint8Array): Layer2DecodeResult<ArpPacket> {
  if (bytes.length < ARP_PACKET_LENGTH) {
    return decodeFailed('short', `an Ethernet/IPv4 ARP packet is ${ARP_PACKET_LENGTH} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hardware = view.getUint16(0, false);
  const protocol = view.getUint16(2, false);
  const hardwareLength = view.getUint8(4);
  const protocolLength = view.getUint8(5);
  if (hardware !== HARDWARE_ETHERNET || protocol !== ETHERTYPE_IPV4 || hardwareLength !== 6 || protocolLength !== 4) {
    return decodeFailed(
      'unsupported-arp-format',
      `hardware ${hardware}/${hardwareLength} bytes, protocol 0x${protocol.toString(16)}/${protocolLength} bytes: only Ethernet/IPv4 is supported`,
    );
  }
  const packet: ArpPacket = {
    operation: view.getUint16(6, false),
    senderMac: macAddressFromBytes(bytes.subarray(8, 14)),
    senderIp: ipAddressFromBytes(bytes.subarray(14, 18)),
    targetMac: macAddressFromBytes(bytes.subarray(18, 24)),
    targetIp: ipAddressFromBytes(bytes.subarray(24, 28)),
  };
  return decoded(packet);
}

/**
 * The gratuitous ARP for one IPv4 virtual address: a request with sender MAC = `mac`, sender IP =
 * target IP = the VIP and target MAC zero, the RFC 5227 §3 announcement. OpenBSD and FreeBSD send
 * the same request (docs/protocol-carp.md "Gratuitous ARP and unsolicited NA"); ucarp puts its own MAC in the target MAC and keepalived/FRR
 * put ff:ff:ff:ff:ff:ff there (docs/protocol-vrrp.md "keepalived", "FRR"). Receivers update their caches from the sender fields
 * alone, so the target MAC does not matter for interop.
 */
export function gratuitousArp(mac: MacAddress, vip: IpAddress): ArpPacket {
  return { operation: ARP_REQUEST, senderMac: mac, senderIp: vip, targetMac: ZERO_MAC, targetIp: vip };
}

/** The gratuitous ARP as a whole frame: broadcast, Ethernet source = `mac` (the virtual MAC with --vmac, else the NIC's). */
export function gratuitousArpFrame(mac: MacAddress, vip: IpAddress): Uint8Array {
  return encodeEthernetFrame({
    destination: BROADCAST_MAC,
    source: mac,
    etherType: ETHERTYPE_ARP,
    payload: encodeArpPacket(gratuitousArp(mac, vip)),
  });
}
