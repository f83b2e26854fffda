/**
 * RouteNetlink's request bookkeeping against a fake netlink binding (no kernel): replies matched
 * by sequence number, codes treated as success, errors naming the operation, timeouts, closing,
 * the re-read of links after an overflow, and address events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NativeError, NetlinkBinding, NetlinkSocket, NetlinkSocketOptions } from '../../src/linux/native-binding.ts';
import { NETLINK_MAX_IN_FLIGHT, NetlinkError, RouteNetlink, type AddressEvent, type LinkEvent } from '../../src/linux/netlink/route-netlink.ts';
import { decodeNetlinkMessages, encodeNetlinkMessage, NLM_F_MULTI, NLMSG_DONE, NLMSG_ERROR, type NetlinkMessage } from '../../src/linux/netlink/netlink-message.ts';
import { encodeAttributes, stringAttribute } from '../../src/linux/netlink/netlink-attributes.ts';
import { encodeAddressRequest, IFADDRMSG_LENGTH, IFLA_IFNAME, RTM_GETLINK, RTM_NEWADDR, RTM_NEWLINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, RTMGRP_LINK } from '../../src/linux/netlink/rtnetlink-codec.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

/** One fake socket: what was sent, and a way to answer. */
interface FakeSocket {
  readonly options: NetlinkSocketOptions;
  readonly sent: NetlinkMessage[];
  closed: boolean;
  refs: number;
}

function fakeBinding(): { binding: NetlinkBinding; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  const binding: NetlinkBinding = {
    openNetlinkSocket(options): NetlinkSocket {
      const fake: FakeSocket = { options, sent: [], closed: false, refs: 1 };
      sockets.push(fake);
      return {
        send(message) {
          const decoded = decodeNetlinkMessages(message);
          assert.ok(decoded.ok);
          fake.sent.push(...decoded.value);
        },
        close() {
          fake.closed = true;
        },
        ref() {
          fake.refs = 1;
        },
        unref() {
          fake.refs = 0;
        },
        setReceiveBufferSize() {},
      };
    },
  };
  return { binding, sockets };
}

function errorReply(seq: number, errno: number): Buffer {
  const payload = new Uint8Array(20);
  new DataView(payload.buffer).setInt32(0, -errno, true);
  return Buffer.from(encodeNetlinkMessage({ type: NLMSG_ERROR, flags: 0x100, seq, pid: 0, payload }));
}

function linkReply(seq: number, index: number, name: string, flags = 0x41): Uint8Array {
  const head = new Uint8Array(16);
  const view = new DataView(head.buffer);
  view.setInt32(4, index, true);
  view.setUint32(8, flags, true);
  const payload = new Uint8Array([...head, ...encodeAttributes([stringAttribute(IFLA_IFNAME, name)])]);
  return encodeNetlinkMessage({ type: RTM_NEWLINK, flags: NLM_F_MULTI, seq, pid: 0, payload });
}

function doneReply(seq: number): Uint8Array {
  return encodeNetlinkMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq, pid: 0, payload: new Uint8Array(4) });
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('requests: replies are matched by seq, and the socket is referenced only while waiting', async () => {
  const { binding, sockets } = fakeBinding();
  const nl = RouteNetlink.open(new MemoryLogger(), { binding });
  const socket = sockets[0]!;
  assert.equal(socket.refs, 0);
  const links = nl.listLinks();
  const add = nl.addAddress(7, parseIpAddress('198.51.100.10'), 24);
  assert.equal(socket.refs, 1);
  const [dump, addRequest] = socket.sent;
  assert.equal(dump?.type, RTM_GETLINK);
  // The add's ack first, then the dump in two datagrams, with a stray seq in between.
  socket.options.onMessage(errorReply(addRequest!.seq, 0));
  socket.options.onMessage(Buffer.from([...linkReply(dump!.seq, 1, 'lo'), ...linkReply(999, 5, 'stray')]));
  socket.options.onMessage(Buffer.from([...linkReply(dump!.seq, 7, 'carp7', 0), ...doneReply(dump!.seq)]));
  await add;
  assert.deepEqual(
    (await links).map((l) => [l.index, l.name, l.up, l.running]),
    [
      [1, 'lo', true, true],
      [7, 'carp7', false, false],
    ],
  );
  assert.equal(socket.refs, 0);
  nl.close();
  assert.equal(socket.closed, true);
});

