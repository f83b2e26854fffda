/**
 * One IP packet → the JSON-ready object `carpd inspect` prints: a CARP advert's fields, a
 * decode error, or why it was skipped. Pure; the HMAC check comes in through AuthCheck.
 */
import { counterAsDate } from '../protocols/carp/send-counter.ts';
import { carpChecksumValid, decodeCarpHeader, isBowOut } from '../protocols/carp/carp-header.ts';
import { decodeIpPacket, IPPROTO_CARP } from '../wire/ip-packet.ts';
import type { Datagram } from '../wire/ip-packet.ts';
import { classifyProtocol112 } from '../protocols/protocol-112.ts';

/** A flat JSON object: what inspect prints per packet. */
export type Report = Readonly<Record<string, string | number | boolean>>;

/** The result of checking one advert's HMAC. */
export type AuthOutcome = { readonly auth: 'ok' } | { readonly auth: 'bad'; readonly hint: string };

/** Checks an advert's digest; absent when no key was given (auth "unchecked"). */
export interface AuthCheck {
  check(vhid: number, counter: bigint, digest: Uint8Array): AuthOutcome;
}

/**
 * Describes one whole IPv4/IPv6 packet. Returns `{ skipped }` for packets that are not CARP
 * (another protocol, or VRRP by shape), `{ error, detail }` for malformed ones.
 */
export function describeIpPacket(ip: Uint8Array, auth: AuthCheck | undefined): Report {
  const datagram = decodeIpPacket(ip);
  if (!datagram.ok) return { error: datagram.error.code, detail: datagram.error.detail };
  const { protocol, payload } = datagram.value;
  if (protocol !== IPPROTO_CARP) return { skipped: 'other-protocol', protocol };
  const kind = classifyProtocol112(payload);
  switch (kind) {
    case 'vrrp-v2':
    case 'vrrp-v3':
      return { skipped: kind };
    case 'short':
      return { error: 'short', detail: `a protocol-112 payload of ${payload.length} bytes is neither CARP nor VRRP` };
    case 'other-version':
      return { error: 'bad-version', detail: `version nibble ${(payload[0] as number) >> 4} is neither 2 nor 3` };
    case 'carp':
    case 'carp-oversized':
      // OpenBSD and FreeBSD read the first 36 bytes and ignore the rest (docs/protocol-carp.md "The 36-byte header").
      return describeAdvert(datagram.value, auth);
  }
}

/** The advert's fields in wire order, then the verdicts. */
function describeAdvert(datagram: Datagram, auth: AuthCheck | undefined): Report {
  const header = decodeCarpHeader(datagram.payload);
  if (!header.ok) return { error: header.error.code, detail: header.error.detail };
  const h = header.value;
  const outcome = auth?.check(h.vhid, h.counter, h.digest);
  return {
    family: datagram.family,
    src: datagram.source.text,
    dst: datagram.destination.text,
    ttl: datagram.ttl,
    payloadLength: datagram.payload.length,
    version: h.version,
    type: h.type,
    vhid: h.vhid,
    advskew: h.advskew,
    authlen: h.authlen,
    demote: h.demote,
    advbase: h.advbase,
    counter: h.counter.toString(16).padStart(16, '0'),
    ...counterTime(h.counter),
    digest: Buffer.from(h.digest).toString('hex'),
    checksumOk: carpChecksumValid(datagram.payload),
    auth: outcome?.auth ?? 'unchecked',
    bowOut: isBowOut(h),
    ...(outcome?.auth === 'bad' ? { hint: outcome.hint } : {}),
  };
}

/** carpd's counters are µs timestamps (send-counter.ts): show the time when the value looks like one. */
function counterTime(counter: bigint): { counterTime?: string } {
  const date = counterAsDate(counter);
  return date === undefined ? {} : { counterTime: date.toISOString() };
}
