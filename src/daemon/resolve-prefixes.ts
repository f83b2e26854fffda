/**
 * Prefix lengths for virtual addresses given without one: the prefix of the parent interface's
 * subnet that contains the address (what an operator means by "a VIP on this LAN"), else a host
 * prefix (/32, /128). Pure.
 */
import type { VirtualAddress } from '../config/daemon-options.ts';
import type { IpAddress } from '../wire/ip-address.ts';
import type { ResolvedAddress } from './linux-group-effects.ts';

/** An address configured on the parent, with its prefix. */
export interface ConfiguredAddress {
  readonly address: IpAddress;
  readonly prefixLength: number;
}

/** True when `address` lies in `network`/`prefixLength`. */
export function inSubnet(address: IpAddress, network: IpAddress, prefixLength: number): boolean {
  if (address.family !== network.family) return false;
  for (let bit = 0; bit < prefixLength; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((address.bytes[byte] as number) & mask) !== ((network.bytes[byte] as number) & mask)) return false;
  }
  return true;
}

/** Resolves every virtual address's prefix length. */
export function resolvePrefixes(addresses: readonly VirtualAddress[], parentAddresses: readonly ConfiguredAddress[]): ResolvedAddress[] {
  return addresses.map(({ address, prefixLength }) => {
    if (prefixLength !== undefined) return { address, prefixLength };
    const subnet = parentAddresses.find((p) => p.address.family === address.family && inSubnet(address, p.address, p.prefixLength));
    return { address, prefixLength: subnet?.prefixLength ?? (address.family === 4 ? 32 : 128) };
  });
}
