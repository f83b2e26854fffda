/**
 * A LAN attacker against a dual-stack pair (issue 18, item 1): from a namespace on the same
 * bridge, three floods sent as fast as an AF_PACKET socket takes them, in bursts (BURST_MS)
 * (flood-frames.ts, flood-sender.ts), once with the pair in `strict` replay mode and once in
 * `compat`:
 *
 *   replay      the master's own adverts (one IPv4, one IPv6, captured on the wire) replayed
 *               twice under each of 50 000 spoofed IPv6 and 488 spoofed IPv4 sources;
 *   wrong-vhid  adverts for the 239 vhids the pair does not run, half of them signed with its
 *               passphrase, half with random digests;
 *   garbage     random protocol-112 payloads, and adverts with random digests (bad-auth).
 *
 * What the client and the nodes see is asserted, per flood: no transition on either node (the
 * daemons' transition counters, and who holds each VIP, read from both namespaces every
 * ~100 ms: always the master, never both), the client's pings to both VIPs every 10 ms lose at
 * most PING_LOSS_MAX, each daemon's RSS grows by at most RSS_GROWTH_MAX over the flood (peak of
 * /proc/PID/status VmRSS sampled every 100 ms, against just before), and each daemon writes at
 * most LOG_LINES_MAX log lines from the flood's start until it has settled.
 *
 * The daemons run as on a real host: default control socket and state directory (machine.ts),
 * a config file, log level info. Bounds and what they were measured against are given at each
 * constant; the numbers of every run are printed as diagnostics.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { request } from '../../src/control/control-client.ts';
import type { GroupStatus, StatusReport } from '../../src/control/control-types.ts';
import type { Lab, LabProcess, PingResult } from '../../src/lab/lab.ts';
import { labForThisFile } from '../helpers/file-lab.ts';
import type { CarpdNode } from './carpd-in-lab.ts';
import { capturedPayloads, FLOODS, type FloodKind } from './flood-frames.ts';
import { cpuMs, rssKib, sleep, startPing, transitionText } from './flood-probes.ts';
import type { FloodSpec, FloodSummary } from './flood-sender.ts';
import { machine, startCarpdOn, writeConfig, writePassphrase, type Machine } from './machine.ts';

const PASSPHRASE = 'lab-flood-secret';
/** Distinct spoofed IPv6 sources of the replay flood (the issue's reproduction: 50 000). */
const REPLAY_V6_SOURCES = 50_000;
/** Every source of the replay flood sends the captured adverts twice (100 000 IPv6 frames): a source's second copy is a counter that "goes backwards". */
const REPLAY_PASSES = 2;
/** wrong-vhid and garbage: one pass over this many IPv6 sources (plus the IPv4 ones). */
const OTHER_V6_SOURCES = 50_000;
/** The sender stops here even with frames left (sending time); every flood so far took well under it. */
const SEND_LIMIT_MS = 8_000;
/**
 * Full speed in bursts of BURST_MS, PAUSE_MS apart. A flood faster than a daemon can read
 * overflows its socket buffer, and the kernel then drops the master's adverts with the rest: a
 * backup that hears none for its master-down interval (3 × 1 s + 100/256 s here) takes over, as
 * any implementation would (measured: b took over once in 8 sustained 4 s floods). A burst of
 * 1.5 s can hide at most one advert per family, and a pause of 1.2 s always lets one through:
 * the longest silence a backup sees is 2 s. What is tested is the cost of each packet and the
 * state it leaves, not the bandwidth of the segment.
 */
const BURST_MS = 1_500;
const PAUSE_MS = 1_200;
/** SEND_LIMIT_MS of sending holds at most this many bursts, hence pauses. */
const BURSTS_MAX = Math.ceil(SEND_LIMIT_MS / BURST_MS);
/** After the sender ends: the daemons drain their socket buffers, the master sends 2 adverts. */
const SETTLE_MS = 2_000;
/** The client pings both VIPs this often during the flood window. */
const PING_INTERVAL_MS = 10;

