/**
 * CARP's runtime part (protocols/carp/carp-runtime.ts, carp-status.ts) on fakes: the settings a
 * group's config maps to, the runner it plans and reconfigures (the key-change window), the
 * interface node it joins, its status fields before and after the runner exists, and its
 * carpctl lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carpRuntime, carpSettingsFor } from '../../src/protocols/carp/carp-runtime.ts';
import { vrrpRuntime } from '../../src/protocols/vrrp/vrrp-runtime.ts';
import { GroupRunner } from '../../src/protocols/carp/carp-group-runner.ts';
import type { GroupStatus } from '../../src/control/control-types.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { groupConfig, PARENT, vrrpGroupConfig } from '../helpers/fake-platform.ts';
import { microsIso, runtimeRig } from './runtime-rig.ts';

const KEY = new Uint8Array(20).fill(1);

test('a CARP config maps to the engine settings field by field', () => {
  const config = { ...groupConfig({ advbase: 2, advskew: 40, preemptDelaySeconds: 1.5, peers: [parseIpAddress('198.51.100.20')], sourceAddress: parseIpAddress('198.51.100.10') }), replay: { mode: 'compat' as const, windowSeconds: 90 } };
  const settings = carpSettingsFor(config, KEY, [{ address: parseIpAddress('198.51.100.7') }]);
  assert.equal(settings.machine.vhid, 7);
  assert.equal(settings.machine.advbase, 2);
  assert.equal(settings.machine.advskew, 40);
  assert.equal(settings.machine.preemptDelayMicros, 1_500_000);
  assert.equal(settings.replayMode, 'compat');
  assert.equal(settings.replayWindowSeconds, 90);
  assert.deepEqual(settings.unicastPeers?.map((a) => a.text), ['198.51.100.20']);
  assert.equal(settings.machine.sourceAddresses[4]?.text, '198.51.100.10');
  assert.deepEqual(settings.key, KEY);
});

test("CARP's key, virtual MAC, owner and label", () => {
  const config = groupConfig({ vhid: 42 });
  assert.equal(carpRuntime.keyPurpose(config), 'carp-key');
  assert.equal(carpRuntime.virtualMac(config).text, '00:00:5e:00:01:2a');
  assert.equal(carpRuntime.isAddressOwner(config), false);
  assert.equal(carpRuntime.label(config), 'carp');
  assert.equal(carpRuntime.hostAddressHint, '');
});

test('a CARP group needs no pre-start check: even an interface without an address of its family is accepted', () => {
  const { context } = runtimeRig([], KEY, ['198.51.100.7']);
  assert.equal(carpRuntime.preStartCheck(groupConfig(), context), undefined);
  assert.equal(carpRuntime.planRunner(groupConfig(), context).protocol, 'carp');
});

test('the planned runner is a GroupRunner on the config, and joins and leaves its node with the TTL rule', () => {
  const { context, ports, node, joined, left } = runtimeRig([PARENT.address], KEY, ['198.51.100.7']);
  const config = groupConfig({ advskew: 9, unicastTtl: 'any' });
  const runner = carpRuntime.planRunner(config, context).build(ports);
  assert.ok(runner instanceof GroupRunner);
  assert.equal(runner.settings.machine.advskew, 9);
  carpRuntime.attach(runner, node, config);
  carpRuntime.detach(runner, node);
  assert.deepEqual(joined, [{ runner, options: { requireTtl255ForUnicast: false } }]);
  assert.deepEqual(left, [runner]);
});

test('a reload that changes the key opens the key-change window of the config, shown in the status until it ends', () => {
  const { context, ports, clock } = runtimeRig([PARENT.address], KEY, ['198.51.100.7']);
  const config = groupConfig({ keyChangeWindowSeconds: 30 });
  const runner = carpRuntime.planRunner(config, context).build(ports);
  const start = clock.nowMicros();
  carpRuntime.reconfigure(runner, config, new Uint8Array(20).fill(2), context.addresses);
  const status = carpRuntime.status(config, runner, microsIso);
  assert.deepEqual(status.keyChange, { previousAddresses: ['198.51.100.7'], until: microsIso(start + 30_000_000) });
  clock.advanceBy(30_000_001);
  assert.equal(carpRuntime.status(config, runner, microsIso).keyChange, undefined);
});

test('without a configured window a key change stays valid for the default 600 s; a reload without one opens none', () => {
  const { context, ports, clock } = runtimeRig([PARENT.address], KEY, ['198.51.100.7']);
  const config = groupConfig();
  const runner = carpRuntime.planRunner(config, context).build(ports);
  carpRuntime.reconfigure(runner, { ...config, advskew: 50 }, KEY, context.addresses);
  assert.equal(carpRuntime.status(config, runner, microsIso).keyChange, undefined);
  assert.equal(runner.settings.machine.advskew, 50);
  const start = clock.nowMicros();
  carpRuntime.reconfigure(runner, config, new Uint8Array(20).fill(3), context.addresses);
  assert.equal(carpRuntime.status(config, runner, microsIso).keyChange?.until, microsIso(start + 600_000_000));
});

test("a runner of another protocol never reaches CARP's part", () => {
  const { context, ports } = runtimeRig([PARENT.address], new Uint8Array(0), ['198.51.100.9']);
  const vrrp = vrrpRuntime.planRunner(vrrpGroupConfig(), context).build(ports);
  assert.throws(() => carpRuntime.reconfigure(vrrp, groupConfig(), KEY, context.addresses));
  assert.throws(() => carpRuntime.status(groupConfig(), vrrp, microsIso));
});

test('the status fields: configured values before the runner exists, the advertised ones after', () => {
  const { context, ports } = runtimeRig([PARENT.address], KEY, ['198.51.100.7']);
  const config = groupConfig({ advbase: 1, advskew: 12 });
  const before = carpRuntime.status(config, undefined, microsIso).protocol;
  assert.deepEqual(before, { protocol: 'carp', advbase: 1, advskew: 12, advertisedAdvskew: 12, demoteByte: 0, replayMode: config.replay.mode, master: null, familyLoss: null, heard: [] });
  const runner = carpRuntime.planRunner(config, context).build(ports);
  runner.setDemotion(3);
  const after = carpRuntime.status(config, runner, microsIso).protocol;
  assert.equal(after.advskew, 12);
  assert.equal(after.demoteByte, 3);
  assert.equal(after.vrrp, undefined);
});

/** A CARP group's status as the daemon reports it, with one node heard that fails authentication. */
function carpGroupStatus(): GroupStatus {
  return {
    name: 'eth0/vhid7', interface: 'eth0', protocol: 'carp', vhid: 7, state: 'BACKUP', since: '2026-01-01T00:00:00.000Z', reason: 'started', addresses: ['198.51.100.7/24'],
    advbase: 1, advskew: 0, advertisedAdvskew: 10, demoteByte: 1, preempt: true, replayMode: 'strict', peers: [],
    demotion: { total: 1, manual: 1, health: 0, maintenance: false },
    master: { address: '198.51.100.2', advbase: 1, advskew: 5, demote: 0, heardAt: '2026-01-01T00:00:09.000Z', addresses: { ipv4: '198.51.100.2' } },
    heard: [{ address: '198.51.100.3', advbase: null, advskew: null, demote: null, authenticates: false, ok: 0, badAuth: 4, replay: 0, keyChangeTwins: 0, lastKeyChangeTwin: null, lastHeard: '2026-01-01T00:00:08.000Z' }],
    counters: { advertsSent: 0, advertsReceived: 0, sendErrors: 0, transitions: 0, drops: {} as GroupStatus['counters']['drops'] },
    scripts: { runs: 0, failures: 0, timeouts: 0, superseded: 0 },
    checks: [],
  };
}

test("CARP's carpctl lines: the vhid, advskew as advertised, the master's fields, a node failing authentication named", () => {
  const lines = carpRuntime.statusLines(carpGroupStatus(), (iso) => `@${iso.slice(17, 19)}`);
  assert.equal(lines.id, 'vhid 7');
  assert.equal(lines.advertised, 'advbase 1 advskew 10 (configured 0), demote 1, preempt');
  assert.equal(lines.master, '198.51.100.2 advbase 1 advskew 5 demote 0, heard @09');
  assert.deepEqual(lines.extra, []);
  assert.deepEqual(lines.heard, [['heard', '198.51.100.3 never authenticated, FAILS AUTHENTICATION (passphrase or address list differs); ok 0, bad-auth 4; last @08']]);
});
