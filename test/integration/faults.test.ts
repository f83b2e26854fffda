/** Real daemons under faults: link down/up, 30 % loss, and stale state left by a killed run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CARPD, holds, phaseOf, records, startCarpd, groupFlags, stopCarpd, transitions, waitForPhase } from './carpd-in-lab.ts';
import { labForThisFile } from '../helpers/file-lab.ts';

const VIP = '198.51.100.101';
/** Adds an address in a lab host as carpd does, with carpd's mark (test/helpers/add-marked-address.ts). */
const ADD_MARKED = [process.execPath, '--import', 'tsx', join(import.meta.dirname, '..', 'helpers', 'add-marked-address.ts')];

const fileLab = await labForThisFile({ hosts: ['a', 'b'] });
const skip = fileLab.skip;

test('lab: master link down → the backup takes over and the old master goes to INIT; link up → it rejoins as backup', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  const a = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 8, vip: VIP, advskew: 0 }));
  await waitForPhase(a, 'master', 6_000);
  const b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: 8, vip: VIP, advskew: 50 }));
  await waitForPhase(b, 'backup', 3_000);
  const aCount = transitions(a).length;
  const bCount = transitions(b).length;
  // Down inside a's namespace, so its daemon sees the carrier go.
  await lab.exec('a', ['ip', 'link', 'set', 'eth0', 'down']);
  await waitForPhase(a, 'init', 3_000, aCount);
  assert.ok(!(await holds(lab, lab.host('a'), VIP)), 'a gave up the VIP on link down');
  await waitForPhase(b, 'master', 5_000, bCount);
  await lab.exec('a', ['ip', 'link', 'set', 'eth0', 'up']);
  await waitForPhase(a, 'backup', 5_000, aCount + 1);
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(phaseOf(a), 'backup', 'no preemption: a stays backup');
  assert.equal(phaseOf(b), 'master');
  assert.equal(await stopCarpd(a), 0);
  assert.equal(await stopCarpd(b), 0);
});

test('lab: 30 % loss on the segment for 20 s causes no flapping (advbase 1)', { skip: skip ?? false, timeout: 60_000 }, async (t) => {
  const lab = fileLab.lab();
  const a = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 9, vip: VIP, advskew: 0 }));
  await waitForPhase(a, 'master', 6_000);
  const b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: 9, vip: VIP, advskew: 100 }));
  await waitForPhase(b, 'backup', 3_000);
  const counts = [transitions(a).length, transitions(b).length];
  await lab.setLoss(30);
  try {
    await new Promise((r) => setTimeout(r, 20_000));
  } finally {
    await lab.setLoss(0);
  }
  // A false takeover needs every advert of b's 4.17 s master-down window lost: four in a row,
  // 0.3⁴ ≈ 0.8 % per advert, so one in 20 s is possible but rare; the protocol itself allows it.
  // The count is reported; more than two would mean the daemon adds flapping of its own.
  const flaps = transitions(b).length - (counts[1] as number);
  t.diagnostic(`transitions of the backup under 30 % loss in 20 s: ${flaps}`);
  assert.equal(transitions(a).length, counts[0], 'the master never changed state');
  assert.ok(flaps <= 2, `backup flapped ${flaps} times`);
  assert.equal(await stopCarpd(a), 0);
  assert.equal(await stopCarpd(b), 0);
});