/** Lost pings per VIP per flood, at most (of ~400-600). */
const PING_LOSS_MAX = 0.01;
/**
 * RSS growth of a daemon over one flood (peak against just before), at most. V8 sizes its heap
 * to the allocation rate, so a daemon's first flood grows its RSS by 9-23 MiB with bounded state
 * too (measured with the bounds of issue 18), and later ones do not add to it: 8 strict replay
 * floods in a row kept b at 63-64 MiB after the first and a between 64 and 84 MiB with no trend;
 * 6 compat ones took b 61 -> 84 -> 72 -> 76 -> 77 -> 77 MiB. So this bound catches growth of
 * another order (per-packet or per-source records kept for good), not a few MiB: at 50 000
 * sources the unbounded records of the old code were about 5-10 MiB, inside V8's own swing;
 * the log line and transition bounds are what tell the two apart.
 */
const RSS_GROWTH_MAX_KIB = 32 * 1024;
/** Log lines of a daemon from a flood's start until it settled, at most. */
const LOG_LINES_MAX = 50;

const CARPD_SOCKET = 'carpd.sock';
/**
 * Besides the attacked group, the pair runs this many IPv4 groups (same passphrase, other
 * addresses): a wrong-vhid advert that is checked against every group's key costs an HMAC per
 * group (issue 18), which one group alone would not show.
 */
const EXTRA_GROUPS = 15;

const fileLab = await labForThisFile({ hosts: ['a', 'b', 'client', 'attacker'], ipv6: true });
const skip = fileLab.skip;

/** The pair under attack in one replay mode. */
interface Pair {
  readonly mode: 'strict' | 'compat';
  readonly vhid: number;
  /** The extra groups' vhids and VIPs. */
  readonly extra: readonly { readonly vhid: number; readonly vip4: string }[];
  readonly vip4: string;
  readonly vip6: string;
  readonly machines: Record<'a' | 'b', Machine>;
  readonly nodes: Record<'a' | 'b', CarpdNode>;
}

/** What one flood did, for the diagnostics and the assertions. */
interface FloodResult {
  readonly summary: FloodSummary;
  readonly transitions: Record<'a' | 'b', number>;
  readonly states: Record<'a' | 'b', string>;
  readonly samples: number;
  readonly badSamples: string[];
  readonly ping4: PingResult;
  readonly ping6: PingResult;
  readonly rss: Record<'a' | 'b', { before: number; peak: number; after: number }>;
  readonly logLines: Record<'a' | 'b', number>;
  readonly drops: Record<'a' | 'b', Record<string, number>>;
  /** CPU ms each daemon used over the flood window, and the datagrams it handled (accepted or dropped). */
  readonly cpu: Record<'a' | 'b', number>;
  readonly handled: Record<'a' | 'b', number>;
  readonly advertsSent: number;
  readonly sampleLines: Record<'a' | 'b', string[]>;
  readonly transitionLines: Record<'a' | 'b', string[]>;
}

for (const [index, mode] of (['strict', 'compat'] as const).entries()) {
  test(`lab: replay (50 000 spoofed sources), wrong-vhid and garbage floods move no VIP, pings, RSS and log lines stay bounded (${mode})`, { skip: skip ?? false, timeout: 120_000 }, async (t) => {
    const lab = fileLab.lab();
    const pair = await startPair(lab, mode, 81 + index);
    // Built while the pair starts (the replay flood while its capture runs); each sends on its own signal.
    const senders = new Map<FloodKind, LabProcess>();
    try {
      for (const kind of FLOODS) if (kind !== 'replay') senders.set(kind, spawnSender(lab, pair, kind));
      await waitSettled(pair, 10_000);
      const capture = await lab.startCapture('attacker', 'ip proto 112 or ip6 proto 112');
      senders.set('replay', spawnSender(lab, pair, 'replay', capture.path));
      await waitForAdverts(capture.path, pair.vhid, 5_000);
      await capture.stop();
      await Promise.all([...senders.values()].map((s) => s.waitForLine(/^ready$/, 60_000)));
      for (const kind of FLOODS) {
        const title = kind === 'replay' ? `a replay flood under ${REPLAY_V6_SOURCES} spoofed sources moves no VIP (${mode})` : `a ${kind} flood moves no VIP (${mode})`;
        await t.test(title, async (st) => {
          await waitSettled(pair, 8_000);
          const result = await flood(lab, pair, senders.get(kind) as LabProcess);
          report(st, kind, result);
          check(result);
        });
      }
    } finally {
      await Promise.all([...senders.values()].map((sender) => sender.kill()));
      await stopPair(pair);
    }
  });
}

