/**
 * A VRRP group hearing what it cannot hear on its own VRID (issue 18, item 4): VRRPv2 adverts
 * (keepalived's default `vrrp_version 2`) or CARP. Before, only a drop counter moved while both
 * routers were MASTER. Now the group logs a warning naming the sender and what to change, counts
 * it as a foreign master (status, metrics), and as MASTER re-announces its addresses while it is
 * heard. On the simulated LAN with the real InterfaceNode, acceptance and runners; the VRRPv2
 * adverts are keepalived's own (test/fixtures/keepalived-vrrpv2-vrid7.pcap).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIpPacket, type Datagram } from '../../src/wire/ip-packet.ts';
import { fixtureIpPackets } from '../helpers/fixtures.ts';
import { PCAPS } from '../fixtures/carp-vectors.ts';
import { MixedLan } from '../helpers/mixed-lan.ts';

const S = 1_000_000;
const VIP = '192.0.2.100';

/** keepalived's VRRPv2 advert for VRID 7 (priority 150, from 192.0.2.1), optionally as its priority-0 farewell. */
function keepalivedV2(farewell = false): Datagram {
  const packet = fixtureIpPackets(PCAPS.vrrpV2)[0];
  assert.ok(packet !== undefined);
  const decoded = decodeIpPacket(packet.ip);
  assert.ok(decoded.ok);
  if (!farewell) return decoded.value;
  const payload = new Uint8Array(decoded.value.payload);
  payload[2] = 0;
  return { ...decoded.value, payload };
}

function vrrpMaster(): MixedLan {
  const lan = new MixedLan();
  lan.host('a', ['192.0.2.2']).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: 100 });
  lan.startAll();
  lan.advance(5 * S);
  assert.deepEqual(lan.masters('gw'), ['a']);
  return lan;
}

test('VRRPv2 adverts on our VRID: warned at once naming the sender and `vrrp_version 3`, counted, shown as a foreign master; once a minute', () => {
  const lan = vrrpMaster();
  const a = lan.hosts.get('a');
  assert.ok(a?.node !== undefined);
  for (let i = 0; i < 90; i++) {
    a.node.receive(keepalivedV2());
    lan.advance(S);
  }
  const warnings = a.logger.records.filter((r) => r.level === 'warn' && r.fields?.['mismatch'] === 'vrrp-v2');
  assert.equal(warnings.length, 2, 'at once, then a minute later with the count');
  assert.match(warnings[0]?.message ?? '', /VRID 7 from 192\.0\.2\.1 .*VRRPv2.*`vrrp_version 3`/);
  assert.equal(warnings[0]?.fields?.['peer'], '192.0.2.1');
  assert.equal(warnings[0]?.fields?.['fix'], 'vrrp_version 3');
  assert.equal(warnings[1]?.fields?.['count'], 60);
  const runner = a.vrrpGroup('gw');
  assert.equal(runner.stats.drops['vrrp-v2'], 90);
  assert.deepEqual({ adverts: runner.foreignMasters.adverts, peer: runner.foreignMasters.last?.peer, kind: runner.foreignMasters.last?.kind }, { adverts: 90, peer: '192.0.2.1', kind: 'vrrp-v2' });
  assert.deepEqual(lan.masters('gw'), ['a'], 'carpd cannot hear it: it stays MASTER (the conflict the warning is about)');
});

test('VRRPv2 master on our VRID: the VRRP MASTER re-announces once per interval while heard, at once on its priority-0 farewell, then stops', () => {
  const lan = vrrpMaster();
  const a = lan.hosts.get('a');
  assert.ok(a?.node !== undefined);
  const from = lan.clock.nowMicros();
  for (let i = 0; i < 10; i++) {
    a.node.receive(keepalivedV2());
    lan.advance(S);
  }
  const during = a.announces.filter((x) => x.at >= from).length;
  assert.ok(during >= 9 && during <= 11, `one per second while heard: ${during}`);
  const farewellAt = lan.clock.nowMicros();
  a.node.receive(keepalivedV2(true));
  assert.equal(a.announces.at(-1)?.at, farewellAt, 'announced at once');
  lan.advance(20 * S);
  const after = a.announces.filter((x) => x.at >= farewellAt).length;
  assert.ok(after <= 2, `then at most once more: ${after}`);
  assert.equal(a.vrrpGroup('gw').foreignMasters.reannouncements, a.announces.filter((x) => x.at >= from).length);
});

test('a CARP node and a VRRP router on the same id: each names the other at warn level (kinds carp and vrrp) and counts it', () => {
  const lan = new MixedLan();
  lan.host('a', ['198.51.100.1']).withVrrp({ name: 'gw', vrid: 7, addresses: ['198.51.100.100'], priority: 100 });
  lan.host('b', ['198.51.100.2']).withCarp({ name: 'web', vhid: 7, addresses: ['198.51.100.101'] });
  lan.startAll();
  lan.advance(10 * S);
  assert.deepEqual(lan.masters('gw'), ['a']);
  assert.deepEqual(lan.masters('web'), ['b']);
  const a = lan.hosts.get('a');
  const b = lan.hosts.get('b');
  assert.ok(a?.logger.records.some((r) => r.level === 'warn' && r.fields?.['mismatch'] === 'carp' && r.fields?.['peer'] === '198.51.100.2'));
  assert.ok(b?.logger.records.some((r) => r.level === 'warn' && r.fields?.['foreign'] === 'vrrp' && r.fields?.['peer'] === '198.51.100.1' && r.fields?.['peerVersion'] === 3));
  assert.equal(a?.vrrpGroup('gw').foreignMasters.last?.kind, 'carp');
  assert.equal(b?.carpGroup('web').foreignMasters.last?.kind, 'vrrp');
});

test('forged VRRPv2 adverts from 2000 spoofed sources in 2 s: all counted, one warning, at most four announcements per interval', () => {
  const lan = vrrpMaster();
  const a = lan.hosts.get('a');
  assert.ok(a?.node !== undefined);
  const base = keepalivedV2();
  const from = lan.clock.nowMicros();
  for (let i = 0; i < 2000; i++) {
    const source = `203.0.113.${i % 250}`;
    a.node.receive({ ...base, source: { ...base.source, text: source, bytes: new Uint8Array([203, 0, 113, i % 250]) } });
    if (i % 10 === 0) a.node.receive(keepalivedV2(true)); // farewells too, which announce at once
    lan.advance(1_000);
  }
  assert.equal(a.vrrpGroup('gw').stats.drops['vrrp-v2'], 2200);
  assert.equal(a.logger.records.filter((r) => r.level === 'warn' && r.fields?.['mismatch'] === 'vrrp-v2').length, 1);
  const announces = a.announces.filter((x) => x.at >= from).map((x) => x.at);
  assert.ok(announces.length <= 4 * 2 + 1, `${announces.length} announcements in 2 s`);
});
