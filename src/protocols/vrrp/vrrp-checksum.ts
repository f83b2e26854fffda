/**
 * The VRRPv3 checksum (docs/protocol-vrrp.md "Checksum"): RFC 1071 over a pseudo-header plus the VRRP message,
 * and the variants peers actually put on the wire.
 *
 * RFC 5798 §5.2.8 asks for "a pseudo-header as defined in Section 8.1 of [RFC2460]" for both
 * families, with next header 112. For IPv4 that was read two ways, so three sums are in the field:
 *   - 'pseudo-header'        src ‖ dst ‖ 0 ‖ 112 ‖ length, dst = the IP destination. keepalived
 *                            (vrrp_build_vrrp_v3; [LAB] keepalived 2.2.7 multicast and unicast),
 *                            FRR by default (always 224.0.0.18: it has no unicast). What we send.
 *   - 'pseudo-header-group'  the same with dst = 224.0.0.18 on a unicast packet: keepalived ≤ 1.3.6
 *                            in unicast mode; current keepalived detects it (unicast_chksum_compat).
 *   - 'no-pseudo-header'     the message alone, as in VRRPv2: keepalived `v3_checksum_as_v2`, FRR
 *                            `no checksum-with-ipv4-pseudoheader`, vendors' "exclude pseudo-header"
 *                            knobs. RFC 9568 §5.2.8 (which obsoletes RFC 5798) settles IPv4 on this
 *                            one, as implementers quote it (docs/protocol-vrrp.md "Checksum": its text was
 *                            not read), yet keepalived by default rejects it ("Invalid VRRPv3
 *                            checksum"), so we do not send it unless asked.
 * IPv6 has one: the RFC 8200 §8.1 pseudo-header with the real destination (keepalived lets the
 * kernel compute it with IPV6_CHECKSUM, so no other form ever left a Linux peer).
 */
import type { IpAddress, IpFamily } from '../../wire/ip-address.ts';
import { parseIpAddress } from '../../wire/ip-address.ts';
import { internetChecksum } from '../../wire/internet-checksum.ts';
import { IPPROTO_CARP } from '../../wire/ip-packet.ts';

/** 224.0.0.18, the VRRP IPv4 group (RFC 5798 §5.1.1.2), the same one CARP uses. */
export const VRRP_GROUP_V4: IpAddress = parseIpAddress('224.0.0.18');
/** ff02::12, the VRRP IPv6 group (RFC 5798 §5.1.2.2). */
export const VRRP_GROUP_V6: IpAddress = parseIpAddress('ff02::12');
/** IP protocol / next header of VRRP: 112, shared with CARP. */
export const IPPROTO_VRRP = IPPROTO_CARP;

/** The checksum variants, in the order a receiver tries them (the standard one first). */
export const VRRP_CHECKSUM_VARIANTS = ['pseudo-header', 'pseudo-header-group', 'no-pseudo-header'] as const;

/** One way of computing the checksum (see the file comment). */
export type VrrpChecksumVariant = (typeof VRRP_CHECKSUM_VARIANTS)[number];

/**
 * The per-group knob: which variants a receiver accepts. 'strict' takes only the standard
 * pseudo-header with the real destination; 'compatible' takes every variant that exists for the
 * family (docs/protocol-vrrp.md "Checksum"). IPv6 accepts the one variant either way.
 */
export type VrrpChecksumMode = 'strict' | 'compatible';

/** The IP source and destination a checksum is computed for. */
export interface VrrpEndpoints {
  readonly source: IpAddress;
  readonly destination: IpAddress;
}

/** Offset of the checksum field in a VRRP message (RFC 5798 §5.2). */
const CHECKSUM_OFFSET = 6;

/** The variants that exist for a family: IPv6 has only the pseudo-header (RFC 8200 §8.1). */
export function vrrpChecksumVariantsFor(family: IpFamily): readonly VrrpChecksumVariant[] {
  return family === 6 ? ['pseudo-header'] : VRRP_CHECKSUM_VARIANTS;
}

/** The variants a group in this mode accepts for a family, in the order they are tried. */
export function acceptedVrrpChecksumVariants(mode: VrrpChecksumMode, family: IpFamily): readonly VrrpChecksumVariant[] {
  return mode === 'strict' ? ['pseudo-header'] : vrrpChecksumVariantsFor(family);
}