async function startPair(lab: Lab, mode: Pair['mode'], vhid: number): Promise<Pair> {
  const vip4 = `198.51.100.${vhid + 100}`;
  const vip6 = `2001:db8::${vhid + 100}`;
  // vhids 100-114 (strict) or 120-134 (compat); VIPs 198.51.100.200-214 or .220-234.
  const extra = Array.from({ length: EXTRA_GROUPS }, (_, i) => ({ vhid: (vhid - 81) * 20 + 100 + i, vip4: `198.51.100.${(vhid - 81) * 20 + 200 + i}` }));
  const machines = { a: machine(lab.host('a')), b: machine(lab.host('b')) };
  const start = (name: 'a' | 'b', advskew: number): CarpdNode => {
    const m = machines[name];
    const passphraseFile = writePassphrase(m, 'pass', PASSPHRASE);
    const groups = [
      { vhid, addresses: [`${vip4}/24`, `${vip6}/64`], advskew, passphraseFile, extra: { replay: { mode } } },
      ...extra.map((g) => ({ name: `x${g.vhid}`, vhid: g.vhid, addresses: [`${g.vip4}/24`], advskew, passphraseFile, extra: { replay: { mode } } })),
    ];
    return startCarpdOn(lab, m, ['--config', writeConfig(m, 'carpd.yaml', groups, { log_level: 'info' })]);
  };
  return { mode, vhid, extra, vip4, vip6, machines, nodes: { a: start('a', 0), b: start('b', 100) } };
}

async function stopPair(pair: Pair): Promise<void> {
  for (const node of Object.values(pair.nodes)) {
    node.process.signal('SIGTERM');
    const exited = await Promise.race([node.process.exited, sleep(5_000).then(() => undefined)]);
    if (exited === undefined) await node.process.kill();
  }
  for (const m of Object.values(pair.machines)) rmSync(m.root, { recursive: true, force: true });
}

/** What the flood test reads of a node's status. */
interface NodeStatus extends GroupStatus {
  /** Drops no group took (unknown vhids ...). */
  readonly unattributed: Readonly<Record<string, number>>;
  /** Transitions of every group. */
  readonly allTransitions: number;
  /** Every group's state, by vhid. */
  readonly states: ReadonlySet<string>;
}

/** The attacked group's status on a node, with what the test needs of the others. */
async function status(pair: Pair, name: 'a' | 'b'): Promise<NodeStatus> {
  const path = join(pair.machines[name].root, 'run', CARPD_SOCKET);
  const answer = (await request(path, { command: 'status' }, 10_000)) as { ok: boolean; status: StatusReport };
  assert.equal(answer.ok, true);
  const group = answer.status.groups.find((g) => g.vhid === pair.vhid);
  assert.ok(group !== undefined, `${name} runs vhid ${pair.vhid}`);
  assert.equal(answer.status.groups.length, 1 + pair.extra.length, `${name} runs every group`);
  return {
    ...group,
    unattributed: answer.status.unattributedDrops['eth0'] ?? {},
    allTransitions: answer.status.groups.reduce((n, g) => n + g.counters.transitions, 0),
    states: new Set(answer.status.groups.map((g) => g.state)),
  };
}

/** Bounded wait until a is MASTER, b BACKUP and b has heard a in both families. */
async function waitSettled(pair: Pair, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    for (const node of Object.values(pair.nodes)) {
      if (node.process.done) throw new Error(`${node.host.name}: carpd exited:\n${node.process.lines.slice(-20).join('\n')}`);
    }
    try {
      const [a, b] = await Promise.all([status(pair, 'a'), status(pair, 'b')]);
      const addresses = b.master?.addresses;
      last = `a ${[...a.states].join('/')}, b ${[...b.states].join('/')}, b hears ${JSON.stringify(addresses)}`;
      if (a.states.size === 1 && a.state === 'MASTER' && b.states.size === 1 && b.state === 'BACKUP' && addresses?.ipv4 !== undefined && addresses.ipv6 !== undefined) return;
    } catch (error) {
      last = String(error);
    }
    await sleep(200);
  }
  throw new Error(`the pair did not settle within ${timeoutMs} ms: ${last}`);
}

