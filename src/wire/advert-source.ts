/**
 * Which of an interface's own addresses adverts go out from, and how that choice follows the
 * interface being renumbered (issue 19 item 2; docs/configuration.md, source_address). Pure: the
 * transports (linux/raw-carp-transport.ts, sim/sim-transport.ts) apply it.
 */
import { ipAddressEquals, isIpv6LinkLocal, type IpAddress, type IpFamily } from './ip-address.ts';

/** carp(4) sends IPv6 adverts from the link-local address (RFC 5798 §5.1.2.1 too); IPv4 from the interface's address. */
export function defaultAdvertSource(family: IpFamily, addresses: readonly IpAddress[]): IpAddress | undefined {
  const candidates = addresses.filter((address) => address.family === family);
  if (family === 6) return candidates.find(isIpv6LinkLocal) ?? candidates[0];
  return candidates[0];
}

/**
 * The source of one family after the interface's own addresses changed. A pinned source
 * (source_address, --srcip) never moves: the operator chose it. Otherwise the current source is
 * kept while the interface still has it (adding a second address moves nothing; an IPv6 source
 * that is not link-local gives way to a link-local one), and the default among what is left
 * replaces it once it is gone. With no address of the family left the current one is kept: sends
 * fail and are counted (engine/send-fault.ts) until an address is added.
 */
export function followAdvertSource(family: IpFamily, current: IpAddress | undefined, addresses: readonly IpAddress[], pinned: boolean): IpAddress | undefined {
  if (pinned) return current;
  const still = current !== undefined && addresses.some((address) => ipAddressEquals(address, current));
  const preferred = defaultAdvertSource(family, addresses);
  if (still && !(family === 6 && !isIpv6LinkLocal(current) && preferred !== undefined && isIpv6LinkLocal(preferred))) return current;
  return preferred ?? current;
}
