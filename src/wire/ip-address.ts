/**
 * IP addresses as parsed values: the family, the wire bytes and the canonical text.
 * Hand-written rather than node:net so that protocol/ stays free of I/O modules.
 */

/** An address family: 4 for IPv4, 6 for IPv6. */
export type IpFamily = 4 | 6;

/** A parsed IPv4 or IPv6 address. */
export interface IpAddress {
  readonly family: IpFamily;
  /** 4 or 16 bytes in network order. */
  readonly bytes: Uint8Array;
  /** Canonical text (dotted quad, or RFC 5952 compressed lowercase IPv6). */
  readonly text: string;
}

/** Thrown by parseIpAddress for text that is not an address. */
export class InvalidAddressError extends Error {
  constructor(readonly input: string) {
    super(`not an IP address: ${JSON.stringify(input)}`);
    this.name = 'InvalidAddressError';
  }
}

/** Parses IPv4 dotted-quad or IPv6 text (no zone ids); throws InvalidAddressError. */
export function parseIpAddress(text: string): IpAddress {
  const bytes = text.includes(':') ? parseIpv6Bytes(text) : parseIpv4Bytes(text);
  if (bytes === undefined) throw new InvalidAddressError(text);
  return ipAddressFromBytes(bytes);
}

/** Like parseIpAddress but returns undefined instead of throwing. */
export function tryParseIpAddress(text: string): IpAddress | undefined {
  try {
    return parseIpAddress(text);
  } catch {
    return undefined;
  }
}

/** Builds an address from 4 or 16 wire bytes (copied). */
export function ipAddressFromBytes(input: Uint8Array): IpAddress {
  if (input.length !== 4 && input.length !== 16) {
    throw new RangeError(`an IP address has 4 or 16 bytes, not ${input.length}`);
  }
  const bytes = Uint8Array.from(input);
  const family: IpFamily = bytes.length === 4 ? 4 : 6;
  return { family, bytes, text: family === 4 ? formatIpv4(bytes) : formatIpv6(bytes) };
}

/** True when both addresses are the same family and bytes. */
export function ipAddressEquals(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && compareBytes(a.bytes, b.bytes) === 0;
}

/** Bytewise comparison (memcmp order); for IPv4 this is also numeric order. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** True for IPv6 link-local unicast (fe80::/10). */
export function isIpv6LinkLocal(address: IpAddress): boolean {
  return address.family === 6 && address.bytes[0] === 0xfe && ((address.bytes[1] as number) & 0xc0) === 0x80;
}

/** True for IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
export function isMulticast(address: IpAddress): boolean {
  const first = address.bytes[0] as number;
  return address.family === 4 ? (first & 0xf0) === 0xe0 : first === 0xff;
}

function parseIpv4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    out[i] = value;
  }
  return out;
}

function parseIpv6Bytes(text: string): Uint8Array | undefined {
  if (text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] as string).split(':')) : [];
  const groups: number[] = [];
  const parseGroups = (items: string[], allowV4Tail: boolean): number[] | undefined => {
    const result: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as string;
      if (allowV4Tail && i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4Bytes(item);
        if (v4 === undefined) return undefined;
        result.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return undefined;
      result.push(parseInt(item, 16));
    }
    return result;
  };
  const headGroups = parseGroups(head, halves.length === 1);
  const tailGroups = parseGroups(tail, true);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  if (halves.length === 1) {
    if (headGroups.length !== 8) return undefined;
    groups.push(...headGroups);
  } else {
    const missing = 8 - headGroups.length - tailGroups.length;
    if (missing < 1) return undefined;
    groups.push(...headGroups, ...new Array<number>(missing).fill(0), ...tailGroups);
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

function formatIpv4(bytes: Uint8Array): string {
  return Array.from(bytes).join('.');
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  // RFC 5952: compress the longest run (first if tied) of two or more zero groups.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}