/** Bounded wait until the capture (written packet by packet) holds an advert of the vhid in each family. */
async function waitForAdverts(path: string, vhid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sleep(200);
    let families: string[] = [];
    try {
      families = Object.keys(capturedPayloads(new Uint8Array(readFileSync(path)), vhid));
    } catch {
      // Not written yet, or a record cut in the middle: read again.
    }
    if (families.length === 2) return;
    if (Date.now() > deadline) throw new Error(`the capture holds adverts of vhid ${vhid} in ${families.length} families after ${timeoutMs} ms`);
  }
}

/** Starts the sender of one flood in the attacker's namespace; it prints `ready` once built. */
function spawnSender(lab: Lab, pair: Pair, kind: FloodKind, pcap?: string): LabProcess {
  const attacker = lab.host('attacker');
  const spec: FloodSpec = {
    kind,
    ifname: 'eth0',
    mac: attacker.mac,
    vhid: pair.vhid,
    pairVhids: [pair.vhid, ...pair.extra.map((g) => g.vhid)],
    addresses: [pair.vip4, pair.vip6],
    passphrase: PASSPHRASE,
    reservedV4: [...lab.allHosts().map((h) => h.ipv4), pair.vip4, ...pair.extra.map((g) => g.vip4)],
    v6Sources: kind === 'replay' ? REPLAY_V6_SOURCES : OTHER_V6_SOURCES,
    passes: kind === 'replay' ? REPLAY_PASSES : 1,
    maxMs: SEND_LIMIT_MS,
    burstMs: BURST_MS,
    pauseMs: PAUSE_MS,
    ...(pcap === undefined ? {} : { pcap }),
  };
  return lab.spawn(attacker, [process.execPath, '--import', 'tsx', resolve(import.meta.dirname, 'flood-sender.ts'), JSON.stringify(spec)]);
}

