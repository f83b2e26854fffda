/**
 * The rtnetlink codec against bytes written out field by field (little-endian host order, as
 * the kernel on x86-64/arm64 expects), decode failures by code, and properties: random bytes
 * never make a decoder throw, and attributes survive encode → decode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hexBytes, toHex } from '../helpers/bytes.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { formatMac, parseMacAddress } from '../../src/wire/mac-address.ts';

const parseMac = (text: string): Uint8Array => parseMacAddress(text).bytes;
import { decodeAttributes, encodeAttributes, type AttributeInput, type NetlinkAttribute } from '../../src/linux/netlink/netlink-attributes.ts';
import {
  decodeNetlinkDone,
  decodeNetlinkError,
  decodeNetlinkMessages,
  type NetlinkMessage,
} from '../../src/linux/netlink/netlink-message.ts';
import {
  decodeAddressMessage,
  decodeLinkMessage,
  encodeAddressRequest,
  encodeCreateMacvlanRequest,
  encodeDeleteLinkRequest,
  encodeDisableAddrGenRequest,
  encodeGetAddressesRequest,
  encodeGetLinkByNameRequest,
  encodeGetLinksRequest,
  encodeSetLinkUpRequest,
} from '../../src/linux/netlink/rtnetlink-codec.ts';
import { errnoName } from '../../src/linux/netlink/errno-names.ts';

const encodeCases: [string, () => Uint8Array, string][] = [
  [
    'ok, add IPv4 /24',
    () => encodeAddressRequest('add', 1, { ifindex: 7, address: parseIpAddress('198.51.100.10'), prefixLength: 24 }),
    `28000000  # nlmsg_len 40
     1400      # RTM_NEWADDR
     0506      # NLM_F_REQUEST|ACK|EXCL|CREATE (0x605)
     01000000  # seq 1
     00000000  # pid 0 (kernel)
     02 18 00 00  # ifaddrmsg: AF_INET, /24, flags 0, scope universe
     07000000     # ifindex 7
     0800 0200 c633640a  # IFA_LOCAL 198.51.100.10
     0800 0100 c633640a  # IFA_ADDRESS 198.51.100.10`,
  ],
  [
    'ok, add IPv6 /64 nodad',
    () => encodeAddressRequest('add', 2, { ifindex: 7, address: parseIpAddress('2001:db8::1'), prefixLength: 64, nodad: true }),
    `34000000 1400 0506 02000000 00000000  # len 52, RTM_NEWADDR, create, seq 2
     0a 40 02 00  # AF_INET6, /64, IFA_F_NODAD, scope universe
     07000000     # ifindex 7
     1400 0100 20010db8000000000000000000000001  # IFA_ADDRESS 2001:db8::1
     0800 0800 02000000                          # IFA_FLAGS IFA_F_NODAD`,
  ],
  [
    "item 3, ok, add IPv4 /24 with carpd's mark (IFA_PROTO 112)",
    () => encodeAddressRequest('add', 1, { ifindex: 7, address: parseIpAddress('198.51.100.10'), prefixLength: 24, protocol: 112 }),
    `30000000 1400 0506 01000000 00000000  # len 48, RTM_NEWADDR, create, seq 1
     02 18 00 00 07000000                  # AF_INET /24, ifindex 7
     0800 0200 c633640a 0800 0100 c633640a # IFA_LOCAL, IFA_ADDRESS
     0500 0b00 70 000000                   # IFA_PROTO 112, padded`,
  ],
  [
    "item 3, ok, add IPv6 /64 nodad with carpd's mark",
    () => encodeAddressRequest('add', 2, { ifindex: 7, address: parseIpAddress('2001:db8::1'), prefixLength: 64, nodad: true, protocol: 112 }),
    `3c000000 1400 0506 02000000 00000000  # len 60
     0a 40 02 00 07000000
     1400 0100 20010db8000000000000000000000001  # IFA_ADDRESS
     0800 0800 02000000                          # IFA_FLAGS IFA_F_NODAD
     0500 0b00 70 000000                         # IFA_PROTO 112`,
  ],
  [
    'item 3, ok, remove never carries the mark (the kernel matches on address and prefix)',
    () => encodeAddressRequest('remove', 3, { ifindex: 7, address: parseIpAddress('198.51.100.10'), prefixLength: 24, protocol: 112 }),
    `28000000 1500 0500 03000000 00000000
     02 18 00 00 07000000
     0800 0200 c633640a 0800 0100 c633640a`,
  ],
  [
    'ok, remove IPv4 /24',
    () => encodeAddressRequest('remove', 3, { ifindex: 7, address: parseIpAddress('198.51.100.10'), prefixLength: 24 }),
    `28000000 1500 0500 03000000 00000000  # len 40, RTM_DELADDR, REQUEST|ACK, seq 3
     02 18 00 00 07000000                  # AF_INET /24 ifindex 7
     0800 0200 c633640a 0800 0100 c633640a # IFA_LOCAL, IFA_ADDRESS`,
  ],
  [
    'ok, remove IPv6 (no IFA_FLAGS)',
    () => encodeAddressRequest('remove', 4, { ifindex: 9, address: parseIpAddress('2001:db8::7'), prefixLength: 64 }),
    `2c000000 1500 0500 04000000 00000000  # len 44, RTM_DELADDR
     0a 40 00 00 09000000
     1400 0100 20010db8000000000000000000000007`,
  ],
  [
    'ok, link dump',
    () => encodeGetLinksRequest(5),
    `20000000 1200 0103 05000000 00000000  # len 32, RTM_GETLINK, REQUEST|DUMP (0x301)
     00 00 0000 00000000 00000000 00000000 # ifinfomsg: AF_UNSPEC, all zero`,
  ],
  [
    'ok, address dump',
    () => encodeGetAddressesRequest(6),
    `18000000 1600 0103 06000000 00000000  # len 24, RTM_GETADDR, REQUEST|DUMP
     00 00 00 00 00000000                  # ifaddrmsg: AF_UNSPEC`,
  ],
  [
    'ok, link by name',
    () => encodeGetLinkByNameRequest(7, 'eth0'),
    `2c000000 1200 0500 07000000 00000000  # len 44, RTM_GETLINK, REQUEST|ACK
     00 00 0000 00000000 00000000 00000000
     0900 0300 65746830 00 000000          # IFLA_IFNAME "eth0\\0", padded`,
  ],
  [
    'ok, set link up',
    () => encodeSetLinkUpRequest(8, 7, true),
    `20000000 1000 0500 08000000 00000000  # len 32, RTM_NEWLINK, REQUEST|ACK
     00 00 0000  # AF_UNSPEC, pad, type
     07000000    # ifindex 7
     01000000    # ifi_flags IFF_UP
     01000000    # ifi_change IFF_UP`,
  ],
  [
    'ok, set link down',
    () => encodeSetLinkUpRequest(9, 7, false),
    `20000000 1000 0500 09000000 00000000
     00 00 0000 07000000 00000000 01000000  # flags 0, change IFF_UP`,
  ],
  [
    'ok, delete link',
    () => encodeDeleteLinkRequest(10, 12),
    `20000000 1100 0500 0a000000 00000000  # RTM_DELLINK, REQUEST|ACK
     00 00 0000 0c000000 00000000 00000000`,
  ],
  [
    'ok, create macvlan carp7',
    () => encodeCreateMacvlanRequest(11, { name: 'carp7', parentIndex: 3, mac: parseMac('00:00:5e:00:01:07') }),
    `5c000000 1000 0506 0b000000 00000000  # len 92, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE
     00 00 0000 00000000 00000000 00000000 # ifinfomsg, all zero (created down)
     0a00 0300 6361727037 00 0000          # IFLA_IFNAME "carp7\\0", padded
     0800 0500 03000000                    # IFLA_LINK 3 (parent)
     0a00 0100 00005e000107 0000           # IFLA_ADDRESS 00:00:5e:00:01:07, padded
     1c00 1280                             # IFLA_LINKINFO (nested), 28 bytes
       0c00 0100 6d6163766c616e00          #   IFLA_INFO_KIND "macvlan\\0"
       0c00 0280                           #   IFLA_INFO_DATA (nested)
         0800 0100 04000000                #     IFLA_MACVLAN_MODE bridge (4)`,
  ],
  [
    'ok, addrgenmode none',
    () => encodeDisableAddrGenRequest(12, 13),
    `30000000 1000 0500 0c000000 00000000  # len 48, RTM_NEWLINK, REQUEST|ACK
     00 00 0000 0d000000 00000000 00000000 # ifindex 13, no flag change
     1000 1a80                             # IFLA_AF_SPEC (nested)
       0c00 0a80                           #   AF_INET6 (nested)
         0500 0800 01 000000               #     IFLA_INET6_ADDR_GEN_MODE none (1), padded`,
  ],
];

for (const [name, encode, expected] of encodeCases) {
  test(`encode: ${name}`, () => {
    assert.equal(toHex(encode()), toHex(hexBytes(expected)));
  });
}

/** A message around a payload given as hex. */
function message(type: number, payloadHex: string, flags = 0): NetlinkMessage {
  return { type, flags, seq: 1, pid: 0, payload: hexBytes(payloadHex) };
}

