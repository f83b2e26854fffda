// VRRP groups in the configuration (issue 12): every VRRP key valid and invalid (code, path and
// line, not prose), the defaults, the one-family rule, ids shared across groups, the defaults
// block serving both protocols, the flags checked as the file is, and the starter file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadConfigFile, parseConfigText, type ConfigResult } from '../../src/config/config-file.ts';
import { renderNormalisedConfig, starterConfig } from '../../src/config/config-render.ts';
import { configFromDaemonOptions } from '../../src/config/flags-to-config.ts';
import { parseDaemonOptions } from '../../src/config/daemon-options.ts';
import { CONFIG_ERROR_CODES } from '../../src/config/error-codes.ts';
import { CONFIG_DEFAULTS, type CarpdConfig, type GroupConfig } from '../../src/config/config-types.ts';
import { carpGroup, view, views, type GroupView } from './group-view.ts';

const env = { CARP_PASS: 'from-env' };
const carp = (extra: Record<string, unknown> = {}) => ({ interface: 'eth0', vhid: 1, addresses: ['192.0.2.10/24'], passphrase: 'secret', ...extra });
const vrrp = (extra: Record<string, unknown> = {}) => ({ protocol: 'vrrp', interface: 'eth0', vrid: 7, addresses: ['192.0.2.70/24'], ...extra });
const groups = (...gs: Record<string, unknown>[]) => stringify({ groups: gs });
const withDefaults = (defaults: Record<string, unknown>, ...gs: Record<string, unknown>[]) => stringify({ defaults, groups: gs });

function ok(result: ConfigResult): CarpdConfig {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result.config;
}

function only(result: ConfigResult): GroupView {
  const config = ok(result);
  assert.equal(config.groups.length, 1);
  return view(config.groups[0] as GroupConfig);
}

/**
 * The line a problem at `path` should point at in a file written by yaml's stringify: the key's
 * line in its group (or in defaults), a list item's own line, and the group's first line for a
 * key that is not written (a required one).
 */
function expectedLine(text: string, path: string): number {
  const lines = text.split('\n');
  const segments = [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] as string)));
  let start: number;
  let rest: (string | number)[];
  if (segments[0] === 'defaults') {
    start = lines.indexOf('defaults:');
    rest = segments.slice(1);
  } else {
    const groupStarts = lines.flatMap((line, i) => (line.startsWith('  - ') ? [i] : []));
    start = groupStarts[segments[1] as number] as number;
    rest = segments.slice(2);
  }
  const [key, index] = rest;
  if (typeof key !== 'string') return start + 1;
  let at = start;
  for (let i = start; i < lines.length; i++) {
    if (i > start && (/^ {2}- /.test(lines[i] as string) || /^\S/.test(lines[i] as string))) break;
    if (new RegExp(`^\\s*(- )?${key}:`).test(lines[i] as string)) {
      at = i;
      break;
    }
  }
  return (typeof index === 'number' ? at + 1 + index : at) + 1;
}

interface ErrorCase {
  readonly name: string;
  readonly text: string;
  readonly code: string;
  readonly path: string;
}

const CARP_ONLY: readonly [string, unknown][] = [
  ['passphrase', 'secret'],
  ['passphrase_file', '/etc/carpd/p'],
  ['passphrase_env', 'CARP_PASS'],
  ['advbase', 1],
  ['advskew', 100],
  ['replay', 'compat'],
  ['master_down', 'freebsd'],
  ['dead_ratio', 3],
  ['key_change_window', 600],
];
const VRRP_ONLY: readonly [string, unknown][] = [
  ['vrid', 1],
  ['priority', 100],
  ['advert_interval', 1],
  ['accept_mode', true],
  ['checksum_mode', 'strict'],
];

