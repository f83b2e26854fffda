/**
 * One VRRP pair (both VRRPv3, or both VRRPv2) on a lab segment, any two speakers (keepalived, FRR, carpd), run through the
 * life of a virtual router and measured from outside:
 *   1. election: the better (higher priority) speaker is started and becomes master, then the
 *      worse one joins as backup; exactly one host serves the VIP and the client's pings come
 *      back from it (its neighbour entry is that host's MAC for the VIP);
 *   2. graceful stop of the master (SIGTERM: priority 0 on the wire): the backup serves the VIP
 *      within its Skew_Time (+ margin);
 *   3. the better one returns and preempts within its Master_Down_Interval (+ start-up);
 *   4. crash of the master (link cut + SIGKILL): the backup serves the VIP within its
 *      Master_Down_Interval (+ margin), and not before Master_Down_Interval − one interval;
 *   5. the backup, now master, stops gracefully: nobody serves the VIP.
 * A bridge-wide capture runs throughout; tshark must decode every advert with a good checksum
 * and the configured fields, from both speakers. Timings come from `ip -ts monitor` in the new
 * master's namespace (when it started serving the VIP) and from a client pinging every 10 ms.
 * RFC 5798 §6.1: Skew_Time = (256 − Priority) × Master_Adver_Interval / 256,
 * Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time.
 * RFC 3768 §6.1 (VRRPv2): Skew_Time = (256 − Priority) / 256 seconds whatever the interval,
 * Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time; with VRRPv2's usual 1 s
 * interval both give the same numbers. VRRPv2 adverts also carry the authentication fields the
 * speaker was configured with, and their checksum covers the VRRP message alone.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Lab, LabHost } from '../../src/lab/lab.ts';
import { eventually } from '../helpers/eventually.ts';
import { decodeVrrpPcap, expectedChecksumVariant, startVrrpCapture, vrrpChecksumVariants, type VrrpAdvertRow, type VrrpChecksumRow } from './vrrp-capture.ts';
import { ClientPinger, VipWatch, clientNeighbourMac, outageAfter, vipHolders, vipInterface, vrrpV2AuthType, type VrrpSpeaker, type VrrpV2Auth } from './vrrp-speaker.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Skew_Time, ms: RFC 5798 §6.1 (VRRPv3, scaled by the interval) or RFC 3768 §6.1 (VRRPv2, in seconds). */
export function skewTimeMs(priority: number, intervalMs: number, version: 2 | 3 = 3): number {
  return ((256 - priority) * (version === 2 ? 1000 : intervalMs)) / 256;
}

/** Master_Down_Interval, ms: 3 × the interval + Skew_Time (RFC 5798 §6.1, RFC 3768 §6.1). */
export function masterDownMs(priority: number, intervalMs: number, version: 2 | 3 = 3): number {
  return 3 * intervalMs + skewTimeMs(priority, intervalMs, version);
}

/** A pair to run. */
export interface PairCase {
  readonly lab: Lab;
  readonly client: LabHost;
  readonly vip: string;
  /** Starts the higher-priority speaker; `round` 1 at first, 2 when it returns after the graceful stop. */
  readonly startBetter: (round: number) => Promise<VrrpSpeaker>;
  readonly startWorse: () => Promise<VrrpSpeaker>;
  readonly betterPriority: number;
  readonly worsePriority: number;
  /** The advertisement interval both use, ms (VRRPv2: whole seconds). */
  readonly intervalMs: number;
  /** The VRRP version both speak; default 3. */
  readonly version?: 2 | 3;
  /** Slack on every timing bound (scheduling on two shared cores, the script or netlink hop). */
  readonly marginMs: number;
  /** Extra checks once the pair is elected and stable (e.g. FRR's counters of adverts received). */
  readonly afterElection?: (better: VrrpSpeaker, worse: VrrpSpeaker) => Promise<void>;
  /** Where adverts from this source address go: the group (default) or, with unicast, the peers. */
  readonly destinations?: (source: string) => readonly string[];
}

/** What one run measured, ms from the trigger. */
export interface PairMeasurements {
  gracefulTakeoverMs: number;
  gracefulOutageMs: number | undefined;
  preemptMs: number;
  crashTakeoverMs: number;
  crashOutageMs: number | undefined;
  /** Per speaker kind@host: Ethernet sources, checksum variants and priorities seen on the wire. */
  wire: Record<string, { ethSrc: string[]; checksumVariants: string[]; priorities: number[]; adverts: number }>;
}