const addressCases: [string, string, unknown][] = [
  [
    'ok, IPv4 with IFA_LOCAL and IFA_ADDRESS',
    `02 18 80 00 07000000                    # AF_INET /24 permanent, ifindex 7
     0800 0100 c6336400 0800 0200 c633640a  # IFA_ADDRESS 198.51.100.0 (peer/prefix), IFA_LOCAL .10`,
    { ifindex: 7, address: '198.51.100.10', prefixLength: 24, flags: 0x80, scope: 0 },
  ],
  [
    'ok, IPv6 with IFA_FLAGS overriding ifa_flags',
    `0a 40 00 fd 02000000                    # AF_INET6 /64, scope link, ifindex 2
     1400 0100 fe800000000000000000000000000001
     0800 0800 82000000                      # IFA_FLAGS permanent|nodad`,
    { ifindex: 2, address: 'fe80::1', prefixLength: 64, flags: 0x82, scope: 0xfd },
  ],
  [
    'item 3, ok, IPv4 with IFA_PROTO 112 (carpd\'s mark) decoded as protocol',
    `02 18 80 00 07000000
     0800 0200 c633640a
     0500 0b00 70 000000                     # IFA_PROTO 112`,
    { ifindex: 7, address: '198.51.100.10', prefixLength: 24, flags: 0x80, scope: 0, protocol: 112 },
  ],
  ['bad, short ifaddrmsg', '02 18 00 00 0700', 'short'],
  ['bad, unsupported family', '07 18 00 00 07000000 0800 0100 c633640a', 'unsupported-family'],
  ['bad, truncated attribute', '02 18 00 00 07000000 0800 0200 c633', 'bad-attribute'],
  ['bad, attribute length under 4', '02 18 00 00 07000000 0200 0200', 'bad-attribute'],
  ['bad, no address attribute', '02 18 00 00 07000000 0800 0800 00000000', 'bad-address'],
  ['bad, IPv4 address of 5 bytes', '02 18 00 00 07000000 0900 0200 c633640a01 000000', 'bad-address'],
];