test('requests: success codes, errors naming the operation and the interface', async () => {
  const { binding, sockets } = fakeBinding();
  const nl = RouteNetlink.open(new MemoryLogger(), { binding });
  const socket = sockets[0]!;
  const answer = async <T>(promise: Promise<T>, errno: number): Promise<T> => {
    await tick();
    socket.options.onMessage(errorReply(socket.sent.at(-1)!.seq, errno));
    return promise;
  };
  // Learn the name of ifindex 7 from a dump, so errors can name it.
  const list = nl.listLinks();
  socket.options.onMessage(Buffer.from([...linkReply(socket.sent[0]!.seq, 7, 'carp7'), ...doneReply(socket.sent[0]!.seq)]));
  await list;
  const vip = parseIpAddress('198.51.100.10');
  await answer(nl.addAddress(7, vip, 24), 17); // EEXIST
  await answer(nl.removeAddress(7, vip, 24), 99); // EADDRNOTAVAIL
  await answer(nl.removeAddress(7, vip, 24), 19); // ENODEV
  await assert.rejects(answer(nl.addAddress(7, vip, 24), 1), (error: NetlinkError) => {
    assert.equal(error.code, 'EPERM');
    assert.equal(error.message, 'add 198.51.100.10/24 on carp7: EPERM');
    return true;
  });
  assert.equal(await answer(nl.linkByName('nope0'), 19), undefined);
  await assert.rejects(answer(nl.deleteLink(12), 1), { code: 'EPERM', message: 'delete link ifindex 12: EPERM' });
  nl.close();
});

test('requests: a lost reply times out with ETIMEDOUT; close cancels the rest', async () => {
  const { binding, sockets } = fakeBinding();
  const nl = RouteNetlink.open(new MemoryLogger(), { binding, timeoutMs: 20 });
  await assert.rejects(nl.setLinkUp(3, true), { code: 'ETIMEDOUT' });
  const pending = nl.listLinks();
  nl.close();
  await assert.rejects(pending, { code: 'ECANCELED' });
  await assert.rejects(nl.listLinks(), { code: 'ECANCELED' });
  assert.equal(sockets[0]!.refs, 0);
});

test('requests: at most NETLINK_MAX_IN_FLIGHT on the wire, the rest sent in order as replies come', async () => {
  const { binding, sockets } = fakeBinding();
  const nl = RouteNetlink.open(new MemoryLogger(), { binding });
  const socket = sockets[0]!;
  const total = NETLINK_MAX_IN_FLIGHT * 2 + 3;
  const results = Array.from({ length: total }, (_, i) => nl.setLinkUp(100 + i, true));
  assert.equal(socket.sent.length, NETLINK_MAX_IN_FLIGHT);
  // Answer whatever is on the wire until everything was sent and answered (bounded).
  for (let answered = 0, round = 0; answered < total && round < total; round++) {
    const next = socket.sent[answered]!;
    socket.options.onMessage(errorReply(next.seq, 0));
    answered++;
    assert.ok(socket.sent.length - answered <= NETLINK_MAX_IN_FLIGHT);
  }
  await Promise.all(results);
  assert.equal(socket.sent.length, total);
  // Sent in the order asked: interface indexes 100, 101, ... (ifinfomsg index at offset 4).
  const indexes = socket.sent.map((m) => new DataView(m.payload.buffer, m.payload.byteOffset).getInt32(4, true));
  assert.deepEqual(indexes, Array.from({ length: total }, (_, i) => 100 + i));
  assert.equal(socket.refs, 0);
  nl.close();
});

