/**
 * VRRPv3 groups in the daemon, on fakes (issue 12): a `protocol: vrrp` group needs no key, claims
 * its vrrp<VRID> / vrrp6-<VRID> macvlan with the VRRP virtual MAC of its family, sends RFC 5798
 * adverts (real source, 224.0.0.18 / ff02::12, TTL 255, the checksum over them) from that MAC,
 * stops with priority 0, runs beside a CARP group on the same interface, and reloads in place or
 * by restart as reload-plan.ts says. An address owner (priority 255) keeps its addresses on the
 * interface and refuses to start without them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareGroups, StartupError } from '../../src/daemon/daemon.ts';
import { decodeEthernetFrame, ETHERTYPE_ARP } from '../../src/wire/ethernet-frame.ts';
import { vrrpChecksumVerifies } from '../../src/protocols/vrrp/vrrp-checksum.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { carpdConfig, groupConfig, makeDaemon, simPeer, simVrrpPeer, vrrpGroupConfig, type DaemonRig } from '../helpers/fake-platform.ts';

/** RFC 5798 at priority 100 and 1 s: Master_Down_Interval = 3 s + 156/256 s. */
const MASTER_DOWN_100 = 3_609_375;

async function masterRig(options: Parameters<typeof makeDaemon>[0]): Promise<DaemonRig> {
  const rig = makeDaemon(options);
  await rig.daemon.start();
  await rig.advance(MASTER_DOWN_100 + 100_000);
  return rig;
}

test('no passphrase is read for a VRRP group (VRRPv3 has no authentication)', () => {
  const platform = { readKey: () => assert.fail('readKey called for a VRRP group') };
  const prepared = prepareGroups([vrrpGroupConfig()], platform, new MemoryLogger());
  assert.equal(prepared[0]?.key.length, 0);
});

test('an IPv4 VRRP group becomes MASTER on vrrp9 (00:00:5e:00:01:09) and advertises as RFC 5798 says', async () => {
  const rig = await masterRig({ groups: [vrrpGroupConfig()] });
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.equal(status?.protocol, 'vrrp');
  assert.equal(status?.reason, 'master-down-timeout');
  assert.equal(rig.link('vrrp9')?.mac, '00:00:5e:00:01:09');
  assert.equal(rig.link('vrrp9')?.up, true);
  assert.deepEqual(rig.vips(), ['vrrp9 198.51.100.9/24']);
  assert.equal(status?.vmac, 'vrrp9 00:00:5e:00:01:09');
  assert.deepEqual(status?.vrrp, {
    priority: 100,
    effectivePriority: 100,
    owner: false,
    advertInterval: 1,
    masterAdvertInterval: 1,
    masterPriority: null,
    acceptMode: false,
    checksumMode: 'compatible',
    mismatches: { interval: 0, addresses: 0, legacyChecksum: 0 },
  });
  assert.equal(status?.advbase, undefined, 'no CARP fields for a VRRP group');
  assert.equal(status?.replayMode, undefined);

  const adverts = rig.platform.vrrpAdverts();
  assert.ok(adverts.length >= 1);
  for (const advert of adverts) {
    assert.equal(advert.vrid, 9);
    assert.equal(advert.priority, 100);
    assert.equal(advert.maxAdvertInterval, 100);
    assert.deepEqual(advert.addresses.map((a) => a.text), ['198.51.100.9']);
    assert.equal(advert.datagram.source.text, '198.51.100.10', "the interface's primary address");
    assert.equal(advert.datagram.destination.text, '224.0.0.18');
    assert.equal(advert.datagram.ttl, 255);
    assert.ok(vrrpChecksumVerifies(advert.datagram.payload, advert.datagram, 'pseudo-header'), 'checksum over the pseudo-header with the real destination');
  }
  // Adverts and the gratuitous ARP leave from the virtual MAC (RFC 5798 §7.2).
  const sources = rig.platform.frames.map((f) => decodeEthernetFrame(f.bytes)).filter((f) => f.ok).map((f) => (f.ok ? `${f.value.etherType} ${f.value.source.text}` : ''));
  assert.ok(sources.includes(`${0x0800} 00:00:5e:00:01:09`), 'an advert framed from the virtual MAC');
  assert.ok(sources.includes(`${ETHERTYPE_ARP} 00:00:5e:00:01:09`), 'a gratuitous ARP from the virtual MAC');
  assert.equal(rig.platform.adverts().length, 0, 'no CARP advert');
  await rig.daemon.stop();
});

