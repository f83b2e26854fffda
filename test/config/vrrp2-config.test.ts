// VRRPv2 groups in the configuration (issue 21 item 4): vrrp_version, whole-second intervals,
// IPv4 only, auth_type and the simple password (8 bytes, the clear-text warning), the keys a
// VRRPv3 group still refuses, the flags, and the normalised render. Codes and paths, not prose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfigFile, parseConfigText, type ConfigResult } from '../../src/config/config-file.ts';
import { renderNormalisedConfig } from '../../src/config/config-render.ts';
import { configFromDaemonOptions } from '../../src/config/flags-to-config.ts';
import { parseDaemonOptions } from '../../src/config/daemon-options.ts';
import type { GroupConfig } from '../../src/config/config-types.ts';
import { view, type GroupView } from './group-view.ts';

const env = { V2_PASS: 'envpass', LONG: 'nine-byte' };
const v2 = (extra: Record<string, unknown> = {}) => ({ protocol: 'vrrp', vrrp_version: 2, interface: 'eth0', vrid: 51, addresses: ['192.0.2.51/24'], ...extra });
const groups = (...gs: Record<string, unknown>[]) => stringify({ groups: gs });

function only(result: ConfigResult): GroupView {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.errors)}`);
  assert.equal(result.config.groups.length, 1);
  return view(result.config.groups[0] as GroupConfig);
}

function errors(result: ConfigResult): string[] {
  assert.ok(!result.ok, 'expected errors');
  return result.errors.map((e) => `${e.code} ${e.path}`);
}

function warnings(result: ConfigResult): string[] {
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.errors));
  return result.warnings.map((w) => `${w.code} ${w.path}`);
}

test('ok, a VRRPv2 group without a password: version 2, auth none, 1 s', () => {
  const g = only(parseConfigText(groups(v2()), { env }));
  assert.equal(g.protocol, 'vrrp');
  assert.deepEqual(g.vrrp, { priority: 100, advertIntervalCentis: 100, acceptMode: false, checksumMode: 'compatible', version: 2, authType: 'none' });
  assert.deepEqual(g.passphrase, { kind: 'none' });
});

test('ok, passphrase_env is the simple password (auth_type pass by default), with the clear-text warning', () => {
  const result = parseConfigText(groups(v2({ passphrase_env: 'V2_PASS', advert_interval: 5 })), { env });
  const g = only(result);
  assert.deepEqual(g.passphrase, { kind: 'env', variable: 'V2_PASS' });
  assert.equal(g.vrrp?.authType, 'pass');
  assert.equal(g.vrrp?.advertIntervalCentis, 500);
  assert.deepEqual(warnings(result), ['CARPD_CONFIG_VRRP2_CLEARTEXT groups[0].passphrase_env']);
});

test('ok, vrrp_version 3 is the default: a VRRP group reads as before (no version key in its block)', () => {
  const g = only(parseConfigText(groups({ ...v2(), vrrp_version: 3 }), { env }));
  assert.deepEqual(g.vrrp, { priority: 100, advertIntervalCentis: 100, acceptMode: false, checksumMode: 'compatible' });
});

test('bad, VRRPv2 config errors by code and path', () => {
  const cases: { name: string; group: Record<string, unknown>; want: string[] }[] = [
    { name: 'an IPv6 address', group: v2({ addresses: ['2001:db8::51/64'] }), want: ['CARPD_CONFIG_VRRP2_IPV4_ONLY groups[0].addresses[0]'] },
    { name: 'a fractional interval', group: v2({ advert_interval: 1.5 }), want: ['CARPD_CONFIG_VRRP2_WHOLE_SECONDS groups[0].advert_interval'] },
    { name: 'an interval of 256 s', group: v2({ advert_interval: 256 }), want: ['CARPD_CONFIG_RANGE groups[0].advert_interval'] },
    { name: 'auth_type ah', group: v2({ auth_type: 'ah', passphrase: 'pw' }), want: ['CARPD_CONFIG_VRRP2_AH groups[0].auth_type'] },
    { name: 'auth_type pass without a password', group: v2({ auth_type: 'pass' }), want: ['CARPD_CONFIG_VRRP2_PASS_NEEDS_PASSPHRASE groups[0].auth_type'] },
    { name: 'a 9-byte password', group: v2({ passphrase: '123456789' }), want: ['CARPD_CONFIG_VRRP2_PASSWORD_TOO_LONG groups[0].passphrase'] },
    { name: 'a 9-byte password from the environment', group: v2({ passphrase_env: 'LONG' }), want: ['CARPD_CONFIG_VRRP2_PASSWORD_TOO_LONG groups[0].passphrase_env'] },
    { name: 'two password sources', group: v2({ passphrase: 'a', passphrase_env: 'V2_PASS' }), want: ['CARPD_CONFIG_PASSPHRASE_CONFLICT groups[0].passphrase_env'] },
    { name: 'a VRRPv3 group with a passphrase', group: v2({ vrrp_version: 3, passphrase: 'pw' }), want: ['CARPD_CONFIG_NOT_FOR_VRRP groups[0].passphrase'] },
    { name: 'a VRRPv3 group with auth_type', group: v2({ vrrp_version: 3, auth_type: 'pass' }), want: ['CARPD_CONFIG_NOT_FOR_VRRP groups[0].auth_type'] },
    { name: 'a CARP group with vrrp_version', group: { interface: 'eth0', vhid: 1, addresses: ['192.0.2.1/24'], passphrase: 'x', vrrp_version: 2 }, want: ['CARPD_CONFIG_NOT_FOR_CARP groups[0].vrrp_version'] },
    { name: 'vrrp_version 4', group: v2({ vrrp_version: 4 }), want: ['CARPD_CONFIG_ENUM groups[0].vrrp_version'] },
  ];
  for (const c of cases) assert.deepEqual(errors(parseConfigText(groups(c.group), { env })), c.want, c.name);
});

test('ok, VRRPv3 keeps its centisecond range: 100 s is still out of range there, and 0.5 s still fine', () => {
  assert.deepEqual(errors(parseConfigText(groups(v2({ vrrp_version: 3, advert_interval: 100 })), { env })), ['CARPD_CONFIG_RANGE groups[0].advert_interval']);
  assert.equal(only(parseConfigText(groups(v2({ vrrp_version: 3, advert_interval: 0.5 })), { env })).vrrp?.advertIntervalCentis, 50);
});

test('ok, a passphrase in defaults serves CARP groups and is left out of VRRP groups: a CARP secret never goes on the wire in clear', () => {
  const text = stringify({
    defaults: { passphrase_env: 'V2_PASS' },
    groups: [{ interface: 'eth0', vhid: 1, addresses: ['192.0.2.1/24'] }, v2(), { protocol: 'vrrp', interface: 'eth0', vrid: 9, addresses: ['192.0.2.9/24'] }],
  });
  const result = parseConfigText(text, { env });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  assert.deepEqual(result.config.groups.map((g) => g.passphrase.kind), ['env', 'none', 'none']);
  assert.equal(view(result.config.groups[1])?.vrrp?.authType, 'none');
});

test('bad, a passphrase_file over 8 bytes is caught at load time; ok under 8 with a warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-v2-'));
  try {
    const long = join(dir, 'long');
    const short = join(dir, 'short');
    writeFileSync(long, 'abcdefghij\n', { mode: 0o600 });
    writeFileSync(short, 'secret\n', { mode: 0o600 });
    const bad = await loadConfigFile(writeConfig(dir, 'bad.yaml', groups(v2({ passphrase_file: long }))), env);
    assert.ok(!bad.ok);
    assert.deepEqual(bad.errors.map((e) => `${e.code} ${e.path}`), ['CARPD_CONFIG_VRRP2_PASSWORD_TOO_LONG groups[0].passphrase_file']);
    const good = await loadConfigFile(writeConfig(dir, 'good.yaml', groups(v2({ passphrase_file: short }))), env);
    assert.ok(good.ok);
    assert.deepEqual(good.warnings.map((w) => w.code), ['CARPD_CONFIG_VRRP2_CLEARTEXT']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function writeConfig(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('ok, the normalised render of a VRRPv2 group reads back to the same group', () => {
  const first = parseConfigText(groups(v2({ passphrase_env: 'V2_PASS', advert_interval: 2, priority: 150 })), { env });
  assert.ok(first.ok);
  const again = parseConfigText(renderNormalisedConfig(first.config), { env });
  assert.ok(again.ok, JSON.stringify(!again.ok && again.errors));
  assert.deepEqual(again.config.groups, first.config.groups);
});

test('flags: --vrrp-version 2 with --pass and --auth-type, the same config as the file', () => {
  const parsed = parseDaemonOptions(['--protocol', 'vrrp', '--vrrp-version', '2', '--interface', 'eth0', '--vrid', '51', '--addr', '192.0.2.51/24', '--pass', 'secret', '--advert-interval', '3']);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
  const g = view(configFromDaemonOptions(parsed.options).groups[0]);
  assert.deepEqual(g?.vrrp, { priority: 100, advertIntervalCentis: 300, acceptMode: false, checksumMode: 'compatible', version: 2, authType: 'pass' });
  assert.deepEqual(g?.passphrase, { kind: 'inline', value: 'secret' });
});

test('flags: refused combinations, each an error naming its flag', () => {
  const base = ['--protocol', 'vrrp', '--interface', 'eth0', '--vrid', '51', '--addr', '192.0.2.51/24'];
  const cases: { args: string[]; flag: string }[] = [
    { args: [...base, '--pass', 'x'], flag: '--pass' },
    { args: [...base, '--auth-type', 'pass'], flag: '--auth-type' },
    { args: [...base, '--vrrp-version', '2', '--auth-type', 'ah'], flag: '--auth-type' },
    { args: [...base, '--vrrp-version', '2', '--auth-type', 'pass'], flag: '--auth-type' },
    { args: [...base, '--vrrp-version', '2', '--pass', '123456789'], flag: '--pass' },
    { args: [...base, '--vrrp-version', '2', '--advert-interval', '0.5'], flag: '--advert-interval' },
    { args: [...base, '--vrrp-version', '4'], flag: '--vrrp-version' },
    { args: ['--protocol', 'vrrp', '--vrrp-version', '2', '--interface', 'eth0', '--vrid', '51', '--addr', '2001:db8::51/64'], flag: '--addr' },
    { args: ['--interface', 'eth0', '--vhid', '1', '--addr', '192.0.2.1/24', '--pass', 'x', '--vrrp-version', '2'], flag: '--vrrp-version' },
  ];
  for (const c of cases) {
    const parsed = parseDaemonOptions(c.args);
    assert.ok(!parsed.ok, c.args.join(' '));
    assert.ok(parsed.errors.some((e) => e.startsWith(c.flag)), `${c.args.join(' ')}: ${parsed.errors.join('; ')}`);
  }
});

test('warning, checksum_mode has no effect in a VRRPv2 group', () => {
  assert.deepEqual(warnings(parseConfigText(groups(v2({ checksum_mode: 'strict' })), { env })), ['CARPD_CONFIG_UNUSED_SETTING groups[0].checksum_mode']);
});
