/**
 * Drift repair, on fakes (docs/development.md "Code principles", 11c): the daemon watches the kernel's link and address
 * events and, while MASTER, puts back what someone else removed; a virtual address appearing
 * while not MASTER is a counted conflict; a re-created parent interface gets its groups rebuilt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupConfig, makeDaemon, PARENT, type DaemonRig } from '../helpers/fake-platform.ts';

const VIP = '198.51.100.7';

/** A started rig whose one group is MASTER with its VIP on carp7. */
async function masterRig(options: Parameters<typeof makeDaemon>[0] = { groups: [groupConfig()] }): Promise<DaemonRig> {
  const rig = makeDaemon(options);
  await rig.daemon.start();
  await rig.becomeMaster();
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  return rig;
}

function carp7Index(rig: DaemonRig): number {
  const link = rig.link('carp7');
  assert.ok(link, 'carp7 exists');
  return link.index;
}

test('repair, a VIP deleted by hand while MASTER is put back', async () => {
  const rig = await masterRig();
  const before = rig.daemon.status().groups[0]?.counters.transitions;
  rig.netlink.removeAddressExternally(carp7Index(rig), VIP);
  await rig.settle();
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.equal(status?.counters.transitions, before, 'no transition');
  assert.ok((status?.effects?.repairs ?? 0) >= 1);
  assert.ok(rig.logger.records.some((r) => r.level === 'warn' && r.message.includes('repaired') && r.message.includes('198.51.100.7/24 added back on carp7')));
  await rig.daemon.stop();
});

test('repair, carp7 set down by hand while MASTER is set up again, its lost IPv6 VIP re-added', async () => {
  const rig = await masterRig({
    groups: [groupConfig({ addresses: [VIP, '2001:db8::7/64'] })],
    parentAddresses: ['2001:db8::10/64'],
  });
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24', 'carp7 2001:db8::7/64']);
  rig.netlink.setLinkStateExternally('carp7', { up: false });
  await rig.settle();
  assert.equal(rig.link('carp7')?.up, true);
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24', 'carp7 2001:db8::7/64']);
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.ok((status?.effects?.repairs ?? 0) >= 1);
  assert.ok(rig.logger.records.some((r) => r.message.includes('repaired') && r.message.includes('2001:db8::7/64')));
  await rig.daemon.stop();
});

test('repair, carp7 deleted by hand while MASTER is re-created (new ifindex) with the VIP, and the guard learns it', async () => {
  const rig = await masterRig();
  const oldIndex = carp7Index(rig);
  rig.netlink.removeLinkExternally('carp7');
  await rig.settle();
  const carp7 = rig.link('carp7');
  assert.ok(carp7, 're-created');
  assert.notEqual(carp7.index, oldIndex);
  assert.equal(carp7.parentIndex, rig.eth0.index);
  assert.equal(carp7.up, true);
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  const guard = rig.platform.guards[0];
  assert.equal(guard?.spec.items[0]?.virtualInterfaceIndex, carp7.index, 'the guard would delete the new carp7, not the old ifindex');
  assert.ok(rig.logger.records.some((r) => r.message.includes('carp7 re-created')));
  await rig.daemon.stop();
  assert.equal(rig.link('carp7'), undefined, 'stop deletes the new carp7');
});

test('repair, without --vmac: a VIP deleted from eth0 while MASTER is put back on eth0', async () => {
  const rig = await masterRig({ groups: [groupConfig({ vmac: false })] });
  assert.deepEqual(rig.vips(), ['eth0 198.51.100.7/24']);
  rig.netlink.removeAddressExternally(rig.eth0.index, VIP);
  await rig.settle();
  assert.deepEqual(rig.vips(), ['eth0 198.51.100.7/24']);
  assert.ok((rig.daemon.status().groups[0]?.effects?.repairs ?? 0) >= 1);
  await rig.daemon.stop();
});

test('repair, lost netlink events (overflow): the resync finds the missing VIP', async () => {
  const rig = await masterRig();
  rig.netlink.removeAddressExternally(carp7Index(rig), VIP);
  rig.netlink.simulateOverflow(); // the deletion's event is lost
  await rig.settle();
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  assert.ok((rig.daemon.status().groups[0]?.effects?.repairs ?? 0) >= 1);
  await rig.daemon.stop();
});

