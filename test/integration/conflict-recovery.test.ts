/**
 * Split brain ends, clients come back (issue 18, item 4). A rogue node with the same passphrase
 * and virtual addresses but another vhid (so another virtual MAC) is MASTER beside the real one
 * and announces the addresses: the client follows it. When the rogue stops, the real master must
 * re-announce (gratuitous ARP / unsolicited NA) so the client returns within about one advert
 * interval; without that the client stays on the rogue's dead MAC until its neighbour entry
 * times out (measured here on the build before the fix: 5.3 s for IPv4, more than 26 s for IPv6;
 * the trial saw 6.6 s and 20.6 s).
 *
 * What is measured is what the client sees: the longest gap between ping replies from the rogue
 * stopping on, per family.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import type { StatusReport } from '../../src/control/control-types.ts';
import type { PingResult } from '../../src/lab/lab.ts';
import { labForThisFile } from '../helpers/file-lab.ts';
import { groupFlags, holds, records, startCarpd, stopCarpd, transitions, waitForPhase } from './carpd-in-lab.ts';

const VIP4 = '198.51.100.160';
const VIP6 = '2001:db8::160';
/** The real cluster's vhid, and the rogue's (changed on one side). */
const VHID = 60;
const ROGUE_VHID = 61;
/** advbase 1, advskew 0: one advert a second. */
const ADVERT_INTERVAL_MS = 1_000;
/** Scheduling, the ping interval and the lab's own latency. */
const MARGIN_MS = 600;
const PING_INTERVAL_MS = 20;
/**
 * How long the client pings on after the rogue stops: 8 s shows the fix. To measure the outage of
 * a build without it (the client stays cut off until its neighbour entry times out, more than
 * 26 s for IPv6), set CARPD_CONFLICT_AFTER_STOP_MS=30000.
 */
const AFTER_STOP_MS = Number(process.env['CARPD_CONFLICT_AFTER_STOP_MS'] ?? 8_000);

const CARPCTL = resolve(import.meta.dirname, '../../bin/carpctl');

const fileLab = await labForThisFile({ hosts: ['a', 'rogue', 'client'], ipv6: true });
const skip = fileLab.skip;

/** The longest time without a reply from `fromMs` on (the first reply after it counts from it). */
function outageFrom(result: PingResult, fromMs: number): number {
  const times = result.replies.filter((r) => !r.duplicate && r.atMs >= fromMs).map((r) => r.atMs);
  let longest = 0;
  let previous = fromMs;
  for (const at of times) {
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  return times.length === 0 ? Infinity : longest;
}

test('a rogue MASTER with another vhid stops: the client is back on the real master within one advert interval, IPv4 and IPv6', { skip: skip ?? false, timeout: 120_000 }, async (t) => {
  const lab = fileLab.lab();
  const flags = (vhid: number, advskew: number) => groupFlags({ vhid, vip: VIP4, advskew, extra: ['--addr', `${VIP6}/64`] });
  const a = startCarpd(lab, lab.host('a'), flags(VHID, 0));
  await waitForPhase(a, 'master', 8_000);
  const total = 4_000 + 4_000 + 3_000 + AFTER_STOP_MS;
  const ping4 = lab.ping('client', VIP4, { intervalMs: PING_INTERVAL_MS, durationMs: total });
  const ping6 = lab.ping('client', VIP6, { intervalMs: PING_INTERVAL_MS, durationMs: total, family: 6 });
  const rogue = startCarpd(lab, lab.host('rogue'), flags(ROGUE_VHID, 0));
  // It hears nobody of its vhid: MASTER after its master-down interval (3 s).
  await waitForPhase(rogue, 'master', 8_000);
  await new Promise((r) => setTimeout(r, 3_000));
  assert.ok(await holds(lab, lab.host('rogue'), VIP4), 'the rogue holds the VIP: the conflict is real');
  assert.ok(await holds(lab, lab.host('a'), VIP4), 'and a still does');
  const status = await lab.exec('a', [process.execPath, CARPCTL, '--control', join(a.stateDirectory, 'carpd.sock'), 'status', '--json']);
  const foreign = (JSON.parse(status.stdout) as StatusReport).groups[0]?.foreign;
  const stoppedAt = Date.now();
  assert.equal(await stopCarpd(rogue), 0);
  const [v4, v6] = await Promise.all([ping4, ping6]);
  const outage4 = outageFrom(v4, stoppedAt);
  const outage6 = outageFrom(v6, stoppedAt);
  t.diagnostic(`client outage after the rogue stopped: IPv4 ${Math.round(outage4)} ms, IPv6 ${Math.round(outage6)} ms (replies ${v4.received}/${v4.sent}, ${v6.received}/${v6.sent})`);
  // Asserted after the measurement, so that a build without the fix still reports its outage.
  assert.equal(foreign?.last?.kind, 'other-vhid', status.stdout);
  assert.ok((foreign?.reannouncements ?? 0) > 0, 'a re-announced while the rogue was heard');
  assert.deepEqual(transitions(a).map((x) => x.to), ['backup', 'master'], 'the real master stayed MASTER throughout');
  assert.ok(records(a).some((r) => r['level'] === 'warn' && r['peerVhid'] === ROGUE_VHID), 'the real master named the conflict');
  assert.ok(outage4 <= ADVERT_INTERVAL_MS + MARGIN_MS, `IPv4 outage ${outage4} ms`);
  assert.ok(outage6 <= ADVERT_INTERVAL_MS + MARGIN_MS, `IPv6 outage ${outage6} ms`);
  assert.equal(await stopCarpd(a), 0);
});