for (const [name, payload, expected] of addressCases) {
  test(`decode address: ${name}`, () => {
    const decoded = decodeAddressMessage(message(20, payload));
    if (typeof expected === 'string') {
      assert.equal(decoded.ok ? 'ok' : decoded.error.code, expected);
    } else {
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.detail);
      const { address, ...rest } = decoded.value;
      assert.deepEqual({ ...rest, address: address.text }, expected);
    }
  });
}

const LINK_MACVLAN = `
  00 00 0100 09000000 43100100 00000000  # AF_UNSPEC, ARPHRD_ETHER, ifindex 9, UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP
  0a00 0300 6361727037 00 0000           # IFLA_IFNAME "carp7"
  0a00 0100 00005e000107 0000            # IFLA_ADDRESS
  0500 1000 06 000000                    # IFLA_OPERSTATE up (6)
  0500 2100 01 000000                    # IFLA_CARRIER 1
  0800 0500 03000000                     # IFLA_LINK 3
  1c00 1200 0c00 0100 6d6163766c616e00 0c00 0200 0800 0100 04000000  # IFLA_LINKINFO (no NESTED flag, as the kernel sends)`;

test('decode link: ok, macvlan with every attribute carpd reads', () => {
  const decoded = decodeLinkMessage(message(16, LINK_MACVLAN));
  assert.ok(decoded.ok);
  const { mac, ...rest } = decoded.value;
  assert.deepEqual(rest, { index: 9, flags: 0x11043, name: 'carp7', operState: 6, carrier: true, parentIndex: 3, kind: 'macvlan' });
  assert.equal(formatMac(mac ?? new Uint8Array()), '00:00:5e:00:01:07');
});