test('lab: start-up reconciliation removes a VIP and a virtual interface left by a killed run', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  // Without --vmac the VIP lives on eth0: leave it there, with carpd's mark, as if a run was SIGKILLed.
  assert.equal((await lab.exec('a', [...ADD_MARKED, 'eth0', VIP, '24'])).code, 0);
  // With --vmac: a leftover carp10 holding the VIP (added by ip, unmarked: carp10 is carpd's by construction).
  await lab.exec('b', ['ip', 'link', 'add', 'link', 'eth0', 'name', 'carp10', 'address', '00:00:5e:00:01:0a', 'type', 'macvlan', 'mode', 'bridge']);
  await lab.exec('b', ['ip', 'addr', 'add', `${VIP}/24`, 'dev', 'carp10']);
  await lab.exec('b', ['ip', 'link', 'set', 'carp10', 'up']);
  const b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: 10, vip: VIP, advskew: 0 }));
  await waitForPhase(b, 'master', 6_000);
  const a = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 10, vip: VIP, advskew: 100, extra: ['--no-vmac'] }));
  await waitForPhase(a, 'backup', 3_000);
  assert.ok(!(await holds(lab, lab.host('a'), VIP)), 'the stale VIP on a was removed before joining as backup');
  const bAddresses = await lab.addresses('b');
  assert.equal(bAddresses.filter((x) => x.startsWith(`${VIP}/`)).length, 1, 'exactly one VIP on b (the new carp10)');
  assert.equal(await stopCarpd(a), 0);
  assert.equal(await stopCarpd(b), 0);
  assert.ok(!(await holds(lab, lab.host('b'), VIP)));
});

test('lab: a SIGKILLed daemon leaves nothing behind on a host that stays up (the cleanup guard)', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  for (const extra of [[], ['--no-vmac']]) {
    const a = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 11, vip: VIP, advskew: 0, extra }));
    await waitForPhase(a, 'master', 6_000);
    assert.ok(await holds(lab, lab.host('a'), VIP));
    await a.process.kill();
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline && (await holds(lab, lab.host('a'), VIP))) await new Promise((r) => setTimeout(r, 50));
    assert.ok(!(await holds(lab, lab.host('a'), VIP)), `VIP removed after SIGKILL (${extra.join(' ') || 'vmac'})`);
    assert.ok(!(await lab.links('a')).some((l) => l.name === 'carp11'), 'carp11 deleted');
  }
});

test('lab: carpd cleanup removes leftovers of an unclean stop (item 3: only marked addresses), and nothing that is not ours', { skip: skip ?? false, timeout: 30_000 }, async () => {
  const lab = fileLab.lab();
  const flags = ['--interface', 'eth0', '--vhid', '12', '--pass', 'lab-secret', '--addr', `${VIP}/24`];
  // Ours: carp12 with the virtual MAC of vhid 12, and the VIP on eth0 with carpd's mark (a --no-vmac run).
  await lab.exec('a', ['ip', 'link', 'add', 'link', 'eth0', 'name', 'carp12', 'address', '00:00:5e:00:01:0c', 'type', 'macvlan', 'mode', 'bridge']);
  assert.equal((await lab.exec('a', [...ADD_MARKED, 'eth0', VIP, '24'])).code, 0);
  // Not ours: a carp12 with another MAC on b, and the same address on b's eth0 without the mark (issue 18 item 3).
  await lab.exec('b', ['ip', 'link', 'add', 'link', 'eth0', 'name', 'carp12', 'address', '02:00:00:00:00:12', 'type', 'macvlan', 'mode', 'bridge']);
  await lab.exec('b', ['ip', 'addr', 'add', `${VIP}/24`, 'dev', 'eth0']);
  for (const host of ['a', 'b']) {
    const result = await lab.exec(host, [process.execPath, CARPD, 'cleanup', ...flags]);
    assert.equal(result.code, 0, result.stderr);
  }
  assert.ok(!(await lab.links('a')).some((l) => l.name === 'carp12'), 'our carp12 removed');
  assert.ok(!(await holds(lab, lab.host('a'), VIP)), 'the VIP removed');
  assert.ok((await lab.links('b')).some((l) => l.name === 'carp12'), 'a foreign carp12 is left alone');
  assert.ok(await holds(lab, lab.host('b'), VIP), 'an unmarked address (the host\'s own) is left alone');
  await lab.exec('b', ['ip', 'link', 'del', 'carp12']);
  await lab.exec('b', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
});

test('lab: the parent renamed (eth0 down, renamed lan0, up) with the other node stopped: the VIP comes back on this node', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  const arpIgnore = async (ifname: string) => (await lab.exec('a', ['cat', `/proc/sys/net/ipv4/conf/${ifname}/arp_ignore`])).stdout.trim();
  const original = await arpIgnore('eth0');
  const a = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 13, vip: VIP, advskew: 0 }));
  await waitForPhase(a, 'master', 6_000);
  const b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: 13, vip: VIP, advskew: 50 }));
  await waitForPhase(b, 'backup', 3_000);
  assert.equal(await stopCarpd(b), 0, 'the other node stopped');
  const count = transitions(a).length;
  try {
    await lab.exec('a', ['ip', 'link', 'set', 'eth0', 'down']);
    await waitForPhase(a, 'init', 3_000, count);
    await lab.exec('a', ['ip', 'link', 'set', 'eth0', 'name', 'lan0']);
    await lab.exec('a', ['ip', 'link', 'set', 'lan0', 'up']);
    // Out of INIT on the up event of lan0 (same ifindex), then MASTER after the master-down interval.
    await waitForPhase(a, 'master', 8_000, count + 1);
    assert.ok(await holds(lab, lab.host('a'), VIP), 'a holds the VIP again');
    const toVip = await lab.ping('b', VIP, { intervalMs: 50, durationMs: 1_000 });
    assert.ok(toVip.received >= toVip.sent - 1 && toVip.received > 0, `b reaches the VIP (${toVip.received}/${toVip.sent})`);
    const renamed = records(a).filter((r) => r['level'] === 'warn' && r['from'] === 'eth0' && r['to'] === 'lan0');
    assert.equal(renamed.length, 1, 'the rename is warned once');
    assert.equal(await stopCarpd(a), 0);
    assert.ok(!(await holds(lab, lab.host('a'), VIP)), 'the VIP removed at stop');
    assert.equal(await arpIgnore('lan0'), original, 'the parent\'s arp_ignore restored under its new name');
  } finally {
    if (!a.process.done) await stopCarpd(a);
    if ((await lab.links('a')).some((l) => l.name === 'lan0')) {
      await lab.exec('a', ['ip', 'link', 'set', 'lan0', 'down']);
      await lab.exec('a', ['ip', 'link', 'set', 'lan0', 'name', 'eth0']);
      await lab.exec('a', ['ip', 'link', 'set', 'eth0', 'up']);
    }
  }
});