const errorCases: ErrorCase[] = [
  { name: 'protocol that is not one', text: groups(carp({ protocol: 'vrrpv3' })), code: 'CARPD_CONFIG_ENUM', path: 'groups[0].protocol' },
  { name: 'protocol in defaults that is not one', text: withDefaults({ protocol: 'ospf' }, carp()), code: 'CARPD_CONFIG_ENUM', path: 'defaults.protocol' },
  { name: 'vrid 0', text: groups(vrrp({ vrid: 0 })), code: 'CARPD_CONFIG_RANGE', path: 'groups[0].vrid' },
  { name: 'vrid 256', text: groups(vrrp({ vrid: 256 })), code: 'CARPD_CONFIG_RANGE', path: 'groups[0].vrid' },
  { name: 'vrid as a string', text: groups(vrrp({ vrid: '7' })), code: 'CARPD_CONFIG_TYPE', path: 'groups[0].vrid' },
  { name: 'vhid 256 in a VRRP group', text: groups(vrrp({ vrid: undefined, vhid: 256 })), code: 'CARPD_CONFIG_RANGE', path: 'groups[0].vhid' },
  { name: 'vhid and vrid both', text: groups(vrrp({ vhid: 7 })), code: 'CARPD_CONFIG_ALIAS_CONFLICT', path: 'groups[0].vrid' },
  { name: 'no id at all', text: groups(vrrp({ vrid: undefined })), code: 'CARPD_CONFIG_REQUIRED', path: 'groups[0].vhid' },
  { name: 'priority 0 (only sent, to resign)', text: groups(vrrp({ priority: 0 })), code: 'CARPD_CONFIG_RANGE', path: 'groups[0].priority' },
  { name: 'priority 256', text: groups(vrrp({ priority: 256 })), code: 'CARPD_CONFIG_RANGE', path: 'groups[0].priority' },
  { name: 'priority 1.5', text: groups(vrrp({ priority: 1.5 })), code: 'CARPD_CONFIG_TYPE', path: 'groups[0].priority' },
  { name: 'priority as a string', text: groups(vrrp({ priority: 'high' })), code: 'CARPD_CONFIG_TYPE', path: 'groups[0].priority' },
  { name: 'advert_interval 0', text: groups(vrrp({ advert_interval: 0 })), code: 'CARPD_CONFIG_RANGE', path: 'groups[0].advert_interval' },
  { name: 'advert_interval 0.005 (below a centisecond)', text: groups(vrrp({ advert_interval: 0.005 })), code: 'CARPD_CONFIG_RANGE', path: 'groups[0].advert_interval' },
  { name: 'advert_interval 40.96 (over 12 bits)', text: groups(vrrp({ advert_interval: 40.96 })), code: 'CARPD_CONFIG_RANGE', path: 'groups[0].advert_interval' },
  { name: 'advert_interval -1', text: groups(vrrp({ advert_interval: -1 })), code: 'CARPD_CONFIG_RANGE', path: 'groups[0].advert_interval' },
  { name: 'advert_interval 0.015 (finer than a centisecond)', text: groups(vrrp({ advert_interval: 0.015 })), code: 'CARPD_CONFIG_RESOLUTION', path: 'groups[0].advert_interval' },
  { name: 'advert_interval 1.001', text: groups(vrrp({ advert_interval: 1.001 })), code: 'CARPD_CONFIG_RESOLUTION', path: 'groups[0].advert_interval' },
  { name: 'advert_interval as a string', text: groups(vrrp({ advert_interval: '1s' })), code: 'CARPD_CONFIG_TYPE', path: 'groups[0].advert_interval' },
  { name: 'accept_mode yes (a string in YAML 1.2)', text: groups(vrrp({ accept_mode: 'yes' })), code: 'CARPD_CONFIG_TYPE', path: 'groups[0].accept_mode' },
  { name: 'checksum_mode that is not one', text: groups(vrrp({ checksum_mode: 'loose' })), code: 'CARPD_CONFIG_ENUM', path: 'groups[0].checksum_mode' },
  { name: 'priority out of range in defaults', text: withDefaults({ priority: 300 }, carp()), code: 'CARPD_CONFIG_RANGE', path: 'defaults.priority' },
  { name: 'IPv4 and IPv6 in one VRRP group', text: groups(vrrp({ addresses: ['192.0.2.70/24', '2001:db8::70/64'] })), code: 'CARPD_CONFIG_VRRP_FAMILY', path: 'groups[0].addresses[1]' },
  { name: 'IPv6 first, then IPv4', text: groups(vrrp({ addresses: ['2001:db8::70', '2001:db8::71', '192.0.2.70'] })), code: 'CARPD_CONFIG_VRRP_FAMILY', path: 'groups[0].addresses[2]' },
  { name: 'an IPv6 source for an IPv4 VRRP group', text: groups(vrrp({ source_address: 'fe80::1' })), code: 'CARPD_CONFIG_SOURCE_FAMILY', path: 'groups[0].source_address' },
  { name: 'VRRP virtual interface over 15 bytes', text: groups(vrrp({ virtual_interface: 'vrrp-frontend-vip' })), code: 'CARPD_CONFIG_INTERFACE_NAME', path: 'groups[0].virtual_interface' },
  ...CARP_ONLY.map(([key, value]) => ({ name: `CARP's ${key} in a VRRP group`, text: groups(vrrp({ [key]: value })), code: 'CARPD_CONFIG_NOT_FOR_VRRP', path: `groups[0].${key}` })),
  ...VRRP_ONLY.map(([key, value]) => ({ name: `VRRP's ${key} in a CARP group`, text: groups(carp({ vhid: key === 'vrid' ? undefined : 1, [key]: value })), code: 'CARPD_CONFIG_NOT_FOR_CARP', path: `groups[0].${key}` })),
  { name: 'VRRP key in a group that says protocol: carp under a vrrp default', text: withDefaults({ protocol: 'vrrp' }, carp({ protocol: 'carp', priority: 5 })), code: 'CARPD_CONFIG_NOT_FOR_CARP', path: 'groups[0].priority' },
  { name: 'CARP key in a group made VRRP by defaults', text: withDefaults({ protocol: 'vrrp' }, vrrp({ protocol: undefined, advskew: 5 })), code: 'CARPD_CONFIG_NOT_FOR_VRRP', path: 'groups[0].advskew' },
  // Ids on one interface.
  { name: 'a CARP vhid that is a VRRP VRID on the interface', text: groups(vrrp({ vrid: 1 }), carp()), code: 'CARPD_CONFIG_DUPLICATE_VHID', path: 'groups[1].vhid' },
  { name: 'a VRRP VRID that is a CARP vhid on the interface', text: groups(carp(), vrrp({ vrid: 1 })), code: 'CARPD_CONFIG_DUPLICATE_VHID', path: 'groups[1].vrid' },
  { name: 'an IPv6 VRRP VRID that is a CARP vhid on the interface', text: groups(carp(), vrrp({ vrid: 1, addresses: ['2001:db8::70'] })), code: 'CARPD_CONFIG_DUPLICATE_VHID', path: 'groups[1].vrid' },
  { name: 'two IPv4 VRRP groups with one VRID', text: groups(vrrp(), vrrp({ name: 'b', addresses: ['192.0.2.71'], virtual_interface: 'vrrpb' })), code: 'CARPD_CONFIG_DUPLICATE_VHID', path: 'groups[1].vrid' },
  { name: 'two IPv6 VRRP groups with one VRID, written vhid', text: groups(vrrp({ addresses: ['2001:db8::70'] }), vrrp({ vrid: undefined, vhid: 7, name: 'b', addresses: ['2001:db8::71'], virtual_interface: 'vrrpb' })), code: 'CARPD_CONFIG_DUPLICATE_VHID', path: 'groups[1].vhid' },
  { name: 'one VRID, one family, on two interfaces: the default virtual interface collides', text: groups(vrrp(), vrrp({ interface: 'eth1', addresses: ['198.51.100.70'] })), code: 'CARPD_CONFIG_DUPLICATE_VIRTUAL_INTERFACE', path: 'groups[1].virtual_interface' },
  { name: 'an address in a CARP and a VRRP group', text: groups(carp(), vrrp({ addresses: ['192.0.2.10'] })), code: 'CARPD_CONFIG_DUPLICATE_ADDRESS', path: 'groups[1].addresses[0]' },
];

