/**
 * planReload and changedFields: what a reload changes and how (in place, or a restart), decided
 * from the running groups and the wanted ones with their keys. Pure: table tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupConfig } from '../../src/config/config-types.ts';
import { changedFields, planReload, sameTrack, type KeyedGroup, type ReloadPlan } from '../../src/daemon/reload-plan.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { groupConfig, vrrpGroupConfig, type GroupOptions } from '../helpers/fake-platform.ts';

const KEY = carpKeyFromPassphrase('secret');

function keyed(options: GroupOptions = {}, key: Uint8Array = KEY): KeyedGroup {
  return { config: groupConfig({ name: 'web', ...options }), key };
}

/** A plan with nothing in it but what a case names. */
function plan(parts: Partial<ReloadPlan>): ReloadPlan {
  return { added: [], removed: [], restarted: [], inPlace: [], unchanged: [], ...parts };
}

test('planReload: one running group against one wanted', async (t) => {
  const file = { passphrase: { kind: 'file', path: '/etc/carpd/web.pass' } } as const;
  const cases: { name: string; running: KeyedGroup; wanted: KeyedGroup; expected: ReloadPlan }[] = [
    { name: 'ok, identical', running: keyed(), wanted: keyed(), expected: plan({ unchanged: ['web'] }) },
    { name: 'ok, an equal key from another buffer', running: keyed(), wanted: keyed({}, carpKeyFromPassphrase('secret')), expected: plan({ unchanged: ['web'] }) },
    {
      name: 'in place, key bytes differ with the same passphrase path (a rotated file)',
      running: keyed(file, carpKeyFromPassphrase('first')),
      wanted: keyed(file, carpKeyFromPassphrase('second')),
      expected: plan({ inPlace: [{ name: 'web', fields: ['key'] }] }),
    },
    {
      name: 'in place, passphrase source changed (inline to file, another key)',
      running: keyed(),
      wanted: keyed(file, carpKeyFromPassphrase('second')),
      expected: plan({ inPlace: [{ name: 'web', fields: ['passphrase', 'key'] }] }),
    },
    {
      name: 'in place, an IPv4 address added',
      running: keyed({ addresses: ['198.51.100.7'] }),
      wanted: keyed({ addresses: ['198.51.100.7', '198.51.100.8'] }),
      expected: plan({ inPlace: [{ name: 'web', fields: ['addresses'] }] }),
    },
    {
      name: 'in place, an address prefix changed',
      running: keyed({ addresses: ['198.51.100.7'] }),
      wanted: keyed({ addresses: ['198.51.100.7/25'] }),
      expected: plan({ inPlace: [{ name: 'web', fields: ['addresses'] }] }),
    },
    {
      name: 'in place, a second IPv6 address (the families stay)',
      running: keyed({ addresses: ['198.51.100.7', '2001:db8::7'] }),
      wanted: keyed({ addresses: ['198.51.100.7', '2001:db8::7', '2001:db8::8'] }),
      expected: plan({ inPlace: [{ name: 'web', fields: ['addresses'] }] }),
    },
    {
      name: 'in place, advbase, advskew and preempt',
      running: keyed(),
      wanted: keyed({ advbase: 2, advskew: 100, preempt: true }),
      expected: plan({ inPlace: [{ name: 'web', fields: ['advbase', 'advskew', 'preempt'] }] }),
    },
    {
      name: 'in place, the replay window',
      running: keyed(),
      wanted: keyed({ replay: { mode: 'strict', windowSeconds: 60 } }),
      expected: plan({ inPlace: [{ name: 'web', fields: ['replay.windowSeconds'] }] }),
    },
    {
      name: 'in place, a sync set and a key-change window added',
      running: keyed(),
      wanted: keyed({ syncSet: 'edge', keyChangeWindowSeconds: 0 }),
      expected: plan({ inPlace: [{ name: 'web', fields: ['syncSet', 'keyChangeWindowSeconds'] }] }),
    },
    {
      name: 'restart, the first IPv6 address',
      running: keyed({ addresses: ['198.51.100.7'] }),
      wanted: keyed({ addresses: ['198.51.100.7', '2001:db8::7'] }),
      expected: plan({ restarted: ['web'] }),
    },
    {
      name: 'restart, the last IPv6 address removed',
      running: keyed({ addresses: ['198.51.100.7', '2001:db8::7'] }),
      wanted: keyed({ addresses: ['198.51.100.7'] }),
      expected: plan({ restarted: ['web'] }),
    },
    { name: 'restart, vhid', running: keyed(), wanted: keyed({ vhid: 8, addresses: ['198.51.100.7'] }), expected: plan({ restarted: ['web'] }) },
    { name: 'restart, interface', running: keyed(), wanted: keyed({ interface: 'eth1' }), expected: plan({ restarted: ['web'] }) },
    { name: 'restart, vmac', running: keyed(), wanted: keyed({ vmac: false }), expected: plan({ restarted: ['web'] }) },
    { name: 'restart, replay mode', running: keyed(), wanted: keyed({ replay: { mode: 'compat', windowSeconds: 300 } }), expected: plan({ restarted: ['web'] }) },
    { name: 'restart, peers', running: keyed(), wanted: keyed({ peers: [parseIpAddress('198.51.100.2')] }), expected: plan({ restarted: ['web'] }) },
    {
      name: 'restart, an in-place field changed along with a restart one',
      running: keyed(),
      wanted: keyed({ advskew: 10, virtualInterface: 'vip7' }),
      expected: plan({ restarted: ['web'] }),
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.deepEqual(planReload([c.running], [c.wanted]), c.expected));
  }
});

