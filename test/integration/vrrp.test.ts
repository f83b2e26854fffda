/**
 * Two real carpd daemons speaking VRRPv3 (`protocol: vrrp`) in network namespaces, each with the
 * default /run/carpd and /var/lib/carpd (machine.ts), configured with the documented keys
 * (protocol, priority, advert_interval, preempt, accept_mode, checksum_mode): the election, the
 * VIP at the VRRP virtual MAC with adverts framed from it and dissected by tshark as VRRPv3 with a
 * good checksum, a client pinging the VIP, crash failover within Master_Down_Interval, a graceful
 * stop (priority 0) handing over within the backup's Skew_Time, and exactly one holder at the end;
 * an address owner; and an IPv6 virtual router (vrrp6-<VRID>, adverts from the link-local).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Lab } from '../../src/lab/lab.ts';
import { labSuite } from './lab-suite.ts';
import { masterDownIntervalMicros, skewTimeMicros } from '../../src/protocols/vrrp/vrrp-intervals.ts';
import { holds, records, transitions, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';
import { carpctlOn, machine, startCarpdOn, writeVrrpConfig, type Machine } from './machine.ts';
import { eventually } from '../helpers/eventually.ts';

const VIP = '198.51.100.120';
const VMAC = '00:00:5e:00:01:07';
/** RFC 5798 at priority 100 and 1 s: 3 s + 156/256 s = 3609 ms; Skew_Time 609 ms. */
const B_MASTER_DOWN_MS = masterDownIntervalMicros(100, 100) / 1000;
const B_SKEW_MS = skewTimeMicros(100, 100) / 1000;
/** Scheduling and the segment on two shared cores (the CARP lab test allows 50 ms). */
const SLACK_MS = 150;