for (const c of errorCases) {
  test(`bad, ${c.name}`, () => {
    const result = parseConfigText(c.text, { env });
    assert.ok(!result.ok, `expected errors for ${c.name}`);
    const found = result.errors.find((e) => e.code === c.code && e.path === c.path);
    assert.ok(found, `expected ${c.code} at ${JSON.stringify(c.path)}, got ${JSON.stringify(result.errors.map((e) => [e.code, e.path]))}`);
    assert.equal(found.line, expectedLine(c.text, c.path), `line of ${c.path} in\n${c.text}`);
    for (const e of result.errors) assert.ok(e.code in CONFIG_ERROR_CODES, `${e.code} is not catalogued`);
  });
}

test('a key of the other protocol is the only error: the rest of the group is still checked, nothing echoed', () => {
  const result = parseConfigText(groups(vrrp({ advskew: 100, advbase: 2, priority: 300 })), { env });
  assert.ok(!result.ok);
  assert.deepEqual(result.errors.map((e) => [e.code, e.path]), [
    ['CARPD_CONFIG_NOT_FOR_VRRP', 'groups[0].advskew'],
    ['CARPD_CONFIG_NOT_FOR_VRRP', 'groups[0].advbase'],
    ['CARPD_CONFIG_RANGE', 'groups[0].priority'],
  ]);
  // A passphrase given to a VRRP group is not quoted either.
  const secret = parseConfigText(groups(vrrp({ passphrase: 'hunter2-secret' })), { env });
  assert.ok(!secret.ok && !JSON.stringify(secret.errors).includes('hunter2-secret'));
});

test('the one message test for the protocol rule: the key, the protocol and what to use instead', () => {
  const result = parseConfigText(groups(vrrp({ advskew: 100 })), { env });
  assert.ok(!result.ok);
  assert.equal(result.errors[0]?.message, "groups[0].advskew: advskew is CARP's; a VRRP group (protocol: vrrp) uses priority (1..255, the higher wins)");
});

