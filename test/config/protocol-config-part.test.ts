// The protocols' config parts (protocols/protocol-config-part.ts) as the config layer uses them
// through the registry: every key a protocol owns is refused on another protocol's group with
// that group's code, by the file and by the flags alike; VRRPv2 takes CARP's passphrase keys;
// a group renders and parses back to itself per protocol; and a group has no field of another
// protocol (GroupConfig is a union by protocol, no inert settings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { parseConfigText, type ConfigResult } from '../../src/config/config-file.ts';
import { renderNormalisedConfig } from '../../src/config/config-render.ts';
import { parseDaemonOptions } from '../../src/config/daemon-options.ts';
import { configFromDaemonOptions } from '../../src/config/flags-to-config.ts';
import { appliesTo, FILE_NAMES, FLAG_NAMES, flagsNotFor, notForCode, notForDetail } from '../../src/config/protocol-keys.ts';
import { PROTOCOL_MODULES, protocolModule } from '../../src/protocols/index.ts';
import type { CarpdConfig } from '../../src/config/config-types.ts';

const env = { V2_PASS: 'v2pass' };
const base = { carp: { interface: 'eth0', vhid: 1, addresses: ['192.0.2.10/24'], passphrase: 'secret' }, vrrp: { protocol: 'vrrp', interface: 'eth0', vrid: 7, addresses: ['192.0.2.70/24'] } } as const;
const groups = (...gs: Record<string, unknown>[]) => stringify({ groups: gs });

function ok(result: ConfigResult): CarpdConfig {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result.config;
}

function codesAndPaths(result: ConfigResult): string[] {
  return result.ok ? [] : result.errors.map((e) => `${e.code} ${e.path}`);
}

test('registry: each key is owned by at most one protocol, each flag names one key', () => {
  const owners = new Map<string, string>();
  for (const module of PROTOCOL_MODULES) {
    for (const key of Object.keys(module.config.ownSettings)) {
      assert.equal(owners.get(key), undefined, `${key} owned by ${owners.get(key)} and ${module.name}`);
      owners.set(key, module.name);
    }
  }
  const flags = PROTOCOL_MODULES.flatMap((m) => Object.values(m.config.ownSettings).flatMap((s) => (s.flag === undefined ? [] : [s.flag])));
  assert.equal(new Set(flags).size, flags.length);
});

test('file: every key a protocol owns, in a group of the other protocol, is refused with that group\'s code at the key', () => {
  let checked = 0;
  for (const owner of PROTOCOL_MODULES) {
    for (const other of PROTOCOL_MODULES.filter((m) => m !== owner)) {
      for (const key of Object.keys(owner.config.ownSettings)) {
        if (appliesTo(key, other.name)) continue;
        const group: Record<string, unknown> = { ...base[other.name], [key]: 1 };
        // vrid is the VRRP name of vhid: a CARP group given it keeps its vhid.
        const result = parseConfigText(groups(group), { env });
        assert.ok(codesAndPaths(result).includes(`${other.config.notForCode} groups[0].${key}`), `${key} on ${other.name}: ${JSON.stringify(codesAndPaths(result))}`);
        assert.equal(notForCode(other.name), other.config.notForCode);
        checked++;
      }
    }
  }
  assert.ok(checked >= 15, `only ${checked} keys checked`);
});

test('file and flags refuse a key with the same advice, each naming the key its own way', () => {
  const vrrp = protocolModule('vrrp').config;
  const carp = protocolModule('carp').config;
  assert.equal(carp.notForCode, 'CARPD_CONFIG_NOT_FOR_CARP');
  assert.equal(vrrp.notForCode, 'CARPD_CONFIG_NOT_FOR_VRRP');
  for (const [key, flag, protocol] of [['advskew', 'advskew', 'vrrp'], ['replay', 'replay', 'vrrp'], ['priority', 'priority', 'carp'], ['vrrp_version', 'vrrp-version', 'carp']] as const) {
    const file = notForDetail(key, protocol, FILE_NAMES);
    const flags = flagsNotFor(protocol, new Set([flag]));
    assert.deepEqual(flags.map((f) => f.flag), [flag]);
    assert.ok(file.startsWith(`${key} is `), file);
    assert.ok(flags[0]?.detail.startsWith(`--${flag} is `), flags[0]?.detail);
    assert.equal(flags[0]?.detail, notForDetail(key, protocol, FLAG_NAMES));
  }
  const parsed = parseDaemonOptions(['--protocol', 'vrrp', '--interface', 'eth0', '--vrid', '7', '--addr', '192.0.2.70/24', '--advskew', '5']);
  assert.equal(parsed.ok, false);
  assert.deepEqual(!parsed.ok && parsed.errors, [notForDetail('advskew', 'vrrp', FLAG_NAMES)]);
});