test('decode link: ok, bare ifinfomsg has no optional fields', () => {
  const decoded = decodeLinkMessage(message(16, '00 00 0100 01000000 00000000 00000000'));
  assert.deepEqual(decoded, { ok: true, value: { index: 1, flags: 0 } });
});

test('decode link: bad, short ifinfomsg', () => {
  const decoded = decodeLinkMessage(message(16, '00 00 0100 01000000'));
  assert.equal(decoded.ok ? 'ok' : decoded.error.code, 'short');
});

test('decode link: bad, truncated attribute', () => {
  const decoded = decodeLinkMessage(message(16, '00 00 0100 01000000 00000000 00000000 0a00 0300 6361'));
  assert.equal(decoded.ok ? 'ok' : decoded.error.code, 'bad-attribute');
});

test('decode link: ok, malformed IFLA_LINKINFO only loses the kind', () => {
  const decoded = decodeLinkMessage(message(16, '00 00 0100 01000000 00000000 00000000 0800 1200 0900 0100'));
  assert.deepEqual(decoded, { ok: true, value: { index: 1, flags: 0 } });
});

test('messages: two in one datagram, padding between them', () => {
  const datagram = hexBytes(`
    15000000 1000 0200 01000000 00000000 aabbccdd ee 000000  # len 21 (5-byte payload), padded to 24
    14000000 0300 0200 01000000 00000000 00000000           # NLMSG_DONE, error 0`);
  const decoded = decodeNetlinkMessages(datagram);
  assert.ok(decoded.ok);
  assert.deepEqual(
    decoded.value.map((m) => [m.type, m.flags, m.seq, toHex(m.payload)]),
    [
      [16, 2, 1, 'aabbccddee'],
      [3, 2, 1, '00000000'],
    ],
  );
});

const badDatagrams: [string, string, string][] = [
  ['bad, short header', '10000000 1000 0000', 'short'],
  ['bad, length under the header size', '08000000 1000 0000 01000000 00000000', 'bad-message-length'],
  ['bad, length past the end', '20000000 1000 0000 01000000 00000000', 'bad-message-length'],
];
for (const [name, hex, code] of badDatagrams) {
  test(`messages: ${name}`, () => {
    const decoded = decodeNetlinkMessages(hexBytes(hex));
    assert.equal(decoded.ok ? 'ok' : decoded.error.code, code);
  });
}

test('NLMSG_ERROR: ok, an ack', () => {
  const decoded = decodeNetlinkError(message(2, '00000000 28000000 1400 0506 01000000 00000000', 0x100));
  assert.deepEqual(decoded, { ok: true, value: { errno: 0, code: 'OK' } });
});

test('NLMSG_ERROR: ok, EEXIST with the kernel extended-ack text', () => {
  const decoded = decodeNetlinkError(
    message(
      2,
      `efffffff                             # error -17
       28000000 1400 0506 01000000 00000000 # the request header (capped)
       0c00 0100 6578697374730000           # NLMSGERR_ATTR_MSG "exists\\0"`,
      0x300, // NLM_F_CAPPED | NLM_F_ACK_TLVS
    ),
  );
  assert.deepEqual(decoded, { ok: true, value: { errno: 17, code: 'EEXIST', kernelMessage: 'exists' } });
});

test('NLMSG_ERROR: ok, uncapped echo is skipped to reach the TLVs', () => {
  const decoded = decodeNetlinkError(
    message(2, 'ecffffff 14000000 1000 0500 01000000 00000000 aabbccdd 0800 0100 6e6f0000', 0x200),
  );
  assert.deepEqual(decoded, { ok: true, value: { errno: 20, code: 'ENOTDIR', kernelMessage: 'no' } });
});