test('ok, minimal IPv4 VRRP group: every default filled in', () => {
  const g = only(parseConfigText(groups(vrrp()), { env }));
  assert.equal(g.protocol, 'vrrp');
  assert.deepEqual(g.vrrp, { priority: 100, advertIntervalCentis: 100, acceptMode: false, checksumMode: 'compatible' });
  const { preempt, ...block } = CONFIG_DEFAULTS.vrrp;
  assert.deepEqual(g.vrrp, block);
  assert.equal(preempt, true);
  assert.equal(g.vhid, 7);
  assert.equal(g.name, 'eth0/vrid7');
  assert.equal(g.virtualInterface, 'vrrp7');
  assert.equal(g.preempt, true, 'RFC 5798 Preempt_Mode defaults to true');
  assert.deepEqual(g.passphrase, { kind: 'none' });
  assert.equal(g.vmac, true);
  assert.equal(g.manageAddresses, true);
  assert.equal(g.keyChangeWindowSeconds, undefined);
  // A VRRP group has none of CARP's fields (GroupConfig is a union by protocol: no inert settings).
  for (const key of ['advbase', 'advskew', 'masterDown', 'deadRatio', 'replay', 'keyChangeWindowSeconds']) assert.equal(key in g, false, key);
});

test('ok, IPv6 VRRP group: the name and the virtual interface say so', () => {
  const g = only(parseConfigText(groups(vrrp({ vrid: 255, addresses: ['2001:db8::70/64', '2001:db8::71'] })), { env }));
  assert.equal(g.name, 'eth0/vrid255v6');
  assert.equal(g.virtualInterface, 'vrrp6-255');
  assert.ok(Buffer.byteLength(g.virtualInterface) <= 15);
});

test('ok, every VRRP key set; vhid is the same key as vrid; the owner priority 255 is accepted', () => {
  const g = only(
    parseConfigText(
      groups(vrrp({ vrid: undefined, vhid: 9, priority: 255, advert_interval: 0.29, preempt: false, checksum_mode: 'strict', peers: ['192.0.2.3'], unicast_ttl: 'any', preempt_delay: 30, sync_set: undefined })),
      { env },
    ),
  );
  assert.equal(g.vhid, 9);
  assert.deepEqual(g.vrrp, { priority: 255, advertIntervalCentis: 29, acceptMode: false, checksumMode: 'strict' });
  assert.equal(g.preempt, false);
  assert.deepEqual(g.peers.map((p) => p.text), ['192.0.2.3']);
  assert.equal(g.unicastTtl, 'any');
  assert.equal(g.preemptDelaySeconds, 30);
});

test('ok, the keys both protocols have apply to a VRRP group', () => {
  const g = only(
    parseConfigText(
      groups(
        vrrp({
          name: 'edge-v4',
          source_address: '192.0.2.2',
          vmac: false,
          manage_addresses: false,
          virtual_interface: 'vr7',
          scripts: { master: '/etc/carpd/up', style: 'ucarp' },
          announce: { interval_seconds: 10, router: true },
          track: { interfaces: ['eth1'], checks: [{ name: 'web', tcp: '127.0.0.1:80', weight: 60 }] },
          accept_mode: true,
        }),
      ),
      { env },
    ),
  );
  assert.equal(g.name, 'edge-v4');
  assert.equal(g.sourceAddress?.text, '192.0.2.2');
  assert.deepEqual([g.vmac, g.manageAddresses, g.virtualInterface], [false, false, 'vr7']);
  assert.equal(g.scripts.master, '/etc/carpd/up');
  assert.deepEqual(g.announce, { intervalSeconds: 10, router: true });
  assert.deepEqual(g.track.interfaces, [{ interface: 'eth1', weight: 50 }]);
  assert.equal(g.track.checks[0]?.weight, 60);
  assert.equal(g.vrrp?.acceptMode, true);
});

test('CARP groups are as before: no protocol field, preempt still off by default', () => {
  const g = only(parseConfigText(groups(carp()), { env }));
  assert.equal(g.protocol, undefined);
  assert.equal(g.vrrp, undefined);
  assert.equal(g.preempt, false);
  assert.equal(g.name, 'eth0/vhid1');
  const explicit = only(parseConfigText(groups(carp({ protocol: 'carp' })), { env }));
  assert.deepEqual(explicit, g);
});

