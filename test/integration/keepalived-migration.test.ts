/**
 * Issue 21 item 6 in the lab: the node-by-node replacement of docs/migration.md ("Replacing
 * keepalived nodes one by one"), run on a default keepalived pair (no vrrp_version: VRRPv2, with
 * auth_type PASS), each carpd node started from what `carpd --from-keepalived` wrote from that
 * node's own keepalived.conf (and the passphrase file it wrote). What the client and the nodes
 * see is asserted: who holds the VIP (read in each namespace), pings, carpd's status.
 *   1. keepalived A (priority 150) master, keepalived B (100) backup;
 *   2. B replaced by carpd: it stays BACKUP, hearing keepalived A at 150 (VRRPv2, password
 *      accepted), A keeps the VIP;
 *   3. keepalived A stopped (priority 0): carpd B takes over within its skew time;
 *   4. A replaced by carpd: with keepalived's default preempt and its higher priority it takes
 *      the VIP back; one holder;
 *   5. then the whole cluster to VRRPv3 as docs/migration.md says: B stopped, A reloaded in v3
 *      (handed over in place: the VIP never leaves A, read from both namespaces throughout the
 *      reload, the client's gap at most SWITCH_GAP_MS), B started in v3 with preempt off: it stays
 *      BACKUP; one holder;
 *   6. and on to CARP the same way (advskew 0 on A, 100 and preempt off on B); one holder at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, type LabProcess } from '../../src/lab/lab.ts';
import { labSuite } from './lab-suite.ts';
import { parse as parseYaml, stringify } from 'yaml';
import { CARPD, holds, stopCarpd, transitions, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';
import { carpctlOn, machine, startCarpdOn, type Machine } from './machine.ts';
import { eventually } from '../helpers/eventually.ts';

const VIP = '198.51.100.150';
const VRID = 31;
/** keepalived B's (and then carpd B's) skew time at priority 100, 1 s: 156/256 s, with scheduling slack on two shared cores. */
const SKEW_MS = 609;
const SLACK_MS = 400;
/** carpd A's VRRPv3 master-down interval at priority 150 and 1 s: 3 s + 106/256 s. */
const A_MASTER_DOWN_MS = 3414;

