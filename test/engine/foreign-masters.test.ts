/**
 * Foreign masters on the simulated LAN (issue 18, item 4): a node that may hold our addresses
 * beside us but that our group cannot hear. CARP: our passphrase and addresses under another vhid
 * (a vhid changed on one side), or a wrong passphrase. The MASTER counts them, shows the last in
 * its status, and re-announces its addresses while they are heard, at once on their bow-out and
 * once more when they fall silent, so a client that followed the foreign master is back within
 * one advert interval of the conflict ending. VRRP groups: see vrrp-version-conflict.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { SimCluster } from '../../src/sim/sim-cluster.ts';
import { SimLan } from '../../src/sim/sim-lan.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const S = 1_000_000;
const VIP = '198.51.100.214';

function host(name: string, address: string, vhid: number, passphrase: string) {
  return {
    name,
    addresses: [parseIpAddress(address)],
    groups: [{ name: `${name}/vhid${vhid}`, id: vhid, passphrase, virtualAddresses: [parseIpAddress(VIP)], sourceAddresses: { 4: parseIpAddress(address) }, rank: 0, intervalSeconds: 1, preempt: false }],
  };
}

/** a (vhid 14) MASTER alone from 3 s; the rogue (vhid `rogueVhid`, `roguePass`) started at 10 s: MASTER from 13 s. */
function withRogue(rogueVhid: number, roguePass: string): { clock: VirtualClock; logger: MemoryLogger; c: SimCluster } {
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  const c = new SimCluster(clock, new SimLan(clock, () => 0.5), [host('a', '198.51.100.1', 14, 'right-pass'), host('rogue', '198.51.100.2', rogueVhid, roguePass)], logger);
  c.start('a');
  clock.advanceTo(10 * S);
  assert.deepEqual(c.masters(14), ['a']);
  c.start('rogue');
  clock.advanceTo(20 * S);
  assert.deepEqual(c.host('rogue').runners.get(rogueVhid)?.state.phase, 'master', 'the rogue is MASTER beside a');
  return { clock, logger, c };
}

/** Times (µs) at which a host announced the addresses. */
function announces(c: SimCluster, name: string, from = 0): number[] {
  return c.host(name).effects.filter((e) => e.effect === 'announce' && e.at >= from).map((e) => e.at);
}

test('vhid changed on one side: while the rogue is MASTER, a re-announces once per advert interval, so every rogue announcement is answered within 1.25 s', () => {
  const { c } = withRogue(15, 'right-pass');
  // The rogue hears a as its own foreign master and re-announces too: each answers the other.
  const rogue = announces(c, 'rogue').filter((r) => r <= 18.5 * S);
  assert.ok(rogue.length >= 2, 'the rogue announced on becoming MASTER (and once more, delayed)');
  const ours = announces(c, 'a', 10 * S);
  for (const r of rogue) assert.ok(ours.some((a) => a > r && a <= r + 1.25 * S), `rogue announcement at ${r} answered: ${ours.join(' ')}`);
  const gaps = ours.slice(1).map((t, i) => t - (ours[i] as number));
  assert.ok(gaps.every((g) => g >= S / 4), `at least a quarter interval apart: ${gaps.join(' ')}`);
  const runner = c.host('a').runners.get(14);
  assert.equal(runner?.foreignMasters.last?.kind, 'other-vhid');
  assert.equal(runner?.foreignMasters.last?.peer, '198.51.100.2');
  assert.ok((runner?.foreignMasters.adverts ?? 0) >= 6, JSON.stringify(runner?.foreignMasters));
  assert.equal(runner?.foreignMasters.reannouncements, ours.length);
});

test('vhid changed on one side: the rogue stops (bow-outs): a announces at once, then once more per bow-out, then no more', () => {
  const { clock, c } = withRogue(15, 'right-pass');
  const bowOuts: number[] = [];
  c.onEvent((e) => {
    if (e.kind === 'advert-sent' && e.host === 'rogue' && e.bowOut) bowOuts.push(e.at);
  });
  const stoppedAt = clock.nowMicros();
  c.stop('rogue');
  clock.advanceTo(stoppedAt + 30 * S);
  const after = announces(c, 'a', stoppedAt);
  assert.ok((after[0] ?? Infinity) - stoppedAt < 10_000, `first announcement ${(after[0] ?? Infinity) - stoppedAt} µs after the bow-out`);
  // The rogue repeats its bow-out each interval while it waits for a successor of its vhid, which
  // never comes (docs/state-machine.md "Graceful stop"): a answers each, now and at the next wake.
  assert.ok(bowOuts.length >= 1 && bowOuts.length <= 5, `the rogue's bow-outs: ${bowOuts.join(' ')}`);
  assert.ok(after.length >= 2 && after.length <= 2 * bowOuts.length, `announce now and at the next wake, per bow-out: ${after.join(' ')}`);
  assert.ok((after.at(-1) as number) - (bowOuts.at(-1) as number) <= 1.25 * S, 'then no more');
  assert.deepEqual(c.masters(14), ['a']);
});

test('vhid changed on one side: the rogue crashes (no bow-out): a announces within one interval, and stops after the rogue\'s master-down time', () => {
  const { clock, c } = withRogue(15, 'right-pass');
  const crashedAt = clock.nowMicros();
  c.crash('rogue');
  clock.advanceTo(crashedAt + 30 * S);
  const after = announces(c, 'a', crashedAt);
  assert.ok((after[0] ?? Infinity) - crashedAt <= S, `first announcement ${(after[0] ?? Infinity) - crashedAt} µs after the crash`);
  assert.ok(after.length >= 2 && after.length <= 5, `a few, then silence: ${after.join(' ')}`);
  assert.ok((after.at(-1) as number) - crashedAt <= 4.25 * S, 'the last within 3 intervals of its last advert, plus one');
});

test('a wrong passphrase on our vhid: the MASTER re-announces while it is heard (kind bad-auth)', () => {
  const { c } = withRogue(14, 'wrong-pass');
  const runner = c.host('a').runners.get(14);
  assert.equal(runner?.foreignMasters.last?.kind, 'bad-auth');
  assert.ok(announces(c, 'a', 13 * S).length >= 5, announces(c, 'a').join(' '));
});

test('another cluster on the segment (its own vhid and passphrase): not a foreign master, nothing re-announced', () => {
  const { c } = withRogue(15, 'their-pass');
  assert.equal(c.host('a').runners.get(14)?.foreignMasters.adverts, 0);
  assert.deepEqual(announces(c, 'a', 6 * S), [], 'only the announcements of becoming MASTER (at 3 s and, delayed, 5 s)');
});
