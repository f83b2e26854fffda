/**
 * The VRRPv3 advertisement (VRRPv2's is in vrrp2-header.ts) (RFC 5798 §5.2, unchanged in RFC 9568; docs/protocol-vrrp.md "The VRRPv3 advertisement"): encode,
 * decode and length side by side.
 *
 *   byte 0      version (high nibble, 3) | type (low nibble, 1 = ADVERTISEMENT)
 *   byte 1      VRID
 *   byte 2      priority
 *   byte 3      count of IPvX addresses
 *   bytes 4..5  reserved (4 bits) | Max Advertisement Interval (12 bits, centiseconds)
 *   bytes 6..7  checksum (vrrp-checksum.ts)
 *   8..         the addresses: 4 bytes each over IPv4, 16 over IPv6
 *
 * The message does not say its own family: the IP layer does, so decode takes it.
 */
import type { DecodeResult } from '../../wire/decode-result.ts';
import { decoded, decodeFailed } from '../../wire/decode-result.ts';
import type { IpAddress, IpFamily } from '../../wire/ip-address.ts';
import { ipAddressFromBytes } from '../../wire/ip-address.ts';
import type { VrrpChecksumVariant, VrrpEndpoints } from './vrrp-checksum.ts';
import { computeVrrpChecksum } from './vrrp-checksum.ts';

/** VRRP protocol version carried in the high nibble of byte 0. */
export const VRRP_VERSION = 3;
/** The only VRRPv3 message type: ADVERTISEMENT (RFC 5798 §5.2.2). */
export const VRRP_TYPE_ADVERTISEMENT = 1;
/** Length of the fixed part, before the addresses. */
export const VRRP_FIXED_LENGTH = 8;
/** The largest Max Advertisement Interval the 12-bit field holds, in centiseconds (40.95 s). */
export const VRRP_MAX_ADVERT_INTERVAL = 0xfff;
/** The most addresses the 1-byte count can announce. */
export const VRRP_MAX_ADDRESSES = 0xff;
/** Priority of the address owner (RFC 5798 §5.2.4). */
export const VRRP_PRIORITY_OWNER = 255;
/** Priority a master sends when it stops being one (RFC 5798 §5.2.4). */
export const VRRP_PRIORITY_RESIGN = 0;

/** Decode failure codes of this codec: its own closed set (decode-result.ts). */
export type VrrpDecodeErrorCode =
  | 'short' // fewer than the 8 bytes of the fixed part
  | 'bad-version' // not version 3: VRRPv2 (and CARP) lay bytes 4..7 out differently
  | 'bad-length'; // the length is not 8 + count × address size for the family

/** A decoded VRRPv3 advertisement, every field as carried on the wire. */
export interface VrrpHeader {
  /** The IP family the message arrived over; it gives the address size. */
  readonly family: IpFamily;
  readonly version: number;
  readonly type: number;
  readonly vrid: number;
  readonly priority: number;
  /**
   * The 4 reserved bits before the interval. RFC 5798 §5.2.6 says send 0 and ignore on receive;
   * FRR and keepalived mask them off, so do we, but keep them so that encode gives back the bytes.
   */
  readonly reserved: number;
  /** Max Advertisement Interval in centiseconds (12 bits). */
  readonly maxAdvertInterval: number;
  /** The checksum field as received (or as computed by encodeVrrpHeader). */
  readonly checksum: number;
  /** The virtual addresses, all of `family`; their count is the count byte. */
  readonly addresses: readonly IpAddress[];
  /**
   * VRRPv2 only (vrrp2-header.ts): Auth Type and Authentication Data. There `maxAdvertInterval`
   * holds the Advertisement Interval in whole seconds, as carried, and `reserved` is 0.
   */
  readonly auth?: { readonly type: number; readonly data: Uint8Array };
}

/** The fields a sender chooses; version, type and reserved default to 3, 1 and 0, the checksum is computed. */
export interface VrrpHeaderFields {
  readonly version?: number;
  readonly type?: number;
  readonly vrid: number;
  readonly priority: number;
  readonly reserved?: number;
  readonly maxAdvertInterval: number;
  readonly addresses: readonly IpAddress[];
}

/** Address size for a family: 4 or 16 bytes. */
export function vrrpAddressLength(family: IpFamily): number {
  return family === 4 ? 4 : 16;
}

/** Length of an advertisement with this many addresses; throws RangeError when the count does not fit its byte. */
export function vrrpHeaderLength(family: IpFamily, addressCount: number): number {
  checkField('address count', addressCount, VRRP_MAX_ADDRESSES);
  return VRRP_FIXED_LENGTH + addressCount * vrrpAddressLength(family);
}

