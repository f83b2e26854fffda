/**
 * The CARP HMAC-SHA1 exactly as OpenBSD, FreeBSD and ucarp compute it (docs/protocol-carp.md "Message"):
 * message = 0x02 ‖ 0x01 ‖ vhid ‖ sorted IPv4 list ‖ sorted IPv6 list ‖ counter(8).
 * node:crypto is pure computation here; no I/O.
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { IpAddress } from '../../wire/ip-address.ts';
import { compareBytes, isIpv6LinkLocal } from '../../wire/ip-address.ts';
import { CARP_KEY_LENGTH } from './carp-key.ts';

/** Which address list goes into the HMAC. */
export type HmacVariant =
  | 'no-link-local' // OpenBSD HMAC_NOV6LL: what every sender uses
  | 'with-link-local'; // OpenBSD HMAC_ORIG / FreeBSD: link-local IPv6 included

/** Length of the counter appended to the prefix: the 8 bytes at header offsets 8..15. */
const COUNTER_LENGTH = 8;
const DIGEST_LENGTH = 20;
const MAX_COUNTER = (1n << 64n) - 1n;

/** The message prefix (everything before the counter) for one variant; duplicates collapsed, sorted. */
export function carpHmacPrefix(vhid: number, addresses: readonly IpAddress[], variant: HmacVariant): Uint8Array {
  if (!Number.isInteger(vhid) || vhid < 0 || vhid > 255) throw new RangeError(`vhid ${vhid} must be 0..255`);
  const ipv4 = sortedUnique(addresses.filter((a) => a.family === 4));
  // HMAC_NOV6LL leaves out every scope-embedded (link-local) address (ip_carp.c carp_hmac_prepare_ctx).
  const ipv6 = sortedUnique(
    addresses.filter((a) => a.family === 6 && (variant === 'with-link-local' || !isIpv6LinkLocal(a))),
  );
  const prefix = new Uint8Array(3 + ipv4.length * 4 + ipv6.length * 16);
  // The version and type hashed are the local constants 2 and 1, not the received header's ("Message").
  prefix.set([2, 1, vhid]);
  let offset = 3;
  for (const address of [...ipv4, ...ipv6]) {
    prefix.set(address.bytes, offset);
    offset += address.bytes.length;
  }
  return prefix;
}

/** The addresses in the order and variant the HMAC hashes them (for diagnostics: what a peer must list alike). */
export function carpHmacAddresses(addresses: readonly IpAddress[], variant: HmacVariant = 'no-link-local'): IpAddress[] {
  return [
    ...sortedUnique(addresses.filter((a) => a.family === 4)),
    ...sortedUnique(addresses.filter((a) => a.family === 6 && (variant === 'with-link-local' || !isIpv6LinkLocal(a)))),
  ];
}

/**
 * Ascending memcmp order with duplicates collapsed. For IPv4 memcmp order is numeric order,
 * which is what the kernels' "next strictly greater" scan produces ("Message"); a string sort is not.
 */
function sortedUnique(addresses: readonly IpAddress[]): IpAddress[] {
  const sorted = [...addresses].sort((a, b) => compareBytes(a.bytes, b.bytes));
  return sorted.filter((a, i) => i === 0 || compareBytes(a.bytes, (sorted[i - 1] as IpAddress).bytes) !== 0);
}

/** One precomputed message: prefix followed by room for the counter, rewritten per packet. */
class HmacMessage {
  private readonly message: Buffer;

  constructor(
    private readonly key: KeyObject,
    readonly prefix: Uint8Array,
  ) {
    this.message = Buffer.alloc(prefix.length + COUNTER_LENGTH);
    this.message.set(prefix);
  }

  /** HMAC-SHA1(key, prefix ‖ counter as 8 big-endian bytes). */
  digest(counter: bigint): Buffer {
    this.message.writeBigUInt64BE(counter, this.prefix.length);
    return createHmac('sha1', this.key).update(this.message).digest();
  }
}

/** Signs and verifies adverts of one vhid; prefixes precomputed once per configuration. */
export class CarpAuthenticator {
  private readonly noLinkLocal: HmacMessage;
  /** Undefined when the two variants hash the same bytes (no link-local addresses). */
  private readonly withLinkLocal: HmacMessage | undefined;

  constructor(key: Uint8Array, vhid: number, addresses: readonly IpAddress[]) {
    if (key.length !== CARP_KEY_LENGTH) {
      throw new RangeError(`a CARP key is ${CARP_KEY_LENGTH} bytes, not ${key.length} (use carpKeyFromPassphrase)`);
    }
    // A KeyObject is imported once; createHmac with it is faster than with raw bytes per packet.
    const secret = createSecretKey(Uint8Array.from(key));
    this.noLinkLocal = new HmacMessage(secret, carpHmacPrefix(vhid, addresses, 'no-link-local'));
    const orig = carpHmacPrefix(vhid, addresses, 'with-link-local');
    const same = compareBytes(orig, this.noLinkLocal.prefix) === 0;
    this.withLinkLocal = same ? undefined : new HmacMessage(secret, orig);
  }

  /** The 20-byte digest to send with this counter (no-link-local variant). */
  sign(counter: bigint): Uint8Array {
    checkCounter(counter);
    // Every sender uses HMAC_NOV6LL (OpenBSD carp_prepare_ad), so peers of either kind accept it.
    return this.noLinkLocal.digest(counter);
  }

  /** Constant-time check against both variants; true when either matches. */
  verify(counter: bigint, digest: Uint8Array): boolean {
    if (digest.length !== DIGEST_LENGTH || counter < 0n || counter > MAX_COUNTER) return false;
    // OpenBSD carp_hmac_verify tries HMAC_ORIG then HMAC_NOV6LL with timingsafe_bcmp. Stopping
    // at the first match reveals only which variant the peer used, nothing about the key.
    if (timingSafeEqual(this.noLinkLocal.digest(counter), digest)) return true;
    return this.withLinkLocal !== undefined && timingSafeEqual(this.withLinkLocal.digest(counter), digest);
  }
}

function checkCounter(counter: bigint): void {
  if (counter < 0n || counter > MAX_COUNTER) throw new RangeError(`counter ${counter} does not fit in 64 bits`);
}
