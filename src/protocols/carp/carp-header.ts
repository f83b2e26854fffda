/**
 * The 36-byte CARP v2 header (docs/protocol-carp.md "The 36-byte header"): encode, decode and length side by side.
 */
import type { DecodeResult } from '../../wire/decode-result.ts';
import { decoded, decodeFailed } from '../../wire/decode-result.ts';
import { internetChecksum } from '../../wire/internet-checksum.ts';

/** Length of the CARP header on the wire. */
export const CARP_HEADER_LENGTH = 36;
/** CARP protocol version carried in the high nibble of byte 0. */
export const CARP_VERSION = 2;
/** The only CARP message type: advertisement. */
export const CARP_TYPE_ADVERTISEMENT = 1;
/** authlen as every implementation sends it: (8-byte counter + 20-byte digest) / 4. */
export const CARP_AUTHLEN = 7;
/** Length of the HMAC-SHA1 digest. */
export const CARP_DIGEST_LENGTH = 20;
/** The advbase and advskew value OpenBSD sends in a bow-out advert (ip_carp.c carp_send_ad). */
export const BOW_OUT_VALUE = 255;

const MAX_COUNTER = (1n << 64n) - 1n;

/** A decoded CARP header, every field as carried on the wire. */
export interface CarpHeader {
  readonly version: number;
  readonly type: number;
  readonly vhid: number;
  readonly advskew: number;
  readonly authlen: number;
  /** OpenBSD's demote byte; pad1 (always 0) for FreeBSD and ucarp. */
  readonly demote: number;
  readonly advbase: number;
  /** The checksum field as received (or as computed by encodeCarpHeader). */
  readonly checksum: number;
  /** The 8 counter bytes as one unsigned big-endian 64-bit value. */
  readonly counter: bigint;
  /** 20-byte HMAC-SHA1 digest. */
  readonly digest: Uint8Array;
}

/** The fields a sender chooses; version/type/authlen default to the standard values, the checksum is computed. */
export interface CarpHeaderFields {
  readonly version?: number;
  readonly type?: number;
  readonly vhid: number;
  readonly advskew: number;
  readonly authlen?: number;
  readonly demote: number;
  readonly advbase: number;
  readonly counter: bigint;
  readonly digest: Uint8Array;
}

/** Encodes a header into 36 bytes with a valid checksum; throws RangeError for a field that does not fit. */
export function encodeCarpHeader(fields: CarpHeaderFields): Uint8Array {
  const version = fields.version ?? CARP_VERSION;
  const type = fields.type ?? CARP_TYPE_ADVERTISEMENT;
  const authlen = fields.authlen ?? CARP_AUTHLEN;
  checkField('version', version, 0xf);
  checkField('type', type, 0xf);
  checkField('vhid', fields.vhid, 0xff);
  checkField('advskew', fields.advskew, 0xff);
  checkField('authlen', authlen, 0xff);
  checkField('demote', fields.demote, 0xff);
  checkField('advbase', fields.advbase, 0xff);
  if (fields.counter < 0n || fields.counter > MAX_COUNTER) {
    throw new RangeError(`counter ${fields.counter} does not fit in 64 bits`);
  }
  if (fields.digest.length !== CARP_DIGEST_LENGTH) {
    throw new RangeError(`digest must be ${CARP_DIGEST_LENGTH} bytes, not ${fields.digest.length}`);
  }
  const out = new Uint8Array(CARP_HEADER_LENGTH);
  const view = new DataView(out.buffer);
  out[0] = (version << 4) | type;
  out[1] = fields.vhid;
  out[2] = fields.advskew;
  out[3] = authlen;
  out[4] = fields.demote;
  out[5] = fields.advbase;
  // Bytes 6..7 stay zero while summing: the checksum is computed with its own field zeroed ("Checksum").
  view.setBigUint64(8, fields.counter, false);
  out.set(fields.digest, 16);
  view.setUint16(6, internetChecksum(out), false);
  return out;
}

/** Decodes the first 36 bytes of a CARP payload; fails only when shorter than 36 bytes. */
export function decodeCarpHeader(payload: Uint8Array): DecodeResult<CarpHeader> {
  if (payload.length < CARP_HEADER_LENGTH) {
    return decodeFailed('short', `a CARP header is ${CARP_HEADER_LENGTH} bytes, got ${payload.length}`);
  }
  // OpenBSD and FreeBSD parse only the first 36 bytes and ignore trailing ones ("The 36-byte header"), so do we.
  const view = new DataView(payload.buffer, payload.byteOffset, CARP_HEADER_LENGTH);
  const first = view.getUint8(0);
  const header: CarpHeader = {
    version: first >> 4,
    type: first & 0xf,
    vhid: view.getUint8(1),
    advskew: view.getUint8(2),
    authlen: view.getUint8(3),
    demote: view.getUint8(4),
    advbase: view.getUint8(5),
    checksum: view.getUint16(6, false),
    counter: view.getBigUint64(8, false),
    // A copy: receive buffers may be reused by the socket layer (docs/development.md "Raw sockets").
    digest: new Uint8Array(payload.subarray(16, CARP_HEADER_LENGTH)),
  };
  return decoded(header);
}

/** True when the checksum over the first 36 bytes sums to zero (RFC 1071, no pseudo-header). */
export function carpChecksumValid(payload: Uint8Array): boolean {
  return payload.length >= CARP_HEADER_LENGTH && internetChecksum(payload.subarray(0, CARP_HEADER_LENGTH)) === 0;
}

/** True for the OpenBSD "bow-out" advert: advbase 255 and advskew 255. */
export function isBowOut(header: Pick<CarpHeader, 'advbase' | 'advskew'>): boolean {
  return header.advbase === BOW_OUT_VALUE && header.advskew === BOW_OUT_VALUE;
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} ${value} must be an integer between 0 and ${max}`);
  }
}
