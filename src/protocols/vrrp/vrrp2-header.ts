/**
 * The VRRPv2 advertisement (RFC 3768 §5.1; docs/protocol-vrrp.md "VRRPv2"): encode, decode and
 * length side by side. IPv4 only.
 *
 *   byte 0      version (high nibble, 2) | type (low nibble, 1 = ADVERTISEMENT)
 *   byte 1      VRID
 *   byte 2      priority
 *   byte 3      count of IPv4 addresses
 *   byte 4      Auth Type (0 none, 1 simple text password, 2 IP Authentication Header)
 *   byte 5      Advertisement Interval, whole seconds
 *   bytes 6..7  checksum over the VRRP message alone (no pseudo-header)
 *   8..         the IPv4 addresses, 4 bytes each
 *   last 8      Authentication Data: the password, zero-padded (zeros without authentication)
 *
 * The decoded value is a VrrpHeader like VRRPv3's, with `maxAdvertInterval` holding the interval
 * field as carried (seconds here: vrrp-version.ts converts) and `auth` the two auth fields.
 */
import type { DecodeResult } from '../../wire/decode-result.ts';
import { decoded, decodeFailed } from '../../wire/decode-result.ts';
import type { IpAddress } from '../../wire/ip-address.ts';
import { ipAddressFromBytes } from '../../wire/ip-address.ts';
import type { VrrpEndpoints } from './vrrp-checksum.ts';
import { computeVrrpChecksum } from './vrrp-checksum.ts';
import type { VrrpDecodeErrorCode, VrrpHeader } from './vrrp-header.ts';
import { VRRP_FIXED_LENGTH, VRRP_MAX_ADDRESSES, VRRP_TYPE_ADVERTISEMENT } from './vrrp-header.ts';

/** VRRPv2's version nibble. */
export const VRRP2_VERSION = 2;
/** Length of the Authentication Data that ends every VRRPv2 advert. */
export const VRRP2_AUTH_DATA_LENGTH = 8;
/** The largest Advertisement Interval the byte holds, in seconds. */
export const VRRP2_MAX_ADVERT_INTERVAL = 0xff;
/** Auth Type values (RFC 3768 §5.3.6). */
export const VRRP2_AUTH_NONE = 0;
export const VRRP2_AUTH_PASS = 1;
export const VRRP2_AUTH_AH = 2;

/** The two authentication fields of a VRRPv2 advert, as carried. */
export interface Vrrp2AuthFields {
  /** Auth Type byte: 0, 1 or 2 (anything else is carried as received). */
  readonly type: number;
  /** The 8 bytes of Authentication Data. */
  readonly data: Uint8Array;
}

/** The fields a VRRPv2 sender chooses; the checksum is computed. */
export interface Vrrp2HeaderFields {
  readonly version?: number;
  readonly type?: number;
  readonly vrid: number;
  readonly priority: number;
  /** Advertisement Interval in whole seconds, 1..255 (0 is encodable for tests). */
  readonly advertIntervalSeconds: number;
  readonly addresses: readonly IpAddress[];
  readonly authType: number;
  /** At most 8 bytes; zero-padded to 8. */
  readonly authData: Uint8Array;
}

/** Length of a VRRPv2 advert with this many addresses; throws RangeError when the count does not fit its byte. */
export function vrrp2HeaderLength(addressCount: number): number {
  checkField('address count', addressCount, VRRP_MAX_ADDRESSES);
  return VRRP_FIXED_LENGTH + addressCount * 4 + VRRP2_AUTH_DATA_LENGTH;
}

/** The password as it goes on the wire: its bytes zero-padded to 8. Throws RangeError above 8 bytes. */
export function vrrp2AuthData(password: Uint8Array): Uint8Array {
  if (password.length > VRRP2_AUTH_DATA_LENGTH) throw new RangeError(`a VRRPv2 simple password is at most ${VRRP2_AUTH_DATA_LENGTH} bytes, got ${password.length}`);
  const out = new Uint8Array(VRRP2_AUTH_DATA_LENGTH);
  out.set(password);
  return out;
}

/**
 * Encodes a VRRPv2 advert. The checksum covers the message only (RFC 3768 §5.3.8), so the
 * endpoints serve only to check the family. Throws RangeError for a field that does not fit, or
 * anything not IPv4.
 */