test('one defaults block serves both protocols: keys of the other protocol are left out, not errors', () => {
  const defaults = {
    passphrase_env: 'CARP_PASS',
    advbase: 2,
    advskew: 50,
    replay: 'compat',
    master_down: 'freebsd',
    key_change_window: 60,
    priority: 150,
    advert_interval: 0.5,
    accept_mode: true,
    checksum_mode: 'strict',
    preempt_delay: 20,
    announce: { interval_seconds: 15 },
  };
  const result = parseConfigText(withDefaults(defaults, carp({ passphrase: undefined }), vrrp()), { env });
  const config = ok(result);
  assert.deepEqual(result.ok && result.warnings, []);
  const [c, v] = [carpGroup(config.groups[0] as GroupConfig), view(config.groups[1] as GroupConfig)];
  assert.deepEqual(c.passphrase, { kind: 'env', variable: 'CARP_PASS' });
  assert.deepEqual([c.advbase, c.advskew, c.replay.mode, c.masterDown, c.keyChangeWindowSeconds], [2, 50, 'compat', 'freebsd', 60]);
  assert.equal(c.vrrp, undefined);
  assert.deepEqual(v.vrrp, { priority: 150, advertIntervalCentis: 50, acceptMode: true, checksumMode: 'strict' });
  assert.deepEqual(v.passphrase, { kind: 'none' });
  // The defaults' CARP keys are left out of the VRRP group: it has no CARP field at all.
  for (const key of ['advbase', 'advskew', 'replay', 'masterDown', 'keyChangeWindowSeconds']) assert.equal(key in v, false, key);
  for (const g of [c, v]) {
    assert.equal(g.preemptDelaySeconds, 20, 'a key both have applies to both');
    assert.equal(g.announce.intervalSeconds, 15);
  }
});

test('defaults may set protocol; a group says protocol: carp to be CARP; a default vrid is replaced by the own vhid', () => {
  const config = ok(parseConfigText(withDefaults({ protocol: 'vrrp', vrid: 9, passphrase: 'secret' }, vrrp({ protocol: undefined, vrid: undefined }), carp({ protocol: 'carp', passphrase: undefined, vhid: 3 })), { env }));
  const [v, c] = views(config.groups) as [GroupView, GroupView];
  assert.deepEqual([v.protocol, v.vhid, v.passphrase], ['vrrp', 9, { kind: 'none' }]);
  assert.deepEqual([c.protocol, c.vhid, c.passphrase], [undefined, 3, { kind: 'inline', value: 'secret' }]);
  // A group's own vhid replaces a default vrid rather than conflicting with it.
  const own = only(parseConfigText(withDefaults({ vrid: 9 }, vrrp({ vrid: undefined, vhid: 4 })), { env }));
  assert.equal(own.vhid, 4);
});

test('ids across groups: what may share a VRID and what may not', () => {
  // IPv4 and IPv6 VRRP groups with one VRID on one interface: two virtual routers.
  const dual = ok(parseConfigText(groups(vrrp(), vrrp({ addresses: ['2001:db8::70/64'] })), { env }));
  assert.deepEqual(dual.groups.map((g) => [g.name, g.virtualInterface]), [
    ['eth0/vrid7', 'vrrp7'],
    ['eth0/vrid7v6', 'vrrp6-7'],
  ]);
  // The same id on two interfaces is fine for CARP and VRRP alike (its own virtual interface each).
  ok(parseConfigText(groups(carp({ vhid: 7 }), vrrp({ interface: 'eth1', addresses: ['198.51.100.70'] })), { env }));
  // Distinct ids on one interface: CARP vhid 1 and VRRP VRIDs 2 (IPv4 and IPv6).
  ok(parseConfigText(groups(carp(), vrrp({ vrid: 2 }), vrrp({ vrid: 2, addresses: ['2001:db8::70'] })), { env }));
  // The message says why CARP and VRRP need distinct ids.
  const clash = parseConfigText(groups(carp({ vhid: 7 }), vrrp()), { env });
  assert.ok(!clash.ok);
  assert.match(clash.errors[0]?.message ?? '', /protocol 112/);
});

test('warnings: accept_mode for the owner, checksum_mode for IPv6', () => {
  const owner = parseConfigText(groups(vrrp({ priority: 255, accept_mode: true }), vrrp({ vrid: 8, addresses: ['2001:db8::80'], checksum_mode: 'strict' })), { env });
  assert.ok(owner.ok, JSON.stringify(!owner.ok && owner.errors));
  assert.deepEqual(owner.warnings.map((w) => [w.code, w.path]), [
    ['CARPD_CONFIG_UNUSED_SETTING', 'groups[0].accept_mode'],
    ['CARPD_CONFIG_UNUSED_SETTING', 'groups[1].checksum_mode'],
  ]);
});

