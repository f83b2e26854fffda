// The address ranges the lab may use, and the check that the host namespace holds none of them.
//
// The host itself sits on 192.0.2.0/24 and fd00::/64 (docs/development.md "Test networks").
// If the host namespace already held an address in a lab range, lab traffic could be answered or
// routed by the host, so the lab refuses to start instead.

/** The IPv4 ranges the lab uses: host addresses in the first, VIPs in either. */
export const LAB_IPV4_RANGES = ['198.51.100.0/24', '203.0.113.0/24'] as const;
/** The IPv6 range the lab uses (RFC 3849 documentation prefix). */
export const LAB_IPV6_RANGE = '2001:db8::/32';

/** Parses dotted-quad IPv4 text into a 32-bit number, or undefined when it is not IPv4. */
function ipv4ToNumber(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** True when IPv4 text lies in one of LAB_IPV4_RANGES (both are /24s). */
function inLabIpv4(text: string): boolean {
  const value = ipv4ToNumber(text);
  if (value === undefined) return false;
  return LAB_IPV4_RANGES.some((range) => {
    const [base] = range.split('/');
    const baseValue = ipv4ToNumber(base ?? '');
    return baseValue !== undefined && Math.floor(value / 256) === Math.floor(baseValue / 256);
  });
}

/** True when IPv6 text lies in 2001:db8::/32 (also for IPv4-mapped lab IPv4 addresses). */
function inLabIpv6(text: string): boolean {
  const lower = text.toLowerCase().replace(/%.*$/, '');
  const lastColon = lower.lastIndexOf(':');
  if (lower.includes('.') && lastColon >= 0) return inLabIpv4(lower.slice(lastColon + 1));
  // The first two groups are the /32; an empty group there means "::" (zeros), never db8.
  const groups = lower.split(':');
  const first = groups[0] ?? '';
  const second = groups[1] ?? '';
  if (!/^[0-9a-f]{1,4}$/.test(first) || !/^[0-9a-f]{1,4}$/.test(second)) return false;
  return parseInt(first, 16) === 0x2001 && parseInt(second, 16) === 0x0db8;
}

/**
 * Returns the addresses (plain or `addr/prefix` text) that fall inside a lab range.
 * An empty result means the lab may run.
 */
export function labRangeConflicts(addresses: readonly string[]): string[] {
  return addresses.filter((entry) => {
    const address = entry.split('/')[0] ?? '';
    return address.includes(':') ? inLabIpv6(address) : inLabIpv4(address);
  });
}