test('planReload: groups added, removed and kept, by name', () => {
  const running = [keyed({ name: 'a' }), keyed({ name: 'b', vhid: 8 }), keyed({ name: 'c', vhid: 9 })];
  const wanted = [keyed({ name: 'a' }), keyed({ name: 'c', vhid: 9, advskew: 5 }), keyed({ name: 'd', vhid: 10 })];
  assert.deepEqual(planReload(running, wanted), {
    added: ['d'],
    removed: ['b'],
    restarted: [],
    inPlace: [{ name: 'c', fields: ['advskew'] }],
    unchanged: ['a'],
  });
  assert.deepEqual(planReload([], wanted).added, ['a', 'c', 'd']);
  assert.deepEqual(planReload(running, []).removed, ['a', 'b', 'c']);
});

test('changedFields: a field present on one side only counts, replay counts by its parts', async (t) => {
  const base = groupConfig();
  const cases: { name: string; a: GroupConfig; b: GroupConfig; expected: string[] }[] = [
    { name: 'ok, none', a: base, b: groupConfig(), expected: [] },
    { name: 'sourceAddress added', a: base, b: groupConfig({ sourceAddress: parseIpAddress('198.51.100.10') }), expected: ['sourceAddress'] },
    { name: 'both replay fields', a: base, b: groupConfig({ replay: { mode: 'compat', windowSeconds: 1 } }), expected: ['replay.mode', 'replay.windowSeconds'] },
    { name: 'scripts', a: base, b: groupConfig({ scripts: { ...base.scripts, master: '/etc/carpd/up' } }), expected: ['scripts'] },
    { name: 'track', a: base, b: groupConfig({ track: { interfaces: [{ interface: 'eth1', weight: 50 }], checks: [] } }), expected: ['track'] },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.deepEqual(changedFields({ config: c.a, key: KEY }, { config: c.b, key: KEY }), c.expected));
  }
  assert.deepEqual(changedFields({ config: base, key: KEY }, { config: base, key: new Uint8Array(20) }), ['key']);
});

test('sameTrack: equal tracked interfaces and checks', () => {
  const tracked = { interfaces: [{ interface: 'eth1', weight: 50 }], checks: [] };
  assert.equal(sameTrack(groupConfig({ track: tracked }), groupConfig({ track: { ...tracked } })), true);
  assert.equal(sameTrack(groupConfig(), groupConfig({ track: tracked })), false);
});

test('planReload: VRRP groups, the VRRP settings compared one by one', async (t) => {
  const NONE = new Uint8Array(0);
  const vrrp = (options: Parameters<typeof vrrpGroupConfig>[0] = {}): KeyedGroup => ({ config: vrrpGroupConfig({ name: 'gw', ...options }), key: NONE });
  const cases: { name: string; running: KeyedGroup; wanted: KeyedGroup; expected: ReloadPlan }[] = [
    { name: 'ok, identical', running: vrrp(), wanted: vrrp(), expected: plan({ unchanged: ['gw'] }) },
    { name: 'in place, priority', running: vrrp(), wanted: vrrp({ priority: 120 }), expected: plan({ inPlace: [{ name: 'gw', fields: ['vrrp.priority'] }] }) },
    {
      name: 'in place, interval, accept mode and checksum mode',
      running: vrrp(),
      wanted: vrrp({ advertIntervalCentis: 50, acceptMode: true, checksumMode: 'strict' }),
      expected: plan({ inPlace: [{ name: 'gw', fields: ['vrrp.advertIntervalCentis', 'vrrp.acceptMode', 'vrrp.checksumMode'] }] }),
    },
    { name: 'in place, addresses and preempt', running: vrrp(), wanted: vrrp({ addresses: ['198.51.100.9', '198.51.100.19'], preempt: false }), expected: plan({ inPlace: [{ name: 'gw', fields: ['preempt', 'addresses'] }] }) },
    { name: 'restart, becoming the address owner', running: vrrp(), wanted: vrrp({ priority: 255 }), expected: plan({ restarted: ['gw'] }) },
    { name: 'restart, no longer the address owner', running: vrrp({ priority: 255 }), wanted: vrrp({ priority: 254 }), expected: plan({ restarted: ['gw'] }) },
    { name: 'restart, protocol changed to CARP', running: vrrp(), wanted: { config: groupConfig({ name: 'gw', vhid: 9 }), key: KEY }, expected: plan({ restarted: ['gw'] }) },
    { name: 'restart, another family', running: vrrp(), wanted: vrrp({ addresses: ['2001:db8::9'], virtualInterface: 'vrrp9' }), expected: plan({ restarted: ['gw'] }) },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.deepEqual(planReload([c.running], [c.wanted]), c.expected));
  }
  assert.ok(changedFields(vrrp({ priority: 255 }), vrrp()).includes('vrrp.owner'));
});
