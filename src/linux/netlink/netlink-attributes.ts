/**
 * Netlink attributes (struct rtattr / struct nlattr, linux/netlink.h): a 4-byte header
 * { u16 length including the header, u16 type } followed by the value, each attribute padded to
 * a multiple of 4 bytes. Integers are in host order (little-endian on every target carpd runs on).
 */
import { decoded, decodeFailed } from '../../wire/decode-result.ts';
import type { NetlinkDecodeResult } from './netlink-decode.ts';

/** Every netlink structure is aligned to 4 bytes (NLMSG_ALIGNTO, RTA_ALIGNTO). */
export const NETLINK_ALIGN = 4;
/** Size of the attribute header. */
export const ATTRIBUTE_HEADER_LENGTH = 4;
/** Marks an attribute whose value is itself a list of attributes (NLA_F_NESTED). */
export const NLA_F_NESTED = 0x8000;
/** Marks a value in network byte order (NLA_F_NET_BYTEORDER). */
export const NLA_F_NET_BYTEORDER = 0x4000;
const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** Rounds a length up to the netlink alignment. */
export function align(length: number): number {
  return (length + NETLINK_ALIGN - 1) & ~(NETLINK_ALIGN - 1);
}

/** An attribute to encode: raw bytes, or a nested list (sent with NLA_F_NESTED, as libmnl does). */
export type AttributeInput =
  | { readonly type: number; readonly value: Uint8Array }
  | { readonly type: number; readonly nested: readonly AttributeInput[] };

/** A decoded attribute; `type` has the NLA_F_* flag bits removed. */
export interface NetlinkAttribute {
  readonly type: number;
  readonly nested: boolean;
  readonly value: Uint8Array;
}

/** A u8 attribute. */
export function u8Attribute(type: number, value: number): AttributeInput {
  return { type, value: Uint8Array.of(value & 0xff) };
}

/** A u32 attribute (host order). */
export function u32Attribute(type: number, value: number): AttributeInput {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
  return { type, value: bytes };
}

/** A NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND ...). */
export function stringAttribute(type: number, text: string): AttributeInput {
  const utf8 = new TextEncoder().encode(text);
  const bytes = new Uint8Array(utf8.length + 1);
  bytes.set(utf8);
  return { type, value: bytes };
}

/** The encoded length of a list of attributes, padding included. */
export function attributesLength(attributes: readonly AttributeInput[]): number {
  return attributes.reduce((sum, attribute) => sum + align(ATTRIBUTE_HEADER_LENGTH + valueLength(attribute)), 0);
}

function valueLength(attribute: AttributeInput): number {
  return 'nested' in attribute ? attributesLength(attribute.nested) : attribute.value.length;
}

/** Encodes attributes, each padded to 4 bytes (padding bytes are zero). */
export function encodeAttributes(attributes: readonly AttributeInput[]): Uint8Array {
  const out = new Uint8Array(attributesLength(attributes));
  writeAttributes(out, 0, attributes);
  return out;
}

function writeAttributes(out: Uint8Array, start: number, attributes: readonly AttributeInput[]): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let offset = start;
  for (const attribute of attributes) {
    const length = ATTRIBUTE_HEADER_LENGTH + valueLength(attribute);
    if (length > 0xffff) throw new RangeError(`netlink attribute ${attribute.type} is ${length} bytes, over 65535`);
    view.setUint16(offset, length, true);
    if ('nested' in attribute) {
      view.setUint16(offset + 2, attribute.type | NLA_F_NESTED, true);
      writeAttributes(out, offset + ATTRIBUTE_HEADER_LENGTH, attribute.nested);
    } else {
      view.setUint16(offset + 2, attribute.type, true);
      out.set(attribute.value, offset + ATTRIBUTE_HEADER_LENGTH);
    }
    offset += align(length);
  }
  return offset;
}

/**
 * Decodes a run of attributes. The last one may lack its trailing padding (the kernel pads,
 * but a datagram's end is also a valid end). A length under 4 or past the end is an error.
 */
export function decodeAttributes(bytes: Uint8Array): NetlinkDecodeResult<NetlinkAttribute[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const attributes: NetlinkAttribute[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < ATTRIBUTE_HEADER_LENGTH) {
      return decodeFailed('bad-attribute', `${bytes.length - offset} stray bytes after attribute ${attributes.length}`);
    }
    const length = view.getUint16(offset, true);
    const rawType = view.getUint16(offset + 2, true);
    if (length < ATTRIBUTE_HEADER_LENGTH || offset + length > bytes.length) {
      return decodeFailed('bad-attribute', `attribute ${rawType & NLA_TYPE_MASK} at ${offset} claims ${length} bytes, ${bytes.length - offset} left`);
    }
    attributes.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      value: bytes.subarray(offset + ATTRIBUTE_HEADER_LENGTH, offset + length),
    });
    offset += align(length);
  }
  return decoded(attributes);
}

/** The first attribute of a type, if any. */
export function findAttribute(attributes: readonly NetlinkAttribute[], type: number): NetlinkAttribute | undefined {
  return attributes.find((attribute) => attribute.type === type);
}

/** Reads a u8 value; undefined when the value is too short. */
export function readU8(attribute: NetlinkAttribute | undefined): number | undefined {
  return attribute !== undefined && attribute.value.length >= 1 ? attribute.value[0] : undefined;
}

/** Reads a u32 value (host order); undefined when the value is too short. */
export function readU32(attribute: NetlinkAttribute | undefined): number | undefined {
  if (attribute === undefined || attribute.value.length < 4) return undefined;
  const { value } = attribute;
  return new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
}

/** Reads a string value up to its first NUL (or the end, if it has none). */
export function readString(attribute: NetlinkAttribute | undefined): string | undefined {
  if (attribute === undefined) return undefined;
  const nul = attribute.value.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? attribute.value.subarray(0, nul) : attribute.value);
}