test('graceful stop as MASTER: the last advert has priority 0, vrrp9 and the VIP go, and a backup takes over within its skew time', async () => {
  const rig = await masterRig({ groups: [vrrpGroupConfig({ priority: 200 })] });
  const peer = simVrrpPeer(rig, { address: '198.51.100.2', priority: 100 });
  await rig.advance(1_000_000);
  assert.equal(peer.state.phase, 'backup');
  const stoppedAt = rig.clock.nowMicros();
  let tookOverAt: number | undefined;
  peer.onTransition((e) => (tookOverAt ??= e.to === 'master' ? e.at : undefined));
  // The stop lasts until the peer's advert is heard (make-before-break, docs/state-machine.md "Graceful stop").
  await rig.daemon.stop();
  assert.equal(rig.platform.vrrpAdverts().filter((a) => a.from.startsWith('carpd:')).at(-1)?.priority, 0);
  assert.equal(rig.link('vrrp9'), undefined);
  assert.deepEqual(rig.vips(), []);
  await rig.advance(1_000_000);
  assert.equal(peer.state.phase, 'master');
  // Skew_Time at priority 100 and 1 s: 156/256 s = 609 375 µs (plus the segment's 100 µs).
  assert.ok(tookOverAt !== undefined && tookOverAt - stoppedAt <= 609_375 + 1_000, `took over after ${(tookOverAt ?? 0) - stoppedAt} µs`);
  assert.equal(peer.state.reason, 'master-bowed-out');
});

test('a better VRRP router is followed: BACKUP, its priority and interval in status; demotion of that router hands mastership to us', async () => {
  const rig = makeDaemon({ groups: [vrrpGroupConfig({ priority: 100 })] });
  const peer = simVrrpPeer(rig, { address: '198.51.100.2', priority: 150, advertIntervalCentis: 50 });
  await rig.daemon.start();
  await rig.advance(5_000_000);
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'BACKUP');
  assert.equal(peer.state.phase, 'master');
  assert.equal(status?.master?.address, '198.51.100.2');
  assert.deepEqual(status?.master?.addresses, { ipv4: '198.51.100.2' });
  assert.equal(status?.vrrp?.masterPriority, 150);
  assert.equal(status?.vrrp?.masterAdvertInterval, 0.5, 'learned from the master');
  assert.ok((status?.vrrp?.mismatches.interval ?? 0) > 0, 'interval mismatch counted');
  assert.ok(rig.logger.records.some((r) => r.level === 'warn' && r.message.includes('advertisement interval of 0.5 s')), 'and logged');
  assert.ok((status?.counters.advertsReceived ?? 0) > 0);
  assert.equal(status?.heard[0]?.priority, 150);
  assert.equal(status?.heard[0]?.advertInterval, 0.5);
  // The peer demoted below us: we preempt it (preempt is on) once our Master_Down_Timer runs out.
  peer.setDemotion(60);
  await rig.advance(3_000_000);
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.equal(rig.daemon.status().groups[0]?.reason, 'preempting-worse-master');
  await rig.advance(1_000_000);
  assert.equal(peer.state.phase, 'backup');
  await rig.daemon.stop();
});

test('carpctl demote lowers the advertised priority; maintenance advertises priority 1 and a backup takes over', async () => {
  const rig = await masterRig({ groups: [vrrpGroupConfig({ priority: 150 })] });
  const name = 'eth0/vrrp9';
  const peer = simVrrpPeer(rig, { address: '198.51.100.2', priority: 100 });
  await rig.advance(1_000_000);
  assert.equal(rig.daemon.demote(name, 20).ok, true);
  await rig.advance(1_100_000);
  assert.equal(rig.platform.vrrpAdverts().filter((a) => a.from.startsWith('carpd:')).at(-1)?.priority, 130);
  assert.equal(rig.daemon.status().groups[0]?.vrrp?.effectivePriority, 130);
  rig.daemon.maintenance(name, true);
  await rig.advance(5_000_000);
  assert.equal(rig.daemon.status().groups[0]?.vrrp?.effectivePriority, 1);
  assert.equal(peer.state.phase, 'master');
  assert.equal(rig.daemon.status().groups[0]?.state, 'BACKUP');
  assert.deepEqual(rig.vips(), [], 'the VIP left with mastership');
  await rig.daemon.stop();
});

