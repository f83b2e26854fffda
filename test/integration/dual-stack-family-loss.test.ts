/**
 * Issue 19 item 8 in the lab: a dual-stack group (IPv4 and IPv6 VIPs, adverts in both families) on
 * two real carpd nodes, with IPv6 protocol 112 dropped at the bridge (nftables, bridge family, in
 * the bridge's namespace), as an MLD-snooping switch without a querier does. Before the fix the
 * backup took over and stepped down every ~4.2 s (15 scripts in 30 s). Now, for 15 s: both VIPs on
 * exactly one host as read from every namespace, no transition on either node, the client's pings
 * to the IPv4 VIP answered, the cause named once in b's log and in its status; IPv6 back: named
 * once; then the master killed (SIGKILL) with IPv6 still dropped: b takes over within its
 * master-down interval (src/fsm/silent-family.ts, docs/state-machine.md "Dual-stack groups").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import type { Lab } from '../../src/lab/lab.ts';
import { groupFlags, holds, records, startCarpd, transitions, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';
import { labForThisFile } from '../helpers/file-lab.ts';

const CARPCTL = resolve(import.meta.dirname, '../../bin/carpctl');
const VIP4 = '198.51.100.153';
const VIP6 = '2001:db8::153';
const CARP_PROTOCOL = 112;
/** b's master-down: 3 × (1 s + 100/256 s) after a's last advert (ms). */
const MASTER_DOWN_MS = 4_172;
/** From the kill to b's transition logged: its master-down plus process and log slack. */
const TAKEOVER_BOUND_MS = 5_000;
const LOSS_WINDOW_MS = 15_000;

const fileLab = await labForThisFile({ hosts: ['a', 'b', 'client'], ipv6: true });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Who holds each VIP, read from every host's namespace. */
async function holders(lab: Lab): Promise<{ v4: string[]; v6: string[] }> {
  const out = { v4: [] as string[], v6: [] as string[] };
  for (const host of lab.allHosts()) {
    if (await holds(lab, host, VIP4)) out.v4.push(host.name);
    if (await holds(lab, host, VIP6)) out.v6.push(host.name);
  }
  return out;
}

/** b's log records about a silent family (the warning) and its return (the info line). */
function familyLines(node: CarpdNode): { warnings: Record<string, unknown>[]; back: Record<string, unknown>[] } {
  const all = records(node);
  return {
    warnings: all.filter((r) => r['level'] === 'warn' && Array.isArray(r['heardIn'])),
    back: all.filter((r) => r['level'] === 'info' && typeof r['silentForMs'] === 'number'),
  };
}

async function familyLoss(lab: Lab, node: CarpdNode): Promise<{ family: string; heardIn: string[] } | null> {
  const status = await lab.exec(node.host, [process.execPath, CARPCTL, '--control', join(node.stateDirectory, 'carpd.sock'), 'status', '--json']);
  const group = (JSON.parse(status.stdout) as { groups: { familyLoss?: { family: string; heardIn: string[] } | null }[] }).groups[0];
  return group?.familyLoss ?? null;
}

