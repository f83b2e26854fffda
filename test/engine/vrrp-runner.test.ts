/**
 * VRRPv3 groups in the engine on a simulated LAN (real VrrpGroupRunner, InterfaceNode, codecs and
 * acceptance): the election, priority-0 handover within Skew_Time, crash failover within
 * Master_Down_Interval, demotion, the owner, unicast peers with per-destination checksums, the
 * checksum modes, and CARP and VRRP groups sharing one interface without disturbing each other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { masterDownIntervalMicros, skewTimeMicros } from '../../src/protocols/vrrp/vrrp-intervals.ts';
import { decodeIpPacket, encodeIpv4Packet, type Datagram } from '../../src/wire/ip-packet.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { classifyProtocol112 } from '../../src/protocols/protocol-112.ts';
import { vrrpChecksumVerifies, VRRP_GROUP_V4 } from '../../src/protocols/vrrp/vrrp-checksum.ts';
import { decodeVrrpHeader, encodeVrrpHeader, type VrrpHeader } from '../../src/protocols/vrrp/vrrp-header.ts';
import { MixedLan } from '../helpers/mixed-lan.ts';

const VIP = '198.51.100.100';

/** Every VRRPv3 advert on the segment, decoded, with who sent it. */
function vrrpAdverts(lan: MixedLan): { from: string; at: number; datagram: Datagram; header: VrrpHeader }[] {
  return lan.packets.flatMap((packet) => {
    const ip = decodeIpPacket(packet.bytes);
    if (!ip.ok || classifyProtocol112(ip.value.payload) !== 'vrrp-v3') return [];
    const header = decodeVrrpHeader(ip.value.payload, ip.value.family);
    return header.ok ? [{ from: packet.from, at: packet.at, datagram: ip.value, header: header.value }] : [];
  });
}

/** Two routers, a (priority 200) and b (priority 100), VRID 7. */
function pair(options: { aPriority?: number; bPriority?: number; preempt?: boolean; seed?: number } = {}): MixedLan {
  const lan = new MixedLan(options.seed ?? 1);
  lan.host('a', ['198.51.100.1']).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: options.aPriority ?? 200, ...(options.preempt === undefined ? {} : { preempt: options.preempt }) });
  lan.host('b', ['198.51.100.2']).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: options.bPriority ?? 100, ...(options.preempt === undefined ? {} : { preempt: options.preempt }) });
  return lan;
}

test('two VRRP routers elect the higher priority; exactly one holds the address; the backup learns the master', () => {
  const lan = pair();
  lan.startAll();
  lan.advance(10_000_000);
  assert.deepEqual(lan.masters('gw'), ['a']);
  assert.deepEqual(lan.holders('gw'), ['a']);
  const b = lan.hosts.get('b')?.vrrpGroup('gw');
  assert.equal(b?.state.phase, 'backup');
  assert.equal(b?.state.lastHeardMaster?.address.text, '198.51.100.1');
  assert.equal(b?.state.lastHeardMaster?.priority, 200);
  // On the wire: from the primary address to 224.0.0.18, TTL 255, the checksum over both.
  const adverts = vrrpAdverts(lan).filter((a) => a.from === 'a');
  assert.ok(adverts.length >= 5);
  for (const { datagram, header } of adverts) {
    assert.equal(datagram.source.text, '198.51.100.1');
    assert.equal(datagram.destination.text, '224.0.0.18');
    assert.equal(datagram.ttl, 255);
    assert.equal(header.vrid, 7);
    assert.deepEqual(header.addresses.map((x) => x.text), [VIP]);
    assert.ok(vrrpChecksumVerifies(datagram.payload, datagram, 'pseudo-header'));
  }
  assert.ok((b?.stats.advertsReceived ?? 0) >= adverts.length - 1, 'the backup accepted them all (one may be in flight)');
});

test('equal priorities: the higher primary address wins (RFC 5798 §6.4.3)', () => {
  const lan = pair({ aPriority: 100, bPriority: 100 });
  lan.startAll();
  lan.advance(10_000_000);
  assert.deepEqual(lan.masters('gw'), ['b']);
  assert.deepEqual(lan.holders('gw'), ['b']);
});