/** Runs one flood against the pair and measures what the client and both nodes saw. */
async function flood(lab: Lab, pair: Pair, sender: LabProcess): Promise<FloodResult> {
  const { a, b } = pair.nodes;
  const [statusA, statusB] = await Promise.all([status(pair, 'a'), status(pair, 'b')]);
  const rss = { a: { before: rssKib(a.process), peak: 0, after: 0 }, b: { before: rssKib(b.process), peak: 0, after: 0 } };
  const linesBefore = { a: a.process.lineCount, b: b.process.lineCount };
  const cpuBefore = { a: cpuMs(a.process), b: cpuMs(b.process) };
  const pingDeadlineS = Math.ceil((SEND_LIMIT_MS + BURSTS_MAX * PAUSE_MS + SETTLE_MS) / 1000) + 5;
  const ping4 = startPing(lab, 'client', pair.vip4, PING_INTERVAL_MS, pingDeadlineS);
  const ping6 = startPing(lab, 'client', pair.vip6, PING_INTERVAL_MS, pingDeadlineS);
  let sampling = true;
  const sampler = sampleHolders(lab, pair, () => sampling);
  const rssSampler = (async () => {
    while (sampling) {
      for (const name of ['a', 'b'] as const) rss[name].peak = Math.max(rss[name].peak, rssKib(pair.nodes[name].process));
      await sleep(100);
    }
  })();
  await sleep(300);
  sender.signal('SIGUSR2');
  const exit = await Promise.race([sender.exited, sleep(SEND_LIMIT_MS + BURSTS_MAX * PAUSE_MS + 5_000).then(() => undefined)]);
  assert.ok(exit !== undefined && exit.code === 0, `the sender failed: ${JSON.stringify(exit)}\n${sender.lines.slice(-10).join('\n')}`);
  await sleep(SETTLE_MS);
  const [p4, p6] = await Promise.all([ping4.stop(), ping6.stop()]);
  sampling = false;
  const [samples] = await Promise.all([sampler, rssSampler]);
  const summaryLine = sender.lines.find((l) => l.startsWith('{'));
  assert.ok(summaryLine !== undefined, 'the sender printed its summary');
  for (const name of ['a', 'b'] as const) {
    rss[name].after = rssKib(pair.nodes[name].process);
    rss[name].peak = Math.max(rss[name].peak, rss[name].after);
  }
  const logLines = { a: a.process.lineCount - linesBefore.a, b: b.process.lineCount - linesBefore.b };
  const windowLines = (node: CarpdNode, n: number): string[] => (n > 0 ? node.process.lines.slice(-n) : []);
  const sampleLines = { a: windowLines(a, logLines.a).slice(0, 2), b: windowLines(b, logLines.b).slice(0, 2) };
  const transitionLines = { a: windowLines(a, logLines.a).filter((l) => l.includes('"to":')).slice(0, 4), b: windowLines(b, logLines.b).filter((l) => l.includes('"to":')).slice(0, 4) };
  const cpu = { a: cpuMs(a.process) - cpuBefore.a, b: cpuMs(b.process) - cpuBefore.b };
  const [afterA, afterB] = await Promise.all([status(pair, 'a'), status(pair, 'b')]);
  const drops = { a: dropDelta(statusA, afterA), b: dropDelta(statusB, afterB) };
  const handled = (before: GroupStatus, after: GroupStatus, d: Record<string, number>): number => Object.values(d).reduce((x, y) => x + y, 0) + after.counters.advertsReceived - before.counters.advertsReceived;
  assert.ok(p4.sent >= 100 && p6.sent >= 100, `the client sent its pings (${p4.sent}, ${p6.sent})`);
  return {
    summary: JSON.parse(summaryLine) as FloodSummary,
    transitions: { a: afterA.allTransitions - statusA.allTransitions, b: afterB.allTransitions - statusB.allTransitions },
    states: { a: [...afterA.states].join('/'), b: [...afterB.states].join('/') },
    samples: samples.count,
    badSamples: samples.bad,
    ping4: p4,
    ping6: p6,
    rss,
    logLines,
    drops,
    cpu,
    handled: { a: handled(statusA, afterA, drops.a), b: handled(statusB, afterB, drops.b) },
    advertsSent: afterA.counters.advertsSent - statusA.counters.advertsSent,
    sampleLines,
    transitionLines,
  };
}

/** Reads who holds each VIP in a and b every ~100 ms while `running`; a sample is bad unless a alone holds both. */
async function sampleHolders(lab: Lab, pair: Pair, running: () => boolean): Promise<{ count: number; bad: string[] }> {
  let count = 0;
  const bad: string[] = [];
  while (running()) {
    const [inA, inB] = await Promise.all([lab.addresses('a'), lab.addresses('b')]);
    const held = (list: string[], vip: string): boolean => list.some((entry) => entry.split('/')[0] === vip);
    const line = `a ${held(inA, pair.vip4) ? 'v4' : '--'}/${held(inA, pair.vip6) ? 'v6' : '--'} b ${held(inB, pair.vip4) ? 'v4' : '--'}/${held(inB, pair.vip6) ? 'v6' : '--'}`;
    count++;
    if (line !== 'a v4/v6 b --/--') bad.push(`${new Date().toISOString()} ${line}`);
    await sleep(100);
  }
  return { count, bad };
}

/** Drops counted during the flood, the group's and (prefixed `eth0:`) those no group took. */
function dropDelta(before: NodeStatus, after: NodeStatus): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (label: string, now: Readonly<Record<string, number>>, then: Readonly<Record<string, number>>): void => {
    for (const [reason, n] of Object.entries(now)) {
      const delta = n - (then[reason] ?? 0);
      if (delta > 0) out[`${label}${reason}`] = delta;
    }
  };
  add('', after.counters.drops, before.counters.drops);
  add('eth0:', after.unattributed, before.unattributed);
  return out;
}