test('lab: dual-stack pair with IPv6 protocol 112 dropped at the bridge: no flapping, the cause named once, failover when the master dies', { skip: fileLab.skip ?? false, timeout: 90_000 }, async (t) => {
  const lab = fileLab.lab();
  const flags = (advskew: number) => groupFlags({ vhid: 53, vip: `${VIP4}/24`, advskew, extra: ['--addr', `${VIP6}/64`] });
  const nodes: CarpdNode[] = [];
  try {
    const a = startCarpd(lab, lab.host('a'), flags(0));
    nodes.push(a);
    await waitForPhase(a, 'master', 8_000);
    const b = startCarpd(lab, lab.host('b'), flags(100));
    nodes.push(b);
    await waitForPhase(b, 'backup', 4_000);
    await sleep(5_000); // b hears a in both families: no silence yet
    assert.equal(familyLines(b).warnings.length, 0, 'no family silent while both arrive');
    const aBefore = transitions(a).length;
    const bBefore = transitions(b).length;

    await lab.blockProtocol(6, CARP_PROTOCOL, true);
    const ping = lab.ping('client', VIP4, { intervalMs: 20, durationMs: LOSS_WINDOW_MS });
    const start = Date.now();
    const samples: { v4: string[]; v6: string[] }[] = [];
    while (Date.now() - start < LOSS_WINDOW_MS && samples.length < 60) {
      samples.push(await holders(lab));
      await sleep(500);
    }
    const pinged = await ping;
    const flaps = { a: transitions(a).length - aBefore, b: transitions(b).length - bBefore };
    t.diagnostic(`IPv6 CARP dropped ${LOSS_WINDOW_MS / 1000} s: transitions a ${flaps.a}, b ${flaps.b}; ${samples.length} holder samples; pings ${pinged.received}/${pinged.sent}, longest gap ${Math.round(pinged.longestGapMs)} ms`);
    for (const [i, s] of samples.entries()) assert.deepEqual(s, { v4: ['a'], v6: ['a'] }, `sample ${i}: both VIPs on a only`);
    assert.deepEqual(flaps, { a: 0, b: 0 }, 'no transition on either node');
    assert.ok(pinged.sent > 0 && pinged.lossRatio <= 0.02, `client pings to the IPv4 VIP: ${pinged.received}/${pinged.sent}`);
    const named = familyLines(b).warnings;
    assert.equal(named.length, 1, 'the cause is named once');
    assert.deepEqual([named[0]?.['family'], named[0]?.['heardIn'], named[0]?.['master']], [6, [4], lab.host('a').ipv4]);
    const loss = await familyLoss(lab, b);
    assert.deepEqual([loss?.family, loss?.heardIn], ['ipv6', ['ipv4']], 'b\'s status names IPv6 as silent');

    // IPv6 back: named once, status clear, still no transition.
    await lab.blockProtocol(6, CARP_PROTOCOL, false);
    await sleep(2_500);
    assert.equal(familyLines(b).back.length, 1, 'its return is named once');
    assert.equal(familyLines(b).back[0]?.['family'], 6);
    assert.equal(await familyLoss(lab, b), null);
    assert.equal(transitions(b).length, bBefore);

    // Dropped again, then the master dies: b takes over both VIPs within its master-down interval.
    await lab.blockProtocol(6, CARP_PROTOCOL, true);
    await sleep(5_000);
    assert.equal(transitions(b).length, bBefore, 'still no transition');
    const pinging = lab.ping('client', VIP4, { intervalMs: 5, durationMs: 7_000 });
    await sleep(1_000);
    const killedAt = Date.now();
    a.process.signal('SIGKILL');
    await waitForPhase(b, 'master', TAKEOVER_BOUND_MS + 2_000, bBefore);
    const tookMs = Date.now() - killedAt;
    const outage = await pinging;
    t.diagnostic(`b MASTER ${tookMs} ms after SIGKILL of a; client outage ${Math.round(outage.longestGapMs)} ms (bound ${MASTER_DOWN_MS} + 50 ms)`);
    assert.ok(tookMs <= TAKEOVER_BOUND_MS, `b took over ${tookMs} ms after the kill`);
    // As in failover.test.ts: the client's outage is bounded by b's master-down plus 50 ms.
    assert.ok(outage.longestGapMs <= MASTER_DOWN_MS + 50, `client outage ${Math.round(outage.longestGapMs)} ms`);
    assert.equal(transitions(b).at(-1)?.reason, 'master-down-timeout');
    await sleep(300);
    assert.deepEqual(await holders(lab), { v4: ['b'], v6: ['b'] });
    const after = await lab.ping('client', VIP4, { intervalMs: 20, durationMs: 500 });
    assert.ok(after.received > 0, 'the client reaches the IPv4 VIP on b');
  } finally {
    for (const node of nodes) if (!node.process.done) node.process.signal('SIGKILL');
    await lab.blockProtocol(6, CARP_PROTOCOL, false).catch(() => undefined);
  }
});