test('repair that fails is a failed claim: BACKUP, fully demoted, no VIP', async () => {
  const rig = await masterRig();
  rig.netlink.failWhen((op) => (op === 'addAddress' ? 'ENOMEM' : undefined));
  rig.netlink.removeAddressExternally(carp7Index(rig), VIP);
  await rig.settle();
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'BACKUP');
  assert.equal(status?.reason, 'claim-failed');
  assert.equal(status?.demotion.total, 255);
  assert.deepEqual(rig.vips(), []);
  await rig.daemon.stop();
});

test('conflict, the VIP appearing on eth0 while BACKUP is logged and counted, not removed', async () => {
  const rig = makeDaemon({ groups: [groupConfig()] });
  await rig.daemon.start();
  await rig.settle();
  rig.netlink.addHostAddress(rig.eth0.index, VIP, 24);
  await rig.settle();
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'BACKUP');
  assert.equal(status?.effects?.conflicts, 1);
  assert.ok(rig.logger.records.some((r) => r.level === 'warn' && r.message.includes('conflict') && r.fields['ifindex'] === rig.eth0.index));
  assert.deepEqual(rig.vips(), ['eth0 198.51.100.7/24'], 'left for the operator');
  await rig.daemon.stop();
});

test('ok, the VIPs carpd adds itself are no conflict', async () => {
  const rig = await masterRig();
  assert.equal(rig.daemon.status().groups[0]?.effects?.conflicts, 0);
  await rig.daemon.stop();
});

test('parent carrier lost while MASTER: the group leaves (INIT) and drops the VIP; carrier back: BACKUP, then MASTER', async () => {
  const rig = await masterRig();
  rig.netlink.setLinkStateExternally(PARENT.name, { running: false });
  await rig.settle();
  assert.equal(rig.daemon.status().groups[0]?.state, 'INIT');
  assert.equal(rig.daemon.status().groups[0]?.reason, 'link-down');
  assert.deepEqual(rig.vips(), []);
  assert.equal(rig.daemon.status().groups[0]?.effects?.repairs, 0, 'carp7 losing its carrier with eth0 is no drift');
  rig.netlink.setLinkStateExternally(PARENT.name, { running: true });
  await rig.settle();
  assert.equal(rig.daemon.status().groups[0]?.state, 'BACKUP');
  await rig.becomeMaster();
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  await rig.daemon.stop();
});

/** eth0 deleted and made again (a new ifindex), with its address, as a driver reload does. */
function recreateParent(rig: DaemonRig): number {
  rig.netlink.removeLinkExternally(PARENT.name);
  const eth0 = rig.netlink.addLink({ name: PARENT.name, mac: PARENT.mac, up: true, running: true });
  rig.netlink.addHostAddress(eth0.index, PARENT.address, PARENT.prefixLength);
  assert.notEqual(eth0.index, rig.eth0.index);
  return eth0.index;
}

test('parent re-created while BACKUP: the group is rebuilt on the new eth0 and can become MASTER', async () => {
  const rig = makeDaemon({ groups: [groupConfig()] });
  await rig.daemon.start();
  await rig.settle();
  const index = recreateParent(rig);
  await rig.settle();
  assert.equal(rig.link('carp7')?.parentIndex, index, 'carp7 on the new eth0');
  assert.equal(rig.platform.opened.at(-1)?.link.index, index, 'sockets opened on the new eth0');
  assert.equal(rig.daemon.status().groups[0]?.state, 'BACKUP');
  await rig.becomeMaster();
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  assert.equal(rig.platform.guards[0]?.spec.items[0]?.virtualInterfaceIndex, rig.link('carp7')?.index);
  await rig.daemon.stop();
  assert.deepEqual(rig.netlink.links().map((l) => l.name), [PARENT.name]);
});

test('parent re-created while MASTER: the group leaves mastership, is rebuilt on the new eth0, and takes the VIP again', async () => {
  const rig = await masterRig();
  const index = recreateParent(rig);
  await rig.settle();
  const carp7 = rig.link('carp7');
  assert.equal(carp7?.parentIndex, index);
  assert.equal(rig.daemon.status().groups[0]?.state, 'BACKUP');
  assert.deepEqual(rig.vips(), []);
  await rig.becomeMaster();
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  assert.equal(rig.link('carp7')?.parentIndex, index);
  assert.deepEqual(rig.netlink.listenerErrors, []);
  await rig.daemon.stop();
});

