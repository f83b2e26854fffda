/**
 * VRRP's runtime part (protocols/vrrp/vrrp-runtime.ts, vrrp-status.ts) on fakes: the settings a
 * group's config maps to (versions 3 and 2, the VRRPv2 password), the source check before
 * anything changes (CARPD_VRRP_NO_SOURCE), the virtual MAC per family, the address owner, a
 * reload in place, the status fields and the carpctl lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vrrpRuntime, vrrpSettingsFor } from '../../src/protocols/vrrp/vrrp-runtime.ts';
import { carpRuntime } from '../../src/protocols/carp/carp-runtime.ts';
import { VrrpGroupRunner } from '../../src/protocols/vrrp/vrrp-group-runner.ts';
import type { GroupConfig, VrrpGroupConfig } from '../../src/config/config-types.ts';
import type { GroupStatus } from '../../src/control/control-types.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { groupConfig, PARENT, vrrpGroupConfig } from '../helpers/fake-platform.ts';
import { microsIso, runtimeRig } from './runtime-rig.ts';

const NO_KEY = new Uint8Array(0);
const PASSWORD = new TextEncoder().encode('pw');

/** A VRRPv2 group with `auth_type pass`. */
function vrrp2Config(options: Parameters<typeof vrrpGroupConfig>[0] = {}): VrrpGroupConfig {
  const base = vrrpGroupConfig(options);
  return { ...base, vrrp: { ...base.vrrp, version: 2, authType: 'pass' } };
}

test('a VRRPv3 config maps to the engine settings: the VRID is the vhid, no authentication', () => {
  const config = vrrpGroupConfig({ priority: 150, advertIntervalCentis: 50, acceptMode: true, checksumMode: 'strict', preemptDelaySeconds: 2, unicastTtl: 'require-255' });
  const settings = vrrpSettingsFor(config, [{ address: parseIpAddress('198.51.100.9') }]);
  assert.equal(settings.vrid, 9);
  assert.equal(settings.version, 3);
  assert.equal(settings.auth.type, 'none');
  assert.equal(settings.priority, 150);
  assert.equal(settings.advertIntervalCentis, 50);
  assert.equal(settings.acceptMode, true);
  assert.equal(settings.checksumMode, 'strict');
  assert.equal(settings.preemptDelayMicros, 2_000_000);
  assert.equal(settings.requireTtl255ForUnicast, true);
  assert.equal(settings.family, 4);
});

test('a VRRPv2 group with auth_type pass sends its key as the simple password; its passphrase is read as one', () => {
  const config = vrrp2Config();
  const settings = vrrpSettingsFor(config, [{ address: parseIpAddress('198.51.100.9') }], PASSWORD);
  assert.equal(settings.version, 2);
  assert.deepEqual(settings.auth, { type: 'pass', password: PASSWORD });
  assert.equal(vrrpRuntime.keyPurpose(config), 'vrrp2-password');
  assert.equal(vrrpRuntime.keyPurpose(vrrpGroupConfig()), undefined);
  assert.equal(vrrpRuntime.label(config), 'vrrp2');
  assert.equal(vrrpRuntime.label(vrrpGroupConfig()), 'vrrp');
});

test("VRRP's virtual MAC is its family's (RFC 5798 §7.3); priority 255 makes the address owner", () => {
  assert.equal(vrrpRuntime.virtualMac(vrrpGroupConfig({ vhid: 9 })).text, '00:00:5e:00:01:09');
  assert.equal(vrrpRuntime.virtualMac(vrrpGroupConfig({ vhid: 9, addresses: ['2001:db8::9'] })).text, '00:00:5e:00:02:09');
  assert.equal(vrrpRuntime.isAddressOwner(vrrpGroupConfig({ priority: 255 })), true);
  assert.equal(vrrpRuntime.isAddressOwner(vrrpGroupConfig({ priority: 254 })), false);
  assert.match(vrrpRuntime.hostAddressHint, /owner with priority 255/);
});

test('the source check: an IPv4 group needs an IPv4 address, an IPv6 group a link-local one unless source_address is set', () => {
  const v4 = runtimeRig([PARENT.address], NO_KEY, ['198.51.100.9']);
  assert.equal(vrrpRuntime.preStartCheck(vrrpGroupConfig(), v4.context), undefined);
  const onlyV6 = runtimeRig(['2001:db8::10'], NO_KEY, ['198.51.100.9']);
  assert.equal(vrrpRuntime.preStartCheck(vrrpGroupConfig(), onlyV6.context)?.code, 'CARPD_VRRP_NO_SOURCE');
  const v6 = vrrpGroupConfig({ addresses: ['2001:db8::9'] });
  const global = runtimeRig(['2001:db8::10'], NO_KEY, ['2001:db8::9']);
  assert.equal(vrrpRuntime.preStartCheck(v6, global.context)?.code, 'CARPD_VRRP_NO_SOURCE');
  assert.equal(vrrpRuntime.preStartCheck({ ...v6, sourceAddress: parseIpAddress('2001:db8::10') }, global.context), undefined);
  const linkLocal = runtimeRig(['fe80::10'], NO_KEY, ['2001:db8::9']);
  assert.equal(vrrpRuntime.preStartCheck(v6, linkLocal.context), undefined);
});