test('lab: carp<vhid> deleted while MASTER is re-created with arp_ignore=1/arp_announce=2; a neighbour never learns the virtual MAC for the host\'s own address', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  const a = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 14, vip: VIP, advskew: 0 }));
  try {
    await waitForPhase(a, 'master', 6_000);
    const before = (await lab.links('a')).find((l) => l.name === 'carp14');
    assert.ok(before, 'carp14 made');
    await lab.exec('a', ['ip', 'link', 'del', 'carp14']);
    // Drift repair re-creates it (bounded wait).
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !((await lab.links('a')).some((l) => l.name === 'carp14') && (await holds(lab, lab.host('a'), VIP)))) await new Promise((r) => setTimeout(r, 50));
    assert.ok(await holds(lab, lab.host('a'), VIP), 'the VIP is back on the re-created carp14');
    const sysctl = async (name: string) => (await lab.exec('a', ['cat', `/proc/sys/net/ipv4/conf/carp14/${name}`])).stdout.trim();
    assert.equal(await sysctl('arp_ignore'), '1');
    assert.equal(await sysctl('arp_announce'), '2');
    // What the neighbour sees: for a's own address, always a's real MAC (a few fresh ARP resolutions).
    const ownMac = (await lab.links('a')).find((l) => l.name === 'eth0')?.mac;
    for (let i = 0; i < 5; i++) {
      await lab.exec('b', ['ip', 'neigh', 'flush', 'dev', 'eth0']);
      await lab.exec('b', ['ping', '-c', '1', '-W', '1', lab.host('a').ipv4]);
      const neigh = (await lab.exec('b', ['ip', 'neigh', 'show', lab.host('a').ipv4, 'dev', 'eth0'])).stdout;
      assert.ok(!neigh.includes('00:00:5e:00:01:0e'), `b learned the virtual MAC for a's own address: ${neigh}`);
      assert.ok(ownMac !== undefined && neigh.includes(ownMac), `b learned a's real MAC: ${neigh}`);
    }
    assert.equal(await stopCarpd(a), 0);
  } finally {
    if (!a.process.done) await stopCarpd(a);
  }
});