test('loadConfigFile: a VRRP group reads no passphrase file, not even the defaults\' one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-vrrp-'));
  try {
    const file = join(dir, 'carpd.yaml');
    writeFileSync(file, withDefaults({ passphrase_file: join(dir, 'missing.pass') }, vrrp()));
    const quiet = await loadConfigFile(file, env, { missingPassphraseFileIsError: true });
    assert.ok(quiet.ok, JSON.stringify(!quiet.ok && quiet.errors));
    assert.deepEqual(quiet.warnings, []);
    // Its own passphrase_file is one error, the protocol's, not a second about the file.
    const text = groups(vrrp({ passphrase_file: join(dir, 'missing.pass') }));
    writeFileSync(file, text);
    const own = await loadConfigFile(file, env, { missingPassphraseFileIsError: true });
    assert.ok(!own.ok);
    assert.deepEqual(own.errors.map((e) => [e.code, e.path, e.line]), [['CARPD_CONFIG_NOT_FOR_VRRP', 'groups[0].passphrase_file', expectedLine(text, 'groups[0].passphrase_file')]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the normalised render: VRRP keys for VRRP groups, CARP keys for CARP groups, and it parses back the same', () => {
  const text = groups(
    carp({ key_change_window: 60, passphrase: undefined, passphrase_env: 'CARP_PASS' }),
    vrrp({ priority: 200, advert_interval: 0.07, accept_mode: true, checksum_mode: 'strict', preempt: false, preempt_delay: 5, peers: ['192.0.2.3'] }),
    vrrp({ vrid: 7, addresses: ['2001:db8::70/64'], name: 'v6' }),
  );
  const config = ok(parseConfigText(text, { env }));
  const rendered = renderNormalisedConfig(config);
  const [, carpText = '', vrrpText = ''] = rendered.split('\n  - ');
  for (const key of ['vrid', 'priority', 'advert_interval', 'accept_mode', 'checksum_mode']) assert.doesNotMatch(carpText, new RegExp(`^\\s*${key}:`, 'm'), key);
  for (const key of ['vhid', 'passphrase', 'passphrase_env', 'advbase', 'advskew', 'replay', 'master_down', 'dead_ratio', 'key_change_window']) assert.doesNotMatch(vrrpText, new RegExp(`^\\s*${key}:`, 'm'), key);
  assert.match(carpText, /^\s*protocol: carp$/m);
  assert.match(vrrpText, /^\s*protocol: vrrp$/m);
  assert.match(vrrpText, /^\s*advert_interval: 0\.07$/m);
  assert.deepEqual(ok(parseConfigText(rendered, { env })), config);
});

test('property: every centisecond interval is accepted exactly; a finer one never', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4095 }), fc.integer({ min: 1, max: 9 }), (centis, tenth) => {
      const exact = only(parseConfigText(groups(vrrp({ advert_interval: centis / 100 })), { env }));
      assert.equal(exact.vrrp?.advertIntervalCentis, centis);
      const finer = (centis * 10 + tenth) / 1000;
      if (finer > 40.95) return;
      const result = parseConfigText(groups(vrrp({ advert_interval: finer })), { env });
      assert.ok(!result.ok && result.errors.some((e) => e.code === 'CARPD_CONFIG_RESOLUTION'), `${finer}`);
    }),
    { numRuns: 200 },
  );
});

// ---- The flags: the same checks and words as the file.

const vrrpFlags = ['--protocol', 'vrrp', '-i', 'eth0', '--vrid', '7', '-a', '192.0.2.70/24'];

function flagConfig(args: string[]): CarpdConfig {
  const parsed = parseDaemonOptions(args);
  if (!parsed.ok) assert.fail(`expected ok, got ${JSON.stringify(parsed.errors)}`);
  return configFromDaemonOptions(parsed.options);
}

function flagErrors(args: string[]): readonly string[] {
  const parsed = parseDaemonOptions(args);
  assert.ok(!parsed.ok, `expected errors for ${args.join(' ')}`);
  return parsed.errors;
}