export function encodeVrrp2Header(fields: Vrrp2HeaderFields, endpoints: VrrpEndpoints): Uint8Array {
  const version = fields.version ?? VRRP2_VERSION;
  const type = fields.type ?? VRRP_TYPE_ADVERTISEMENT;
  checkField('version', version, 0xf);
  checkField('type', type, 0xf);
  checkField('vrid', fields.vrid, 0xff);
  checkField('priority', fields.priority, 0xff);
  checkField('authType', fields.authType, 0xff);
  checkField('advertIntervalSeconds', fields.advertIntervalSeconds, VRRP2_MAX_ADVERT_INTERVAL);
  if (endpoints.source.family !== 4) throw new RangeError('VRRPv2 is IPv4 only (RFC 3768)');
  for (const address of fields.addresses) {
    if (address.family !== 4) throw new RangeError(`address ${address.text} is not IPv4: VRRPv2 is IPv4 only`);
  }
  const authData = vrrp2AuthData(fields.authData);
  const out = new Uint8Array(vrrp2HeaderLength(fields.addresses.length));
  out[0] = (version << 4) | type;
  out[1] = fields.vrid;
  out[2] = fields.priority;
  out[3] = fields.addresses.length;
  out[4] = fields.authType;
  out[5] = fields.advertIntervalSeconds;
  fields.addresses.forEach((address, i) => out.set(address.bytes, VRRP_FIXED_LENGTH + i * 4));
  out.set(authData, out.length - VRRP2_AUTH_DATA_LENGTH);
  new DataView(out.buffer).setUint16(6, computeVrrpChecksum(out, endpoints, 'no-pseudo-header'), false);
  return out;
}

/**
 * Decodes a VRRPv2 message (it arrived over IPv4). As for VRRPv3 the length must be exactly what
 * the count says; the checksum is not verified here. Never throws.
 */
export function decodeVrrp2Header(payload: Uint8Array): DecodeResult<VrrpHeader, VrrpDecodeErrorCode> {
  if (payload.length < VRRP_FIXED_LENGTH) {
    return decodeFailed('short', `a VRRP message is at least ${VRRP_FIXED_LENGTH} bytes, got ${payload.length}`);
  }
  const version = (payload[0] as number) >> 4;
  if (version !== VRRP2_VERSION) return decodeFailed('bad-version', `VRRP version nibble is ${version}, this codec reads version ${VRRP2_VERSION}`);
  const count = payload[3] as number;
  const expected = vrrp2HeaderLength(count);
  if (payload.length !== expected) {
    return decodeFailed('bad-length', `${count} IPv4 addresses and 8 bytes of authentication data make ${expected} bytes, the message has ${payload.length}`);
  }
  const addresses: IpAddress[] = [];
  for (let i = 0; i < count; i++) {
    const offset = VRRP_FIXED_LENGTH + i * 4;
    addresses.push(ipAddressFromBytes(payload.subarray(offset, offset + 4)));
  }
  const header: VrrpHeader = {
    family: 4,
    version,
    type: (payload[0] as number) & 0xf,
    vrid: payload[1] as number,
    priority: payload[2] as number,
    reserved: 0,
    maxAdvertInterval: payload[5] as number,
    checksum: ((payload[6] as number) << 8) | (payload[7] as number),
    addresses,
    auth: { type: payload[4] as number, data: Uint8Array.from(payload.subarray(expected - VRRP2_AUTH_DATA_LENGTH)) },
  };
  return decoded(header);
}

/** The fields to encode a decoded VRRPv2 header again (round trip). */
export function vrrp2FieldsOf(header: VrrpHeader): Vrrp2HeaderFields {
  return {
    version: header.version,
    type: header.type,
    vrid: header.vrid,
    priority: header.priority,
    advertIntervalSeconds: header.maxAdvertInterval,
    addresses: header.addresses,
    authType: header.auth?.type ?? VRRP2_AUTH_NONE,
    authData: header.auth?.data ?? new Uint8Array(VRRP2_AUTH_DATA_LENGTH),
  };
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} ${value} must be an integer between 0 and ${max}`);
  }
}
