/**
 * The addon refuses bad calls with JS errors and never takes the process down. Argument checks
 * run before any socket is created, so most cases need no privilege; the socket cases skip
 * without CAP_NET_RAW (not root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNativeBinding } from '../../src/linux/native-binding.ts';
import type { CarpSocketBinding, CarpSocketOptions, NativeError } from '../../src/linux/native-binding.ts';
import { RawCarpTransport } from '../../src/linux/raw-carp-transport.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

const binding = loadNativeBinding();
const noop = (): void => {};
/** Calls the addon with arguments its types forbid. */
const untyped = binding as unknown as Record<'openCarpSocket' | 'openPacketSocket', (...args: unknown[]) => unknown>;
const isRoot = process.getuid?.() === 0;
const NO_SUCH_INTERFACE = 'carpdnone0';

const badOpenCalls: [string, unknown[], RegExp | { name: string }][] = [
  ['bad, no options', [], { name: 'TypeError' }],
  ['bad, options not an object', [4], { name: 'TypeError' }],
  ['bad, family 5', [{ family: 5, ifname: 'lo', onPacket: noop, onError: noop }], { name: 'TypeError' }],
  ['bad, family as text', [{ family: '4', ifname: 'lo', onPacket: noop, onError: noop }], { name: 'TypeError' }],
  ['bad, no callbacks', [{ family: 4, ifname: 'lo' }], { name: 'TypeError' }],
  ['bad, ifname not a string', [{ family: 4, ifname: 3, onPacket: noop, onError: noop }], { name: 'TypeError' }],
  ['bad, ifname too long', [{ family: 6, ifname: 'x'.repeat(16), onPacket: noop, onError: noop }], { name: 'TypeError' }],
  ['bad, ifname empty', [{ family: 6, ifname: '', onPacket: noop, onError: noop }], { name: 'TypeError' }],
  ['bad, throwing getter', [{ get family(): number { throw new RangeError('getter'); } }], { name: 'RangeError' }],
  // Aborted the process before the options were read through one helper: ifname is read last,
  // and the addon then threw its TypeError on top of the getter's pending exception.
  ['bad, throwing ifname getter', [{ family: 4, onPacket: noop, onError: noop, get ifname(): string { throw new RangeError('getter'); } }], { name: 'RangeError' }],
];

for (const [name, args, expected] of badOpenCalls) {
  test(`openCarpSocket: ${name}`, () => {
    assert.throws(() => untyped.openCarpSocket(...args), expected);
  });
}

test('openCarpSocket: unknown interface is ENODEV', () => {
  assert.throws(
    () => binding.openCarpSocket({ family: 4, ifname: NO_SUCH_INTERFACE, onPacket: noop, onError: noop }),
    (error: NativeError) => error.code === 'ENODEV' && error.syscall === 'if_nametoindex',
  );
});

test('openPacketSocket: bad arguments and unknown interface', () => {
  assert.throws(() => untyped.openPacketSocket(), { name: 'TypeError' });
  assert.throws(() => untyped.openPacketSocket({}), { name: 'TypeError' });
  assert.throws(() => binding.openPacketSocket(NO_SUCH_INTERFACE), (error: NativeError) => error.code === 'ENODEV');
});

test('carp socket on lo: bad sends throw, close is idempotent', { skip: isRoot ? false : 'needs CAP_NET_RAW (root)' }, () => {
  for (const family of [4, 6] as const) {
    const socket = binding.openCarpSocket({ family, ifname: 'lo', onPacket: noop, onError: noop });
    const bad = socket as unknown as Record<'send' | 'bindSource', (...args: unknown[]) => unknown>;
    assert.throws(() => bad.send('not a buffer', '224.0.0.18'), { name: 'TypeError' });
    assert.throws(() => bad.send(Buffer.alloc(36)), { name: 'TypeError' });
    assert.throws(() => bad.send(Buffer.alloc(36), family === 4 ? 'ff02::12' : '224.0.0.18'), { name: 'TypeError' });
    assert.throws(() => bad.bindSource(42), { name: 'TypeError' });
    assert.throws(() => bad.bindSource('not an address'), { name: 'TypeError' });
    socket.unref();
    socket.ref();
    socket.close();
    socket.close();
    socket.ref(); // after close: no-ops
    assert.throws(() => socket.send(Buffer.alloc(36), family === 4 ? '224.0.0.18' : 'ff02::12'), (e: NativeError) => e.code === 'EBADF');
  }
  const frames = binding.openPacketSocket('lo');
  assert.throws(() => (frames as unknown as { sendFrame: (x: unknown) => void }).sendFrame('x'), { name: 'TypeError' });
  frames.close();
  frames.close();
  assert.throws(() => frames.sendFrame(Buffer.alloc(60)), (e: NativeError) => e.code === 'EBADF');
});

