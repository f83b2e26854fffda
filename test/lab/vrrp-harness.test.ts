/**
 * The pure parts of the VRRP interop harness (test/integration/vrrp-*.ts) that decide what the
 * lab tests run and expect: keepalived's config at its default version (VRRPv2, with and without
 * `auth_type PASS`), and the timer bounds of each version (RFC 3768 §6.1, RFC 5798 §6.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepalivedConfig, keepalivedVersion, type KeepalivedInstance } from '../integration/keepalived-peer.ts';
import { masterDownMs, skewTimeMs } from '../integration/vrrp-pair-scenario.ts';
import { expectedChecksumVariant } from '../integration/vrrp-capture.ts';
import { vrrpV2AuthType } from '../integration/vrrp-speaker.ts';

const BASE: KeepalivedInstance = { vrid: 21, addresses: ['198.51.100.21'], priority: 100, advertIntervalSeconds: 1 };

test('keepalived at its default version: no version line (it then speaks VRRPv2), whole-second advert_int', () => {
  const text = keepalivedConfig({ ...BASE, version: 'keepalived-default' }, '/n.sh');
  assert.doesNotMatch(text, /^\s*(version|vrrp_version)\b/m);
  assert.match(text, /^ {2}advert_int 1$/m);
  assert.doesNotMatch(text, /authentication/);
  assert.equal(keepalivedVersion({ ...BASE, version: 'keepalived-default' }), 2);
  assert.equal(keepalivedVersion(BASE), 3);
  assert.match(keepalivedConfig(BASE, '/n.sh'), /^ {2}version 3$/m);
});

test('keepalived auth_type PASS: the authentication block of its sample configs, VRRPv2 only, 1..8 bytes', () => {
  const text = keepalivedConfig({ ...BASE, version: 'keepalived-default', authPass: '1111' }, '/n.sh');
  assert.match(text, /^ {2}authentication \{\n {4}auth_type PASS\n {4}auth_pass 1111\n {2}\}$/m);
  assert.throws(() => keepalivedConfig({ ...BASE, authPass: '1111' }, '/n.sh'), /VRRPv2 only/);
  assert.throws(() => keepalivedConfig({ ...BASE, version: 'keepalived-default', authPass: '123456789' }, '/n.sh'), /1\.\.8 bytes/);
  assert.throws(() => keepalivedConfig({ ...BASE, version: 'keepalived-default', authPass: '' }, '/n.sh'), /1\.\.8 bytes/);
});

test('keepalived VRRPv2 advert_int: whole seconds 1..255; VRRPv3 keeps centiseconds', () => {
  for (const seconds of [0.5, 0, 256, 1.5]) {
    assert.throws(() => keepalivedConfig({ ...BASE, version: 'keepalived-default', advertIntervalSeconds: seconds }, '/n.sh'), /whole seconds/, String(seconds));
  }
  assert.match(keepalivedConfig({ ...BASE, version: 'keepalived-default', advertIntervalSeconds: 255 }, '/n.sh'), /advert_int 255$/m);
  assert.match(keepalivedConfig({ ...BASE, advertIntervalSeconds: 0.01 }, '/n.sh'), /advert_int 0\.01$/m);
});

test('timer bounds per version: VRRPv2 skew in seconds whatever the interval, VRRPv3 scaled by it', () => {
  const rows: { priority: number; intervalMs: number; version: 2 | 3; skew: number; down: number }[] = [
    // At 1 s both versions give the same numbers.
    { priority: 100, intervalMs: 1000, version: 2, skew: 609.375, down: 3609.375 },
    { priority: 100, intervalMs: 1000, version: 3, skew: 609.375, down: 3609.375 },
    { priority: 200, intervalMs: 1000, version: 2, skew: 218.75, down: 3218.75 },
    // Elsewhere they differ: v2's skew stays (256 − p)/256 s.
    { priority: 100, intervalMs: 3000, version: 2, skew: 609.375, down: 9609.375 },
    { priority: 100, intervalMs: 3000, version: 3, skew: 1828.125, down: 10828.125 },
    { priority: 255, intervalMs: 2000, version: 2, skew: 3.90625, down: 6003.90625 },
  ];
  for (const r of rows) {
    const what = JSON.stringify(r);
    assert.equal(skewTimeMs(r.priority, r.intervalMs, r.version), r.skew, what);
    assert.equal(masterDownMs(r.priority, r.intervalMs, r.version), r.down, what);
  }
  assert.equal(masterDownMs(100, 1000), masterDownMs(100, 1000, 3), 'VRRPv3 is the default');
});

test('what a VRRPv2 advert must carry: auth type 0 or 1, the checksum over the message alone', () => {
  assert.equal(vrrpV2AuthType(undefined), 0);
  assert.equal(vrrpV2AuthType({ type: 'none' }), 0);
  assert.equal(vrrpV2AuthType({ type: 'pass', password: 'x' }), 1);
  assert.equal(expectedChecksumVariant(2), 'no-pseudo-header');
  assert.equal(expectedChecksumVariant(3), 'pseudo-header');
});
