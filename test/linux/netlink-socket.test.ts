/**
 * The addon's netlink socket: argument checks, and a real RTM_GETLINK dump over NETLINK_ROUTE
 * (reading links needs no privilege). Overflow (ENOBUFS) is exercised in route-netlink.test.ts,
 * inside a namespace where events can be generated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNativeBinding } from '../../src/linux/native-binding.ts';
import type { NativeError } from '../../src/linux/native-binding.ts';
import { decodeNetlinkMessages, NLMSG_DONE } from '../../src/linux/netlink/netlink-message.ts';
import { decodeLinkMessage, encodeGetLinksRequest, NETLINK_ROUTE, RTM_NEWLINK } from '../../src/linux/netlink/rtnetlink-codec.ts';

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
      onMessage: (datagram) => {
        assert.ok(Buffer.isBuffer(datagram));
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