test('graceful stop of the master: priority 0, the backup takes over within its Skew_Time', () => {
  const lan = pair();
  lan.startAll();
  lan.advance(10_000_000);
  const stoppedAt = lan.clock.nowMicros();
  lan.hosts.get('a')?.stop();
  const farewell = vrrpAdverts(lan).filter((x) => x.from === 'a').at(-1);
  assert.equal(farewell?.header.priority, 0);
  lan.advance(2_000_000);
  const takeover = lan.hosts.get('b')?.transitions.find((t) => t.to === 'master' && t.at >= stoppedAt);
  assert.ok(takeover !== undefined);
  assert.equal(takeover.reason, 'master-bowed-out');
  // Skew_Time at priority 100 and 1 s is 609 375 µs; the segment adds at most 0.5 ms.
  assert.ok(takeover.at - stoppedAt <= skewTimeMicros(100, 100) + 1_000, `${takeover.at - stoppedAt} µs`);
  assert.deepEqual(lan.holders('gw'), ['b']);
});

test('crash of the master: the backup takes over within Master_Down_Interval of its last advert', () => {
  const lan = pair();
  lan.startAll();
  lan.advance(10_000_000);
  lan.hosts.get('a')?.crash();
  const lastAdvert = vrrpAdverts(lan).filter((x) => x.from === 'a').at(-1)?.at ?? 0;
  lan.advance(5_000_000);
  const takeover = lan.hosts.get('b')?.transitions.find((t) => t.to === 'master');
  assert.ok(takeover !== undefined);
  assert.equal(takeover.reason, 'master-down-timeout');
  assert.ok(takeover.at - lastAdvert <= masterDownIntervalMicros(100, 100) + 1_000, `${takeover.at - lastAdvert} µs`);
  assert.deepEqual(lan.holders('gw'), ['b']);
});

test('demotion lowers the advertised priority and hands mastership over; promotion takes it back (preempt)', () => {
  const lan = pair();
  lan.startAll();
  lan.advance(10_000_000);
  const a = lan.hosts.get('a')?.vrrpGroup('gw');
  a?.setDemotion(150);
  assert.equal(a?.effectivePriority, 50);
  // The demoted master advertises at once; b discards a worse master's adverts and preempts.
  assert.equal(vrrpAdverts(lan).filter((x) => x.from === 'a').at(-1)?.header.priority, 50);
  lan.advance(5_000_000);
  assert.deepEqual(lan.masters('gw'), ['b']);
  assert.deepEqual(lan.holders('gw'), ['b']);
  a?.setDemotion(0);
  lan.advance(5_000_000);
  assert.deepEqual(lan.masters('gw'), ['a']);
  assert.deepEqual(lan.holders('gw'), ['a']);
});

test('the address owner (255) is master at once when it starts, and a master of lower priority yields to it', () => {
  const lan = pair({ aPriority: 255, preempt: false });
  lan.hosts.get('b')?.start();
  lan.advance(5_000_000);
  assert.deepEqual(lan.masters('gw'), ['b']);
  lan.hosts.get('a')?.start();
  assert.deepEqual(lan.hosts.get('a')?.transitions.map((t) => `${t.from}->${t.to} ${t.reason}`), ['init->master started']);
  lan.advance(1_000);
  assert.deepEqual(lan.masters('gw'), ['a'], 'b yields to the owner');
  assert.deepEqual(lan.holders('gw'), ['a']);
});