const skip = (await Lab.available()) ?? (spawnSync('keepalived', ['--version']).error === undefined ? undefined : 'keepalived is not installed');
let lab: Lab | undefined;
const roots = labSuite({ hosts: ['a', 'b', 'client'] }, skip, (created) => {
  lab = created;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A node's keepalived.conf as deployed: keepalived's defaults (VRRPv2, preempt), a simple password. */
function keepalivedConf(routerId: string, priority: number): string {
  return [
    'global_defs {',
    `    router_id ${routerId}`,
    '}',
    'vrrp_instance GW {',
    '    state BACKUP',
    '    interface eth0',
    `    virtual_router_id ${VRID}`,
    `    priority ${priority}`,
    '    advert_int 1',
    '    authentication {',
    '        auth_type PASS',
    '        auth_pass m1grate',
    '    }',
    '    virtual_ipaddress {',
    `        ${VIP}/24 dev eth0`,
    '    }',
    '}',
    '',
  ].join('\n');
}

/** Starts keepalived (VRRP only, foreground, logging to stdout) with its files in `dir`. */
function startKeepalived(host: string, dir: string, conf: string): LabProcess {
  assert.ok(lab !== undefined);
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, conf);
  const pids = ['-p', join(dir, 'keepalived.pid'), '-r', join(dir, 'vrrp.pid'), '-c', join(dir, 'checkers.pid'), '-b', join(dir, 'bfd.pid')];
  return lab.spawn(host, ['keepalived', '-n', '-l', '-D', '-G', '-P', '-R', '-f', file, ...pids]);
}

async function stopKeepalived(process: LabProcess): Promise<void> {
  process.signal('SIGTERM');
  const exited = await Promise.race([process.exited.then(() => true), sleep(6_000).then(() => false)]);
  if (!exited) await process.kill();
}

/** `carpd --from-keepalived` on a node's keepalived.conf, its passphrase file written into the machine's etc/: the carpd.yaml path. */
function convert(m: Machine, keepalivedDir: string): string {
  const run = spawnSync(process.execPath, [CARPD, '--from-keepalived', join(keepalivedDir, 'keepalived.conf'), '--secrets-dir', m.etc, '--write-secrets'], { encoding: 'utf8', timeout: 30_000 });
  // router_id is left out (exit status 3), nothing else.
  assert.equal(run.status, 3, run.stderr);
  assert.deepEqual([...run.stderr.matchAll(/:(\d+): (\S+).*\[(CARPD_KEEPALIVED_NOT_CONVERTED|CARPD_KEEPALIVED_OUT_OF_SCOPE)\]$/gm)].map((x) => `${x[1]} ${x[2]}`), ['2 router_id']);
  const file = join(m.etc, 'carpd.yaml');
  writeFileSync(file, run.stdout);
  return file;
}

/** Edits a converted carpd.yaml for VRRPv3, as docs/migration.md says: no vrrp_version, no password (VRRPv3 has none). */
function toVersion3(file: string, extra: Record<string, unknown>): void {
  const config = parseYaml(readFileSync(file, 'utf8')) as { groups: Record<string, unknown>[] };
  for (const group of config.groups) {
    delete group['vrrp_version'];
    delete group['passphrase_file'];
    Object.assign(group, extra);
  }
  writeFileSync(file, stringify(config));
}

/** Edits the VRRPv3 carpd.yaml into a CARP group, as docs/migration.md says: same vhid, interface and addresses; a passphrase; advskew for priority; preempt off but on the preferred node. */
function toCarp(m: Machine, advskew: number): void {
  const file = join(m.etc, 'carpd.yaml');
  const passfile = join(m.etc, 'carp.pass');
  writeFileSync(passfile, 'carp-m1grate\n', { mode: 0o600 });
  const config = parseYaml(readFileSync(file, 'utf8')) as { groups: Record<string, unknown>[] };
  config.groups = config.groups.map((g) => ({ name: g['name'], interface: g['interface'], vhid: g['vrid'], addresses: g['addresses'], vmac: g['vmac'], passphrase_file: passfile, advbase: 1, advskew, preempt: advskew === 0 }));
  writeFileSync(file, stringify(config));
}

async function holders(): Promise<string[]> {
  assert.ok(lab !== undefined);
  const out: string[] = [];
  for (const name of ['a', 'b']) if (await holds(lab, lab.host(name), VIP)) out.push(name);
  return out;
}

/**
 * The client's longest ping gap allowed across a protocol switch: the VIP never leaves A, so a gap
 * comes only from scheduling on the lab's shared cores (pings every 10 ms); 250 ms is a quarter
 * of one advert interval, so any path that waits for a timer of the protocol (the restart waited
 * a master-down interval, 3.0–3.4 s) fails it.
 */
const SWITCH_GAP_MS = 250;

/**
 * `carpctl reload` on A with its protocol changed in carpd.yaml: while the client pings the VIP,
 * the holder is read from both namespaces over and over (never nobody, never two), and A's new
 * instance is MASTER with reason protocol-switch, with no transition to BACKUP or INIT.
 */
async function switchA(ma: Machine, a: CarpdNode): Promise<{ gap: Awaited<ReturnType<Lab['ping']>>; samples: number }> {
  assert.ok(lab !== undefined);
  const pinging = lab.ping('client', VIP, { intervalMs: 10, durationMs: 3_000 });
  const seen: string[] = [];
  let sampling = true;
  const sampler = (async () => {
    for (let i = 0; sampling && i < 1_000; i++) seen.push((await holders()).join());
  })();
  await sleep(500);
  const aSeen = transitions(a).length;
  const reload = await carpctlOn(lab, ma, ['reload']);
  assert.equal(reload.code, 0, reload.stdout + reload.stderr);
  await waitForPhase(a, 'master', 3_000, aSeen);
  const gap = await pinging;
  sampling = false;
  await sampler;
  assert.deepEqual(transitions(a).slice(aSeen).map((x) => `${x.from}->${x.to} ${x.reason}`), ['init->master protocol-switch']);
  assert.ok(seen.length >= 10, `holders sampled ${seen.length} times`);
  assert.deepEqual([...new Set(seen)], ['a'], 'A alone holds the VIP at every sample');
  assert.ok(gap.longestGapMs <= SWITCH_GAP_MS, `the client's longest gap ${gap.longestGapMs} ms`);
  return { gap, samples: seen.length };
}

interface Status {
  groups: { name: string; state: string; vrrp?: { version?: number; authType?: string; masterPriority: number | null }; counters: { drops: Record<string, number> } }[];
}

test('keepalived pair → carpd node by node, from --from-keepalived\'s output: the backup first (stays BACKUP, hears keepalived\'s VRRPv2 master), then the master (graceful handover, preempts back); then the cluster to VRRPv3 and to CARP keeping one master; one holder throughout', { skip: skip ?? false, timeout: 120_000 }, async (t) => {
  assert.ok(lab !== undefined);
  const ma = machine(lab.host('a'));
  const mb = machine(lab.host('b'));
  roots.push(ma.root, mb.root);
  const ka = mkdtempSync(join(tmpdir(), 'keepalived-a-'));
  const kb = mkdtempSync(join(tmpdir(), 'keepalived-b-'));
  roots.push(ka, kb);
  const keepA = startKeepalived('a', ka, keepalivedConf('node-a', 150));
  const keepB = startKeepalived('b', kb, keepalivedConf('node-b', 100));
  const nodes: CarpdNode[] = [];
  try {
    await eventually('keepalived A holds the VIP', 15_000, async () => (await holders()).join() === 'a', 50);

    // 2. B: keepalived out, carpd in, from B's own file.
    const bConfig = convert(mb, kb);
    assert.equal(readFileSync(join(mb.etc, 'GW.pass'), 'utf8'), 'm1grate\n');
    await stopKeepalived(keepB);
    const b = startCarpdOn(lab, mb, ['--config', bConfig]);
    nodes.push(b);
    await waitForPhase(b, 'backup', 8_000);
    await sleep(4_000);
    assert.ok(!transitions(b).some((x) => x.to === 'master'), 'carpd B never MASTER while keepalived A advertises');
    assert.deepEqual(await holders(), ['a']);
    const status = JSON.parse((await carpctlOn(lab, mb, ['status', '--json'])).stdout) as Status;
    const gw = status.groups[0];
    assert.deepEqual([gw?.name, gw?.state, gw?.vrrp?.version, gw?.vrrp?.authType, gw?.vrrp?.masterPriority], ['GW', 'BACKUP', 2, 'pass', 150]);
    assert.equal(gw?.counters.drops['password-mismatch'] ?? 0, 0);

    // 3. A's keepalived stops (priority 0): carpd B takes over within its skew time.
    const pinging = lab.ping('client', VIP, { intervalMs: 10, durationMs: 4_000 });
    await sleep(1_000);
    const seen = transitions(b).length;
    const stoppedAt = Date.now();
    await stopKeepalived(keepA);
    await waitForPhase(b, 'master', 5_000, seen);
    const took = Date.parse(transitions(b).slice(seen).find((x) => x.to === 'master')?.time ?? '') - stoppedAt;
    await eventually('carpd B alone holds the VIP', 3_000, async () => (await holders()).join() === 'b', 20);
    const outage = await pinging;
    t.diagnostic(`keepalived A stopped: carpd B MASTER after ${took} ms (skew ${SKEW_MS} ms); client's longest gap ${Math.round(outage.longestGapMs)} ms, ${outage.received}/${outage.sent} replies`);
    assert.ok(took <= SKEW_MS + SLACK_MS, `carpd B took over ${took} ms after keepalived A stopped`);
    assert.ok(outage.longestGapMs <= SKEW_MS + SLACK_MS + 500, `client outage ${outage.longestGapMs} ms`);

    // 4. A: carpd from A's file; keepalived's default preempt and priority 150 take the VIP back.
    const a = startCarpdOn(lab, ma, ['--config', convert(ma, ka)]);
    nodes.push(a);
    await waitForPhase(a, 'master', 10_000);
    await eventually('carpd A alone holds the VIP', 5_000, async () => (await holders()).join() === 'a', 20);
    await sleep(1_000);
    assert.deepEqual(await holders(), ['a'], 'one holder at the end');
    assert.equal(transitions(b).at(-1)?.to, 'backup');
    const final = await lab.ping('client', VIP, { intervalMs: 10, durationMs: 300 });
    assert.ok(final.received >= 20, `client pings carpd A: ${final.received}/${final.sent}`);

    // 5. The whole cluster to VRRPv3 (docs/migration.md "Then: the whole cluster to VRRPv3, or to
    // CARP"): B stopped, A switched by a reload (handed over in place: the VIP never leaves A,
    // daemon/protocol-switch.ts), B started in v3 with preempt off.
    assert.equal(await stopCarpd(b), 0);
    // A heard B's VRRPv2 adverts when it preempted B (step 4): a switch within A's master-down
    // interval of that would be refused as a peer of the old protocol still there.
    await sleep(A_MASTER_DOWN_MS);
    toVersion3(join(ma.etc, 'carpd.yaml'), {});
    toVersion3(join(mb.etc, 'carpd.yaml'), { preempt: false });
    const v3Switch = await switchA(ma, a);
    t.diagnostic(`to VRRPv3: client's longest gap ${Math.round(v3Switch.gap.longestGapMs)} ms, ${v3Switch.gap.received}/${v3Switch.gap.sent} replies; holders sampled ${v3Switch.samples} times, always A alone (before this change: a restart, the VIP away one master-down interval, ${A_MASTER_DOWN_MS} ms)`);
    const b3 = startCarpdOn(lab, mb, ['--config', join(mb.etc, 'carpd.yaml')]);
    nodes.push(b3);
    await waitForPhase(b3, 'backup', 8_000);
    await sleep(4_000);
    assert.ok(!transitions(b3).some((x) => x.to === 'master'), 'carpd B (v3) never MASTER');
    assert.deepEqual(await holders(), ['a'], 'one holder after the switch');
    const v3 = (JSON.parse((await carpctlOn(lab, mb, ['status', '--json'])).stdout) as Status).groups[0];
    assert.deepEqual([v3?.state, v3?.vrrp?.version, v3?.vrrp?.masterPriority], ['BACKUP', undefined, 150]);

    // 6. And on to CARP the same way: B stopped, A reloaded as a CARP group (advskew 0), B back
    // as CARP with advskew 100 and preempt off.
    assert.equal(await stopCarpd(b3), 0);
    toCarp(ma, 0);
    toCarp(mb, 100);
    const carpSwitch = await switchA(ma, a);
    t.diagnostic(`to CARP: client's longest gap ${Math.round(carpSwitch.gap.longestGapMs)} ms, ${carpSwitch.gap.received}/${carpSwitch.gap.sent} replies; holders sampled ${carpSwitch.samples} times, always A alone (before this change: a restart, CARP master-down at advbase 1, advskew 0, 3000 ms)`);
    const bCarp = startCarpdOn(lab, mb, ['--config', join(mb.etc, 'carpd.yaml')]);
    nodes.push(bCarp);
    await waitForPhase(bCarp, 'backup', 8_000);
    await sleep(4_000);
    assert.ok(!transitions(bCarp).some((x) => x.to === 'master'), 'carpd B (CARP) never MASTER');
    assert.deepEqual(await holders(), ['a'], 'one holder after the switch to CARP');
    const carp = (JSON.parse((await carpctlOn(lab, mb, ['status', '--json'])).stdout) as { groups: { protocol: string; state: string }[] }).groups[0];
    assert.deepEqual([carp?.protocol, carp?.state], ['carp', 'BACKUP']);
  } finally {
    for (const node of nodes) if (!node.process.done) node.process.signal('SIGTERM');
    await Promise.all(nodes.map((n) => Promise.race([n.process.exited, sleep(10_000)])));
    for (const node of nodes) if (!node.process.done) node.process.signal('SIGKILL');
    for (const k of [keepA, keepB]) if (!k.done) await k.kill();
  }
});
