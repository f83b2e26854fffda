/** The instance locks: per group, all-or-nothing, released by close or by the process's end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstanceLocks, lockPath } from '../../src/daemon/instance-lock.ts';
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