test('an advert interval that differs is followed by the backup, counted and logged once a minute per peer', () => {
  const lan = new MixedLan();
  lan.host('a', ['198.51.100.1']).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: 200, advertIntervalCentis: 50 });
  lan.host('b', ['198.51.100.2']).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: 100, advertIntervalCentis: 100 });
  lan.startAll();
  lan.advance(70_000_000);
  const b = lan.hosts.get('b');
  const runner = b?.vrrpGroup('gw');
  assert.equal(runner?.state.masterAdverIntervalCentis, 50);
  assert.ok((runner?.mismatches.interval ?? 0) > 100, `${runner?.mismatches.interval} mismatches counted`);
  assert.equal(runner?.stats.drops['bad-interval'], 0, 'not dropped');
  const warnings = b?.logger.records.filter((r) => r.level === 'warn' && r.message.includes('advertisement interval of 0.5 s, this group\'s is 1 s')) ?? [];
  assert.equal(warnings.length, 2, 'at once, then after a minute');
  assert.ok(((warnings[1]?.fields['count'] as number) ?? 0) > 100, 'the second report says how many since');
  assert.deepEqual(lan.masters('gw'), ['a']);
});

test('unicast peers: one copy per peer with its own checksum, no multicast; adverts from anyone else are unexpected-source', () => {
  const lan = new MixedLan();
  const peers = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
  for (const [i, name] of ['a', 'b', 'c'].entries()) {
    const own = peers[i] as string;
    lan.host(name, [own]).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: 200 - i * 50, peers: peers.filter((p) => p !== own) });
  }
  lan.host('stranger', ['198.51.100.9']).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: 250 });
  lan.startAll();
  lan.advance(10_000_000);
  assert.deepEqual(lan.masters('gw').sort(), ['a', 'stranger'], 'the stranger multicasts to itself alone; a ignores it');
  const fromA = vrrpAdverts(lan).filter((x) => x.from === 'a');
  assert.ok(fromA.length >= 10);
  assert.deepEqual([...new Set(fromA.map((x) => x.datagram.destination.text))].sort(), ['198.51.100.2', '198.51.100.3']);
  for (const { datagram } of fromA) {
    assert.ok(vrrpChecksumVerifies(datagram.payload, datagram, 'pseudo-header'), `checksum for ${datagram.destination.text}`);
    assert.ok(!vrrpChecksumVerifies(datagram.payload, { source: datagram.source, destination: VRRP_GROUP_V4 }, 'pseudo-header'), 'not computed over the group');
  }
  const a = lan.hosts.get('a')?.vrrpGroup('gw');
  assert.ok((a?.stats.drops['unexpected-source'] ?? 0) > 0, 'the stranger is refused');
  assert.equal(a?.stats.advertsSent, fromA.length / 2, 'one advert counted per round of copies');
});

test('checksum modes: compatible accepts a checksum without the pseudo-header (counted, logged at info); strict drops it as bad-checksum', () => {
  for (const mode of ['compatible', 'strict'] as const) {
    const lan = new MixedLan();
    const host = lan.host('b', ['198.51.100.2']).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: 100, checksumMode: mode });
    host.start();
    // A keepalived v3_checksum_as_v2 master: the same advert, checksum over the VRRP message only.
    const source = parseIpAddress('198.51.100.1');
    const payload = encodeVrrpHeader({ vrid: 7, priority: 200, maxAdvertInterval: 100, addresses: [parseIpAddress(VIP)] }, { source, destination: VRRP_GROUP_V4 }, 'no-pseudo-header');
    for (let i = 0; i < 5; i++) {
      lan.lan.inject(encodeIpv4Packet({ source, destination: VRRP_GROUP_V4, payload }), ['b']);
      lan.advance(1_000_000);
    }
    const runner = host.vrrpGroup('gw');
    if (mode === 'compatible') {
      assert.equal(runner.stats.advertsReceived, 5);
      assert.equal(runner.mismatches.legacyChecksum, 5);
      assert.equal(runner.state.lastHeardMaster?.priority, 200);
      assert.ok(host.logger.records.some((r) => r.level === 'info' && r.message.includes('without the IPv4 pseudo-header')));
    } else {
      assert.equal(runner.stats.advertsReceived, 0);
      assert.equal(runner.stats.drops['bad-checksum'], 5);
    }
  }
});