/** Exactly `expected` serves the VIP, and the client's pings come back from it. */
async function assertServedBy(c: PairCase, speakers: readonly VrrpSpeaker[], expected: VrrpSpeaker, when: string): Promise<void> {
  const holders = await vipHolders(c.lab, speakers.map((s) => s.host), c.vip);
  assert.deepEqual(holders, [expected.host.name], `${when}: hosts serving ${c.vip}`);
  const ping = await c.lab.ping(c.client, c.vip, { intervalMs: 10, durationMs: 400 });
  assert.ok(ping.received >= ping.sent * 0.8 && ping.sent > 0, `${when}: client pings of ${c.vip} answered ${ping.received}/${ping.sent}`);
  const mac = await clientNeighbourMac(c.lab, c.client, c.vip);
  const served = await vipInterface(c.lab, expected.host, c.vip);
  assert.equal(mac, served?.mac, `${when}: the client reaches ${c.vip} at ${expected.kind}@${expected.host.name}'s ${served?.name} (${served?.mac})`);
}

/** Waits (bounded) for a speaker to report a role. */
async function waitRole(s: VrrpSpeaker, role: string, timeoutMs: number, what: string): Promise<number> {
  return eventually(`${what} (${s.kind}@${s.host.name} ${role}; log:\n${s.logTail(15).join('\n')})`, timeoutMs, async () => (await s.role()) === role, 25);
}

