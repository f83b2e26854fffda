/**
 * rtnetlink messages carpd sends and reads (linux/rtnetlink.h, if_link.h, if_addr.h): address
 * add/remove/dump, link dump/lookup/up/down/delete, macvlan creation and IPv6 addrgenmode, and the link and
 * address messages the kernel answers with. Pure: bytes in, values out; no I/O.
 */
import {
  decodeAttributes,
  encodeAttributes,
  findAttribute,
  readString,
  readU32,
  readU8,
  stringAttribute,
  u32Attribute,
  u8Attribute,
  type AttributeInput,
  type NetlinkAttribute,
} from './netlink-attributes.ts';
import { decoded, decodeFailed } from '../../wire/decode-result.ts';
import type { NetlinkDecodeResult } from './netlink-decode.ts';
import {
  encodeNetlinkMessage,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  type NetlinkMessage,
} from './netlink-message.ts';
import { ipAddressFromBytes, type IpAddress } from '../../wire/ip-address.ts';

/** Message types (linux/rtnetlink.h). */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

/** Multicast groups as nl_groups bits (RTMGRP_*), for bind(). */
export const RTMGRP_LINK = 0x1;
export const RTMGRP_IPV4_IFADDR = 0x10;
export const RTMGRP_IPV6_IFADDR = 0x100;

/** The netlink protocol for routing (NETLINK_ROUTE). */
export const NETLINK_ROUTE = 0;

/** Address families. */
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** ifi_flags bits (linux/if.h). */
export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;

/** Link attributes (IFLA_*). */
export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_LINK = 5;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_AF_SPEC = 26;
export const IFLA_CARRIER = 33;
/** Inside IFLA_LINKINFO. */
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
/** Inside IFLA_INFO_DATA of a macvlan. */
export const IFLA_MACVLAN_MODE = 1;
export const MACVLAN_MODE_BRIDGE = 4;
/** Inside IFLA_AF_SPEC / AF_INET6. */
export const IFLA_INET6_ADDR_GEN_MODE = 8;
export const IN6_ADDR_GEN_MODE_NONE = 1;

/** Address attributes (IFA_*) and flags. */
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_FLAGS = 8;
/**
 * u8, the address's protocol: who put it there (Linux 6.1 and later). Older kernels ignore the
 * attribute (it is beyond their IFA_MAX), so the address is then simply unmarked.
 */
export const IFA_PROTO = 11;
export const IFA_F_NODAD = 0x02;

/** Size of struct ifinfomsg { u8 family; u8 pad; u16 type; i32 index; u32 flags; u32 change }. */
export const IFINFOMSG_LENGTH = 16;
/** Size of struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index }. */
export const IFADDRMSG_LENGTH = 8;

/** A link as RTM_NEWLINK / RTM_DELLINK describe it. */
export interface LinkMessage {
  readonly index: number;
  /** ifi_flags (IFF_UP, IFF_RUNNING ...). */
  readonly flags: number;
  readonly name?: string;
  readonly mac?: Uint8Array;
  /** IF_OPER_* (RFC 2863): 6 is up, 2 down. */
  readonly operState?: number;
  readonly carrier?: boolean;
  /** IFLA_LINK: the lower device (a macvlan's parent, a veth's peer). */
  readonly parentIndex?: number;
  /** IFLA_INFO_KIND: 'macvlan', 'veth' ...; absent for plain devices. */
  readonly kind?: string;
}

/** An address as RTM_NEWADDR / RTM_DELADDR describe it. */
export interface AddressMessage {
  readonly ifindex: number;
  /** IFA_LOCAL when present (the local side; IFA_ADDRESS is the peer on point-to-point links). */
  readonly address: IpAddress;
  readonly prefixLength: number;
  /** IFA_FLAGS when present (32 bits), else the 8-bit ifa_flags. */
  readonly flags: number;
  readonly scope: number;
  /** IFA_PROTO when present: who added the address (carpd marks its own, docs/fail-safe.md "Addresses carpd owns"). */
  readonly protocol?: number;
}

/** What an address request names. */
export interface AddressSpec {
  readonly ifindex: number;
  readonly address: IpAddress;
  readonly prefixLength: number;
  /** IPv6: skip duplicate address detection, so the address is usable at once. */
  readonly nodad?: boolean;
  /** IFA_PROTO to set on an added address (1-255): the mark of who owns it. */
  readonly protocol?: number;
}

/** A macvlan to create. */
export interface MacvlanSpec {
  readonly name: string;
  readonly parentIndex: number;
  /** 6 bytes. */
  readonly mac: Uint8Array;
}

