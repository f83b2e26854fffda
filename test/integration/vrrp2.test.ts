/**
 * Two real carpd daemons speaking VRRPv2 (`protocol: vrrp`, `vrrp_version: 2`) with a simple
 * password (`passphrase_file`, keepalived's `auth_type PASS`) in network namespaces, each with the
 * default /run/carpd and /var/lib/carpd (machine.ts): the election, a client pinging the VIP,
 * carpd's adverts dissected by tshark (version 2, Auth Type 1, the password as configured,
 * interval 1 s, checksum good), crash failover within the VRRPv2 Master_Down_Interval, the
 * returning node preempting, a graceful stop handing over within Skew_Time, one holder at the end. Then a wrong password on one node: both become MASTER, and carpd's log, status and
 * metrics name the password mismatch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.ts';
import { labSuite } from './lab-suite.ts';
import { masterDownIntervalMicros, skewTimeMicros } from '../../src/protocols/vrrp/vrrp-intervals.ts';
import { holds, records, transitions, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';
import { carpctlOn, machine, startCarpdOn, writeVrrpConfig, type Machine } from './machine.ts';
import { eventually } from '../helpers/eventually.ts';

const VIP = '198.51.100.130';
const VMAC = '00:00:5e:00:01:0b';
/** RFC 3768 at priority 100 and 1 s: 3 s + 156/256 s = 3609 ms. */
const B_MASTER_DOWN_MS = masterDownIntervalMicros(100, 100, 2) / 1000;
/** RFC 3768 Skew_Time at priority 100: 156/256 s = 609 ms, whatever the interval. */
const B_SKEW_MS = skewTimeMicros(100, 100, 2) / 1000;
/** Scheduling and the segment on two shared cores (as vrrp.test.ts). */
const SLACK_MS = 150;