test('variants: a VRRPv2 group takes the passphrase keys, a VRRPv3 group refuses them and auth_type', () => {
  assert.equal(appliesTo('passphrase_env', 'vrrp', { vrrp_version: 2 }), true);
  assert.equal(appliesTo('passphrase_env', 'vrrp', { vrrp_version: 3 }), false);
  assert.equal(appliesTo('auth_type', 'vrrp', { vrrp_version: 2 }), true);
  assert.equal(appliesTo('auth_type', 'vrrp'), false);
  assert.equal(appliesTo('auth_type', 'carp', { vrrp_version: 2 }), false);
  const v3 = parseConfigText(groups({ ...base.vrrp, auth_type: 'pass', passphrase_env: 'V2_PASS' }), { env });
  assert.deepEqual(codesAndPaths(v3), ['CARPD_CONFIG_NOT_FOR_VRRP groups[0].auth_type', 'CARPD_CONFIG_NOT_FOR_VRRP groups[0].passphrase_env']);
  const v2 = ok(parseConfigText(groups({ ...base.vrrp, vrrp_version: 2, passphrase_env: 'V2_PASS' }), { env }));
  assert.deepEqual(v2.groups[0]?.passphrase, { kind: 'env', variable: 'V2_PASS' });
});

test('render: each protocol\'s group (and VRRPv2 with a password) renders and parses back to itself', () => {
  const cases = {
    carp: { ...base.carp, advbase: 2, advskew: 40, replay: 'compat', master_down: 'ucarp', dead_ratio: 4, key_change_window: 30 },
    vrrp: { ...base.vrrp, priority: 200, advert_interval: 0.5, accept_mode: true, checksum_mode: 'strict' },
    vrrp2: { ...base.vrrp, vrrp_version: 2, auth_type: 'pass', passphrase: 'v2pw', advert_interval: 3 },
  };
  for (const [name, group] of Object.entries(cases)) {
    const first = ok(parseConfigText(groups(group), { env }));
    const text = renderNormalisedConfig(first);
    // The rendered passphrase is described, never shown: put the value back for the round trip.
    const again = ok(parseConfigText(text.replace('<inline, 4 bytes>', 'v2pw').replace('<inline, 6 bytes>', 'secret'), { env }));
    assert.deepEqual(again, first, name);
  }
});

test('no inert settings: a VRRP group has no CARP field and a CARP group no vrrp block, from the file and from the flags', () => {
  const CARP_FIELDS = ['advbase', 'advskew', 'masterDown', 'deadRatio', 'replay', 'keyChangeWindowSeconds'];
  const fromFile = ok(parseConfigText(stringify({ defaults: { advbase: 3, replay: 'compat' }, groups: [base.vrrp, base.carp] }), { env }));
  const parsed = parseDaemonOptions(['--protocol', 'vrrp', '--interface', 'eth0', '--vrid', '7', '--addr', '192.0.2.70/24']);
  assert.ok(parsed.ok);
  const fromFlags = configFromDaemonOptions(parsed.options);
  for (const vrrpGroup of [fromFile.groups[0], fromFlags.groups[0]]) {
    assert.equal(vrrpGroup?.protocol, 'vrrp');
    for (const field of CARP_FIELDS) assert.equal(field in (vrrpGroup ?? {}), false, field);
  }
  const carpGroup = fromFile.groups[1];
  assert.equal('vrrp' in (carpGroup ?? {}), false);
  assert.equal(carpGroup !== undefined && carpGroup.protocol !== 'vrrp' && carpGroup.advbase, 3);
});

test('defaults per protocol come from its part: preempt, name, virtual interface', () => {
  const config = ok(parseConfigText(groups(base.carp, base.vrrp, { ...base.vrrp, vrid: 8, addresses: ['2001:db8::8'] }), { env }));
  const [c, v4, v6] = config.groups;
  assert.deepEqual([c?.preempt, c?.name, c?.virtualInterface], [protocolModule('carp').config.defaultPreempt, 'eth0/vhid1', 'carp1']);
  assert.deepEqual([v4?.preempt, v4?.name, v4?.virtualInterface], [protocolModule('vrrp').config.defaultPreempt, 'eth0/vrid7', 'vrrp7']);
  assert.deepEqual([v6?.name, v6?.virtualInterface], ['eth0/vrid8v6', 'vrrp6-8']);
  assert.notEqual(protocolModule('carp').config.defaultPreempt, protocolModule('vrrp').config.defaultPreempt);
});