const parityCases: { name: string; flags: string[]; yaml: Record<string, unknown> }[] = [
  { name: 'defaults', flags: vrrpFlags, yaml: vrrp() },
  { name: '--vhid for the VRID', flags: ['--protocol', 'vrrp', '-i', 'eth0', '--vhid', '7', '-a', '192.0.2.70/24'], yaml: vrrp() },
  {
    name: 'every VRRP flag',
    flags: [...vrrpFlags, '--priority', '200', '--advert-interval', '0.29', '--accept-mode', '--checksum-mode', 'strict', '--no-preempt', '--preempt-delay', '30'],
    yaml: vrrp({ priority: 200, advert_interval: 0.29, accept_mode: true, checksum_mode: 'strict', preempt: false, preempt_delay: 30 }),
  },
  { name: '--preempt (already the default)', flags: [...vrrpFlags, '--preempt'], yaml: vrrp({ preempt: true }) },
  { name: 'IPv6', flags: ['--protocol', 'vrrp', '-i', 'eth0', '--vrid', '7', '-a', '2001:db8::70/64'], yaml: vrrp({ addresses: ['2001:db8::70/64'] }) },
  { name: 'common flags', flags: [...vrrpFlags, '--srcip', '192.0.2.2', '--no-vmac', '--vif-name', 'vr7', '-m', '/up', '-b', '/down'], yaml: vrrp({ source_address: '192.0.2.2', vmac: false, virtual_interface: 'vr7', scripts: { master: '/up', backup: '/down' } }) },
  { name: 'CARP with --no-preempt', flags: ['-i', 'eth0', '-v', '1', '-p', 'secret', '-a', '192.0.2.10/24', '--no-preempt'], yaml: carp({ preempt: false }) },
  { name: 'CARP with --protocol carp', flags: ['--protocol', 'carp', '-i', 'eth0', '-v', '1', '-p', 'secret', '-a', '192.0.2.10/24'], yaml: carp() },
];

for (const c of parityCases) {
  test(`flags and file give the same config: ${c.name}`, () => {
    assert.deepEqual(flagConfig(c.flags), ok(parseConfigText(groups(c.yaml), { env })));
  });
}

/** A flag's message and the file's for the same value: the words after the flag or path are the same. */
const valueParity: { name: string; flag: [string, string]; key: [string, unknown]; extra?: string[] }[] = [
  { name: 'priority 300', flag: ['--priority', '300'], key: ['priority', 300] },
  { name: 'priority 0', flag: ['--priority', '0'], key: ['priority', 0] },
  { name: 'priority 1.5', flag: ['--priority', '1.5'], key: ['priority', 1.5] },
  { name: 'advert interval 0.015', flag: ['--advert-interval', '0.015'], key: ['advert_interval', 0.015] },
  { name: 'advert interval 41', flag: ['--advert-interval', '41'], key: ['advert_interval', 41] },
  { name: 'advert interval 0', flag: ['--advert-interval', '0'], key: ['advert_interval', 0] },
  { name: 'checksum mode', flag: ['--checksum-mode', 'loose'], key: ['checksum_mode', 'loose'] },
];

for (const c of valueParity) {
  test(`flags and file word a bad value alike: ${c.name}`, () => {
    const fileResult = parseConfigText(groups(vrrp({ [c.key[0]]: c.key[1] })), { env });
    assert.ok(!fileResult.ok);
    const fileDetail = fileResult.errors[0]?.message.replace(/^groups\[0\]\.[a-z_]+: /, '');
    const flagDetail = flagErrors([...vrrpFlags, ...c.flag])[0]?.replace(/^--[a-z-]+: /, '');
    assert.equal(flagDetail, fileDetail);
  });
}

test('flags and file word the family rule and the alias conflict alike', () => {
  const file = parseConfigText(groups(vrrp({ addresses: ['192.0.2.70', '2001:db8::70'] })), { env });
  assert.ok(!file.ok);
  assert.deepEqual(flagErrors([...vrrpFlags.slice(0, -2), '-a', '192.0.2.70', '-a', '2001:db8::70']), [`--addr: ${file.errors[0]?.message.replace(/^groups\[0\]\.addresses\[1\]: /, '')}`]);
  const both = parseConfigText(groups(vrrp({ vhid: 7 })), { env });
  assert.ok(!both.ok);
  const flags = flagErrors([...vrrpFlags, '--vhid', '7']);
  assert.equal(flags[0]?.replace(/--/g, ''), both.errors[0]?.message.replace(/^groups\[0\]\./, ''));
});

test('CARP flags with --protocol vrrp are usage errors that say what to use, and VRRP flags without it', () => {
  const carpOnly = [['--pass', 'x'], ['--passfile', '/p'], ['--advbase', '2'], ['--advskew', '5'], ['-k', '5'], ['-p', 'x'], ['--replay', 'compat'], ['--master-down', 'ucarp']];
  for (const flag of carpOnly) {
    const errors = flagErrors([...vrrpFlags, ...flag]);
    const long = { '-k': '--advskew', '-p': '--pass' }[flag[0] as string] ?? flag[0];
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.ok(errors[0]?.startsWith(`${long} is CARP's; a VRRP group (--protocol vrrp) `), errors[0]);
  }
  assert.match(flagErrors([...vrrpFlags, '--advskew', '5'])[0] ?? '', /uses --priority/);
  const carpFlags = ['-i', 'eth0', '-v', '1', '-p', 'secret', '-a', '192.0.2.10/24'];
  for (const flag of [['--priority', '5'], ['--advert-interval', '1'], ['--accept-mode'], ['--checksum-mode', 'strict']]) {
    const errors = flagErrors([...carpFlags, ...flag]);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.ok(errors[0]?.startsWith(`${flag[0]} is VRRP's; a CARP group (--protocol carp, the default) `), errors[0]);
  }
  assert.ok(flagErrors(['-i', 'eth0', '--vrid', '1', '-p', 'secret', '-a', '192.0.2.10/24']).some((e) => e.startsWith("--vrid is VRRP's")));
});