const skip = await Lab.available();
let lab: Lab | undefined;
const roots = labSuite({ hosts: ['a', 'b', 'client'] }, skip, (created) => {
  lab = created;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A VRRPv2 group, VRID `vhid`, with `password` as the first line of a 0600 passphrase_file. */
function start(m: Machine, priority: number, password: string, options: { vhid?: number; vip?: string; metrics?: boolean } = {}): CarpdNode {
  assert.ok(lab !== undefined);
  const vhid = options.vhid ?? 11;
  const passfile = join(m.etc, `vrid${vhid}.pass`);
  writeFileSync(passfile, `${password}\n`, { mode: 0o600 });
  const top = options.metrics === true ? { metrics: { listen: '127.0.0.1:9273' } } : {};
  const config = writeVrrpConfig(m, `v2-${vhid}.yaml`, [{ name: `gw${vhid}`, vhid, addresses: [`${options.vip ?? VIP}/24`], priority, extra: { vrrp_version: 2, passphrase_file: passfile } }], top);
  return startCarpdOn(lab, m, ['--config', config]);
}

async function holders(address: string): Promise<string[]> {
  assert.ok(lab !== undefined);
  const out: string[] = [];
  for (const name of ['a', 'b']) if (await holds(lab, lab.host(name), address)) out.push(name);
  return out;
}

async function stopAll(nodes: readonly CarpdNode[]): Promise<void> {
  for (const node of nodes) if (!node.process.done) node.process.signal('SIGTERM');
  await Promise.all(nodes.map((n) => Promise.race([n.process.exited, sleep(10_000)])));
  for (const node of nodes) if (!node.process.done) node.process.signal('SIGKILL');
}

interface V2Status {
  groups: { name: string; protocol: string; state: string; vmac?: string; master: { address: string } | null; vrrp?: { version?: number; authType?: string; masterPriority: number | null }; counters: { drops: Record<string, number> } }[];
}

test('VRRPv2 lab, auth_type PASS: election, tshark reads version 2 / Auth Type 1 / the password / checksum good, client pings, crash failover within Master_Down_Interval, preemption, graceful handover within Skew_Time, one holder', { skip: skip ?? false, timeout: 120_000 }, async (t) => {
  assert.ok(lab !== undefined);
  const ma = machine(lab.host('a'));
  const mb = machine(lab.host('b'));
  roots.push(ma.root, mb.root);
  const capture = await lab.startCapture('bridge', 'ip proto 112');
  const a = start(ma, 150, 'secret');
  const b = start(mb, 100, 'secret');
  const nodes = [a, b];
  try {
    await waitForPhase(a, 'master', 8_000);
    await waitForPhase(b, 'backup', 8_000);
    await sleep(2_500);
    const pcap = await capture.stop();
    assert.ok(!transitions(b).some((x) => x.to === 'master'), 'b never MASTER while a advertises');
    assert.deepEqual(await holders(VIP), ['a']);
    const before = await lab.ping('client', VIP, { intervalMs: 10, durationMs: 500 });
    assert.ok(before.received > 0, 'the client reaches the VIP');

    // On the wire, as Wireshark's dissector reads it.
    const rows = execFileSync('tshark', ['-n', '-r', pcap, '-Y', 'vrrp', '-T', 'fields', '-E', 'separator=,', '-e', 'eth.src', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.ttl', '-e', 'vrrp.version', '-e', 'vrrp.virt_rtr_id', '-e', 'vrrp.prio', '-e', 'vrrp.auth_type', '-e', 'vrrp.adver_int', '-e', 'vrrp.auth_string', '-e', 'vrrp.checksum.status'], { encoding: 'utf8', timeout: 60_000 })
      .trim()
      .split('\n')
      .filter((l) => l !== '');
    const fromA = rows.filter((r) => r.includes(`,${lab?.host('a').ipv4},`));
    assert.ok(fromA.length >= 2, `adverts captured: ${rows.join(' | ')}`);
    for (const line of fromA) assert.match(line, new RegExp(`^${VMAC},${lab.host('a').ipv4},224\\.0\\.0\\.18,255,2,11,150,1,1,secret,(1|[Gg]ood)$`), line);
    t.diagnostic(`tshark: ${fromA[0]}`);

    // b's view: a VRRPv2 group with a password, following a.
    const status = JSON.parse((await carpctlOn(lab, mb, ['status', '--json'])).stdout) as V2Status;
    const gw = status.groups[0];
    assert.equal(gw?.protocol, 'vrrp');
    assert.equal(gw?.state, 'BACKUP');
    assert.equal(gw?.vrrp?.version, 2);
    assert.equal(gw?.vrrp?.authType, 'pass');
    assert.equal(gw?.vrrp?.masterPriority, 150);
    assert.equal(gw?.counters.drops['password-mismatch'], 0);

    // Crash: a's link cut, then its daemon killed.
    const pinging = lab.ping('client', VIP, { intervalMs: 5, durationMs: 7_000 });
    await sleep(1_000);
    const bSeen = transitions(b).length;
    const crashedAt = Date.now();
    await lab.cutLink('a');
    await a.process.kill();
    await waitForPhase(b, 'master', 6_000, bSeen);
    const took = transitions(b).slice(bSeen).find((x) => x.to === 'master');
    assert.equal(took?.reason, 'master-down-timeout');
    const tookOver = Date.parse(took?.time ?? '') - crashedAt;
    await eventually('b holds the VIP', 2_000, async () => (await holders(VIP)).includes('b'), 10);
    const outage = await pinging;
    t.diagnostic(`crash: b MASTER ${tookOver} ms after the crash (VRRPv2 Master_Down_Interval ${B_MASTER_DOWN_MS} ms), client outage ${outage.longestGapMs} ms`);
    assert.ok(tookOver <= B_MASTER_DOWN_MS + SLACK_MS, `b took over ${tookOver} ms after the crash`);
    assert.ok(outage.longestGapMs <= B_MASTER_DOWN_MS + 1_000 + SLACK_MS, `client outage ${outage.longestGapMs} ms`);
    await lab.restoreLink('a');

    // a comes back and preempts b (150 > 100); then a graceful stop: priority 0, b takes over after its Skew_Time.
    const bBeforeA2 = transitions(b).length;
    const a2 = start(ma, 150, 'secret');
    nodes.push(a2);
    await waitForPhase(a2, 'master', 10_000);
    await waitForPhase(b, 'backup', 5_000, bBeforeA2);
    assert.equal(transitions(a2).find((x) => x.to === 'master')?.reason, 'preempting-worse-master');
    await eventually('the VIP on a alone', 3_000, async () => (await holders(VIP)).join() === 'a', 10);
    const handover = lab.ping('client', VIP, { intervalMs: 5, durationMs: 2_500 });
    await sleep(300);
    const bBefore = transitions(b).length;
    const stoppedAt = Date.now();
    a2.process.signal('SIGTERM');
    await waitForPhase(b, 'master', 3_000, bBefore);
    const bowedOut = transitions(b).slice(bBefore).find((x) => x.to === 'master');
    assert.equal(bowedOut?.reason, 'master-bowed-out');
    const handedOver = Date.parse(bowedOut?.time ?? '') - stoppedAt;
    const handoverPing = await handover;
    t.diagnostic(`graceful: b MASTER ${handedOver} ms after SIGTERM to a (VRRPv2 Skew_Time ${B_SKEW_MS} ms), client outage ${handoverPing.longestGapMs} ms`);
    assert.ok(handedOver <= B_SKEW_MS + 2 * SLACK_MS, `b took over ${handedOver} ms after a was told to stop`);
    assert.equal((await a2.process.exited).code, 0, 'a exits 0');

    await sleep(500);
    assert.deepEqual(await holders(VIP), ['b'], 'one holder at the end');
    const final = await lab.ping('client', VIP, { intervalMs: 10, durationMs: 300 });
    assert.ok(final.received >= 20, `client pings b: ${final.received}/${final.sent}`);
  } finally {
    await stopAll(nodes);
  }
});

test('VRRPv2 lab, a wrong PASS password on one node: both MASTER, and carpd names the password mismatch in its log, status and metrics', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  assert.ok(lab !== undefined);
  const WRONG_VIP = '198.51.100.131';
  const ma = machine(lab.host('a'));
  const mb = machine(lab.host('b'));
  roots.push(ma.root, mb.root);
  const a = start(ma, 150, 'secret', { vhid: 12, vip: WRONG_VIP });
  const b = start(mb, 100, 'wrong', { vhid: 12, vip: WRONG_VIP, metrics: true });
  const nodes = [a, b];
  try {
    await waitForPhase(a, 'master', 8_000);
    await waitForPhase(b, 'master', 8_000);
    await eventually('both hold the VIP', 3_000, async () => (await holders(WRONG_VIP)).length === 2, 20);
    await sleep(1_500);
    assert.deepEqual((await holders(WRONG_VIP)).sort(), ['a', 'b'], 'neither accepts the other: two masters');

    const named = records(b).filter((r) => r['level'] === 'warn' && r['mismatch'] === 'password-mismatch');
    assert.ok(named.length >= 1, 'b logs the mismatch');
    assert.match(String(named[0]?.['msg']), /simple password mismatch/);
    t.diagnostic(`b: ${String(named[0]?.['msg'])}`);
    assert.ok(records(a).some((r) => r['level'] === 'warn' && r['mismatch'] === 'password-mismatch'), 'a logs it too');

    const status = JSON.parse((await carpctlOn(lab, mb, ['status', '--json'])).stdout) as V2Status;
    const drops = status.groups[0]?.counters.drops['password-mismatch'] ?? 0;
    assert.ok(drops >= 2, `status counts ${drops} password-mismatch drops`);

    const scrape = await lab.exec('b', [process.execPath, '-e', 'fetch("http://127.0.0.1:9273/metrics").then(r => r.text()).then(t => process.stdout.write(t))']);
    const line = scrape.stdout.split('\n').find((l) => l.startsWith('carpd_drops_total{') && l.includes('reason="password-mismatch"') && l.includes('group="gw12"'));
    assert.ok(line !== undefined, 'the metric has a password-mismatch sample');
    assert.ok(Number(line.split(' ').at(-1)) >= 2, line);
  } finally {
    await stopAll(nodes);
  }
});