test('scripts get the same arguments as for CARP: <interface> <vhid> <state>', async () => {
  const scripts = { ...vrrpGroupConfig().scripts, master: '/etc/carpd/master', backup: '/etc/carpd/backup' };
  const rig = await masterRig({ groups: [vrrpGroupConfig({ scripts })] });
  await rig.daemon.stop();
  assert.deepEqual(
    rig.scripts.jobs.map((j) => `${j.path} ${j.args.join(' ')}`),
    ['/etc/carpd/backup eth0 9 BACKUP', '/etc/carpd/master eth0 9 MASTER', '/etc/carpd/backup eth0 9 BACKUP'],
  );
  assert.equal(rig.scripts.jobs[1]?.env['CARP_VIRTUAL_INTERFACE'], 'vrrp9');
});

test('an IPv6 VRRP group: vrrp6-9 with 00:00:5e:00:02:09, adverts from the link-local to ff02::12, no link-local of its own', async () => {
  const rig = await masterRig({
    groups: [vrrpGroupConfig({ addresses: ['2001:db8::9/64'] })],
    parentAddresses: ['fe80::5054:ff:fe12:3456/64', '2001:db8::10/64'],
  });
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.equal(rig.link('vrrp6-9')?.mac, '00:00:5e:00:02:09');
  assert.deepEqual(rig.vips(), ['vrrp6-9 2001:db8::9/64'], 'only the VIP on the macvlan: no link-local derived from the virtual MAC');
  const advert = rig.platform.vrrpAdverts().at(-1);
  assert.equal(advert?.datagram.source.text, 'fe80::5054:ff:fe12:3456');
  assert.equal(advert?.datagram.destination.text, 'ff02::12');
  assert.equal(advert?.datagram.ttl, 255);
  assert.ok(advert !== undefined && vrrpChecksumVerifies(advert.datagram.payload, advert.datagram, 'pseudo-header'));
  const frames = rig.platform.frames.map((f) => decodeEthernetFrame(f.bytes)).filter((f) => f.ok && f.value.etherType === 0x86dd);
  assert.ok(frames.length > 0 && frames.every((f) => f.ok && f.value.source.text === '00:00:5e:00:02:09'), 'IPv6 frames (adverts, NA) from the IPv6 virtual MAC');
  await rig.daemon.stop();
});

test('an IPv6 VRRP group on an interface without a link-local address: CARPD_VRRP_NO_SOURCE, nothing touched', async () => {
  const rig = makeDaemon({ groups: [vrrpGroupConfig({ addresses: ['2001:db8::9/64'] })], parentAddresses: ['2001:db8::10/64'] });
  await assert.rejects(rig.daemon.start(), (error: unknown) => error instanceof StartupError && error.code === 'CARPD_VRRP_NO_SOURCE' && /link-local/.test(error.message));
  assert.deepEqual(rig.netlink.mutations().filter((c) => c.op !== 'removeAddress'), [], 'no macvlan, no address');
});

test('an address owner (priority 255) is MASTER at once, announces from the virtual MAC, and never adds or removes its own address', async () => {
  const rig = makeDaemon({ groups: [vrrpGroupConfig({ priority: 255, addresses: ['198.51.100.1/24'] })], parentAddresses: ['198.51.100.1/24'] });
  await rig.daemon.start();
  await rig.settle();
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.equal(status?.reason, 'started');
  assert.equal(status?.vrrp?.owner, true);
  assert.equal(rig.link('vrrp9')?.up, true, 'the macvlan is up while MASTER: frames to the virtual MAC reach the host');
  assert.equal(rig.platform.vrrpAdverts()[0]?.priority, 255);
  const ours = () => rig.netlink.addresses().filter((a) => a.address.text === '198.51.100.1').map((a) => `${rig.netlink.links().find((l) => l.index === a.ifindex)?.name} ${a.prefixLength}`);
  assert.deepEqual(ours(), ['eth0 24']);
  assert.ok(!rig.netlink.mutations().some((c) => c.op === 'addAddress' || c.op === 'removeAddress'), 'no address added or removed');
  assert.deepEqual(rig.daemon.guardSpec().items[0]?.addresses, [], 'the cleanup guard never removes them either');
  await rig.daemon.stop();
  assert.deepEqual(ours(), ['eth0 24'], 'still there after the stop');
  assert.equal(rig.platform.vrrpAdverts().at(-1)?.priority, 0, 'the owner resigns with priority 0 too');
});