test('RawCarpTransport: open failure throws and closes what it opened; send errors throw to the engine (which counts them)', () => {
  const closed: number[] = [];
  const fake: CarpSocketBinding = {
    openCarpSocket: (options: CarpSocketOptions) => {
      if (options.family === 6) throw Object.assign(new Error('no v6'), { code: 'EAFNOSUPPORT' });
      return {
        send: () => {
          throw Object.assign(new Error('sendmsg ENOBUFS'), { code: 'ENOBUFS' });
        },
        bindSource: noop,
        close: () => void closed.push(options.family),
        ref: noop,
        unref: noop,
      };
    },
    openPacketSocket: () => assert.fail('not used'),
  };
  const base = { ifname: 'eth0', addresses: [parseIpAddress('198.51.100.1')], binding: fake };
  assert.throws(() => new RawCarpTransport({ ...base, families: [4, 6], onError: noop }), /no v6/);
  assert.deepEqual(closed, [4]);
  const errors: string[] = [];
  const transport = new RawCarpTransport({ ...base, families: [4], onError: (e) => errors.push((e as NativeError).code ?? '') });
  assert.throws(() => transport.send(4, new Uint8Array(36)), (e: NativeError) => e.code === 'ENOBUFS');
  assert.deepEqual(errors, [], 'a failed send is the caller\'s to count, not a socket error');
  assert.equal(transport.sourceAddress(4)?.text, '198.51.100.1');
  assert.equal(transport.sourceAddress(6), undefined);
});

test('RawCarpTransport: receive path reports malformed packets and never throws', () => {
  let deliver: CarpSocketOptions['onPacket'] = noop;
  const fake: CarpSocketBinding = {
    openCarpSocket: (options) => {
      if (options.family === 4) deliver = options.onPacket;
      return { send: noop, bindSource: noop, close: noop, ref: noop, unref: noop };
    },
    openPacketSocket: () => assert.fail('not used'),
  };
  const errors: Error[] = [];
  const transport = new RawCarpTransport({ ifname: 'eth0', families: [4, 6], addresses: [], binding: fake, onError: (e) => errors.push(e) });
  const malformed: string[] = [];
  transport.onMalformed((code) => malformed.push(code));
  transport.onDatagram(() => {
    throw new Error('handler bug');
  });
  deliver({ data: Buffer.from([0x45, 0]), truncated: false });
  deliver({ data: Buffer.alloc(60), truncated: true });
  assert.deepEqual(malformed, ['short', 'truncated']);
  // A valid header reaches the handler, whose throw goes to onError instead of the addon.
  const header = Buffer.from('45100038000040000001' + '0000' + 'c6336401e0000012', 'hex');
  header.writeUInt16BE(checksum(header), 10);
  deliver({ data: Buffer.concat([header, Buffer.alloc(36)]), truncated: false });
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? '', /handler bug/);
});

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

test('abstractSocketPeer: bad names are TypeError/EINVAL; nothing there is null; a listener gives its pid and uid', async () => {
  const peer = binding as unknown as Record<'abstractSocketPeer', (...args: unknown[]) => unknown>;
  assert.throws(() => peer.abstractSocketPeer(), { name: 'TypeError' });
  assert.throws(() => peer.abstractSocketPeer(''), { code: 'EINVAL' });
  assert.throws(() => peer.abstractSocketPeer('x'.repeat(200)), { code: 'EINVAL' });
  const name = `carpd-test/peer/${process.pid}`;
  assert.equal(binding.abstractSocketPeer(name), null);
  const { createServer } = await import('node:net');
  const server = createServer((c) => c.destroy());
  await new Promise<void>((resolve) => server.listen(`\0${name}`, resolve));
  try {
    assert.deepEqual(binding.abstractSocketPeer(name), { pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() });
  } finally {
    server.close();
  }
});

test('disableCoreDumps: the process is no longer dumpable (its /proc entries turn root\'s) and its core limit is 0', { skip: isRoot ? false : 'needs root to start a process as another user' }, async () => {
  const { spawn } = await import('node:child_process');
  const { statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const addon = join(import.meta.dirname, '..', '..', 'build', 'Release', 'carp_socket.node');
  // As nobody, so that "owned by root" can only come from the dumpable flag.
  const program = `process.stdin.once('data', () => { require(${JSON.stringify(addon)}).disableCoreDumps(); console.log('off'); }); console.log('ready'); setTimeout(() => {}, 10000);`;
  const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', program], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = (text: string) => new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes(text) && resolve()));
  try {
    await line('ready');
    const pid = child.pid as number;
    assert.equal(statSync(`/proc/${pid}/fd`).uid, 65534, 'dumpable before');
    child.stdin.write('go\n');
    await line('off');
    assert.equal(statSync(`/proc/${pid}/fd`).uid, 0, 'not dumpable after');
    const { readFileSync } = await import('node:fs');
    assert.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), /^Max core file size\s+0\s+0\s/m);
  } finally {
    child.kill('SIGKILL');
  }
});