test('NLMSG_ERROR: bad, short', () => {
  const decoded = decodeNetlinkError(message(2, 'efffffff'));
  assert.equal(decoded.ok ? 'ok' : decoded.error.code, 'short');
});

test('NLMSG_DONE: ok, clean end and a failed dump', () => {
  assert.deepEqual(decodeNetlinkDone(message(3, '00000000')), { ok: true, value: { errno: 0, code: 'OK' } });
  assert.deepEqual(decodeNetlinkDone(message(3, 'fdffffff')), { ok: true, value: { errno: 3, code: 'ESRCH' } });
});

test('errno names: the codes carpd branches on', () => {
  assert.deepEqual([1, 17, 19, 99, 105, 95].map(errnoName), ['EPERM', 'EEXIST', 'ENODEV', 'EADDRNOTAVAIL', 'ENOBUFS', 'EOPNOTSUPP']);
  assert.equal(errnoName(4095), 'E4095');
});

const randomBytes = fc.uint8Array({ maxLength: 300 }).map((bytes) => Uint8Array.from(bytes));

test('property: decoders never throw on random bytes', () => {
  fc.assert(
    fc.property(randomBytes, fc.integer({ min: 0, max: 0xffff }), (bytes, flags) => {
      decodeNetlinkMessages(bytes);
      decodeAttributes(bytes);
      const m: NetlinkMessage = { type: 16, flags, seq: 0, pid: 0, payload: bytes };
      decodeLinkMessage(m);
      decodeAddressMessage(m);
      decodeNetlinkError(m);
      decodeNetlinkDone(m);
    }),
    { numRuns: 5000 },
  );
});

test('property: decoders never throw on valid headers around random attributes', () => {
  // Random bytes rarely get past the fixed headers; these do, to reach the attribute paths.
  const header = fc.constantFrom('00000100 07000000 00000000 00000000', '02180000 07000000', '0a400000 07000000');
  fc.assert(
    fc.property(header, randomBytes, (head, tail) => {
      const payload = new Uint8Array([...hexBytes(head), ...tail]);
      const m: NetlinkMessage = { type: 16, flags: 0, seq: 0, pid: 0, payload };
      decodeLinkMessage(m);
      decodeAddressMessage(m);
    }),
    { numRuns: 5000 },
  );
});

const attribute: fc.Memo<AttributeInput> = fc.memo((depth) =>
  depth <= 1
    ? fc.record({ type: fc.integer({ min: 0, max: 0x3fff }), value: fc.uint8Array({ maxLength: 20 }) })
    : fc.oneof(
        fc.record({ type: fc.integer({ min: 0, max: 0x3fff }), value: fc.uint8Array({ maxLength: 20 }) }),
        fc.record({ type: fc.integer({ min: 0, max: 0x3fff }), nested: fc.array(attribute(depth - 1), { maxLength: 3 }) }),
      ),
);

/** Decodes recursively into the shape encode takes (nested attributes carry NLA_F_NESTED). */
function toInput(decoded: NetlinkAttribute): AttributeInput {
  if (!decoded.nested) return { type: decoded.type, value: Uint8Array.from(decoded.value) };
  const inner = decodeAttributes(decoded.value);
  assert.ok(inner.ok);
  return { type: decoded.type, nested: inner.value.map(toInput) };
}

test('property: attributes round-trip through encode and decode', () => {
  fc.assert(
    fc.property(fc.array(attribute(3), { maxLength: 5 }), (attributes) => {
      const encoded = encodeAttributes(attributes);
      assert.equal(encoded.length % 4, 0);
      const decoded = decodeAttributes(encoded);
      assert.ok(decoded.ok);
      const normalise = (a: AttributeInput): unknown => ('nested' in a ? { type: a.type, nested: a.nested.map(normalise) } : { type: a.type, value: toHex(a.value) });
      assert.deepEqual(decoded.value.map(toInput).map(normalise), attributes.map(normalise));
    }),
  );
});
