/**
 * sd-notify against a real AF_UNIX datagram receiver (python3's socket module, as systemd's
 * NOTIFY_SOCKET would be), on a filesystem path and on an abstract name. Skips when python3 or
 * the addon is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reloadingState, sdNotify, SD_READY, SD_STOPPING, statusState } from '../../src/linux/sd-notify.ts';
import { loadNativeBinding } from '../../src/linux/native-binding.ts';

const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;
const hasAddon = (() => {
  try {
    return typeof loadNativeBinding().sendUnixDatagram === 'function';
  } catch {
    return false;
  }
})();
const skip = !hasPython ? 'python3 not found' : !hasAddon ? 'native addon not built' : false;

/** Binds a SOCK_DGRAM receiver (a leading '@' = abstract), prints "ready", then one JSON line per datagram. */
const RECEIVER = `
import json, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.settimeout(5)
s.bind(("\\0" + path[1:]) if path.startswith("@") else path)
print("ready", flush=True)
for _ in range(int(sys.argv[2])):
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;

/** Starts the receiver; resolves once it is bound, with a promise of the `count` payloads (boxed: an async function would flatten it). */
async function receiver(path: string, count: number): Promise<{ payloads: Promise<string[]> }> {
  const child = spawn('python3', ['-c', RECEIVER, path, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  let wake = (): void => {};
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    wake();
  });
  child.on('exit', () => wake());
  const lines = async (n: number): Promise<string[]> => {
    while (text.split('\n').length - 1 < n && child.exitCode === null) await new Promise<void>((resolve) => (wake = resolve));
    return text.split('\n').slice(0, n);
  };
  const [first] = await lines(1);
  assert.equal(first, 'ready', 'the receiver did not bind');
  const payloads = (async () => {
    try {
      return (await lines(count + 1)).slice(1).map((line) => JSON.parse(line) as string);
    } finally {
      child.kill();
    }
  })();
  return { payloads };
}

test('sends READY, RELOADING with MONOTONIC_USEC, STATUS and STOPPING to a socket path', { skip, timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-notify-'));
  try {
    const path = join(dir, 'notify');
    const received = await receiver(path, 4);
    assert.equal(sdNotify(SD_READY, { socketPath: path }), true);
    assert.equal(sdNotify(reloadingState(), { socketPath: path }), true);
    assert.equal(sdNotify(statusState('2 groups: 1 MASTER\n1 BACKUP'), { socketPath: path }), true);
    assert.equal(sdNotify(SD_STOPPING, { socketPath: path }), true);
    const payloads = await received.payloads;
    assert.equal(payloads.length, 4);
    assert.equal(payloads[0], 'READY=1');
    assert.match(payloads[1] ?? '', /^RELOADING=1\nMONOTONIC_USEC=[1-9][0-9]*$/);
    assert.equal(payloads[2], 'STATUS=2 groups: 1 MASTER 1 BACKUP');
    assert.equal(payloads[3], 'STOPPING=1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sends to an abstract socket name (@...) through $NOTIFY_SOCKET', { skip, timeout: 10_000 }, async () => {
  const name = `@carpd-test-${process.pid}-${Date.now()}`;
  const received = await receiver(name, 1);
  const saved = process.env['NOTIFY_SOCKET'];
  process.env['NOTIFY_SOCKET'] = name;
  try {
    assert.equal(sdNotify('READY=1\nSTATUS=ok'), true);
  } finally {
    if (saved === undefined) delete process.env['NOTIFY_SOCKET'];
    else process.env['NOTIFY_SOCKET'] = saved;
  }
  assert.deepEqual(await received.payloads, ['READY=1\nSTATUS=ok']);
});

test('returns false, without throwing, when not under systemd or when the send fails', () => {
  assert.equal(sdNotify(SD_READY, { socketPath: undefined }), false);
  assert.equal(sdNotify(SD_READY, { socketPath: '' }), false);
  assert.equal(sdNotify(SD_READY, { socketPath: 'relative/path' }), false);
  const failing = { sendUnixDatagram(): void { throw Object.assign(new Error('sendto ECONNREFUSED'), { code: 'ECONNREFUSED' }); } };
  assert.equal(sdNotify(SD_READY, { socketPath: '/run/systemd/notify', binding: failing }), false);
  const sent: [string, string][] = [];
  assert.equal(sdNotify(SD_READY, { socketPath: '@x', binding: { sendUnixDatagram: (p, d) => void sent.push([p, d.toString()]) } }), true);
  assert.deepEqual(sent, [['@x', 'READY=1']]);
});

test('the real addon reports a missing socket as ENOENT', { skip }, () => {
  assert.throws(() => loadNativeBinding().sendUnixDatagram('/nonexistent-carpd/notify', Buffer.from('READY=1')), { code: 'ENOENT' });
  assert.equal(sdNotify(SD_READY, { socketPath: '/nonexistent-carpd/notify' }), false);
});
