/**
 * VRRPv2 groups in the engine on a simulated LAN (real VrrpGroupRunner, InterfaceNode, codecs and
 * acceptance): the election with the v2 layout on the wire, crash failover within the v2
 * Master_Down_Interval, a wrong simple password (both MASTER, the drop counted and named), another
 * interval dropped, and VRRPv2 / VRRPv3 routers on one VRID warning in both directions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { masterDownIntervalMicros } from '../../src/protocols/vrrp/vrrp-intervals.ts';
import { decodeIpPacket } from '../../src/wire/ip-packet.ts';
import { decodeVrrp2Header } from '../../src/protocols/vrrp/vrrp2-header.ts';
import { recognizeVrrpChecksum } from '../../src/protocols/vrrp/vrrp-checksum.ts';
import type { VrrpAuth } from '../../src/protocols/vrrp/vrrp-version.ts';
import { MixedLan } from '../helpers/mixed-lan.ts';

const VIP = '198.51.100.100';
const pass = (s: string): VrrpAuth => ({ type: 'pass', password: new TextEncoder().encode(s) });

function pair(aAuth: VrrpAuth, bAuth: VrrpAuth, bInterval = 100, bVersion: 2 | 3 = 2): MixedLan {
  const lan = new MixedLan(3);
  lan.host('a', ['198.51.100.1']).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: 200, version: 2, auth: aAuth });
  lan.host('b', ['198.51.100.2']).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: 100, version: bVersion, auth: bVersion === 2 ? bAuth : { type: 'none' }, advertIntervalCentis: bInterval });
  return lan;
}

test('VRRPv2: the higher priority wins; adverts are version 2 with the password and a message-only checksum; crash failover within 3 s + (256 - 100)/256 s', () => {
  const lan = pair(pass('secret'), pass('secret'));
  lan.startAll();
  lan.advance(10_000_000);
  assert.deepEqual(lan.masters('gw'), ['a']);
  assert.deepEqual(lan.holders('gw'), ['a']);
  const adverts = lan.packets.filter((p) => p.from === 'a').flatMap((p) => {
    const ip = decodeIpPacket(p.bytes);
    return ip.ok && ip.value.protocol === 112 ? [ip.value] : [];
  });
  assert.ok(adverts.length >= 5);
  for (const d of adverts) {
    const header = decodeVrrp2Header(d.payload);
    assert.ok(header.ok);
    assert.equal(header.value.version, 2);
    assert.equal(header.value.auth?.type, 1);
    assert.deepEqual([...(header.value.auth?.data ?? [])], [...new TextEncoder().encode('secret'), 0, 0]);
    assert.equal(header.value.maxAdvertInterval, 1, 'whole seconds');
    assert.equal(recognizeVrrpChecksum(d.payload, d), 'no-pseudo-header');
  }
  const b = lan.hosts.get('b');
  assert.equal(b?.vrrpGroup('gw')?.masterDownMicros, 3_609_375);
  const lastAdvert = lan.packets.filter((p) => p.from === 'a').at(-1)?.at ?? 0;
  lan.hosts.get('a')?.crash();
  lan.advance(5_000_000);
  const takeover = b?.transitions.find((t) => t.to === 'master');
  assert.ok(takeover !== undefined);
  assert.equal(takeover.reason, 'master-down-timeout');
  // Within the v2 Master_Down_Interval of the last advert sent, plus the LAN's delivery delay.
  assert.ok(takeover.at - lastAdvert <= masterDownIntervalMicros(100, 100, 2) + 1_000, `${takeover.at - lastAdvert} µs after the last advert`);
  assert.ok(takeover.at - lastAdvert >= masterDownIntervalMicros(100, 100, 2), `${takeover.at - lastAdvert} µs after the last advert`);
  assert.deepEqual(lan.holders('gw'), ['b']);
});

test('VRRPv2: a wrong simple password: both MASTER, each drop counted as password-mismatch and named once a minute', () => {
  const lan = pair(pass('secret'), pass('wrong'));
  lan.startAll();
  lan.advance(70_000_000);
  assert.deepEqual(lan.masters('gw').sort(), ['a', 'b'], 'neither hears the other (RFC 3768 §7.1)');
  const b = lan.hosts.get('b');
  const runner = b?.vrrpGroup('gw');
  assert.ok((runner?.stats.drops['password-mismatch'] ?? 0) > 50);
  assert.equal(runner?.stats.advertsReceived, 0);
  const named = b?.logger.records.filter((r) => r.level === 'warn' && r.fields['mismatch'] === 'password-mismatch') ?? [];
  assert.equal(named.length, 2, 'at once, then after a minute');
  assert.match(named[0]?.message ?? '', /simple password mismatch/);
  assert.equal(runner?.foreignMasters.last?.kind, 'bad-auth');
});

test('VRRPv2: no password against a password: auth-type-mismatch on both sides', () => {
  const lan = pair(pass('secret'), { type: 'none' });
  lan.startAll();
  lan.advance(10_000_000);
  assert.ok((lan.hosts.get('b')?.vrrpGroup('gw')?.stats.drops['auth-type-mismatch'] ?? 0) > 0);
  assert.ok((lan.hosts.get('a')?.vrrpGroup('gw')?.stats.drops['auth-type-mismatch'] ?? 0) > 0);
});

test('VRRPv2: another advert interval is dropped (interval-mismatch), not followed', () => {
  const lan = pair(pass('secret'), pass('secret'), 200);
  lan.startAll();
  lan.advance(20_000_000);
  const runner = lan.hosts.get('b')?.vrrpGroup('gw');
  assert.ok((runner?.stats.drops['interval-mismatch'] ?? 0) > 5);
  assert.equal(runner?.state.masterAdverIntervalCentis, 200, 'never learned');
  assert.deepEqual(lan.masters('gw').sort(), ['a', 'b']);
});

test('a VRRPv2 router and a VRRPv3 router on one VRID: each group names the other version with the fix', () => {
  const lan = pair(pass('secret'), { type: 'none' }, 100, 3);
  lan.startAll();
  lan.advance(10_000_000);
  const a = lan.hosts.get('a');
  const b = lan.hosts.get('b');
  assert.ok((a?.vrrpGroup('gw')?.stats.drops['vrrp-v3'] ?? 0) > 0);
  assert.ok((b?.vrrpGroup('gw')?.stats.drops['vrrp-v2'] ?? 0) > 0);
  assert.ok(a?.logger.records.some((r) => r.level === 'warn' && r.fields['fix'] === 'vrrp_version 2'));
  assert.ok(b?.logger.records.some((r) => r.level === 'warn' && r.fields['fix'] === 'vrrp_version 3'));
  assert.equal(a?.vrrpGroup('gw')?.foreignMasters.last?.kind, 'vrrp-v3');
});

test('VRRPv2 demotion (checks, tracked interfaces): the v2 advert carries the lowered priority and mastership moves; promotion takes it back', () => {
  const lan = pair(pass('secret'), pass('secret'));
  lan.startAll();
  lan.advance(10_000_000);
  const a = lan.hosts.get('a')?.vrrpGroup('gw');
  a?.setDemotion(150);
  const last = lan.packets.filter((p) => p.from === 'a').at(-1);
  const ip = last === undefined ? undefined : decodeIpPacket(last.bytes);
  assert.ok(ip?.ok);
  const header = decodeVrrp2Header(ip.value.payload);
  assert.ok(header.ok);
  assert.equal(header.value.priority, 50);
  lan.advance(5_000_000);
  assert.deepEqual(lan.masters('gw'), ['b']);
  a?.setDemotion(0);
  lan.advance(5_000_000);
  assert.deepEqual(lan.masters('gw'), ['a']);
  assert.deepEqual(lan.holders('gw'), ['a']);
});

test('VRRPv2 adverts of another VRID count as unknown-vhid on a node with a VRRPv2 group, as vrrp-v2 on a VRRPv3-only node', () => {
  const lan = new MixedLan(5);
  lan.host('a', ['198.51.100.1']).withVrrp({ name: 'v2', vrid: 7, addresses: [VIP], priority: 200, version: 2 });
  lan.host('b', ['198.51.100.2']).withVrrp({ name: 'other', vrid: 9, addresses: ['198.51.100.109'], priority: 100, version: 2 });
  lan.host('c', ['198.51.100.3']).withVrrp({ name: 'v3', vrid: 8, addresses: ['198.51.100.108'], priority: 100 });
  lan.startAll();
  lan.advance(10_000_000);
  assert.ok((lan.hosts.get('b')?.node?.unattributedDrops['unknown-vhid'] ?? 0) > 0);
  assert.equal(lan.hosts.get('b')?.node?.unattributedDrops['vrrp-v2'], 0);
  assert.ok((lan.hosts.get('c')?.node?.unattributedDrops['vrrp-v2'] ?? 0) > 0);
});
