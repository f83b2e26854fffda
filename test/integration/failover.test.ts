/**
 * Real carpd daemons in network namespaces: election, crash failover, graceful handover, the
 * virtual MAC as seen by a third host, and client pings across a failover.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Lab } from '../../src/lab/lab.ts';
import { holds, phaseOf, startCarpd, groupFlags, stopCarpd, transitions, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';
import { labForThisFile } from '../helpers/file-lab.ts';

const VIP = '198.51.100.100';
const VMAC = '00:00:5e:00:01:07';

const fileLab = await labForThisFile({ hosts: ['a', 'b', 'client'] });
const skip = fileLab.skip;

async function neighbourMac(lab: Lab, address: string): Promise<string | undefined> {
  const result = await lab.exec('client', ['ip', '-j', 'neigh', 'show', address]);
  const entries = JSON.parse(result.stdout || '[]') as { lladdr?: string }[];
  return entries[0]?.lladdr;
}

test('lab: election, VIP on the virtual MAC, crash failover within master-down + 50 ms, graceful handover', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const lab = fileLab.lab();
  const a = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 7, vip: VIP, advskew: 0 }));
  await waitForPhase(a, 'master', 6_000);
  const b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: 7, vip: VIP, advskew: 100 }));
  await waitForPhase(b, 'backup', 3_000);
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(phaseOf(b), 'backup', 'b stays backup while a advertises');
  assert.ok(await holds(lab, lab.host('a'), VIP), 'a holds the VIP');
  assert.ok(!(await holds(lab, lab.host('b'), VIP)), 'b does not');
  const before = await lab.ping('client', VIP, { intervalMs: 10, durationMs: 500 });
  assert.ok(before.received > 0, 'client reaches the VIP');
  assert.equal(await neighbourMac(lab, VIP), VMAC, 'the client sees the VIP at the virtual MAC');
  // Adverts leave with the virtual MAC as Ethernet source, as the BSDs send them (docs/protocol-carp.md "Virtual MAC and Ethernet sources").
  const capture = await lab.startCapture('bridge', 'ip proto 112');
  await new Promise((r) => setTimeout(r, 1_500));
  const pcap = await capture.stop();
  const sources = execFileSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'eth.src'], { encoding: 'utf8' }).trim().split('\n');
  assert.ok(sources.length >= 1 && sources.every((mac) => mac === VMAC), `advert sources: ${sources.join(' ')}`);

  // Crash: SIGKILL a's daemon and cut its link (a dead machine neither advertises nor answers).
  const pinging = lab.ping('client', VIP, { intervalMs: 5, durationMs: 7_000 });
  await new Promise((r) => setTimeout(r, 1_000));
  const bTransitions = transitions(b).length;
  await lab.cutLink('a');
  await a.process.kill();
  await waitForPhase(b, 'master', 6_000, bTransitions);
  const result = await pinging;
  t.diagnostic(`crash: client outage ${result.longestGapMs} ms (${result.sent} sent, ${result.received} received)`);
  // b's master-down: 3 × (1 + 100/256) s = 4.172 s; the outage is bounded by it plus 50 ms.
  assert.ok(result.longestGapMs <= 4_172 + 50, `client outage ${result.longestGapMs} ms`);
  assert.equal(await neighbourMac(lab, VIP), VMAC, 'still the virtual MAC after the failover');
  assert.ok(await holds(lab, lab.host('b'), VIP));

  // a's machine comes back with a fresh daemon: it must remove nothing it does not own and become backup.
  await lab.restoreLink('a');
  const a2 = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 7, vip: VIP, advskew: 0 }), a.stateDirectory);
  await waitForPhase(a2, 'backup', 5_000);
  // Graceful stop of b: bow-out, a takes over within its skew time (0) plus the LAN.
  const handover = lab.ping('client', VIP, { intervalMs: 5, durationMs: 2_000 });
  await new Promise((r) => setTimeout(r, 300));
  const a2Transitions = transitions(a2).length;
  const stoppedAt = Date.now();
  assert.equal(await stopCarpd(b), 0, 'b exits 0 after SIGTERM');
  await waitForPhase(a2, 'master', 2_000, a2Transitions);
  const handoverMs = Date.now() - stoppedAt;
  const handoverPing = await handover;
  t.diagnostic(`graceful: new master after ${handoverMs} ms, client outage ${handoverPing.longestGapMs} ms`);
  assert.ok(handoverMs < 1_000, `graceful handover took ${handoverMs} ms`);
  assert.ok(handoverPing.longestGapMs < 1_000, `client outage on graceful handover ${handoverPing.longestGapMs} ms`);
  assert.ok(!(await holds(lab, lab.host('b'), VIP)), 'b removed the VIP on exit');
  const bLinks = await lab.links('b');
  assert.ok(!bLinks.some((l) => l.name === 'carp7'), 'b deleted its virtual interface');
  await stopCarpd(a2);
  void (a satisfies CarpdNode);
});