test('the planned runner is a VrrpGroupRunner; a reload changes its priority in place; it joins and leaves its node', () => {
  const { context, ports, node, joined, left } = runtimeRig([PARENT.address], NO_KEY, ['198.51.100.9']);
  const config = vrrpGroupConfig({ priority: 120 });
  const plan = vrrpRuntime.planRunner(config, context);
  assert.equal(plan.protocol, 'vrrp');
  const runner = plan.build(ports);
  assert.ok(runner instanceof VrrpGroupRunner);
  vrrpRuntime.reconfigure(runner, vrrpGroupConfig({ priority: 200 }), NO_KEY, context.addresses);
  assert.equal(runner.settings.priority, 200);
  vrrpRuntime.attach(runner, node, config);
  vrrpRuntime.detach(runner, node);
  assert.equal(joined[0]?.runner, runner);
  assert.deepEqual(left, [runner]);
  assert.throws(() => carpRuntime.reconfigure(runner, groupConfig(), new Uint8Array(20), context.addresses));
});

test('the status fields: the vrrp block (version and auth type only for VRRPv2), no CARP fields, no key change', () => {
  const { context, ports } = runtimeRig([PARENT.address], PASSWORD, ['198.51.100.9']);
  const v3 = vrrpRuntime.status(vrrpGroupConfig({ priority: 150, advertIntervalCentis: 7 }), undefined, microsIso);
  assert.equal(v3.keyChange, undefined);
  assert.deepEqual(v3.protocol, {
    protocol: 'vrrp',
    vrrp: { priority: 150, effectivePriority: 150, owner: false, advertInterval: 0.07, masterAdvertInterval: 0.07, masterPriority: null, acceptMode: false, checksumMode: 'compatible', mismatches: { interval: 0, addresses: 0, legacyChecksum: 0 } },
    master: null,
    heard: [],
  });
  const config = vrrp2Config({ priority: 100 });
  const runner = vrrpRuntime.planRunner(config, context).build(ports);
  runner.setDemotion(30);
  const v2 = vrrpRuntime.status(config, runner, microsIso).protocol.vrrp;
  assert.equal(v2?.version, 2);
  assert.equal(v2?.authType, 'pass');
  assert.equal(v2?.effectivePriority, 70);
});

function vrrp2GroupStatus(): GroupStatus {
  return {
    name: 'eth0/vrrp9', interface: 'eth0', protocol: 'vrrp', vhid: 9, state: 'MASTER', since: '2026-01-01T00:00:00.000Z', reason: 'started', addresses: ['198.51.100.9/24'],
    preempt: true, peers: [],
    demotion: { total: 0, manual: 0, health: 0, maintenance: false },
    vrrp: { priority: 255, effectivePriority: 255, owner: true, advertInterval: 1, masterAdvertInterval: 1, masterPriority: null, acceptMode: true, checksumMode: 'compatible', mismatches: { interval: 1, addresses: 0, legacyChecksum: 0 }, version: 2, authType: 'pass' },
    master: null,
    heard: [{ address: '198.51.100.3', priority: 100, advertInterval: 1, authenticates: true, ok: 5, badAuth: 0, replay: 0, lastHeard: '2026-01-01T00:00:08.000Z' }],
    counters: { advertsSent: 0, advertsReceived: 0, sendErrors: 0, transitions: 0, drops: { 'password-mismatch': 2 } as GroupStatus['counters']['drops'] },
    scripts: { runs: 0, failures: 0, timeouts: 0, superseded: 0 },
    checks: [],
  };
}

test("VRRP's carpctl lines: VRRPv2 VRID, priority and flags, mismatches, the version row and its password drops", () => {
  const lines = vrrpRuntime.statusLines(vrrp2GroupStatus(), (iso) => `@${iso.slice(17, 19)}`);
  assert.equal(lines.id, 'VRRPv2 VRID 9');
  assert.equal(lines.advertised, 'priority 255 (configured 255), interval 1 s, preempt, address owner, accept mode');
  assert.equal(lines.master, 'this node');
  assert.deepEqual(lines.extra, [
    ['mismatches', 'interval 1, addresses 0, legacy checksum 0 (accepted, see the log)'],
    ['version', 'VRRPv2 (RFC 3768), authentication simple password (sent in clear)'],
    ['dropped', 'password-mismatch 2 (see the log)'],
  ]);
  assert.deepEqual(lines.heard, [['heard', '198.51.100.3 priority 100 interval 1 s; ok 5; last @08']]);
});
