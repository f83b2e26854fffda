/**
 * A sync set shares fate through a down link (issue 19 item 5; docs/configuration.md, `sync_set`):
 * a firewall pair with an inside group on eth0 and an outside group on eth1 in one set. When the
 * master's eth1 loses carrier its outside group goes INIT and counts as fully demoted, so the
 * inside group steps down too and both VIPs end on the other node, instead of the inside VIP on
 * one node and the outside VIP on the other. Read from each namespace, with a client on each
 * segment pinging the VIPs. The daemons run as separate machines (machine.ts: default socket and
 * state directory in a private mount namespace).
 *
 * The lab has one segment (eth0); the second (eth1, 203.0.113.0/24) is built here in the lab's
 * own namespaces: a second bridge in the bridge namespace and one veth per host, so the lab's
 * destroy() removes it with the namespaces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lab, LabHost } from '../../src/lab/lab.ts';
import { holds, stopCarpd, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';
import { machine, startCarpdOn, writeConfig, writePassphrase, type Machine } from './machine.ts';
import { labForThisFile } from '../helpers/file-lab.ts';

const INSIDE_VIP = '198.51.100.151';
const OUTSIDE_VIP = '203.0.113.152';

const fileLab = await labForThisFile({ hosts: ['a', 'b', 'client'] });
const skip = fileLab.skip;

/** The host's eth1 port on the second bridge (in the bridge namespace). */
function outsidePort(lab: Lab, host: LabHost): string {
  return `${lab.port(host.name)}o`;
}