/**
 * Encodes an advertisement with its checksum computed for these endpoints (the IP source and
 * the real destination: 224.0.0.18 / ff02::12, or the unicast peer) under `variant`, by default
 * the standard pseudo-header (docs/protocol-vrrp.md "Checksum"). The family is the endpoints'. Throws RangeError
 * for a field that does not fit or an address of another family.
 */
export function encodeVrrpHeader(fields: VrrpHeaderFields, endpoints: VrrpEndpoints, variant: VrrpChecksumVariant = 'pseudo-header'): Uint8Array {
  const version = fields.version ?? VRRP_VERSION;
  const type = fields.type ?? VRRP_TYPE_ADVERTISEMENT;
  const reserved = fields.reserved ?? 0;
  checkField('version', version, 0xf);
  checkField('type', type, 0xf);
  checkField('vrid', fields.vrid, 0xff);
  checkField('priority', fields.priority, 0xff);
  checkField('reserved', reserved, 0xf);
  checkField('maxAdvertInterval', fields.maxAdvertInterval, VRRP_MAX_ADVERT_INTERVAL);
  const family = endpoints.source.family;
  for (const address of fields.addresses) {
    if (address.family !== family) throw new RangeError(`address ${address.text} is not IPv${family}, as the endpoints are`);
  }
  const out = new Uint8Array(vrrpHeaderLength(family, fields.addresses.length));
  const view = new DataView(out.buffer);
  out[0] = (version << 4) | type;
  out[1] = fields.vrid;
  out[2] = fields.priority;
  out[3] = fields.addresses.length;
  view.setUint16(4, (reserved << 12) | fields.maxAdvertInterval, false);
  const size = vrrpAddressLength(family);
  fields.addresses.forEach((address, i) => out.set(address.bytes, VRRP_FIXED_LENGTH + i * size));
  // Bytes 6..7 are zero here; the checksum covers them as zero (RFC 5798 §5.2.8).
  view.setUint16(6, computeVrrpChecksum(out, endpoints, variant), false);
  return out;
}

/**
 * Decodes a VRRPv3 message that arrived over `family`. The payload must be exactly as long as
 * its count says: the IP layer has already cut it to the IP length, so any extra byte is not
 * Ethernet padding but a malformed packet (RFC 9568 §7.1 "the complete VRRP packet"; FRR checks
 * the exact size too). A count of 0 decodes: keepalived ≥ 2.2.8 sends that for a VRRPv3
 * instance with `no_virtual_ipaddress`, although RFC 5798 §5.2.5 gives 1 as the minimum.
 * The checksum is not verified here (vrrp-checksum.ts).
 */
export function decodeVrrpHeader(payload: Uint8Array, family: IpFamily): DecodeResult<VrrpHeader, VrrpDecodeErrorCode> {
  if (payload.length < VRRP_FIXED_LENGTH) {
    return decodeFailed('short', `a VRRP message is at least ${VRRP_FIXED_LENGTH} bytes, got ${payload.length}`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const first = view.getUint8(0);
  const version = first >> 4;
  if (version !== VRRP_VERSION) return decodeFailed('bad-version', `VRRP version nibble is ${version}, this codec reads version ${VRRP_VERSION}`);
  const count = view.getUint8(3);
  const expected = vrrpHeaderLength(family, count);
  if (payload.length !== expected) {
    return decodeFailed('bad-length', `${count} IPv${family} addresses make ${expected} bytes, the message has ${payload.length}`);
  }
  const size = vrrpAddressLength(family);
  const addresses: IpAddress[] = [];
  for (let i = 0; i < count; i++) {
    const offset = VRRP_FIXED_LENGTH + i * size;
    // ipAddressFromBytes copies: receive buffers may be reused by the socket layer.
    addresses.push(ipAddressFromBytes(payload.subarray(offset, offset + size)));
  }
  const intervalWord = view.getUint16(4, false);
  const header: VrrpHeader = {
    family,
    version,
    type: first & 0xf,
    vrid: view.getUint8(1),
    priority: view.getUint8(2),
    reserved: intervalWord >> 12,
    maxAdvertInterval: intervalWord & VRRP_MAX_ADVERT_INTERVAL,
    checksum: view.getUint16(6, false),
    addresses,
  };
  return decoded(header);
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} ${value} must be an integer between 0 and ${max}`);
  }
}
