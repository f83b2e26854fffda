/** A dual-stack group on real daemons: IPv4 and IPv6 adverts, both VIPs, failover, ND at the virtual MAC. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../../src/lab/lab.ts';
import { holds, startCarpd, groupFlags, stopCarpd, transitions, waitForPhase } from './carpd-in-lab.ts';
import { labForThisFile } from '../helpers/file-lab.ts';
import { join, resolve } from 'node:path';

const CARPCTL = resolve(import.meta.dirname, '../../bin/carpctl');

const VIP4 = '198.51.100.150';
const VIP6 = '2001:db8::150';
const VMAC = '00:00:5e:00:01:33';

const fileLab = await labForThisFile({ hosts: ['a', 'b', 'client'], ipv6: true });
const skip = fileLab.skip;

async function neighbour(labRef: Lab, address: string): Promise<string | undefined> {
  const result = await labRef.exec('client', ['ip', '-j', 'neigh', 'show', address]);
  return (JSON.parse(result.stdout || '[]') as { lladdr?: string }[])[0]?.lladdr;
}

test('lab: dual-stack group — both VIPs on the master, reachable at the virtual MAC, failover of both', { skip: skip ?? false, timeout: 60_000 }, async (t) => {
  const labRef = fileLab.lab();
  const flags = (advskew: number) => groupFlags({ vhid: 51, vip: VIP4, advskew, extra: ['--addr', `${VIP6}/64`] });
  const a = startCarpd(labRef, labRef.host('a'), flags(0));
  await waitForPhase(a, 'master', 6_000);
  const b = startCarpd(labRef, labRef.host('b'), flags(100));
  await waitForPhase(b, 'backup', 3_000);
  // b must hear a in both families: a silent IPv6 would show as familyLoss (docs/state-machine.md, "Dual-stack groups").
  await new Promise((r) => setTimeout(r, 5_000));
  assert.equal(transitions(b).length, 1, 'b stays backup');
  // b's status names the master by both its addresses (its IPv4 one, not only its link-local).
  const status = await labRef.exec('b', [process.execPath, CARPCTL, '--control', join(b.stateDirectory, 'carpd.sock'), 'status', '--json']);
  const report = JSON.parse(status.stdout) as { groups: { familyLoss: unknown; master: { addresses?: { ipv4?: string; ipv6?: string } } | null }[] };
  assert.equal(report.groups[0]?.familyLoss, null, 'adverts arrive in both families');
  const master = report.groups[0]?.master;
  assert.equal(master?.addresses?.ipv4, labRef.host('a').ipv4, status.stdout);
  assert.match(master?.addresses?.ipv6 ?? '', /^fe80::/, status.stdout);
  assert.ok((await holds(labRef, labRef.host('a'), VIP4)) && (await holds(labRef, labRef.host('a'), VIP6)));
  const v6 = await labRef.ping('client', VIP6, { intervalMs: 20, durationMs: 300, family: 6 });
  assert.ok(v6.received > 0, 'the client reaches the IPv6 VIP');
  assert.equal(await neighbour(labRef, VIP6), VMAC, 'ND answers with the virtual MAC');
  const count = transitions(b).length;
  await labRef.cutLink('a');
  await a.process.kill();
  await waitForPhase(b, 'master', 6_000, count);
  const after6 = await labRef.ping('client', VIP6, { intervalMs: 20, durationMs: 300, family: 6 });
  t.diagnostic(`after failover: ${after6.received}/${after6.sent} IPv6 replies`);
  assert.ok(after6.received > 0, 'the IPv6 VIP answers from b');
  assert.equal(await neighbour(labRef, VIP6), VMAC);
  assert.ok((await holds(labRef, labRef.host('b'), VIP4)) && (await holds(labRef, labRef.host('b'), VIP6)));
  await labRef.restoreLink('a');
  assert.equal(await stopCarpd(b), 0);
});