/** Builds the outside segment: bridge `<bridge>o`, and eth1 with 203.0.113.(10+i)/24 in every host. */
async function buildOutsideSegment(lab: Lab): Promise<void> {
  const bridge = `${lab.bridge}o`;
  const must = async (argv: string[]) => {
    const result = await lab.exec('bridge', argv, { timeoutMs: 5_000 });
    assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
  };
  await must(['ip', 'link', 'add', bridge, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
  await must(['ip', 'link', 'set', bridge, 'up']);
  for (const [i, host] of lab.allHosts().entries()) {
    const port = outsidePort(lab, host);
    await must(['ip', 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', host.netns]);
    await must(['ip', 'link', 'set', port, 'master', bridge, 'up']);
    for (const argv of [['ip', 'addr', 'add', `203.0.113.${10 + i}/24`, 'dev', 'eth1'], ['ip', 'link', 'set', 'eth1', 'up']]) {
      const result = await lab.exec(host, argv, { timeoutMs: 5_000 });
      assert.equal(result.code, 0, `${host.name}: ${argv.join(' ')}: ${result.stderr}`);
    }
  }
}

/** Where each VIP is, read from every node's namespace. */
async function holders(lab: Lab, nodes: readonly LabHost[]): Promise<{ inside: string[]; outside: string[] }> {
  const inside: string[] = [];
  const outside: string[] = [];
  for (const host of nodes) {
    if (await holds(lab, host, INSIDE_VIP)) inside.push(host.name);
    if (await holds(lab, host, OUTSIDE_VIP)) outside.push(host.name);
  }
  return { inside, outside };
}

/** Polls the holders every ~50 ms until `done` or `timeoutMs`; returns the last reading and how long the set was split. */
async function watchHolders(lab: Lab, nodes: readonly LabHost[], timeoutMs: number, done: (h: { inside: string[]; outside: string[] }) => boolean) {
  const started = Date.now();
  let splitMs = 0;
  let last = await holders(lab, nodes);
  let lastAt = Date.now();
  for (let i = 0; i < 400 && Date.now() - started < timeoutMs; i++) {
    if (done(last)) break;
    await new Promise((r) => setTimeout(r, 50));
    const now = Date.now();
    const split = last.inside.length === 1 && last.outside.length === 1 && last.inside[0] !== last.outside[0];
    if (split) splitMs += now - lastAt;
    last = await holders(lab, nodes);
    lastAt = now;
  }
  return { last, splitMs, elapsedMs: Date.now() - started };
}

function firewallConfig(m: Machine, advskew: number): string {
  const passphraseFile = writePassphrase(m, 'fw.pass', 'lab-sync-set');
  return writeConfig(m, 'carpd.yaml', [
    { name: 'inside', vhid: 51, addresses: [`${INSIDE_VIP}/24`], advskew, passphraseFile, extra: { sync_set: 'fw' } },
    { name: 'outside', vhid: 52, addresses: [`${OUTSIDE_VIP}/24`], advskew, passphraseFile, extra: { interface: 'eth1', sync_set: 'fw' } },
  ]);
}

test('lab: sync set, the master\'s outside link loses carrier: both VIPs move to the other node together, and come back together', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const lab = fileLab.lab();
  await buildOutsideSegment(lab);
  const [a, b, client] = ['a', 'b', 'client'].map((name) => lab.host(name)) as [LabHost, LabHost, LabHost];
  const nodes = [a, b];
  const ma = machine(a);
  const mb = machine(b);
  const started: CarpdNode[] = [];
  try {
    const na = startCarpdOn(lab, ma, ['--config', firewallConfig(ma, 0)]);
    started.push(na);
    await waitForPhase(na, 'master', 8_000, 1);
    const nb = startCarpdOn(lab, mb, ['--config', firewallConfig(mb, 100)]);
    started.push(nb);
    const settled = await watchHolders(lab, nodes, 8_000, (h) => h.inside.join() === 'a' && h.outside.join() === 'a');
    assert.deepEqual(settled.last, { inside: ['a'], outside: ['a'] }, 'a holds both VIPs before the fault');
    await new Promise((r) => setTimeout(r, 1_000));

    // a's outside cable: its eth1 loses carrier (the bridge-side end goes down).
    const cutAt = Date.now();
    const pings = Promise.all([
      lab.ping(client, INSIDE_VIP, { intervalMs: 20, durationMs: 8_000 }),
      lab.ping(client, OUTSIDE_VIP, { intervalMs: 20, durationMs: 8_000 }),
    ]);
    const cut = await lab.exec('bridge', ['ip', 'link', 'set', outsidePort(lab, a), 'down'], { timeoutMs: 5_000 });
    assert.equal(cut.code, 0, cut.stderr);
    // Before the fix the inside VIP stayed on a for good while b took the outside one: the set split.
    const moved = await watchHolders(lab, nodes, 8_000, (h) => h.inside.join() === 'b' && h.outside.join() === 'b');
    assert.deepEqual(moved.last, { inside: ['b'], outside: ['b'] }, `both VIPs on b within 8 s of the cut (${moved.elapsedMs} ms; split for ${moved.splitMs} ms)`);
    assert.ok(moved.splitMs <= 1_500, `the set was split across the nodes for ${moved.splitMs} ms (at most the outside group's takeover)`);
    const [inside, outside] = await pings;
    const insideAfter = inside.replies.filter((r) => !r.duplicate && r.atMs > cutAt + moved.elapsedMs + 500);
    const outsideAfter = outside.replies.filter((r) => !r.duplicate && r.atMs > cutAt + moved.elapsedMs + 500);
    t.diagnostic(`cut: both VIPs on b after ${moved.elapsedMs} ms, split ${moved.splitMs} ms; client gaps inside ${inside.longestGapMs} ms, outside ${outside.longestGapMs} ms`);
    assert.ok(insideAfter.length > 0, 'the client reaches the inside VIP on b');
    assert.ok(outsideAfter.length > 0, 'the client reaches the outside VIP on b');

    // The cable back: the demotion is withdrawn and the set moves as one (a preempts with advskew 0).
    const restore = await lab.exec('bridge', ['ip', 'link', 'set', outsidePort(lab, a), 'up'], { timeoutMs: 5_000 });
    assert.equal(restore.code, 0, restore.stderr);
    const back = await watchHolders(lab, nodes, 10_000, (h) => h.inside.join() === 'a' && h.outside.join() === 'a');
    assert.deepEqual(back.last, { inside: ['a'], outside: ['a'] }, `both VIPs back on a after the link returned (${back.elapsedMs} ms)`);
    t.diagnostic(`restore: both VIPs on a after ${back.elapsedMs} ms, split ${back.splitMs} ms`);
    assert.ok(back.splitMs <= 1_500, `split for ${back.splitMs} ms on the way back`);
  } finally {
    for (const node of started) await stopCarpd(node);
  }
});