test('requests: a deadline that passes while the reply is ready still takes the reply; queued ones fail on close', async () => {
  const { binding, sockets } = fakeBinding();
  const nl = RouteNetlink.open(new MemoryLogger(), { binding, timeoutMs: 5 });
  const socket = sockets[0]!;
  const answered = nl.setLinkUp(3, true);
  // The event loop is busy past the deadline; the reply arrives in the poll phase that follows
  // the timers phase in which the deadline fired.
  const until = Date.now() + 20;
  while (Date.now() < until) {
    // Busy: the timer cannot run yet.
  }
  setTimeout(() => socket.options.onMessage(errorReply(socket.sent[0]!.seq, 0)), 0);
  await answered;
  // Close with requests both on the wire and waiting for the window: all fail, none hangs.
  const many = Array.from({ length: NETLINK_MAX_IN_FLIGHT + 4 }, (_, i) => nl.setLinkUp(200 + i, true));
  nl.close();
  const outcomes = await Promise.allSettled(many);
  assert.ok(outcomes.every((o) => o.status === 'rejected' && (o.reason as NetlinkError).code === 'ECANCELED'));
  assert.equal(socket.sent.length, 1 + NETLINK_MAX_IN_FLIGHT);
});

test('requests: a receive error on the request socket fails what is waiting', async () => {
  const { binding, sockets } = fakeBinding();
  const nl = RouteNetlink.open(new MemoryLogger(), { binding });
  const pending = nl.listAddresses();
  sockets[0]!.options.onError(Object.assign(new Error('recv ENOBUFS'), { code: 'ENOBUFS' }) as NativeError);
  await assert.rejects(pending, { code: 'ENOBUFS' });
  nl.close();
});

test('watchLinks: events, overflow re-read, a throwing listener is logged', async () => {
  const { binding, sockets } = fakeBinding();
  const logger = new MemoryLogger();
  const nl = RouteNetlink.open(logger, { binding });
  const events: LinkEvent[] = [];
  let throwOnce = true;
  const watcher = nl.watchLinks((event) => {
    events.push(event);
    if (throwOnce) {
      throwOnce = false;
      throw new Error('listener bug');
    }
  });
  const [requests, watch] = [sockets[0]!, sockets[1]!];
  assert.equal(watch.options.groups, RTMGRP_LINK);
  watch.options.onMessage(Buffer.from(linkReply(0, 4, 'eth0', 0)));
  watch.options.onError(Object.assign(new Error('recv ENOBUFS'), { code: 'ENOBUFS' }) as NativeError);
  watch.options.onError(Object.assign(new Error('recv ENOBUFS'), { code: 'ENOBUFS' }) as NativeError); // coalesced
  assert.equal(requests.sent.length, 1);
  const seq = requests.sent[0]!.seq;
  requests.options.onMessage(Buffer.from([...linkReply(seq, 1, 'lo'), ...linkReply(seq, 4, 'eth0'), ...doneReply(seq)]));
  await tick();
  await tick();
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.link.name} ${e.link.up ? 'up' : 'down'}`),
    ['new eth0 down', 'new lo up', 'new eth0 up'],
  );
  assert.ok(logger.records.some((r) => r.message === 'link event listener threw'));
  assert.ok(logger.records.some((r) => r.message.startsWith('link events lost')));
  // The second ENOBUFS arrived during the first re-read: one more re-read follows.
  assert.equal(requests.sent.length, 2);
  watcher.close();
  assert.equal(watch.closed, true);
  nl.close();
});

const enobufs = (): NativeError => Object.assign(new Error('recv ENOBUFS'), { code: 'ENOBUFS' }) as NativeError;

test('watchAddresses: new and del events, skipped families, overflow, closing', () => {
  const { binding, sockets } = fakeBinding();
  const logger = new MemoryLogger();
  const nl = RouteNetlink.open(logger, { binding });
  const events: AddressEvent[] = [];
  let resyncs = 0;
  let throwOnce = true;
  const watcher = nl.watchAddresses(
    (event) => {
      events.push(event);
      if (throwOnce) {
        throwOnce = false;
        throw new Error('listener bug');
      }
    },
    () => resyncs++,
  );
  const watch = sockets[1]!;
  assert.equal(watch.options.groups, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR);
  // The kernel's events have the request's layout: ifaddrmsg and IFA_LOCAL / IFA_ADDRESS.
  const event = (action: 'add' | 'remove', text: string, prefixLength: number): Uint8Array =>
    encodeAddressRequest(action, 0, { ifindex: 4, address: parseIpAddress(text), prefixLength });
  // AF_PACKET-like family 17: decodes as unsupported, skipped without a warning.
  const otherFamily = encodeNetlinkMessage({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, payload: new Uint8Array([17, ...new Uint8Array(IFADDRMSG_LENGTH - 1)]) });
  const noAddress = encodeNetlinkMessage({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, payload: new Uint8Array([2, 24, 0, 0, 4, 0, 0, 0]) });
  watch.options.onMessage(Buffer.from([...event('add', '198.51.100.7', 24), ...otherFamily, ...noAddress, ...event('add', '2001:db8::7', 64)]));
  watch.options.onMessage(Buffer.from(event('remove', '198.51.100.7', 24)));
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.address.ifindex} ${e.address.address.text}/${e.address.prefixLength}`),
    ['new 4 198.51.100.7/24', 'new 4 2001:db8::7/64', 'del 4 198.51.100.7/24'],
  );
  assert.deepEqual(
    logger.records.filter((r) => r.level !== 'debug').map((r) => r.message),
    ['address event listener threw', 'undecodable address event'],
  );
  watch.options.onError(enobufs());
  assert.equal(resyncs, 1);
  assert.ok(logger.records.some((r) => r.message.startsWith('address events lost') && r.fields.code === 'ENOBUFS'));
  assert.equal(sockets[0]!.sent.length, 0, 'no dump: the caller re-reads what it cares about');
  nl.close();
  assert.equal(watch.closed, true, 'close() of the adapter closes its watchers');
  watcher.close(); // a second close is harmless
  watch.options.onMessage(Buffer.from(event('add', '198.51.100.8', 24)));
  assert.equal(events.length, 3, 'nothing is delivered after close');
  assert.throws(() => nl.watchAddresses(() => undefined), { code: 'ECANCELED' });
});