/** Runs the five steps and returns the measurements; every speaker is stopped or killed on return or throw. */
export async function runPairScenario(t: TestContext, c: PairCase): Promise<PairMeasurements> {
  const live = new Set<VrrpSpeaker>();
  const watches: VipWatch[] = [];
  const capture = await startVrrpCapture(c.lab);
  let captured = false;
  /** Per host: the speaker kind, its configured priority and the source addresses its adverts may have. */
  const sources = new Map<string, { kind: string; family: 4 | 6; priority: number; auth: VrrpV2Auth | undefined; addresses: Set<string> }>();
  const noteSources = async (s: VrrpSpeaker, priority: number): Promise<void> => {
    const entry = sources.get(s.host.name) ?? { kind: s.kind, family: s.family, priority, auth: s.auth, addresses: new Set<string>() };
    sources.set(s.host.name, entry);
    if (s.family === 4) entry.addresses.add(s.host.ipv4);
    // IPv6 adverts come from a link-local address: eth0's, or a macvlan's (FRR, carpd's vmac).
    else for (const a of await c.lab.addresses(s.host)) if (a.startsWith('fe80:')) entry.addresses.add(a.split('/')[0] ?? '');
  };
  const version = c.version ?? 3;
  const betterDown = masterDownMs(c.betterPriority, c.intervalMs, version);
  const worseDown = masterDownMs(c.worsePriority, c.intervalMs, version);
  const worseSkew = skewTimeMs(c.worsePriority, c.intervalMs, version);
  try {
    // 1. Election.
    let better = await c.startBetter(1);
    live.add(better);
    assert.equal(better.version, version, `${better.kind} speaks VRRPv${version}`);
    await waitRole(better, 'master', betterDown + 4000, 'the better speaker becomes master');
    const worse = await c.startWorse();
    live.add(worse);
    assert.equal(worse.version, version, `${worse.kind} speaks VRRPv${version}`);
    await waitRole(worse, 'backup', worseDown + 3000, 'the worse speaker becomes backup');
    // Longer than the backup's master-down: a backup that dropped the master's adverts would take over.
    await sleep(Math.max(worseDown + c.intervalMs, 1000));
    assert.equal(await better.role(), 'master', 'the better speaker stays master');
    assert.equal(await worse.role(), 'backup', 'the worse speaker stays backup');
    await noteSources(better, c.betterPriority);
    await noteSources(worse, c.worsePriority);
    await assertServedBy(c, [better, worse], better, 'after the election');
    await c.afterElection?.(better, worse);

    // 2. Graceful stop of the master: the backup takes over after its skew time.
    const gracefulWatch = await VipWatch.start(c.lab, worse.host, c.vip);
    watches.push(gracefulWatch);
    const gracefulPing = ClientPinger.start(c.lab, c.client, c.vip);
    await sleep(300 + Math.random() * Math.min(c.intervalMs, 500));
    const gracefulAt = Date.now();
    const stopping = better.stop();
    await eventually('the backup serves the VIP after the graceful stop', worseDown + c.marginMs + 3000, () => gracefulWatch.firstHoldAfter(gracefulAt) !== undefined, 5);
    const exit = await stopping;
    live.delete(better);
    await sleep(200);
    const gracefulPings = await gracefulPing.stop();
    const gracefulTakeoverMs = (gracefulWatch.firstHoldAfter(gracefulAt) ?? Number.NaN) - gracefulAt;
    const gracefulOutage = outageAfter(gracefulPings, gracefulAt);
    t.diagnostic(`graceful ${better.kind}@${better.host.name} → ${worse.kind}@${worse.host.name}: VIP on the new master after ${gracefulTakeoverMs.toFixed(1)} ms (its skew time ${worseSkew.toFixed(1)} ms), client outage ${gracefulOutage?.gapMs.toFixed(1) ?? 'none'} ms`);
    assert.equal(exit?.code, 0, `${better.kind} exits 0 on SIGTERM (${JSON.stringify(exit)})`);
    assert.ok(gracefulTakeoverMs <= worseSkew + c.marginMs, `graceful takeover ${gracefulTakeoverMs.toFixed(1)} ms > skew ${worseSkew.toFixed(1)} + ${c.marginMs} ms`);
    await waitRole(worse, 'master', 1000, 'the backup reports master');
    await assertServedBy(c, [better, worse], worse, 'after the graceful stop');

    // 3. The better speaker returns and preempts after its master-down interval.
    const preemptWatch = await VipWatch.start(c.lab, better.host, c.vip);
    watches.push(preemptWatch);
    better = await c.startBetter(2);
    const returnedAt = Date.now();
    live.add(better);
    await eventually('the returning better speaker preempts', betterDown + c.marginMs + 5000, () => preemptWatch.firstHoldAfter(returnedAt) !== undefined, 10);
    const preemptMs = (preemptWatch.firstHoldAfter(returnedAt) ?? Number.NaN) - returnedAt;
    await waitRole(worse, 'backup', 2000, 'the preempted speaker goes back to backup');
    await waitRole(better, 'master', 1000, 'the returning speaker reports master');
    t.diagnostic(`preemption by ${better.kind}@${better.host.name}: VIP ${preemptMs.toFixed(1)} ms after its start (its master-down ${betterDown.toFixed(1)} ms)`);
    assert.ok(preemptMs <= betterDown + c.marginMs + 1500, `preemption ${preemptMs.toFixed(1)} ms after start > master-down ${betterDown.toFixed(1)} ms + start-up`);
    // RFC 5798 §6.4.1: it starts as Backup with Master_Down_Timer running and discards the worse
    // master's adverts (preempt), so it takes over when that timer fires, not at once.
    assert.ok(preemptMs >= betterDown - c.marginMs, `preemption ${preemptMs.toFixed(1)} ms after start < master-down ${betterDown.toFixed(1)} ms`);
    await sleep(300);
    await noteSources(better, c.betterPriority);
    await assertServedBy(c, [better, worse], better, 'after preemption');

    // 4. Crash of the master: the backup takes over after its master-down interval.
    const crashWatch = await VipWatch.start(c.lab, worse.host, c.vip);
    watches.push(crashWatch);
    const crashPing = ClientPinger.start(c.lab, c.client, c.vip);
    await sleep(300 + Math.random() * Math.min(c.intervalMs, 500));
    const crashAt = Date.now();
    await c.lab.cutLink(better.host.name);
    await better.crash();
    live.delete(better);
    await eventually('the backup serves the VIP after the crash', worseDown + c.marginMs + 3000, () => crashWatch.firstHoldAfter(crashAt) !== undefined, 5);
    await sleep(200);
    const crashPings = await crashPing.stop();
    const crashTakeoverMs = (crashWatch.firstHoldAfter(crashAt) ?? Number.NaN) - crashAt;
    const crashOutage = outageAfter(crashPings, crashAt);
    t.diagnostic(`crash ${better.kind}@${better.host.name} → ${worse.kind}@${worse.host.name}: VIP on the new master after ${crashTakeoverMs.toFixed(1)} ms (master-down ${worseDown.toFixed(1)} ms from the last advert), client outage ${crashOutage?.gapMs.toFixed(1) ?? 'none'} ms`);
    assert.ok(crashTakeoverMs <= worseDown + c.marginMs, `crash takeover ${crashTakeoverMs.toFixed(1)} ms > master-down ${worseDown.toFixed(1)} + ${c.marginMs} ms`);
    // The last advert came at most one interval before the crash: earlier would be a false failover.
    const lowest = worseDown - c.intervalMs - c.marginMs;
    assert.ok(crashTakeoverMs >= lowest, `crash takeover ${crashTakeoverMs.toFixed(1)} ms < master-down − interval (${lowest.toFixed(1)} ms)`);
    const stale = await better.clearStale();
    t.diagnostic(`the killed ${better.kind} left: ${stale.join(', ') || 'nothing'}`);
    await c.lab.restoreLink(better.host.name);
    await waitRole(worse, 'master', 1000, 'the backup reports master after the crash');
    await assertServedBy(c, [better, worse], worse, 'after the crash');

    // 5. The last master stops: priority 0, the VIP released.
    const lastExit = await worse.stop();
    live.delete(worse);
    assert.equal(lastExit?.code, 0, `${worse.kind} exits 0 on SIGTERM (${JSON.stringify(lastExit)})`);
    assert.deepEqual(await vipHolders(c.lab, [better.host, worse.host], c.vip), [], 'nobody serves the VIP after both stopped');

    // The wire.
    const pcap = await capture.stop();
    captured = true;
    const rows = decodeVrrpPcap(pcap).filter((r) => r.vrid === better.vrid);
    const variants = vrrpChecksumVariants(pcap);
    const wire: PairMeasurements['wire'] = {};
    for (const [host, source] of sources) {
      const mine = rows.filter((r) => source.addresses.has(r.ipSrc));
      const key = `${source.kind}@${host}`;
      const entry = { ethSrc: [...new Set(mine.map((r) => r.ethSrc))], checksumVariants: [...new Set(variants.filter((v) => source.addresses.has(v.ipSrc)).map((v) => String(v.variant)))], priorities: [...new Set(mine.map((r) => r.priority))], adverts: mine.length };
      wire[key] = entry;
      assertAdverts(c, source.family, source.priority, mine, key);
      if (version === 2) assertV2Adverts(c, source.auth, mine, variants.filter((v) => source.addresses.has(v.ipSrc)), key);
    }
    const strangers = rows.filter((r) => ![...sources.values()].some((source) => source.addresses.has(r.ipSrc)));
    assert.deepEqual(strangers.map((r) => r.ipSrc), [], 'every advert of the VRID comes from one of the two speakers');
    t.diagnostic(`wire: ${JSON.stringify(wire)}`);
    return { gracefulTakeoverMs, gracefulOutageMs: gracefulOutage?.gapMs, preemptMs, crashTakeoverMs, crashOutageMs: crashOutage?.gapMs, wire };
  } catch (error) {
    const tails = [...live].map((s) => `--- ${s.kind}@${s.host.name}\n${s.logTail(25).join('\n')}`);
    throw new Error(`${(error as Error).message}\n${tails.join('\n')}`, { cause: error });
  } finally {
    for (const w of watches) await w.stop();
    for (const s of live) await s.crash().catch(() => undefined);
    if (!captured) await capture.stop().catch(() => undefined);
  }
}

