/**
 * Ethernet MAC addresses as parsed values, and the well-known MACs CARP uses: the virtual MAC
 * (carp(4), RFC 5798 §7.3), ucarp's advert source, and the IPv4/IPv6 multicast mappings.
 */
import type { IpAddress } from './ip-address.ts';

/** A MAC address: 6 bytes and the canonical lowercase colon-separated text. */
export interface MacAddress {
  readonly bytes: Uint8Array;
  readonly text: string;
}

/** Length of a MAC address in bytes. */
export const MAC_ADDRESS_LENGTH = 6;

/** Thrown by parseMacAddress for text that is not a MAC address. */
export class InvalidMacAddressError extends Error {
  constructor(readonly input: string) {
    super(`not a MAC address: ${JSON.stringify(input)}`);
    this.name = 'InvalidMacAddressError';
  }
}

/** Parses six two-digit hex bytes separated by ':' or '-' (one separator style); throws InvalidMacAddressError. */
export function parseMacAddress(text: string): MacAddress {
  if (!/^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(text)) {
    throw new InvalidMacAddressError(text);
  }
  return macAddressFromBytes(Uint8Array.from(text.split(/[:-]/), (part) => parseInt(part, 16)));
}

/** Builds a MAC address from 6 bytes (copied). */
export function macAddressFromBytes(input: Uint8Array): MacAddress {
  if (input.length !== MAC_ADDRESS_LENGTH) {
    throw new RangeError(`a MAC address has ${MAC_ADDRESS_LENGTH} bytes, not ${input.length}`);
  }
  const bytes = Uint8Array.from(input);
  return { bytes, text: formatMac(bytes) };
}

/** Formats bytes as lowercase aa:bb:cc:dd:ee:ff. */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** True when both MACs have the same bytes. */
export function macAddressEquals(a: MacAddress, b: MacAddress): boolean {
  return a.bytes.length === b.bytes.length && a.bytes.every((byte, i) => byte === b.bytes[i]);
}

/** ff:ff:ff:ff:ff:ff. */
export const BROADCAST_MAC: MacAddress = macAddressFromBytes(new Uint8Array(6).fill(0xff));

/** 00:00:00:00:00:00 (the unknown target hardware address of an ARP request). */
export const ZERO_MAC: MacAddress = macAddressFromBytes(new Uint8Array(6));

/** 00:00:5e:00:01:{vhid}: the carp(4) / VRRP IPv4 virtual MAC (docs/protocol-carp.md "Virtual MAC and Ethernet sources", RFC 5798 §7.3). */
export function carpVirtualMac(vhid: number): MacAddress {
  return macAddressFromBytes(Uint8Array.of(0x00, 0x00, 0x5e, 0x00, 0x01, checkedVhid(vhid)));
}

/**
 * The VRRP virtual MAC (RFC 5798 §7.3): 00:00:5e:00:01:{VRID} for an IPv4 virtual router,
 * 00:00:5e:00:02:{VRID} for an IPv6 one (docs/protocol-vrrp.md "Virtual MAC"). CARP uses the IPv4 one for every family.
 */
export function vrrpVirtualMac(vrid: number, family: 4 | 6): MacAddress {
  return macAddressFromBytes(Uint8Array.of(0x00, 0x00, 0x5e, 0x00, family === 4 ? 0x01 : 0x02, checkedVhid(vrid)));
}

/** 00:00:5e:00:00:{vhid}: the Ethernet source ucarp hard-codes for its adverts (ucarp carp_send_ad, docs/protocol-carp.md "Virtual MAC and Ethernet sources"). */
export function ucarpAdvertSourceMac(vhid: number): MacAddress {
  return macAddressFromBytes(Uint8Array.of(0x00, 0x00, 0x5e, 0x00, 0x00, checkedVhid(vhid)));
}

/** 01:00:5e + the low 23 bits of an IPv4 multicast address (RFC 1112 §6.4). */
export function ipv4MulticastMac(address: IpAddress): MacAddress {
  if (address.family !== 4 || ((address.bytes[0] as number) & 0xf0) !== 0xe0) {
    throw new RangeError(`${address.text} is not an IPv4 multicast address`);
  }
  const [, b1, b2, b3] = address.bytes as unknown as [number, number, number, number];
  return macAddressFromBytes(Uint8Array.of(0x01, 0x00, 0x5e, b1 & 0x7f, b2, b3));
}

/** 33:33 + the low 32 bits of an IPv6 multicast address (RFC 2464 §7). */
export function ipv6MulticastMac(address: IpAddress): MacAddress {
  if (address.family !== 6 || address.bytes[0] !== 0xff) {
    throw new RangeError(`${address.text} is not an IPv6 multicast address`);
  }
  const mac = new Uint8Array(6);
  mac[0] = 0x33;
  mac[1] = 0x33;
  mac.set(address.bytes.subarray(12, 16), 2);
  return macAddressFromBytes(mac);
}

function checkedVhid(vhid: number): number {
  if (!Number.isInteger(vhid) || vhid < 1 || vhid > 255) {
    throw new RangeError(`vhid ${vhid} must be an integer between 1 and 255`);
  }
  return vhid;
}