test('watchAddresses: a missing resynced callback and a throwing one are both harmless', () => {
  const { binding, sockets } = fakeBinding();
  const logger = new MemoryLogger();
  const nl = RouteNetlink.open(logger, { binding });
  nl.watchAddresses(() => undefined);
  nl.watchAddresses(
    () => undefined,
    () => {
      throw new Error('resync bug');
    },
  );
  sockets[1]!.options.onError(enobufs());
  sockets[2]!.options.onError(enobufs());
  assert.ok(logger.records.some((r) => r.message === 'address resync callback threw'));
  nl.close();
});

test('item 7a: datagrams from a process (sender port id != 0) are ignored and counted: no forged address event, no forged ack', async () => {
  const { binding, sockets } = fakeBinding();
  const logger = new MemoryLogger();
  const nl = RouteNetlink.open(logger, { binding });
  const events: AddressEvent[] = [];
  nl.watchAddresses((event) => events.push(event));
  const [requests, watch] = [sockets[0]!, sockets[1]!];
  const forgedDelete = Buffer.from(encodeAddressRequest('remove', 0, { ifindex: 4, address: parseIpAddress('198.51.100.7'), prefixLength: 24 }));
  watch.options.onMessage(forgedDelete, 4242);
  watch.options.onMessage(forgedDelete, 4243);
  assert.equal(events.length, 0, 'no event from a process');
  // A forged ack for a pending request does not settle it; the kernel's does.
  let settled = false;
  const add = nl.addAddress(4, parseIpAddress('198.51.100.7'), 24).then(() => (settled = true));
  const seq = requests.sent.at(-1)!.seq;
  requests.options.onMessage(errorReply(seq, 0), 4242);
  await tick();
  assert.equal(settled, false, 'a forged ack is not an answer');
  requests.options.onMessage(errorReply(seq, 0), 0);
  await add;
  // The kernel's events still arrive.
  watch.options.onMessage(forgedDelete, 0);
  assert.deepEqual(events.map((e) => `${e.type} ${e.address.address.text}`), ['del 198.51.100.7']);
  assert.equal(nl.foreignDatagrams, 3);
  assert.equal(logger.records.filter((r) => r.message === 'ignoring netlink messages not sent by the kernel').length, 1, 'logged once, however many follow');
  nl.close();
});