const skip = await Lab.available();
let lab: Lab | undefined;
const roots = labSuite({ hosts: ['a', 'b', 'client'], ipv6: true }, skip, (created) => {
  lab = created;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function start(m: Machine, priority: number): CarpdNode {
  assert.ok(lab !== undefined);
  const config = writeVrrpConfig(m, 'carpd.yaml', [{ addresses: [`${VIP}/24`], priority }]);
  return startCarpdOn(lab, m, ['--config', config]);
}

async function neighbourMac(address: string): Promise<string | undefined> {
  assert.ok(lab !== undefined);
  const result = await lab.exec('client', ['ip', '-j', 'neigh', 'show', address]);
  return (JSON.parse(result.stdout || '[]') as { lladdr?: string }[])[0]?.lladdr;
}

async function holders(): Promise<string[]> {
  assert.ok(lab !== undefined);
  const out: string[] = [];
  for (const name of ['a', 'b']) if (await holds(lab, lab.host(name), VIP)) out.push(name);
  return out;
}

/** When the node logged its last transition to `to` (ms since the epoch). */
function loggedAt(node: CarpdNode, to: string, after = 0): number {
  const t = transitions(node).slice(after).find((x) => x.to === to);
  assert.ok(t !== undefined, `${node.host.name}: no transition to ${to}`);
  return Date.parse(t.time);
}

async function stop(node: CarpdNode): Promise<number | null> {
  node.process.signal('SIGTERM');
  const exit = await Promise.race([node.process.exited, sleep(10_000).then(() => undefined)]);
  return exit === undefined ? null : exit.code;
}

test('VRRPv3 lab: election, VIP at 00:00:5e:00:01:07, crash failover within Master_Down_Interval, priority-0 handover within Skew_Time, one holder', { skip: skip ?? false, timeout: 120_000 }, async (t) => {
  assert.ok(lab !== undefined);
  const ma = machine(lab.host('a'));
  const mb = machine(lab.host('b'));
  roots.push(ma.root, mb.root);
  const a = start(ma, 150);
  const b = start(mb, 100);
  const nodes = [a, b];
  let a2: CarpdNode | undefined;
  try {
    await waitForPhase(a, 'master', 8_000);
    await waitForPhase(b, 'backup', 8_000);
    await sleep(1_500);
    assert.ok(!transitions(b).some((x) => x.to === 'master'), 'b never MASTER while a advertises');
    assert.deepEqual(await holders(), ['a']);
    const before = await lab.ping('client', VIP, { intervalMs: 10, durationMs: 500 });
    assert.ok(before.received > 0, 'the client reaches the VIP');
    assert.equal(await neighbourMac(VIP), VMAC, 'the client sees the VIP at the VRRP virtual MAC');

    // b's view: a VRRP group following a's priority 150.
    const status = JSON.parse((await carpctlOn(lab, mb, ['status', '--json'])).stdout) as {
      groups: { protocol: string; state: string; vmac?: string; master: { address: string } | null; vrrp?: { masterPriority: number | null; effectivePriority: number } }[];
    };
    const gw = status.groups[0];
    assert.equal(gw?.protocol, 'vrrp');
    assert.equal(gw?.state, 'BACKUP');
    assert.equal(gw?.vmac, `vrrp7 ${VMAC}`);
    assert.equal(gw?.master?.address, lab.host('a').ipv4);
    assert.equal(gw?.vrrp?.masterPriority, 150);
    assert.equal(gw?.vrrp?.effectivePriority, 100);
    assert.match((await carpctlOn(lab, mb, ['status'])).stdout, /gw \(eth0 VRRP VRID 7\): BACKUP/);

    // On the wire, as a third party sees it: VRRPv3 from the virtual MAC, checksum good.
    const capture = await lab.startCapture('bridge', 'ip proto 112');
    await sleep(2_500);
    const pcap = await capture.stop();
    const fields = execFileSync('tshark', ['-r', pcap, '-T', 'fields', '-E', 'separator=,', '-e', 'eth.src', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.ttl', '-e', 'vrrp.version', '-e', 'vrrp.prio', '-e', 'vrrp.checksum.status'], { encoding: 'utf8' })
      .trim()
      .split('\n');
    assert.ok(fields.length >= 2, `adverts captured: ${fields.join(' | ')}`);
    for (const line of fields) assert.equal(line, `${VMAC},${lab.host('a').ipv4},224.0.0.18,255,3,150,1`);

    // Crash: a's link cut, then its daemon killed: nothing more leaves a.
    const pinging = lab.ping('client', VIP, { intervalMs: 5, durationMs: 7_000 });
    await sleep(1_000);
    const bSeen = transitions(b).length;
    const crashedAt = Date.now();
    await lab.cutLink('a');
    await a.process.kill();
    await waitForPhase(b, 'master', 6_000, bSeen);
    const tookOver = loggedAt(b, 'master', bSeen) - crashedAt;
    await eventually('b holds the VIP', 2_000, async () => (await holders()).includes('b'), 10);
    const outage = await pinging;
    t.diagnostic(`crash: b MASTER ${tookOver} ms after the crash (Master_Down_Interval ${B_MASTER_DOWN_MS} ms), client outage ${outage.longestGapMs} ms`);
    assert.equal(transitions(b).slice(bSeen).find((x) => x.to === 'master')?.reason, 'master-down-timeout');
    assert.ok(tookOver <= B_MASTER_DOWN_MS + SLACK_MS, `b took over ${tookOver} ms after the crash`);
    assert.ok(outage.longestGapMs <= B_MASTER_DOWN_MS + 1_000 + SLACK_MS, `client outage ${outage.longestGapMs} ms (at most one advert interval before the crash, then Master_Down_Interval)`);
    assert.equal(await neighbourMac(VIP), VMAC, 'still the virtual MAC after the failover');

    // a's machine comes back with a fresh daemon: it preempts b (priority 150 > 100, preempt on).
    await lab.restoreLink('a');
    const bBeforeA2 = transitions(b).length;
    a2 = start(ma, 150);
    nodes.push(a2);
    await waitForPhase(a2, 'master', 10_000);
    await waitForPhase(b, 'backup', 5_000, bBeforeA2);
    assert.equal(transitions(a2).find((x) => x.to === 'master')?.reason, 'preempting-worse-master');
    await eventually('the VIP on a alone', 3_000, async () => (await holders()).join() === 'a', 10);

    // Graceful stop of a: priority 0; b takes over after its Skew_Time instead of Master_Down_Interval.
    const handover = lab.ping('client', VIP, { intervalMs: 5, durationMs: 2_500 });
    await sleep(300);
    const bBefore = transitions(b).length;
    const a2Before = transitions(a2).length;
    assert.equal(await stop(a2), 0, 'a exits 0 after SIGTERM');
    await waitForPhase(b, 'master', 3_000, bBefore);
    const resignedAt = loggedAt(a2, 'init', a2Before);
    const handedOver = loggedAt(b, 'master', bBefore) - resignedAt;
    const handoverPing = await handover;
    t.diagnostic(`graceful: b MASTER ${handedOver} ms after a's priority-0 advert (Skew_Time ${B_SKEW_MS} ms), client outage ${handoverPing.longestGapMs} ms`);
    assert.equal(transitions(b).slice(bBefore).find((x) => x.to === 'master')?.reason, 'master-bowed-out');
    assert.ok(handedOver <= B_SKEW_MS + SLACK_MS, `b took over ${handedOver} ms after the priority-0 advert`);
    assert.ok(handoverPing.longestGapMs < B_SKEW_MS + 500, `client outage on graceful handover ${handoverPing.longestGapMs} ms`);
    assert.ok(records(a2).some((r) => r['reason'] === 'shutdown' && r['from'] === 'master'), 'a left MASTER for shutdown');

    // Exactly one holder at the end, and a left nothing behind.
    await sleep(500);
    assert.deepEqual(await holders(), ['b']);
    assert.ok(!(await lab.links('a')).some((l) => l.name === 'vrrp7'), 'a deleted its macvlan');
    const final = await lab.ping('client', VIP, { intervalMs: 10, durationMs: 300 });
    assert.ok(final.received >= 20, `client pings b: ${final.received}/${final.sent}`);
  } finally {
    for (const node of nodes) if (!node.process.done) node.process.signal('SIGTERM');
    await Promise.all(nodes.map((n) => Promise.race([n.process.exited, sleep(10_000)])));
    for (const node of nodes) if (!node.process.done) node.process.signal('SIGKILL');
  }
});

test('VRRPv3 lab, address owner: priority 255 with the address on its eth0 is MASTER at once, a crash hands it to the backup, the owner takes it back on return and never removes it', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  assert.ok(lab !== undefined);
  const OWNED = '198.51.100.121';
  const ma = machine(lab.host('a'));
  const mb = machine(lab.host('b'));
  roots.push(ma.root, mb.root);
  // The owner's address is its own interface address (RFC 5798 §1), configured outside carpd.
  assert.equal((await lab.exec('a', ['ip', 'addr', 'add', `${OWNED}/24`, 'dev', 'eth0'])).code, 0);
  const startOwner = (m: Machine, priority: number): CarpdNode => startCarpdOn(lab as Lab, m, ['--config', writeVrrpConfig(m, 'owner.yaml', [{ name: 'own', vhid: 8, addresses: [`${OWNED}/24`], priority }])]);
  const a = startOwner(ma, 255);
  const nodes = [a];
  try {
    await waitForPhase(a, 'master', 3_000);
    assert.deepEqual(transitions(a).map((x) => `${x.from}->${x.to} ${x.reason}`), ['init->master started'], 'no Master_Down_Interval for the owner');
    const b = startOwner(mb, 100);
    nodes.push(b);
    await waitForPhase(b, 'backup', 5_000);
    await sleep(1_500);
    assert.ok(!transitions(b).some((x) => x.to === 'master'));
    const ping = await lab.ping('client', OWNED, { intervalMs: 10, durationMs: 300 });
    assert.ok(ping.received > 0, 'the client reaches the owner');

    const bSeen = transitions(b).length;
    const crashedAt = Date.now();
    await lab.cutLink('a');
    await a.process.kill();
    await waitForPhase(b, 'master', 6_000, bSeen);
    const tookOver = loggedAt(b, 'master', bSeen) - crashedAt;
    t.diagnostic(`owner crash: b MASTER after ${tookOver} ms`);
    assert.ok(tookOver <= B_MASTER_DOWN_MS + SLACK_MS, `${tookOver} ms`);
    await eventually('b holds the owner\'s address on its macvlan', 2_000, async () => holds(lab as Lab, lab!.host('b'), OWNED), 10);
    const during = await lab.ping('client', OWNED, { intervalMs: 10, durationMs: 300 });
    assert.ok(during.received > 0, 'the client reaches b for the owner\'s address');

    // The owner's machine comes back: MASTER at once, b yields and drops the address.
    await lab.restoreLink('a');
    assert.ok(await holds(lab, lab.host('a'), OWNED), 'the crash did not take the address off a');
    const bBefore = transitions(b).length;
    const a2 = startOwner(ma, 255);
    nodes.push(a2);
    await waitForPhase(a2, 'master', 3_000);
    await waitForPhase(b, 'backup', 3_000, bBefore);
    assert.equal(transitions(b).slice(bBefore).find((x) => x.to === 'backup')?.reason, 'outranked-by-peer');
    await eventually('the address on a alone', 3_000, async () => !(await holds(lab as Lab, lab!.host('b'), OWNED)), 10);
    const back = await lab.ping('client', OWNED, { intervalMs: 10, durationMs: 500 });
    assert.ok(back.received >= 30, `the client reaches the owner again (its cache may still say the virtual MAC): ${back.received}/${back.sent}`);

    // Stopped, the owner leaves its own address where it was.
    await stop(b);
    assert.equal(await stop(a2), 0);
    assert.ok(await holds(lab, lab.host('a'), OWNED), 'still on a\'s eth0 after carpd stopped');
    assert.ok(!(await lab.links('a')).some((l) => l.name === 'vrrp8'), 'the macvlan is gone');
  } finally {
    for (const node of nodes) if (!node.process.done) node.process.signal('SIGTERM');
    await Promise.all(nodes.map((n) => Promise.race([n.process.exited, sleep(10_000)])));
    for (const node of nodes) if (!node.process.done) node.process.signal('SIGKILL');
    await lab.exec('a', ['ip', 'addr', 'del', `${OWNED}/24`, 'dev', 'eth0']);
  }
});

test('VRRPv3 lab, IPv6: vrrp6-9 at 00:00:5e:00:02:09, adverts from the link-local to ff02::12 (tshark: good checksum), client pings, priority-0 handover', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  assert.ok(lab !== undefined);
  const VIP6 = '2001:db8::120';
  const VMAC6 = '00:00:5e:00:02:09';
  const ma = machine(lab.host('a'));
  const mb = machine(lab.host('b'));
  roots.push(ma.root, mb.root);
  const start6 = (m: Machine, priority: number): CarpdNode => startCarpdOn(lab as Lab, m, ['--config', writeVrrpConfig(m, 'v6.yaml', [{ name: 'gw6', vhid: 9, addresses: [`${VIP6}/64`], priority }])]);
  const a = start6(ma, 150);
  const b = start6(mb, 100);
  const nodes = [a, b];
  try {
    await waitForPhase(a, 'master', 8_000);
    await waitForPhase(b, 'backup', 8_000);
    await sleep(1_500);
    assert.ok(await holds(lab, lab.host('a'), VIP6));
    assert.ok(!(await holds(lab, lab.host('b'), VIP6)));
    const links = await lab.links('a');
    assert.equal(links.find((l) => l.name === 'vrrp6-9')?.mac, VMAC6);
    const own = (await lab.exec('a', ['ip', '-6', '-j', 'addr', 'show', 'dev', 'vrrp6-9'])).stdout;
    assert.ok(!/"fe80:/.test(own), `no link-local derived from the virtual MAC on vrrp6-9: ${own}`);
    const ping = await lab.ping('client', VIP6, { intervalMs: 10, durationMs: 500 });
    assert.ok(ping.received > 0, 'the client reaches the IPv6 VIP');

    const capture = await lab.startCapture('bridge', 'ip6 proto 112');
    await sleep(2_500);
    const pcap = await capture.stop();
    const lines = execFileSync('tshark', ['-r', pcap, '-T', 'fields', '-E', 'separator=,', '-e', 'eth.src', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'ipv6.hlim', '-e', 'vrrp.version', '-e', 'vrrp.prio', '-e', 'vrrp.checksum.status'], { encoding: 'utf8' })
      .trim()
      .split('\n');
    assert.ok(lines.length >= 2, `adverts captured: ${lines.join(' | ')}`);
    for (const line of lines) assert.match(line, new RegExp(`^${VMAC6},fe80::[0-9a-f:]+,ff02::12,255,3,150,1$`));

    const bBefore = transitions(b).length;
    const a2Before = transitions(a).length;
    assert.equal(await stop(a), 0);
    await waitForPhase(b, 'master', 3_000, bBefore);
    const handedOver = loggedAt(b, 'master', bBefore) - loggedAt(a, 'init', a2Before);
    t.diagnostic(`IPv6 graceful: b MASTER ${handedOver} ms after a's priority-0 advert`);
    assert.ok(handedOver <= B_SKEW_MS + SLACK_MS, `${handedOver} ms`);
    await eventually('the IPv6 VIP on b alone', 3_000, async () => (await holds(lab as Lab, lab!.host('b'), VIP6)) && !(await holds(lab as Lab, lab!.host('a'), VIP6)), 10);
    const after = await lab.ping('client', VIP6, { intervalMs: 10, durationMs: 300 });
    assert.ok(after.received > 0, 'the client reaches b');
  } finally {
    for (const node of nodes) if (!node.process.done) node.process.signal('SIGTERM');
    await Promise.all(nodes.map((n) => Promise.race([n.process.exited, sleep(10_000)])));
    for (const node of nodes) if (!node.process.done) node.process.signal('SIGKILL');
  }
});