test('an address owner whose address is not on the interface: CARPD_VRRP_OWNER_ADDRESS, nothing touched', async () => {
  const rig = makeDaemon({ groups: [vrrpGroupConfig({ priority: 255, addresses: ['198.51.100.1/24'] })] });
  await assert.rejects(rig.daemon.start(), (error: unknown) => error instanceof StartupError && error.code === 'CARPD_VRRP_OWNER_ADDRESS' && error.message.includes('198.51.100.1'));
  assert.deepEqual(rig.netlink.mutations(), []);
});

test('vmac: false puts the VIP on eth0 itself and stops taking it off', async () => {
  const rig = await masterRig({ groups: [vrrpGroupConfig({ vmac: false })] });
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.deepEqual(rig.vips(), ['eth0 198.51.100.9/24']);
  assert.equal(rig.link('vrrp9'), undefined);
  assert.ok(rig.platform.vrrpAdverts().length > 0);
  await rig.daemon.stop();
  assert.deepEqual(rig.vips(), []);
});

test('drift repair: the VIP removed from vrrp9 by hand while MASTER is put back', async () => {
  const rig = await masterRig({ groups: [vrrpGroupConfig()] });
  const index = rig.link('vrrp9')?.index ?? -1;
  rig.netlink.removeAddressExternally(index, '198.51.100.9');
  await rig.settle();
  assert.deepEqual(rig.vips(), ['vrrp9 198.51.100.9/24']);
  assert.ok((rig.daemon.status().groups[0]?.effects?.repairs ?? 0) >= 1);
  await rig.daemon.stop();
});

test('a CARP group and a VRRP group on one interface, each with a peer: both elect, neither counts the other protocol as drops', async () => {
  const rig = makeDaemon({ groups: [groupConfig({ advskew: 100 }), vrrpGroupConfig({ priority: 100 })] });
  const carpPeer = simPeer(rig, { address: '198.51.100.2', advskew: 0 });
  const vrrpPeer = simVrrpPeer(rig, { address: '198.51.100.3', priority: 50 });
  await rig.daemon.start();
  await rig.advance(6_000_000);
  const [carp, vrrp] = rig.daemon.status().groups;
  assert.equal(carp?.protocol, 'carp');
  assert.equal(carp?.state, 'BACKUP', 'the better CARP peer is master');
  assert.equal(carpPeer.state.phase, 'master');
  assert.equal(vrrp?.state, 'MASTER', 'the worse VRRP peer is preempted');
  assert.equal(vrrpPeer.state.phase, 'backup');
  assert.deepEqual(rig.vips(), ['vrrp9 198.51.100.9/24']);
  const nonZero = (drops: Record<string, number> | undefined) => Object.entries(drops ?? {}).filter(([, n]) => n > 0);
  assert.deepEqual(nonZero(carp?.counters.drops), []);
  assert.deepEqual(nonZero(vrrp?.counters.drops), []);
  assert.deepEqual(nonZero(rig.daemon.status().unattributedDrops['eth0']), [], 'every advert reached its own group');
  assert.ok((carp?.counters.advertsReceived ?? 0) > 0, 'the CARP group hears its master');
  assert.ok(vrrpPeer.stats.advertsReceived > 0, 'the VRRP peer hears our VRRP master');
  await rig.daemon.stop();
});