test('IPv6: routers elect between their link-local sources, adverts to ff02::12 with hop limit 255', () => {
  const lan = new MixedLan();
  lan.host('a', ['fe80::1', '2001:db8::1']).withVrrp({ name: 'gw6', vrid: 7, addresses: ['2001:db8::100'], priority: 100 });
  lan.host('b', ['fe80::2', '2001:db8::2']).withVrrp({ name: 'gw6', vrid: 7, addresses: ['2001:db8::100'], priority: 100 });
  lan.startAll();
  lan.advance(10_000_000);
  assert.deepEqual(lan.masters('gw6'), ['b'], 'fe80::2 > fe80::1');
  const advert = vrrpAdverts(lan).filter((x) => x.from === 'b').at(-1);
  assert.equal(advert?.datagram.source.text, 'fe80::2');
  assert.equal(advert?.datagram.destination.text, 'ff02::12');
  assert.equal(advert?.datagram.ttl, 255);
  assert.ok(advert !== undefined && vrrpChecksumVerifies(advert.datagram.payload, advert.datagram, 'pseudo-header'));
});

test('CARP and VRRP groups on one interface, the same number too, do not disturb each other; cross-protocol adverts are dropped by reason', () => {
  const lan = new MixedLan(3);
  // Each host: CARP vhid 7 and VRRP VRID 8 (IPv4), and VRRP VRID 7 over IPv6 (another virtual MAC).
  for (const [name, v4, ll, skew, prio] of [
    ['a', '198.51.100.1', 'fe80::1', 0, 100],
    ['b', '198.51.100.2', 'fe80::2', 100, 200],
  ] as const) {
    lan
      .host(name, [v4, ll])
      .withCarp({ name: 'carp7', vhid: 7, addresses: ['198.51.100.107'], advskew: skew, sourceAddresses: { 4: parseIpAddress(v4) } })
      .withVrrp({ name: 'vrrp8', vrid: 8, addresses: ['198.51.100.108'], priority: prio })
      .withVrrp({ name: 'vrrp7-6', vrid: 7, addresses: ['2001:db8::107'], priority: 300 - prio });
  }
  lan.startAll();
  lan.advance(20_000_000);
  assert.deepEqual(lan.holders('carp7'), ['a']);
  assert.deepEqual(lan.holders('vrrp8'), ['b']);
  assert.deepEqual(lan.holders('vrrp7-6'), ['a']);
  for (const host of lan.hosts.values()) {
    const runners = [...host.carp.values(), ...host.vrrp.values()];
    for (const runner of runners) {
      const drops = Object.entries(runner.stats.drops).filter(([, n]) => n > 0);
      assert.deepEqual(drops, [], `${host.name}: ${runner.vhid} drops nothing of the other protocol`);
    }
    const unattributed = Object.entries(host.node?.unattributedDrops ?? {}).filter(([, n]) => n > 0);
    assert.deepEqual(unattributed, [], `${host.name}: nothing unattributed`);
  }
  // A VRRPv3 advert for the CARP vhid is the CARP group's 'vrrp' drop; a CARP advert for a VRRP VRID is 'carp'.
  const b = lan.hosts.get('b');
  const source = parseIpAddress('198.51.100.9');
  const vrrpFor7 = encodeVrrpHeader({ vrid: 7, priority: 254, maxAdvertInterval: 100, addresses: [parseIpAddress('198.51.100.107')] }, { source, destination: VRRP_GROUP_V4 });
  lan.lan.inject(encodeIpv4Packet({ source, destination: VRRP_GROUP_V4, payload: vrrpFor7 }), ['b']);
  const carpAdvert = lan.packets.find((p) => p.from === 'a' && classifyProtocol112(decodeIpPacket(p.bytes).ok ? (decodeIpPacket(p.bytes) as { value: Datagram }).value.payload : new Uint8Array()) === 'carp');
  assert.ok(carpAdvert !== undefined);
  const carpPayload = Uint8Array.from((decodeIpPacket(carpAdvert.bytes) as { value: Datagram }).value.payload);
  carpPayload[1] = 8; // the same CARP advert for vhid 8: VRRP VRID 8's number
  lan.lan.inject(encodeIpv4Packet({ source, destination: VRRP_GROUP_V4, payload: carpPayload }), ['b']);
  lan.advance(10_000);
  assert.equal(b?.carpGroup('carp7').stats.drops.vrrp, 1);
  assert.equal(b?.vrrpGroup('vrrp8').stats.drops.carp, 1);
  assert.deepEqual(lan.holders('carp7'), ['a'], 'nothing changed');
  assert.deepEqual(lan.holders('vrrp8'), ['b']);
});

