/**
 * Issue 19 item 1 in the lab, with `vmac: false` (every `carpd ucarp` drop-in): a partition
 * {a} | {b, c} makes b (advskew 50) MASTER beside a (advskew 0); the client c follows b's MAC.
 * At the heal b steps down on a's advert; a, hearing b's advert, re-announces the VIP
 * (src/fsm/rival-master.ts), so the client is back within 1.5 s of the heal instead of when its
 * neighbour entry for the VIP times out (4–25 s before the fix).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../../src/lab/lab.ts';
import { groupFlags, phaseOf, startCarpd, transitions, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';

const VIP = '198.51.100.109';
const skip = await Lab.available();
let lab: Lab | undefined;
const nodes: CarpdNode[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  if (skip !== undefined) return;
  lab = await Lab.create({ hosts: ['a', 'b', 'c'] });
});
after(async () => {
  for (const node of nodes) if (!node.process.done) node.process.signal('SIGKILL');
  await lab?.destroy();
});

test('split brain heals with vmac off: the winner re-announces, the client is back within 1.5 s of the heal', { skip: skip ?? false, timeout: 60_000 }, async (t) => {
  assert.ok(lab !== undefined);
  const flags = (advskew: number): string[] => groupFlags({ vhid: 9, vip: `${VIP}/24`, advskew, extra: ['--no-vmac', '--preempt'] });
  const a = startCarpd(lab, lab.host('a'), flags(0));
  nodes.push(a);
  await waitForPhase(a, 'master', 8_000);
  const b = startCarpd(lab, lab.host('b'), flags(50));
  nodes.push(b);
  await waitForPhase(b, 'backup', 6_000);
  const b0 = transitions(b).length;
  await lab.partition([['a'], ['b', 'c']]);
  let healedAt = 0;
  try {
    await waitForPhase(b, 'master', 6_000, b0);
    // The client talks to b now (its neighbour entry for the VIP has b's MAC).
    const during = await lab.ping('c', VIP, { intervalMs: 10, durationMs: 500 });
    assert.ok(during.received > 0, 'the client reaches b during the partition');
  } finally {
    const ping = lab.ping('c', VIP, { intervalMs: 10, durationMs: 5_000 });
    await sleep(1_000);
    await lab.heal();
    healedAt = Date.now();
    const result = await ping;
    const after = result.replies.filter((r) => r.atMs >= healedAt);
    // The outage a client saw after the heal: from the heal (or the last reply before it) to the
    // next reply, and every gap after it.
    const lastBefore = result.replies.filter((r) => r.atMs < healedAt).at(-1)?.atMs ?? healedAt;
    const times = [lastBefore, ...after.map((r) => r.atMs)];
    let outage = 0;
    for (let i = 1; i < times.length; i++) outage = Math.max(outage, (times[i] as number) - (times[i - 1] as number));
    const tail = healedAt + 3_500;
    const lastAt = after.at(-1)?.atMs ?? 0;
    t.diagnostic(`after the heal: longest gap ${Math.round(outage)} ms; ${after.length} replies; last reply ${Math.round(lastAt - healedAt)} ms after the heal; lost ${result.sent - result.received}/${result.sent}`);
    assert.ok(lastAt >= tail, `the client still gets replies 3.5 s after the heal (last at +${Math.round(lastAt - healedAt)} ms)`);
    assert.ok(outage <= 1_500, `client outage ${Math.round(outage)} ms after the heal`);
  }
  assert.equal(phaseOf(b), 'backup', 'b stepped down');
  assert.equal(phaseOf(a), 'master');
});