test('flags: VRRP needs no passphrase but an id; --preempt with --no-preempt; a protocol that is not one', () => {
  assert.deepEqual(flagConfig(vrrpFlags).groups[0]?.passphrase, { kind: 'none' });
  assert.deepEqual(flagErrors(['--protocol', 'vrrp', '-i', 'eth0', '-a', '192.0.2.70']), ['--vrid (or --vhid): required (1..255)']);
  assert.deepEqual(flagErrors([...vrrpFlags, '--preempt', '--no-preempt']), ['--preempt and --no-preempt: choose one']);
  assert.deepEqual(flagErrors([...vrrpFlags.slice(2), '--protocol', 'vrrpv3']), ['--protocol: "vrrpv3" is not one of carp, vrrp']);
  assert.equal(flagConfig(['-i', 'eth0', '-v', '1', '-p', 'secret', '-a', '192.0.2.10/24']).groups[0]?.preempt, false, 'CARP keeps its default');
});

test('property: --priority and priority accept and refuse the same values with the same words', () => {
  fc.assert(
    fc.property(fc.oneof(fc.integer({ min: -3, max: 300 }), fc.double({ min: 0, max: 300, noNaN: true })), (priority) => {
      const text = String(priority);
      fc.pre(/^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(text));
      const file = parseConfigText(groups(vrrp({ priority })), { env });
      const flags = parseDaemonOptions([...vrrpFlags, `--priority=${text}`]);
      assert.equal(flags.ok, file.ok, text);
      if (!file.ok && !flags.ok) assert.equal(flags.errors[0]?.replace(/^--priority: /, ''), file.errors[0]?.message.replace(/^groups\[0\]\.priority: /, ''));
    }),
    { numRuns: 200 },
  );
});

// ---- The starter file and the docs.

/** The starter file with its commented-out VRRP group switched on. */
function starterWithVrrp(): string {
  return starterConfig().replace(/^ {2}# (- | {2})/gm, '  $1');
}

test('--init: the starter file shows a VRRP group, and parses with it switched on', () => {
  const text = starterWithVrrp();
  assert.notEqual(text, starterConfig(), 'the VRRP group is there, commented out');
  const result = parseConfigText(text, { env: {} });
  const config = ok(result);
  assert.deepEqual(result.ok && result.warnings, []);
  const [c, v] = views(config.groups) as [GroupView, GroupView];
  assert.equal(c.protocol, undefined);
  assert.equal(v.protocol, 'vrrp');
  assert.deepEqual(v.vrrp, { priority: 100, advertIntervalCentis: 100, acceptMode: false, checksumMode: 'compatible' });
  assert.deepEqual(v.passphrase, { kind: 'none' }, "the defaults' passphrase_file is left out for it");
  // Every VRRP key is shown, each with its comment.
  for (const key of ['protocol', 'vrid', 'priority', 'advert_interval', 'preempt', 'accept_mode', 'checksum_mode']) {
    assert.match(starterConfig(), new RegExp(`^ {2}# (- | {2})${key}: \\S+ +# \\S`, 'm'), key);
  }
  assert.deepEqual(ok(parseConfigText(renderNormalisedConfig(config), { env: {} })), config);
});

test('docs/configuration.md: the VRRP example parses, with the names and interfaces the docs give', () => {
  const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
  const section = docs.slice(docs.indexOf('## VRRP groups'));
  const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(example);
  const result = parseConfigText(example, { env: { CARP_PASS: 'example-pass' } });
  const config = ok(result);
  assert.deepEqual(result.ok && result.warnings, []);
  assert.deepEqual(config.groups.map((g) => [g.name, g.protocol ?? 'carp', g.virtualInterface]), [
    ['eth0/vhid1', 'carp', 'carp1'],
    ['eth0/vrid20', 'vrrp', 'vrrp20'],
    ['eth0/vrid20v6', 'vrrp', 'vrrp6-20'],
  ]);
  assert.ok(config.groups.every((g) => g.preemptDelaySeconds === 30));
});
