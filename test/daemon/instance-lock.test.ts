/** The instance locks: per group, all-or-nothing, released by close or by the process's end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { InstanceLocks, interfaceLockName, lockPath } from '../../src/daemon/instance-lock.ts';
import { loadNativeBinding } from '../../src/linux/native-binding.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import type { StartupError } from '../../src/daemon/startup-error.ts';

const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
    return 'held';
  } catch (error) {
    return (error as StartupError).code;
  }
};

test('a second holder of the same group is refused (same state directory, and another one in the same network namespace)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-lock-'));
  const other = mkdtempSync(join(tmpdir(), 'carpd-lock-'));
  const target = { interface: `lk${process.pid % 10000}`, vhid: 7 };
  const first = new InstanceLocks(dir);
  try {
    await first.hold([target]);
    assert.equal(await codeOf(new InstanceLocks(dir).hold([target])), 'CARPD_ALREADY_RUNNING');
    assert.equal(await codeOf(new InstanceLocks(other).hold([target])), 'CARPD_ALREADY_RUNNING');
    assert.equal(await codeOf(new InstanceLocks(dir).hold([{ ...target, vhid: 8 }])), 'held', 'another vhid is another group');
    first.releaseAll();
    assert.equal(await codeOf(new InstanceLocks(other).hold([target])), 'held', 'released with the holder');
  } finally {
    first.releaseAll();
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});

test('all or nothing: a refused group releases the locks taken by the same call', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-lock-'));
  const base = `lm${process.pid % 10000}`;
  const holder = new InstanceLocks(dir);
  try {
    await holder.hold([{ interface: base, vhid: 2 }]);
    const second = new InstanceLocks(dir);
    assert.equal(await codeOf(second.hold([{ interface: base, vhid: 1 }, { interface: base, vhid: 2 }])), 'CARPD_ALREADY_RUNNING');
    assert.deepEqual(second.paths, []);
    assert.equal(await codeOf(new InstanceLocks(dir).hold([{ interface: base, vhid: 1 }])), 'held');
  } finally {
    holder.releaseAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('state directory problems name the real cause (ENOTDIR, not EEXIST)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-lock-'));
  try {
    writeFileSync(join(dir, 'file'), '');
    const locks = new InstanceLocks(join(dir, 'file', 'state'));
    await assert.rejects(locks.hold([{ interface: 'eth0', vhid: 1 }]), (error: StartupError) => error.code === 'CARPD_STATE_DIRECTORY' && /ENOTDIR/.test(error.message));
    assert.match(lockPath('/var/lib/carpd', { interface: 'eth0', vhid: 7 }), /lock\.eth0\.vhid7$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Whether setpriv can drop this process to nobody (root with util-linux). */
const squatSkip = process.getuid?.() !== 0 ? 'needs root to start a process as nobody' : spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status !== 0 ? 'setpriv (util-linux) is not installed' : undefined;

/**
 * Starts, as uid 65534 (nobody) with no capabilities, a process that takes the abstract lock
 * name of `target` first: a stream listener that accepts connections like carpd's lock (Node),
 * or a stream socket bound to it that never listens, so answers nothing (Python; NUL-padded to the whole
 * sun_path, as Node binds it, so that it is the very name carpd binds). Resolves once the name is taken.
 */
async function squat(target: { interface: string; vhid: number }, kind: 'listener' | 'bound'): Promise<ChildProcess> {
  const name = JSON.stringify(interfaceLockName(target));
  const program =
    kind === 'listener'
      ? [process.execPath, '-e', `require('net').createServer(() => {}).listen(${name}, () => console.log('taken'))`]
      : ['/usr/bin/python3', '-c', `import socket, sys, time\ns = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\ns.bind(${name}.ljust(108, chr(0)))\nprint('taken', flush=True)\ntime.sleep(60)`];
  const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', ...program], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => (chunk.toString().includes('taken') ? resolve() : undefined));
    child.once('exit', (code) => reject(new Error(`the squatter exited (${code})`)));
  });
  return child;
}

const noPython = spawnSync('/usr/bin/python3', ['--version'], { stdio: 'ignore' }).status === 0 ? undefined : '/usr/bin/python3 is not installed';

test('an unprivileged user (setpriv to nobody) holding the abstract lock name cannot make carpd refuse to start', { skip: squatSkip ?? false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-lock-'));
  const target = { interface: `sq${process.pid % 10000}`, vhid: 9 };
  const warnings: Record<string, unknown>[] = [];
  const logger = { ...silentLogger, warn: (_: string, fields?: Record<string, unknown>) => void warnings.push(fields ?? {}) };
  const squatter = await squat(target, 'listener');
  const locks = new InstanceLocks(dir, undefined, logger);
  try {
    assert.equal(await codeOf(locks.hold([target])), 'held', 'the squatter does not block the group');
    assert.equal(warnings.length, 1, 'the squatter is named in a warning');
    assert.equal(warnings[0]?.['uid'], 65534);
    assert.equal(warnings[0]?.['pid'], squatter.pid);
    // The state directory's lock still keeps a second carpd of the same directory out.
    assert.equal(await codeOf(new InstanceLocks(dir).hold([target])), 'CARPD_ALREADY_RUNNING');
  } finally {
    locks.releaseAll();
    squatter.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock name held by root (or carpd\'s own user) is another carpd: CARPD_ALREADY_RUNNING, as before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-lock-'));
  const other = mkdtempSync(join(tmpdir(), 'carpd-lock-'));
  const target = { interface: `ow${process.pid % 10000}`, vhid: 3 };
  const first = new InstanceLocks(dir);
  const peers: string[] = [];
  const binding = { ...loadNativeBinding(), abstractSocketPeer: (name: string) => (peers.push(name), loadNativeBinding().abstractSocketPeer(name)) };
  try {
    await first.hold([target]);
    assert.equal(await codeOf(new InstanceLocks(other, binding).hold([target])), 'CARPD_ALREADY_RUNNING');
    assert.deepEqual(peers, [`carpd/${target.interface}/vhid${target.vhid}`], 'the holder was asked who it is');
  } finally {
    first.releaseAll();
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});

test('a name bound by a socket that accepts no connection (nobody\'s socket that never listens) is not a carpd either', { skip: squatSkip ?? noPython ?? false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-lock-'));
  const target = { interface: `sd${process.pid % 10000}`, vhid: 4 };
  const warnings: Record<string, unknown>[] = [];
  const logger = { ...silentLogger, warn: (_: string, fields?: Record<string, unknown>) => void warnings.push(fields ?? {}) };
  const squatter = await squat(target, 'bound');
  const locks = new InstanceLocks(dir, undefined, logger);
  try {
    assert.equal(await codeOf(locks.hold([target])), 'held');
    assert.equal(warnings[0]?.['holder'], 'not listening');
  } finally {
    locks.releaseAll();
    squatter.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