function ifinfomsg(index: number, flags: number, change: number): Uint8Array {
  const out = new Uint8Array(IFINFOMSG_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint8(0, AF_UNSPEC);
  view.setInt32(4, index, true);
  view.setUint32(8, flags >>> 0, true);
  view.setUint32(12, change >>> 0, true);
  return out;
}

function ifaddrmsg(family: number, prefixLength: number, flags: number, index: number): Uint8Array {
  const out = new Uint8Array(IFADDRMSG_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint8(0, family);
  view.setUint8(1, prefixLength);
  view.setUint8(2, flags & 0xff);
  view.setUint8(3, 0); // RT_SCOPE_UNIVERSE
  view.setUint32(4, index >>> 0, true);
  return out;
}

function request(type: number, flags: number, seq: number, header: Uint8Array, attributes: readonly AttributeInput[] = []): Uint8Array {
  const body = encodeAttributes(attributes);
  const payload = new Uint8Array(header.length + body.length);
  payload.set(header);
  payload.set(body, header.length);
  return encodeNetlinkMessage({ type, flags: NLM_F_REQUEST | flags, seq, pid: 0, payload });
}

/** RTM_GETLINK dump of every link. */
export function encodeGetLinksRequest(seq: number): Uint8Array {
  return request(RTM_GETLINK, NLM_F_DUMP, seq, ifinfomsg(0, 0, 0));
}

/** RTM_GETLINK of one link by name: one RTM_NEWLINK then an ack, or ENODEV. */
export function encodeGetLinkByNameRequest(seq: number, name: string): Uint8Array {
  return request(RTM_GETLINK, NLM_F_ACK, seq, ifinfomsg(0, 0, 0), [stringAttribute(IFLA_IFNAME, name)]);
}

/** RTM_GETADDR dump, of one family or (AF_UNSPEC) both. */
export function encodeGetAddressesRequest(seq: number, family: number = AF_UNSPEC): Uint8Array {
  return request(RTM_GETADDR, NLM_F_DUMP, seq, ifaddrmsg(family, 0, 0, 0));
}

/**
 * RTM_NEWADDR (add, failing with EEXIST if present) or RTM_DELADDR. IPv4 carries the address as
 * both IFA_LOCAL and IFA_ADDRESS, as iproute2 does (IFA_ADDRESS would be the peer of a
 * point-to-point link); IPv6 as IFA_ADDRESS only. IFA_FLAGS carries IFA_F_NODAD, IFA_PROTO the
 * owner's mark (add only: the kernel matches a removal on the address and prefix, never on it).
 */
export function encodeAddressRequest(action: 'add' | 'remove', seq: number, spec: AddressSpec): Uint8Array {
  const { address } = spec;
  const family = address.family === 4 ? AF_INET : AF_INET6;
  const flags = spec.nodad === true && address.family === 6 ? IFA_F_NODAD : 0;
  const attributes: AttributeInput[] =
    address.family === 4
      ? [{ type: IFA_LOCAL, value: address.bytes }, { type: IFA_ADDRESS, value: address.bytes }]
      : [{ type: IFA_ADDRESS, value: address.bytes }];
  if (action === 'add' && address.family === 6) attributes.push(u32Attribute(IFA_FLAGS, flags));
  if (action === 'add' && spec.protocol !== undefined && spec.protocol > 0) attributes.push(u8Attribute(IFA_PROTO, spec.protocol & 0xff));
  const header = ifaddrmsg(family, spec.prefixLength, flags, spec.ifindex);
  return action === 'add'
    ? request(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, header, attributes)
    : request(RTM_DELADDR, NLM_F_ACK, seq, header, attributes);
}

/**
 * RTM_NEWLINK creating a bridge-mode macvlan with a fixed MAC. It is created down; follow with
 * encodeDisableAddrGenRequest before setting it up. (IFLA_AF_SPEC cannot ride along here: the
 * kernel refuses it at creation with EAFNOSUPPORT, as `ip link add ... addrgenmode none` does,
 * because the new device has no IPv6 state yet.)
 */
export function encodeCreateMacvlanRequest(seq: number, spec: MacvlanSpec): Uint8Array {
  const attributes: AttributeInput[] = [
    stringAttribute(IFLA_IFNAME, spec.name),
    u32Attribute(IFLA_LINK, spec.parentIndex),
    { type: IFLA_ADDRESS, value: spec.mac },
    {
      type: IFLA_LINKINFO,
      nested: [
        stringAttribute(IFLA_INFO_KIND, 'macvlan'),
        { type: IFLA_INFO_DATA, nested: [u32Attribute(IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE)] },
      ],
    },
  ];
  return request(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, ifinfomsg(0, 0, 0), attributes);
}

/**
 * RTM_NEWLINK setting IPv6 address generation to none (IFLA_AF_SPEC { AF_INET6 {
 * IFLA_INET6_ADDR_GEN_MODE } }), on a link that is still down: otherwise every node holding the
 * virtual MAC derives the same fe80:: address from it at NETDEV_UP, and BSD carp / VRRP peers
 * expect no shared link-local.
 */
export function encodeDisableAddrGenRequest(seq: number, index: number): Uint8Array {
  const attributes: AttributeInput[] = [
    {
      type: IFLA_AF_SPEC,
      nested: [{ type: AF_INET6, nested: [u8Attribute(IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE)] }],
    },
  ];
  return request(RTM_NEWLINK, NLM_F_ACK, seq, ifinfomsg(index, 0, 0), attributes);
}

/** RTM_NEWLINK changing only IFF_UP (ifi_change masks the one flag). */
export function encodeSetLinkUpRequest(seq: number, index: number, up: boolean): Uint8Array {
  return request(RTM_NEWLINK, NLM_F_ACK, seq, ifinfomsg(index, up ? IFF_UP : 0, IFF_UP));
}

/** RTM_DELLINK of one link. */
export function encodeDeleteLinkRequest(seq: number, index: number): Uint8Array {
  return request(RTM_DELLINK, NLM_F_ACK, seq, ifinfomsg(index, 0, 0));
}

function payloadView(payload: Uint8Array): DataView {
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
}

/** Decodes an RTM_NEWLINK / RTM_DELLINK payload. */
export function decodeLinkMessage(message: NetlinkMessage): NetlinkDecodeResult<LinkMessage> {
  const { payload } = message;
  if (payload.length < IFINFOMSG_LENGTH) return decodeFailed('short', `ifinfomsg of ${payload.length} bytes, needs ${IFINFOMSG_LENGTH}`);
  const view = payloadView(payload);
  const attributes = decodeAttributes(payload.subarray(IFINFOMSG_LENGTH));
  if (!attributes.ok) return attributes;
  const list = attributes.value;
  const linkInfo = nestedAttributes(findAttribute(list, IFLA_LINKINFO));
  const carrier = readU8(findAttribute(list, IFLA_CARRIER));
  const mac = findAttribute(list, IFLA_ADDRESS)?.value;
  const link: LinkMessage = {
    index: view.getInt32(4, true),
    flags: view.getUint32(8, true),
    ...definedOnly({
      name: readString(findAttribute(list, IFLA_IFNAME)),
      mac: mac === undefined ? undefined : Uint8Array.from(mac),
      operState: readU8(findAttribute(list, IFLA_OPERSTATE)),
      carrier: carrier === undefined ? undefined : carrier !== 0,
      parentIndex: readU32(findAttribute(list, IFLA_LINK)),
      kind: readString(findAttribute(linkInfo, IFLA_INFO_KIND)),
    }),
  };
  return decoded(link);
}

/** Decodes an RTM_NEWADDR / RTM_DELADDR payload; families other than IPv4/IPv6 are refused. */
export function decodeAddressMessage(message: NetlinkMessage): NetlinkDecodeResult<AddressMessage> {
  const { payload } = message;
  if (payload.length < IFADDRMSG_LENGTH) return decodeFailed('short', `ifaddrmsg of ${payload.length} bytes, needs ${IFADDRMSG_LENGTH}`);
  const view = payloadView(payload);
  const family = view.getUint8(0);
  const size = family === AF_INET ? 4 : family === AF_INET6 ? 16 : 0;
  if (size === 0) return decodeFailed('unsupported-family', `address family ${family}`);
  const attributes = decodeAttributes(payload.subarray(IFADDRMSG_LENGTH));
  if (!attributes.ok) return attributes;
  const raw = findAttribute(attributes.value, IFA_LOCAL) ?? findAttribute(attributes.value, IFA_ADDRESS);
  if (raw === undefined) return decodeFailed('bad-address', 'no IFA_LOCAL or IFA_ADDRESS');
  if (raw.value.length !== size) return decodeFailed('bad-address', `IPv${size === 4 ? 4 : 6} address of ${raw.value.length} bytes`);
  const protocol = readU8(findAttribute(attributes.value, IFA_PROTO));
  return decoded({
    ifindex: view.getUint32(4, true),
    address: ipAddressFromBytes(raw.value),
    prefixLength: view.getUint8(1),
    flags: readU32(findAttribute(attributes.value, IFA_FLAGS)) ?? view.getUint8(2),
    scope: view.getUint8(3),
    ...(protocol === undefined ? {} : { protocol }),
  });
}

/** The attributes inside a nested attribute; empty when absent or malformed (optional data). */
function nestedAttributes(attribute: NetlinkAttribute | undefined): NetlinkAttribute[] {
  if (attribute === undefined) return [];
  const inner = decodeAttributes(attribute.value);
  return inner.ok ? inner.value : [];
}

/** Drops undefined fields, so optional properties are absent rather than present-but-undefined. */
function definedOnly<T extends object>(fields: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<{
    [K in keyof T]: Exclude<T[K], undefined>;
  }>;
}
