import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGroupKey } from '../../src/daemon/read-passphrase.ts';
import { MemoryLogger, silentLogger } from '../../src/ports/logger.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

test('a CARP passphrase becomes the zero-padded 20-byte key from every source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-pass-'));
  try {
    const path = join(dir, 'pass');
    writeFileSync(path, 'secret\nsecond line\n');
    chmodSync(path, 0o644);
    const logger = new MemoryLogger();
    const fromFile = readGroupKey({ kind: 'file', path }, logger);
    const expected = new Uint8Array(20);
    expected.set(bytes('secret'));
    assert.deepEqual(fromFile, expected);
    assert.equal(logger.records.filter((r) => r.level === 'warn').length, 1, 'a world-readable file draws one warning');
    assert.deepEqual(readGroupKey({ kind: 'inline', value: 'secret' }, silentLogger), expected);
    process.env.CARPD_TEST_PASS = 'secret';
    assert.deepEqual(readGroupKey({ kind: 'env', variable: 'CARPD_TEST_PASS' }, silentLogger), expected);
  } finally {
    delete process.env.CARPD_TEST_PASS;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a VRRPv2 password is its bytes, unpadded, at most 8', () => {
  assert.deepEqual(readGroupKey({ kind: 'inline', value: 'pw' }, silentLogger, 'vrrp2-password'), bytes('pw'));
  assert.throws(() => readGroupKey({ kind: 'inline', value: 'ninebytes' }, silentLogger, 'vrrp2-password'), (error: Error) => error.message.includes('9') && !error.message.includes('ninebytes'));
  assert.throws(() => readGroupKey({ kind: 'inline', value: '' }, silentLogger, 'vrrp2-password'));
  assert.throws(() => readGroupKey({ kind: 'none' }, silentLogger, 'vrrp2-password'));
});

test('a bad source is refused naming the source, never the secret', () => {
  const longPass = 'x'.repeat(20);
  assert.throws(() => readGroupKey({ kind: 'inline', value: longPass }, silentLogger), (error: Error) => !error.message.includes(longPass));
  assert.throws(() => readGroupKey({ kind: 'env', variable: 'CARPD_TEST_UNSET_VARIABLE' }, silentLogger), /CARPD_TEST_UNSET_VARIABLE/);
  assert.throws(() => readGroupKey({ kind: 'env', variable: 'CARPD_TEST_UNSET_VARIABLE' }, silentLogger, 'vrrp2-password'), /CARPD_TEST_UNSET_VARIABLE/);
  assert.throws(() => readGroupKey({ kind: 'file', path: '/nonexistent/carpd-pass' }, silentLogger), /\/nonexistent\/carpd-pass: ENOENT/);
  assert.throws(() => readGroupKey({ kind: 'file', path: '/nonexistent/carpd-pass' }, silentLogger, 'vrrp2-password'), /\/nonexistent\/carpd-pass: ENOENT/);
});