/** Every advert of one speaker: its version, good checksum, TTL 255, the configured interval and VIP; its priority, and 0 when it stopped. */
function assertAdverts(c: PairCase, family: 4 | 6, priority: number, rows: readonly VrrpAdvertRow[], key: string): void {
  assert.ok(rows.length >= 3, `${key}: ${rows.length} adverts captured`);
  const group = family === 4 ? '224.0.0.18' : 'ff02::12';
  for (const r of rows) {
    const what = `${key} advert ${JSON.stringify(r)}`;
    assert.equal(r.version, c.version ?? 3, what);
    assert.equal(r.checksum, 'good', what);
    assert.equal(r.ttl, 255, what);
    if (c.version === 2) assert.equal(r.adverIntSeconds, c.intervalMs / 1000, what);
    else assert.equal(r.intervalCentis, Math.round(c.intervalMs / 10), what);
    assert.deepEqual(r.addresses, [c.vip], what);
    const destinations = c.destinations?.(r.ipSrc) ?? [group];
    assert.ok(destinations.includes(r.ipDst), `${what}: destination not in ${destinations.join(', ')}`);
  }
  const priorities = [...new Set(rows.map((r) => r.priority))].sort((x, y) => x - y);
  assert.deepEqual(priorities, [0, priority], `${key}: adverts at its priority ${priority}, and priority 0 on its graceful stop`);
}

/**
 * VRRPv2 only (RFC 3768 §5.3.6, §5.3.8): the auth type and string the speaker was configured
 * with, in every advert, and a checksum over the VRRP message alone (carpd's reading of the same
 * bytes, beside tshark's "good").
 */
function assertV2Adverts(c: PairCase, auth: VrrpV2Auth | undefined, rows: readonly VrrpAdvertRow[], sums: readonly VrrpChecksumRow[], key: string): void {
  for (const r of rows) {
    const what = `${key} VRRPv2 advert ${JSON.stringify(r)}`;
    assert.equal(r.authType, vrrpV2AuthType(auth), what);
    assert.equal(r.authString, auth?.type === 'pass' ? auth.password : '', what);
  }
  assert.ok(sums.length >= rows.length, `${key}: ${sums.length} checksums read for ${rows.length} adverts`);
  const variants = [...new Set(sums.map((v) => String(v.variant)))];
  assert.deepEqual(variants, [expectedChecksumVariant(2)], `${key}: VRRPv2 checksum over the message alone (${c.vip})`);
}