test('a VRRPv3 advert for a VRID nobody runs is unknown-vhid on a node with VRRP groups, vrrp on a CARP-only node (as before)', () => {
  const lan = new MixedLan();
  const mixed = lan.host('mixed', ['198.51.100.1']).withVrrp({ name: 'gw', vrid: 8, addresses: [VIP] });
  const carpOnly = lan.host('carp', ['198.51.100.2']).withCarp({ name: 'c', vhid: 7, addresses: ['198.51.100.107'] });
  lan.startAll();
  const source = parseIpAddress('198.51.100.9');
  const payload = encodeVrrpHeader({ vrid: 42, priority: 100, maxAdvertInterval: 100, addresses: [parseIpAddress('198.51.100.42')] }, { source, destination: VRRP_GROUP_V4 });
  lan.lan.inject(encodeIpv4Packet({ source, destination: VRRP_GROUP_V4, payload }));
  lan.advance(10_000);
  assert.equal(mixed.node?.unattributedDrops['unknown-vhid'], 1);
  assert.equal(carpOnly.node?.unattributedDrops.vrrp, 1);
});

test('VRRP: a master whose adverts fail (EPERM) for Master_Down_Interval resigns (advert-send-failed); one holder; it preempts again once sends work', () => {
  const lan = pair({ preempt: true });
  lan.startAll();
  lan.advance(10_000_000);
  assert.deepEqual(lan.holders('gw'), ['a']);
  const host = lan.hosts.get('a');
  const transport = host?.transport;
  assert.ok(host !== undefined && transport !== undefined);
  transport.sendError = Object.assign(new Error('send: EPERM'), { code: 'EPERM' });
  lan.advance(10_000_000);
  assert.deepEqual(lan.holders('gw'), ['b'], 'one holder within 10 s');
  assert.equal(host.vrrpGroup('gw')?.state.phase, 'backup');
  assert.equal(host.vrrpGroup('gw')?.state.reason, 'advert-send-failed');
  transport.sendError = undefined;
  lan.advance(15_000_000); // past the 10 s hold-down (send-fault.ts)
  assert.deepEqual(lan.masters('gw'), ['a']);
  assert.deepEqual(lan.holders('gw'), ['a']);
});

test('VRRP: a master whose adverts have failed leaves at the first advert of the backup that took over, without re-announcing', () => {
  const lan = pair();
  lan.startAll();
  lan.advance(10_000_000);
  const a = lan.hosts.get('a');
  const b = lan.hosts.get('b');
  assert.ok(a?.transport !== undefined && b !== undefined);
  a.transport.sendError = Object.assign(new Error('send: EPERM'), { code: 'EPERM' });
  lan.advance(10_000_000);
  const takeover = b.transitions.find((t) => t.to === 'master');
  const resigned = a.transitions.find((t) => t.from === 'master');
  assert.ok(takeover !== undefined && resigned !== undefined);
  assert.equal(resigned.reason, 'advert-send-failed');
  // b's first advert reaches a within the segment's delay: a leaves then, not at its own
  // Master_Down_Interval (fsm/rival-master.ts would have re-announced instead).
  assert.ok(resigned.at - takeover.at <= 100_000, `a left ${resigned.at - takeover.at} µs after b took over`);
  assert.deepEqual(a.announces.filter((x) => x.at >= takeover.at), [], 'no re-announcement after b took over');
  assert.deepEqual(lan.holders('gw'), ['b']);
});
