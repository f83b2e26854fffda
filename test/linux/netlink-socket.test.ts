/**
 * The addon's netlink socket: argument checks, and a real RTM_GETLINK dump over NETLINK_ROUTE
 * (reading links needs no privilege). Overflow (ENOBUFS) is exercised in route-netlink.test.ts,
 * inside a namespace where events can be generated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { loadNativeBinding } from '../../src/linux/native-binding.ts';
import type { NativeError } from '../../src/linux/native-binding.ts';
import { decodeNetlinkMessages, NLMSG_DONE } from '../../src/linux/netlink/netlink-message.ts';
import { decodeLinkMessage, encodeAddressRequest, encodeGetLinksRequest, NETLINK_ROUTE, RTM_NEWLINK } from '../../src/linux/netlink/rtnetlink-codec.ts';
import { RouteNetlink, type AddressEvent } from '../../src/linux/netlink/route-netlink.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

const binding = loadNativeBinding();
const noop = (): void => {};
const untyped = binding as unknown as { openNetlinkSocket: (...args: unknown[]) => unknown };

const badOpenCalls: [string, unknown[], { name: string }][] = [
  ['bad, no options', [], { name: 'TypeError' }],
  ['bad, protocol as text', [{ protocol: '0', groups: 0, onMessage: noop, onError: noop }], { name: 'TypeError' }],
  ['bad, groups as text', [{ protocol: 0, groups: '1', onMessage: noop, onError: noop }], { name: 'TypeError' }],
  ['bad, no callbacks', [{ protocol: 0, groups: 0 }], { name: 'TypeError' }],
  ['bad, throwing getter', [{ get protocol(): number { throw new RangeError('getter'); } }], { name: 'RangeError' }],
];
for (const [name, args, expected] of badOpenCalls) {
  test(`openNetlinkSocket: ${name}`, () => {
    assert.throws(() => untyped.openNetlinkSocket(...args), expected);
  });
}

test('openNetlinkSocket: unknown protocol is a NativeError, not a crash', () => {
  assert.throws(
    () => binding.openNetlinkSocket({ protocol: 31, groups: 0, onMessage: noop, onError: noop }),
    (error: NativeError) => typeof error.code === 'string' && error.syscall === 'socket',
  );
});

test('openNetlinkSocket: a link dump arrives as datagrams ending in NLMSG_DONE', async () => {
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no NLMSG_DONE within 2 s')), 2000);
    const socket = binding.openNetlinkSocket({
      protocol: NETLINK_ROUTE,
      groups: 0,
      onMessage: (datagram, senderPort) => {
        assert.ok(Buffer.isBuffer(datagram));
        assert.equal(senderPort, 0, 'item 7a: the kernel is port 0');
        const messages = decodeNetlinkMessages(datagram);
        assert.ok(messages.ok);
        for (const message of messages.value) {
          assert.equal(message.seq, 77);
          if (message.type === RTM_NEWLINK) {
            const link = decodeLinkMessage(message);
            assert.ok(link.ok);
            names.push(link.value.name ?? '?');
          } else if (message.type === NLMSG_DONE) {
            socket.close(); // closing inside the callback is allowed
            socket.close(); // and idempotent
            clearTimeout(timer);
            resolve();
          }
        }
      },
      onError: (error) => reject(error),
    });
    socket.setReceiveBufferSize(1 << 20);
    socket.send(Buffer.from(encodeGetLinksRequest(77)));
  });
  assert.ok(names.includes('lo'), `links: ${names.join(', ')}`);
});

test('openNetlinkSocket: send after close and bad arguments throw', () => {
  const socket = binding.openNetlinkSocket({ protocol: NETLINK_ROUTE, groups: 0, onMessage: noop, onError: noop });
  const loose = socket as unknown as { send: (x: unknown) => void; setReceiveBufferSize: (x: unknown) => void };
  assert.throws(() => loose.send('text'), { name: 'TypeError' });
  assert.throws(() => loose.setReceiveBufferSize(10), { name: 'TypeError' });
  socket.unref();
  socket.ref();
  socket.close();
  assert.throws(() => socket.send(Buffer.alloc(16)), (error: NativeError) => error.code === 'EBADF');
});

/** The netlink port id of this process's socket that was opened last with these nl_groups (/proc/net/netlink, by inode). */
function ownPortWithGroups(groups: number): number | undefined {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match !== null) inodes.add(match[1] as string);
    } catch {
      // Closed meanwhile.
    }
  }
  const rows = readFileSync('/proc/net/netlink', 'utf8').trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/));
  // Columns: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode.
  const ours = rows.filter((r) => r[1] === '0' && Number.parseInt(r[3] as string, 16) === groups && inodes.has(r[9] as string));
  return ours.length === 0 ? undefined : Number(ours.at(-1)?.[2]);
}

test('item 7a: the addon hands on the sender port id (0 for the kernel, a process\'s port otherwise), and RouteNetlink drops a process\'s forged address event', { timeout: 20_000 }, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root: NETLINK_ROUTE unicast between processes needs CAP_NET_ADMIN');
  const python = spawnSync('python3', ['-c', 'pass']);
  if (python.status !== 0) return t.skip('needs python3 to send from another process');
  // A forged RTM_DELADDR, as a local process would send it straight to carpd's event socket.
  const forged = Buffer.from(encodeAddressRequest('remove', 0, { ifindex: 4242, address: parseIpAddress('198.51.100.7'), prefixLength: 24 }));
  const seen: { bytes: number; port: number | undefined }[] = [];
  const raw = binding.openNetlinkSocket({ protocol: NETLINK_ROUTE, groups: 0x10000, onMessage: (datagram, port) => seen.push({ bytes: datagram.length, port }), onError: noop });
  const events: AddressEvent[] = [];
  const logger = new MemoryLogger();
  const nl = RouteNetlink.open(logger);
  // RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR: the watcher's socket; the raw one above binds RTNLGRP_NOP4 (bit 16), which the kernel never sends to, to tell them apart.
  nl.watchAddresses((event) => events.push(event));
  try {
    const rawPort = ownPortWithGroups(0x10000);
    const watchPort = ownPortWithGroups(0x110);
    assert.ok(rawPort !== undefined && rawPort !== 0 && watchPort !== undefined && watchPort !== 0, `ports ${rawPort} ${watchPort}`);
    const send = spawnSync('python3', ['-c', SEND_FROM_PYTHON, String(rawPort), String(watchPort), forged.toString('hex')], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(send.status, 0, send.stderr);
    const senderPort = Number(send.stdout.trim());
    const deadline = Date.now() + 5_000;
    while ((seen.length === 0 || nl.foreignDatagrams === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, [{ bytes: forged.length, port: senderPort }], 'the raw socket got the datagram with the sender\'s port');
    assert.notEqual(senderPort, 0);
    assert.equal(nl.foreignDatagrams, 1, 'RouteNetlink dropped it');
    // Only the forged one is asserted on: the host may change its own addresses meanwhile.
    assert.ok(!events.some((e) => e.address.ifindex === 4242), 'no address event from a process');
  } finally {
    raw.close();
    nl.close();
  }
});

/** Sends the hex datagram from python's own netlink socket to two port ids; prints its port id. */
const SEND_FROM_PYTHON = `
import socket, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.bind((0, 0))
data = bytes.fromhex(sys.argv[3])
for port in sys.argv[1:3]:
    s.sendto(data, (int(port), 0))
print(s.getsockname()[0])
`;
