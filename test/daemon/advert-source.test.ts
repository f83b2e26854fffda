/**
 * Issue 19 item 2 on fakes: the advert source follows the parent being renumbered
 * (`ip addr del OLD; ip addr add NEW`), for CARP and VRRP, with and without a virtual MAC; the
 * VIPs carpd put on the parent never become the source; the move is logged once; and the tie rule
 * uses the new address, so an equal peer sees the same winner as we do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { decodeIpPacket, IPPROTO_CARP } from '../../src/wire/ip-packet.ts';
import { vrrpChecksumVerifies } from '../../src/protocols/vrrp/vrrp-checksum.ts';
import { groupConfig, makeDaemon, PARENT, simPeer, vrrpGroupConfig, type DaemonRig } from '../helpers/fake-platform.ts';

const NEW = '198.51.100.50';

/** The IP sources of carpd's protocol-112 packets sent after packet index `from`. */
function sourcesSince(rig: DaemonRig, from: number): string[] {
  const out = new Set<string>();
  for (const packet of rig.platform.packets.slice(from)) {
    if (!packet.from.startsWith('carpd:')) continue;
    const ip = decodeIpPacket(packet.bytes);
    if (ip.ok && ip.value.protocol === IPPROTO_CARP) out.add(ip.value.source.text);
  }
  return [...out];
}

/** The "adverts now go out from" records. */
function moves(rig: DaemonRig): Record<string, unknown>[] {
  return rig.logger.records.filter((r) => r.fields['to'] !== undefined && r.fields['family'] !== undefined && r.fields['interface'] === PARENT.name).map((r) => r.fields);
}

/** `ip addr del 198.51.100.10/24 dev eth0; ip addr add 198.51.100.50/24 dev eth0`, then 2 s. */
async function renumber(rig: DaemonRig): Promise<number> {
  rig.netlink.removeAddressExternally(rig.eth0.index, PARENT.address);
  await rig.settle();
  rig.netlink.addHostAddress(rig.eth0.index, NEW, 24);
  await rig.settle();
  const mark = rig.platform.packets.length;
  await rig.advance(2_000_000);
  return mark;
}

for (const vmac of [false, true]) {
  test(`CARP, vmac ${vmac}: after the parent is renumbered the MASTER's adverts leave from the new address, said once`, async () => {
    const rig = makeDaemon({ groups: [groupConfig({ vmac })] });
    await rig.daemon.start();
    await rig.becomeMaster();
    assert.deepEqual(sourcesSince(rig, 0), [PARENT.address]);
    const mark = await renumber(rig);
    assert.deepEqual(sourcesSince(rig, mark), [NEW], 'every advert after the renumbering is from the new address');
    assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
    assert.deepEqual(moves(rig), [{ interface: 'eth0', family: 4, from: PARENT.address, to: NEW, groups: ['eth0/vhid7'] }]);
    await rig.daemon.stop();
  });
}

test('CARP, vmac false: the VIP carpd put on the parent is never taken as the source while the own address is gone', async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vmac: false })] });
  await rig.daemon.start();
  await rig.becomeMaster();
  assert.ok(rig.vips().some((v) => v.startsWith('eth0 198.51.100.7/')), 'the VIP is on eth0');
  rig.netlink.removeAddressExternally(rig.eth0.index, PARENT.address);
  await rig.settle();
  const mark = rig.platform.packets.length;
  await rig.advance(2_000_000);
  assert.deepEqual(sourcesSince(rig, mark), [PARENT.address], 'no own address left: the old source is kept (sends fail on Linux), never the VIP');
  assert.deepEqual(moves(rig), []);
  rig.netlink.addHostAddress(rig.eth0.index, NEW, 24);
  await rig.advance(2_000_000);
  assert.equal(moves(rig).length, 1);
  await rig.daemon.stop();
});

test('CARP: a configured source_address stays pinned when the parent is renumbered (the operator chose it)', async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vmac: false, sourceAddress: parseIpAddress(PARENT.address) })] });
  await rig.daemon.start();
  await rig.becomeMaster();
  const mark = await renumber(rig);
  assert.deepEqual(sourcesSince(rig, mark), [PARENT.address], 'still the configured address (on Linux these sends fail: engine/send-fault.ts)');
  assert.deepEqual(moves(rig), []);
  await rig.daemon.stop();
});

test('CARP: a second address added beside the source moves nothing', async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vmac: false })] });
  await rig.daemon.start();
  await rig.becomeMaster();
  rig.netlink.addHostAddress(rig.eth0.index, NEW, 24);
  const mark = rig.platform.packets.length;
  await rig.advance(2_000_000);
  assert.deepEqual(sourcesSince(rig, mark), [PARENT.address]);
  assert.deepEqual(moves(rig), []);
  await rig.daemon.stop();
});

test('CARP, after lost address events: the re-read address list moves the source', async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vmac: false })] });
  await rig.daemon.start();
  await rig.becomeMaster();
  rig.netlink.holdAddressEvents();
  rig.netlink.removeAddressExternally(rig.eth0.index, PARENT.address);
  rig.netlink.addHostAddress(rig.eth0.index, NEW, 24);
  rig.netlink.simulateOverflow();
  await rig.settle();
  const mark = rig.platform.packets.length;
  await rig.advance(2_000_000);
  assert.deepEqual(sourcesSince(rig, mark), [NEW]);
  assert.equal(moves(rig).length, 1);
  await rig.daemon.stop();
});

test('CARP tie rule: renumbered from .10 to .50, an equal peer at .30 wins on both sides (one MASTER, not two)', async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vmac: false, advskew: 0 })] });
  await rig.daemon.start();
  await rig.becomeMaster();
  await renumber(rig);
  const peer = simPeer(rig, { address: '198.51.100.30', advskew: 0 });
  await rig.advance(500_000);
  peer.force('master');
  await rig.advance(3_000_000);
  // With the stale .10 in its tie rule carpd kept MASTER while the peer, comparing .30 with the
  // .50 it hears, kept MASTER too.
  assert.equal(peer.state.phase, 'master');
  assert.equal(rig.daemon.status().groups[0]?.state, 'BACKUP');
  await rig.daemon.stop();
});

test('VRRP: the primary address follows, and the advert checksum is over the new source', async () => {
  const rig = makeDaemon({ groups: [vrrpGroupConfig({ vmac: false })] });
  await rig.daemon.start();
  await rig.advance(3_800_000);
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  const mark = rig.platform.packets.length;
  const before = rig.platform.vrrpAdverts().length;
  rig.netlink.removeAddressExternally(rig.eth0.index, PARENT.address);
  rig.netlink.addHostAddress(rig.eth0.index, NEW, 24);
  await rig.advance(2_000_000);
  const after = rig.platform.vrrpAdverts().slice(before).filter((a) => a.from.startsWith('carpd:'));
  assert.ok(after.length >= 1);
  assert.deepEqual(sourcesSince(rig, mark), [NEW]);
  for (const advert of after) assert.ok(vrrpChecksumVerifies(advert.datagram.payload, advert.datagram, 'pseudo-header'), 'checksum over the new source');
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  await rig.daemon.stop();
});