test('reload: priority and interval change in place (no transition, the next advert carries them); a protocol change restarts the group', async () => {
  const rig = await masterRig({ groups: [vrrpGroupConfig()] });
  const transitions = rig.daemon.status().groups[0]?.counters.transitions;
  rig.next = carpdConfig([vrrpGroupConfig({ priority: 120, advertIntervalCentis: 50 })]);
  const inPlace = await rig.daemon.reload();
  assert.equal(inPlace.ok, true, inPlace.message);
  assert.match(inPlace.message, /1 changed \(1 in place\)/);
  await rig.advance(1_100_000);
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.equal(status?.counters.transitions, transitions);
  assert.equal(status?.vrrp?.priority, 120);
  const last = rig.platform.vrrpAdverts().at(-1);
  assert.equal(last?.priority, 120);
  assert.equal(last?.maxAdvertInterval, 50);

  // Priority 255 makes the addresses the interface's own: not an in-place change.
  rig.next = carpdConfig([vrrpGroupConfig({ priority: 255 })]);
  const owner = await rig.daemon.reload();
  assert.equal(owner.ok, false, 'refused: 198.51.100.9 is not an address of eth0');
  assert.match(owner.message, /address owner/);
  assert.equal(rig.daemon.status().groups[0]?.vrrp?.priority, 120, 'the running group is as before');

  rig.next = carpdConfig([{ ...groupConfig({ vhid: 9, name: 'eth0/vrrp9' }) }]);
  const restart = await rig.daemon.reload();
  assert.equal(restart.ok, true, restart.message);
  assert.match(restart.message, /1 changed \(0 in place\)/);
  await rig.settle();
  const carp = rig.daemon.status().groups[0];
  assert.equal(carp?.protocol, 'carp');
  assert.equal(carp?.state, 'BACKUP');
  assert.equal(rig.link('vrrp9'), undefined, 'the VRRP macvlan is gone');
  assert.equal(rig.link('carp9')?.mac, '00:00:5e:00:01:09');
  assert.equal(rig.platform.vrrpAdverts().at(-1)?.priority, 0, 'the VRRP master resigned on its way out');
  await rig.daemon.stop();
});

test('a failed claim: the VRRP master resigns with priority 0, advertises priority 1 during the fault, and a backup takes over within its Skew_Time', async () => {
  const rig = makeDaemon({ groups: [vrrpGroupConfig({ priority: 200 })] });
  await rig.daemon.start();
  const peer = simVrrpPeer(rig, { address: '198.51.100.2', priority: 100 });
  rig.netlink.failWhen((op) => (op === 'addAddress' ? 'EPERM' : undefined));
  await rig.advance(3_500_000); // ours: 3 s + 56/256 s; the peer's: 3 s + 156/256 s
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.reason, 'claim-failed');
  assert.equal(status?.state, 'BACKUP');
  assert.equal(status?.demotion.fault, true);
  assert.equal(status?.vrrp?.effectivePriority, 1, 'fully demoted: the lowest backup priority');
  const ours = rig.platform.vrrpAdverts().filter((a) => a.from.startsWith('carpd:'));
  // The fault demotion is advertised at once (priority 1), then the resignation (priority 0).
  assert.deepEqual(ours.map((a) => a.priority), [200, 1, 0]);
  const resignedAt = rig.clock.nowMicros();
  await rig.advance(700_000);
  assert.equal(peer.state.phase, 'master');
  assert.equal(peer.state.reason, 'master-bowed-out');
  assert.ok(rig.clock.nowMicros() - resignedAt <= 700_000);
  assert.deepEqual(rig.vips(), []);
  await rig.daemon.stop();
});

test('reload of an address owner: a new address that is not on the interface is refused, nothing changes', async () => {
  const rig = makeDaemon({ groups: [vrrpGroupConfig({ priority: 255, addresses: ['198.51.100.1/24'] })], parentAddresses: ['198.51.100.1/24'] });
  await rig.daemon.start();
  await rig.settle();
  rig.next = carpdConfig([vrrpGroupConfig({ priority: 255, addresses: ['198.51.100.1/24', '198.51.100.2/24'] })]);
  const answer = await rig.daemon.reload();
  assert.equal(answer.ok, false);
  assert.equal(answer.ok ? '' : answer.code, 'CARPD_VRRP_OWNER_ADDRESS');
  assert.deepEqual(rig.daemon.status().groups[0]?.addresses, ['198.51.100.1/24']);
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  await rig.daemon.stop();
});

test('a sync set across protocols: demoting the CARP member lowers the VRRP member\'s advertised priority too', async () => {
  const rig = await masterRig({ groups: [groupConfig({ syncSet: 'edge' }), vrrpGroupConfig({ priority: 150, syncSet: 'edge' })] });
  assert.equal(rig.daemon.demote('eth0/vhid7', 40).ok, true);
  await rig.advance(1_100_000);
  const [carp, vrrp] = rig.daemon.status().groups;
  assert.equal(carp?.demotion.total, 40);
  assert.equal(vrrp?.demotion.total, 40);
  assert.deepEqual(vrrp?.demotion.syncSet, { name: 'edge', demotion: 40 });
  assert.equal(vrrp?.vrrp?.effectivePriority, 110);
  assert.equal(rig.platform.vrrpAdverts().at(-1)?.priority, 110);
  await rig.daemon.stop();
});