function report(t: TestContext, kind: FloodKind, r: FloodResult): void {
  const s = r.summary;
  const mib = (kib: number): string => (kib / 1024).toFixed(1);
  t.diagnostic(`${kind}: sent ${s.sent}/${s.frames} frames (${s.v6Sources} IPv6 + ${s.v4Sources} IPv4 sources) in ${s.elapsedMs} ms of sending = ${s.rate} frames/s (${s.bursts} bursts, ${s.wallMs} ms with pauses), ${s.errors} send errors`);
  t.diagnostic(`${kind}: transitions a ${r.transitions.a} b ${r.transitions.b}; states a ${r.states.a} b ${r.states.b}; VIP samples ${r.samples}, bad ${r.badSamples.length}${r.badSamples.length > 0 ? ` (first: ${r.badSamples.slice(0, 3).join('; ')})` : ''}`);
  t.diagnostic(`${kind}: ping v4 ${r.ping4.sent - r.ping4.received}/${r.ping4.sent} lost, longest gap ${r.ping4.longestGapMs.toFixed(0)} ms; v6 ${r.ping6.sent - r.ping6.received}/${r.ping6.sent} lost, longest gap ${r.ping6.longestGapMs.toFixed(0)} ms`);
  t.diagnostic(`${kind}: RSS MiB a ${mib(r.rss.a.before)} -> peak ${mib(r.rss.a.peak)} -> ${mib(r.rss.a.after)}, b ${mib(r.rss.b.before)} -> peak ${mib(r.rss.b.peak)} -> ${mib(r.rss.b.after)}`);
  t.diagnostic(`${kind}: log lines a ${r.logLines.a} b ${r.logLines.b}; a sent ${r.advertsSent} adverts; drops a ${JSON.stringify(r.drops.a)} b ${JSON.stringify(r.drops.b)}`);
  const perPacket = (name: 'a' | 'b'): string => (r.handled[name] > 0 ? ((r.cpu[name] * 1000) / r.handled[name]).toFixed(0) : '-');
  t.diagnostic(`${kind}: handled (of ${s.sent} sent) a ${r.handled.a} b ${r.handled.b}; CPU a ${r.cpu.a} ms b ${r.cpu.b} ms = a ${perPacket('a')} µs b ${perPacket('b')} µs per datagram handled`);
  for (const name of ['a', 'b'] as const) {
    if (r.logLines[name] > LOG_LINES_MAX) t.diagnostic(`${kind}: ${name}'s first lines: ${r.sampleLines[name].map((l) => l.slice(0, 240)).join(' | ')}`);
    if (r.transitionLines[name].length > 0) t.diagnostic(`${kind}: ${name}'s first transitions: ${r.transitionLines[name].map(transitionText).join(' | ')}`);
  }
}

function check(r: FloodResult): void {
  assert.equal(r.summary.errors, 0, 'every frame went out');
  assert.equal(r.summary.sent, r.summary.frames, `the whole flood was sent within ${SEND_LIMIT_MS} ms`);
  assert.deepEqual(r.transitions, { a: 0, b: 0 }, 'no transition on either node');
  assert.deepEqual(r.states, { a: 'MASTER', b: 'BACKUP' });
  assert.ok(r.samples >= 10, `the VIPs were sampled throughout (${r.samples} samples)`);
  assert.deepEqual(r.badSamples, [], 'a alone held both VIPs at every sample');
  for (const [family, ping] of [['v4', r.ping4], ['v6', r.ping6]] as const) {
    assert.ok(ping.lossRatio <= PING_LOSS_MAX, `client pings to the ${family} VIP: ${ping.sent - ping.received}/${ping.sent} lost`);
  }
  for (const name of ['a', 'b'] as const) {
    const growth = r.rss[name].peak - r.rss[name].before;
    assert.ok(growth <= RSS_GROWTH_MAX_KIB, `${name}: RSS grew ${(growth / 1024).toFixed(1)} MiB (at most ${RSS_GROWTH_MAX_KIB / 1024})`);
    assert.ok(r.logLines[name] <= LOG_LINES_MAX, `${name}: ${r.logLines[name]} log lines (at most ${LOG_LINES_MAX})`);
  }
}