/**
 * The checksum field value for a message, as a sender computes it: the checksum field is taken
 * as zero whatever it holds. Throws RangeError for a variant the family does not have, or
 * endpoints of another family.
 */
export function computeVrrpChecksum(message: Uint8Array, endpoints: VrrpEndpoints, variant: VrrpChecksumVariant = 'pseudo-header'): number {
  const zeroed = Uint8Array.from(message);
  if (zeroed.length >= CHECKSUM_OFFSET + 2) zeroed.fill(0, CHECKSUM_OFFSET, CHECKSUM_OFFSET + 2);
  return internetChecksum(withPseudoHeader(zeroed, endpoints, checkedVariant(variant, endpoints)));
}

/** True when the message, checksum field included, sums to zero under this variant. */
export function vrrpChecksumVerifies(message: Uint8Array, endpoints: VrrpEndpoints, variant: VrrpChecksumVariant): boolean {
  if (!sameFamily(endpoints) || !vrrpChecksumVariantsFor(endpoints.source.family).includes(variant)) return false;
  return internetChecksum(withPseudoHeader(message, endpoints, variant)) === 0;
}

/**
 * Which variant a received message's checksum was computed with: the first of `accepted` (by
 * default every variant of the family) that verifies, or undefined when none does. A multicast
 * advert sent to 224.0.0.18 verifies under both pseudo-header variants and is reported as
 * 'pseudo-header'.
 */
export function recognizeVrrpChecksum(
  message: Uint8Array,
  endpoints: VrrpEndpoints,
  accepted: readonly VrrpChecksumVariant[] = VRRP_CHECKSUM_VARIANTS,
): VrrpChecksumVariant | undefined {
  return VRRP_CHECKSUM_VARIANTS.find((variant) => accepted.includes(variant) && vrrpChecksumVerifies(message, endpoints, variant));
}

/** The bytes the sum runs over: the pseudo-header of the variant (if any), then the message. */
function withPseudoHeader(message: Uint8Array, endpoints: VrrpEndpoints, variant: VrrpChecksumVariant): Uint8Array {
  if (variant === 'no-pseudo-header') return message;
  const destination = variant === 'pseudo-header-group' ? VRRP_GROUP_V4 : endpoints.destination;
  const pseudo = endpoints.source.family === 4 ? ipv4PseudoHeader(endpoints.source, destination, message.length) : ipv6PseudoHeader(endpoints.source, destination, message.length);
  const out = new Uint8Array(pseudo.length + message.length);
  out.set(pseudo);
  out.set(message, pseudo.length);
  return out;
}

/** src(4) ‖ dst(4) ‖ 0 ‖ 112 ‖ length(2), as keepalived builds it (vrrp_build_vrrp_v3). */
function ipv4PseudoHeader(source: IpAddress, destination: IpAddress, length: number): Uint8Array {
  const out = new Uint8Array(12);
  out.set(source.bytes, 0);
  out.set(destination.bytes, 4);
  out[9] = IPPROTO_VRRP;
  new DataView(out.buffer).setUint16(10, length, false);
  return out;
}

/** src(16) ‖ dst(16) ‖ upper-layer length(4) ‖ zero(3) ‖ next header 112 (RFC 8200 §8.1). */
function ipv6PseudoHeader(source: IpAddress, destination: IpAddress, length: number): Uint8Array {
  const out = new Uint8Array(40);
  out.set(source.bytes, 0);
  out.set(destination.bytes, 16);
  new DataView(out.buffer).setUint32(32, length, false);
  out[39] = IPPROTO_VRRP;
  return out;
}

function sameFamily(endpoints: VrrpEndpoints): boolean {
  return endpoints.source.family === endpoints.destination.family;
}

function checkedVariant(variant: VrrpChecksumVariant, endpoints: VrrpEndpoints): VrrpChecksumVariant {
  if (!sameFamily(endpoints)) {
    throw new RangeError(`source ${endpoints.source.text} and destination ${endpoints.destination.text} are of different families`);
  }
  if (!vrrpChecksumVariantsFor(endpoints.source.family).includes(variant)) {
    throw new RangeError(`the '${variant}' checksum does not exist for IPv${endpoints.source.family}`);
  }
  return variant;
}