test('parent renamed (down as eth0, up as lan0, same ifindex): the group leaves INIT, takes the VIP again, and the rename is warned once', async () => {
  const rig = await masterRig();
  rig.netlink.setLinkStateExternally(PARENT.name, { up: false });
  await rig.settle();
  assert.equal(rig.daemon.status().groups[0]?.state, 'INIT');
  rig.netlink.renameLinkExternally(PARENT.name, 'lan0');
  rig.netlink.setLinkStateExternally('lan0', { up: true });
  await rig.settle();
  assert.equal(rig.link('lan0')?.index, rig.eth0.index, 'same ifindex');
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'BACKUP', 'out of INIT once lan0 is up');
  await rig.becomeMaster();
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  const renames = rig.logger.records.filter((r) => r.level === 'warn' && r.fields['from'] === PARENT.name && r.fields['to'] === 'lan0');
  assert.equal(renames.length, 1, 'one warning per rename');
  assert.equal(renames[0]?.fields?.['interface'], PARENT.name, 'names what the configuration says');
  assert.equal(rig.platform.opened.length, 1, 'no rebuild: the sockets survive a rename');
  assert.deepEqual(rig.netlink.listenerErrors, []);
  await rig.daemon.stop();
});

test('parent renamed while MASTER and its link stays up: the group stays MASTER and keeps the VIP', async () => {
  const rig = await masterRig();
  rig.netlink.renameLinkExternally(PARENT.name, 'lan0');
  await rig.settle();
  await rig.advance(5_000_000);
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  await rig.daemon.stop();
});

/** The ARP settings of carp7 as they were each time a VIP was added to it (read at the addAddress call). */
function arpSettingsAtEachAdd(rig: DaemonRig): string[] {
  const seen: string[] = [];
  rig.netlink.failWhen((op, args) => {
    if (op === 'addAddress' && args[0] === rig.link('carp7')?.index) {
      seen.push(`${rig.platform.sysctl('net/ipv4/conf/carp7/arp_ignore')}/${rig.platform.sysctl('net/ipv4/conf/carp7/arp_announce')}`);
    }
    return undefined;
  });
  return seen;
}

test('sysctls, carp7 deleted while MASTER: the re-created carp7 gets arp_ignore=1/arp_announce=2 before its VIP, and eth0 is restored at stop', async () => {
  const rig = await masterRig();
  assert.equal(rig.platform.sysctl('net/ipv4/conf/carp7/arp_ignore'), '1');
  const seen = arpSettingsAtEachAdd(rig);
  rig.netlink.removeLinkExternally('carp7');
  await rig.settle();
  assert.equal(rig.platform.sysctl('net/ipv4/conf/carp7/arp_ignore'), '1');
  assert.equal(rig.platform.sysctl('net/ipv4/conf/carp7/arp_announce'), '2');
  assert.deepEqual(seen, ['1/2'], 'set before the VIP was added');
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  await rig.daemon.stop();
  assert.equal(rig.platform.sysctl('net/ipv4/conf/eth0/arp_ignore'), '0', 'the parent restored as before');
  assert.equal(rig.platform.sysctl('net/ipv4/conf/eth0/arp_announce'), '0');
});

test('sysctls, carp7 deleted while BACKUP: the claim that re-creates it sets its ARP settings first', async () => {
  const rig = makeDaemon({ groups: [groupConfig()] });
  await rig.daemon.start();
  await rig.settle();
  rig.netlink.removeLinkExternally('carp7');
  await rig.settle();
  assert.equal(rig.platform.sysctl('net/ipv4/conf/carp7/arp_ignore'), '0', 'gone with the link');
  const seen = arpSettingsAtEachAdd(rig);
  await rig.becomeMaster();
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  assert.deepEqual(seen, ['1/2']);
  await rig.daemon.stop();
});

test('sysctls, parent renamed to lan0 while running: stop restores the parent\'s settings under its new name', async () => {
  const rig = await masterRig();
  assert.equal(rig.platform.sysctl('net/ipv4/conf/eth0/arp_ignore'), '1');
  rig.netlink.setLinkStateExternally(PARENT.name, { up: false });
  rig.netlink.renameLinkExternally(PARENT.name, 'lan0');
  rig.netlink.setLinkStateExternally('lan0', { up: true });
  await rig.settle();
  assert.equal(rig.platform.sysctl('net/ipv4/conf/lan0/arp_ignore'), '1', 'moved with the link');
  await rig.daemon.stop();
  assert.equal(rig.platform.sysctl('net/ipv4/conf/lan0/arp_ignore'), '0');
  assert.equal(rig.platform.sysctl('net/ipv4/conf/lan0/arp_announce'), '0');
});
