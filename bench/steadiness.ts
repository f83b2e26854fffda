/**
 * Steadiness under stress: does a stable carpd pair in fast mode stay put (no false failovers)
 * while the machine is CPU-starved and the segment loses frames?
 * Run as root: `node --import tsx bench/steadiness.ts [--minutes 10] [--loss 10] [--hog 2] [--baseline-minutes 1] [--no-capture]
 * [--master-skew 1] [--backup-skew 10] [--nice=N] [--name steadiness] [--out DIR]`. --nice=N (with "=", N may be negative) starts both daemons under
 * `nice -n N` (what systemd's Nice= does); --name names the result files (NAME.json, NAME.md).
 *
 * Setup (network-namespace lab, hosts m and b, vhid 41, VIP 198.51.100.141, --no-vmac):
 *   m: --advbase 0 --advskew 1   (advert every 1/256 s = 3.9 ms)
 *   b: --advbase 0 --advskew 10  (its master-down = 3 × 10/256 s = 117 ms, OpenBSD formula)
 * Once m is master and b backup, and 3 s have passed:
 *   1. baseline: no hog, no loss, for --baseline-minutes (default 1);
 *   2. stress:   --hog N busy-loop node processes (spawned in the lab's namespaces so destroy()
 *                kills them too; also killed explicitly at the end and in finally) and --loss %
 *                random frame loss in the bridge, for --minutes (default 10).
 * A false failover is any transition of either daemon during a phase (the master must stay
 * master). Each is recorded with its time, node, from/to and reason. carpctl status --json
 * counters (advertsSent/Received, drops, transitions) are read at the start and end of each
 * phase. As a proxy for scheduling delay on the machine, this process' own event-loop delay
 * (perf_hooks.monitorEventLoopDelay) is recorded per phase, with the count of 100 ms sampling
 * ticks that came more than 50 / 100 ms late. Unless --no-capture, tcpdump on b's eth0 records
 * m's adverts as they arrive, and the gaps between arrivals are summarized per phase (the
 * backup takes over only after a gap longer than master-down, or after its own timer outran
 * adverts that had arrived but were not yet read).
 * Results: bench/results/NAME.{json,md} (or --out DIR). Exit status 1 when the pair could not
 * be set up or a phase had a false failover.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Lab, type LabCapture, type LabProcess } from '../src/lab/lab.ts';
import { groupFlags, phaseOf, startCarpd, stopCarpd, waitForPhase, type CarpdNode } from '../test/integration/carpd-in-lab.ts';
import { describeMachine, machineLine, type MachineDescription } from './machine-description.ts';

const CARPCTL = resolve(import.meta.dirname, '../bin/carpctl');

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    loss: { type: 'string', default: '10' },
    hog: { type: 'string', default: '2' },
    'baseline-minutes': { type: 'string', default: '1' },
    'no-capture': { type: 'boolean', default: false },
    'master-skew': { type: 'string', default: '1' },
    'backup-skew': { type: 'string', default: '10' },
    nice: { type: 'string' },
    name: { type: 'string', default: 'steadiness' },
    out: { type: 'string' },
  },
});
/** Where steadiness.{json,md} go (a smoke run must not overwrite the committed results). */
const RESULTS = resolve(values.out ?? resolve(import.meta.dirname, 'results'));
const MINUTES = Number(values.minutes);
const LOSS = Number(values.loss);
const HOGS = Number(values.hog);
const BASELINE_MINUTES = Number(values['baseline-minutes']);
const CAPTURE = values['no-capture'] !== true;
if (!(MINUTES > 0 && MINUTES <= 120)) throw new Error(`--minutes must be in (0, 120], got ${values.minutes}`);
if (!(LOSS >= 0 && LOSS <= 100)) throw new Error(`--loss must be in [0, 100], got ${values.loss}`);
if (!(Number.isInteger(HOGS) && HOGS >= 0 && HOGS <= 64)) throw new Error(`--hog must be an integer in [0, 64], got ${values.hog}`);
if (!(BASELINE_MINUTES >= 0 && BASELINE_MINUTES <= 60)) throw new Error(`--baseline-minutes must be in [0, 60]`);
for (const option of ['master-skew', 'backup-skew'] as const) {
  const skew = Number(values[option]);
  if (!(Number.isInteger(skew) && skew >= 1 && skew <= 254)) throw new Error(`--${option} must be an integer in [1, 254], got ${values[option]}`);
}
if (Number(values['master-skew']) >= Number(values['backup-skew'])) throw new Error('--master-skew must be below --backup-skew');
if (values.nice !== undefined && !(Number.isInteger(Number(values.nice)) && Number(values.nice) >= -20 && Number(values.nice) <= 19)) throw new Error(`--nice must be an integer in [-20, 19], got ${values.nice}`);
if (!/^[a-z0-9-]+$/.test(values.name)) throw new Error(`--name must be lowercase letters, digits and dashes, got ${values.name}`);

const VHID = 41;
const VIP = '198.51.100.141';
const MASTER_SKEW = Number(values['master-skew']);
const BACKUP_SKEW = Number(values['backup-skew']);
/** The daemons' nice value (`nice -n N` before Node starts, like systemd's Nice=); undefined = the bench's own. */
const NICE = values.nice === undefined ? undefined : Number(values.nice);
const LAUNCHER = NICE === undefined ? [] : ['nice', '-n', String(NICE)];
const MASTER_INTERVAL_MS = (MASTER_SKEW / 256) * 1000;
const BACKUP_INTERVAL_MS = (BACKUP_SKEW / 256) * 1000;
const MASTER_DOWN_MS = 3 * BACKUP_INTERVAL_MS;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Transition {
  node: string;
  from: string;
  to: string;
  reason: string;
  time: string;
  /** Seconds since the phase began. */
  atS: number;
  peer?: string;
  /** Both daemons' log lines from 400 ms before to 150 ms after it (at most 30 per node). */
  context?: Record<string, string[]>;
}

const TIME_FIELD = /"time":"([^"]+)"/;

/** Log lines of a node whose time is within [fromMs, toMs], at most `limit` (the last ones). */
function logWindow(node: CarpdNode, fromMs: number, toMs: number, limit: number): string[] {
  const out: string[] = [];
  for (const line of node.process.lines) {
    const m = TIME_FIELD.exec(line);
    if (m === null) continue;
    const t = Date.parse(m[1] ?? '');
    if (t >= fromMs && t <= toMs) out.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
  }
  return out.slice(-limit);
}

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim();
  } catch {
    return 'unavailable';
  }
}

interface Counters {
  advertsSent: number;
  advertsReceived: number;
  sendErrors: number;
  transitions: number;
  state: string;
  drops: Record<string, number>;
}

interface PhaseResult {
  name: string;
  durationS: number;
  hogs: number;
  lossPercent: number;
  falseFailovers: number;
  transitions: Transition[];
  countersStart: Record<string, Counters | string>;
  countersEnd: Record<string, Counters | string>;
  /** End minus start, per node. */
  countersDelta: Record<string, { advertsSent: number; advertsReceived: number; drops: Record<string, number> } | string>;
  /** advertsReceived by b / advertsSent by m over the phase. */
  backupReceiveRatio: number | null;
  benchEventLoopDelayMs: { mean: number; p99: number; max: number };
  lateTicks: { over50ms: number; over100ms: number; total: number; maxLateMs: number };
  finalPhases: Record<string, string>;
  exited: string[];
  loadavgStart: string;
  loadavgEnd: string;
  /** m's adverts as b's eth0 saw them (tcpdump kernel timestamps): inter-arrival gaps. */
  arrivalGaps?: ArrivalGaps | string;
}

interface ArrivalGaps {
  packets: number;
  meanMs: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Seconds since the phase began at which the largest gap ended. */
  maxAtS: number;
  over20ms: number;
  over50ms: number;
  over100ms: number;
  overMasterDown: number;
  /** The 5 largest gaps, with when they ended (s since the phase began). */
  largest: { gapMs: number; endAtS: number }[];
}

/** Packet timestamps (epoch ms) from a classic pcap file (micro- or nanosecond, either byte order). */
function pcapTimestamps(path: string): number[] {
  const buf = readFileSync(path);
  if (buf.length < 24) return [];
  const magicLE = buf.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nano = magicLE === 0xa1b23c4d;
  } else {
    const magicBE = buf.readUInt32BE(0);
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) throw new Error('not a pcap file');
    le = false;
    nano = magicBE === 0xa1b23c4d;
  }
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const out: number[] = [];
  let offset = 24;
  // Bounded by the file length.
  while (offset + 16 <= buf.length) {
    const sec = u32(offset);
    const frac = u32(offset + 4);
    const incl = u32(offset + 8);
    out.push(sec * 1000 + (nano ? frac / 1e6 : frac / 1e3));
    offset += 16 + incl;
  }
  return out;
}

function arrivalGaps(times: number[], startMs: number): ArrivalGaps {
  const gaps: { gapMs: number; endAtS: number }[] = [];
  for (let i = 1; i < times.length; i++) gaps.push({ gapMs: (times[i] ?? 0) - (times[i - 1] ?? 0), endAtS: ((times[i] ?? 0) - startMs) / 1000 });
  const sorted = gaps.map((g) => g.gapMs).sort((a, b) => a - b);
  const q = (f: number): number => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] ?? 0;
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  const largest = [...gaps].sort((a, b) => b.gapMs - a.gapMs).slice(0, 5).map((g) => ({ gapMs: r2(g.gapMs), endAtS: r2(g.endAtS) }));
  return {
    packets: times.length,
    meanMs: r2(sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length)),
    p99Ms: r2(q(0.99)),
    p999Ms: r2(q(0.999)),
    maxMs: r2(sorted.at(-1) ?? 0),
    maxAtS: largest[0]?.endAtS ?? 0,
    over20ms: sorted.filter((x) => x > 20).length,
    over50ms: sorted.filter((x) => x > 50).length,
    over100ms: sorted.filter((x) => x > 100).length,
    overMasterDown: sorted.filter((x) => x > MASTER_DOWN_MS).length,
    largest,
  };
}

function carpctlStatus(node: CarpdNode): Promise<Counters | string> {
  return new Promise((done) => {
    execFile(process.execPath, [CARPCTL, '--control', join(node.stateDirectory, 'carpd.sock'), 'status', '--json'], { timeout: 30_000 }, (error, stdout) => {
      if (error !== null) return done(`carpctl failed: ${error.message.split('\n')[0]}`);
      try {
        const report = JSON.parse(stdout) as { groups: { state: string; counters: Omit<Counters, 'state'> }[] };
        const g = report.groups[0];
        if (g === undefined) return done('no group in status');
        done({ ...g.counters, drops: { ...g.counters.drops }, state: g.state });
      } catch (e) {
        done(`bad status JSON: ${String(e)}`);
      }
    });
  });
}

/** Collects transitions from a node's log lines, deduplicated (the line buffer is capped and may shift). */
class TransitionWatcher {
  private readonly seen = new Set<string>();
  readonly all: (Transition & { epochMs: number })[] = [];
  constructor(private readonly node: CarpdNode) {}
  poll(): void {
    for (const line of this.node.process.lines) {
      if (!line.startsWith('{') || !line.includes('"reason"') || this.seen.has(line)) continue;
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (typeof r['to'] !== 'string' || typeof r['reason'] !== 'string') continue;
      this.seen.add(line);
      const time = String(r['time']);
      this.all.push({
        node: this.node.host.name,
        from: String(r['from']),
        to: String(r['to']),
        reason: String(r['reason']),
        time,
        atS: 0,
        epochMs: Date.parse(time),
        ...(typeof r['peer'] === 'string' ? { peer: r['peer'] } : {}),
      });
    }
  }
}

async function runPhase(
  lab: Lab,
  nodes: CarpdNode[],
  watchers: TransitionWatcher[],
  name: string,
  durationMs: number,
  hogs: number,
  lossPercent: number,
): Promise<PhaseResult> {
  const hogProcs: LabProcess[] = [];
  const countersStart: Record<string, Counters | string> = {};
  const countersEnd: Record<string, Counters | string> = {};
  try {
    for (let i = 0; i < hogs; i++) {
      // Busy loops in the hosts' namespaces (CPU is shared anyway); lab.destroy() kills them too.
      hogProcs.push(lab.spawn(i % 2 === 0 ? 'm' : 'b', [process.execPath, '-e', 'for(;;){}']));
    }
    if (lossPercent > 0) await lab.setLoss(lossPercent);
    let capture: LabCapture | undefined;
    let captureError: string | undefined;
    if (CAPTURE) {
      try {
        capture = await lab.startCapture('b', `ip proto 112 and src host ${lab.host('m').ipv4}`);
      } catch (e) {
        captureError = `capture failed: ${String(e)}`;
      }
    }
    for (const n of nodes) countersStart[n.host.name] = await carpctlStatus(n);
    for (const w of watchers) w.poll();
    const before = watchers.map((w) => w.all.length);
    const loadavgStart = loadavg();
    const startMs = Date.now();
    const addContext = (): void => {
      for (const [i, w] of watchers.entries()) {
        for (const t of w.all.slice(before[i] ?? 0)) {
          if (t.context !== undefined || Date.now() < t.epochMs + 300) continue;
          t.context = Object.fromEntries(nodes.map((n) => [n.host.name, logWindow(n, t.epochMs - 400, t.epochMs + 150, 30)]));
          process.stderr.write(`[${new Date().toISOString()}]   ${name}: transition ${t.node} ${t.from} -> ${t.to} (${t.reason}) at ${t.time}\n`);
        }
      }
    };
    process.stderr.write(`[${new Date().toISOString()}] phase ${name}: ${durationMs / 1000} s, ${hogs} hog(s), ${lossPercent} % loss\n`);

    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    const TICK = 100;
    const late = { over50ms: 0, over100ms: 0, total: 0, maxLateMs: 0 };
    let expected = Date.now() + TICK;
    let nextPoll = Date.now() + 1000;
    let nextReport = Date.now() + 30_000;
    const exited: string[] = [];
    // Bounded: ends at startMs + durationMs.
    while (Date.now() < startMs + durationMs) {
      await sleep(Math.max(0, expected - Date.now()));
      const lateMs = Date.now() - expected;
      late.total++;
      if (lateMs > 50) late.over50ms++;
      if (lateMs > 100) late.over100ms++;
      late.maxLateMs = Math.max(late.maxLateMs, lateMs);
      expected = Math.max(expected + TICK, Date.now());
      if (Date.now() >= nextPoll) {
        nextPoll += 1000;
        for (const w of watchers) w.poll();
        addContext();
        for (const n of nodes) if (n.process.done && !exited.includes(n.host.name)) exited.push(n.host.name);
      }
      if (Date.now() >= nextReport) {
        nextReport += 30_000;
        const count = watchers.reduce((s, w, i) => s + w.all.length - (before[i] ?? 0), 0);
        process.stderr.write(`[${new Date().toISOString()}]   ${name}: ${Math.round((Date.now() - startMs) / 1000)} s, transitions so far ${count}\n`);
      }
    }
    histogram.disable();
    const loadavgEnd = loadavg();
    for (const w of watchers) w.poll();
    await sleep(350);
    addContext();
    for (const n of nodes) countersEnd[n.host.name] = await carpctlStatus(n);
    if (lossPercent > 0) await lab.setLoss(0);
    for (const h of hogProcs) await h.kill();
    hogProcs.length = 0;
    let gaps: ArrivalGaps | string | undefined = captureError;
    if (capture !== undefined) {
      try {
        gaps = arrivalGaps(pcapTimestamps(await capture.stop()), startMs);
      } catch (e) {
        gaps = `capture parse failed: ${String(e)}`;
      }
    }

    const transitions: Transition[] = watchers
      .flatMap((w, i) => w.all.slice(before[i] ?? 0))
      .sort((a, b) => a.epochMs - b.epochMs)
      .map(({ epochMs, ...t }) => ({ ...t, atS: Math.round((epochMs - startMs) / 10) / 100 }));
    const countersDelta: PhaseResult['countersDelta'] = {};
    for (const n of nodes) {
      const s = countersStart[n.host.name];
      const e = countersEnd[n.host.name];
      if (typeof s === 'string' || typeof e === 'string' || s === undefined || e === undefined) {
        countersDelta[n.host.name] = 'unavailable';
        continue;
      }
      const drops: Record<string, number> = {};
      for (const [k, v] of Object.entries(e.drops)) if (v - (s.drops[k] ?? 0) !== 0) drops[k] = v - (s.drops[k] ?? 0);
      countersDelta[n.host.name] = { advertsSent: e.advertsSent - s.advertsSent, advertsReceived: e.advertsReceived - s.advertsReceived, drops };
    }
    const dm = countersDelta['m'];
    const db = countersDelta['b'];
    const ratio = typeof dm === 'object' && typeof db === 'object' && dm.advertsSent > 0 ? db.advertsReceived / dm.advertsSent : null;
    return {
      name,
      durationS: Math.round((Date.now() - startMs) / 100) / 10,
      hogs,
      lossPercent,
      falseFailovers: transitions.length,
      transitions,
      countersStart,
      countersEnd,
      countersDelta,
      backupReceiveRatio: ratio === null ? null : Math.round(ratio * 10000) / 10000,
      benchEventLoopDelayMs: {
        mean: Math.round(histogram.mean / 1e4) / 100,
        p99: Math.round(histogram.percentile(99) / 1e4) / 100,
        max: Math.round(histogram.max / 1e4) / 100,
      },
      lateTicks: late,
      finalPhases: Object.fromEntries(nodes.map((n) => [n.host.name, phaseOf(n)])),
      exited,
      loadavgStart,
      loadavgEnd,
      ...(gaps === undefined ? {} : { arrivalGaps: gaps }),
    };
  } finally {
    for (const h of hogProcs) await h.kill().catch(() => undefined);
  }
}

/** Expected false failovers from random loss alone: the backup must miss every advert for master-down. */
function lossOnlyExpectation(lossPercent: number, durationS: number): { advertsInWindow: number; perWindowProbability: number; expected: number; note: string } {
  const p = lossPercent / 100;
  const k = Math.floor(MASTER_DOWN_MS / MASTER_INTERVAL_MS); // consecutive adverts lost for a timeout
  const perAdvert = p ** k; // a run of k losses starting at a given advert
  const adverts = (durationS * 1000) / MASTER_INTERVAL_MS;
  return {
    advertsInWindow: k,
    perWindowProbability: perAdvert,
    expected: adverts * perAdvert * (1 - p),
    note: `master-down ${MASTER_DOWN_MS.toFixed(1)} ms / master interval ${MASTER_INTERVAL_MS.toFixed(2)} ms = ${k} consecutive adverts must be lost`,
  };
}

function markdown(result: Record<string, unknown>, phases: PhaseResult[]): string {
  const m = result['machine'] as MachineDescription;
  const lines: string[] = [
    '# Steadiness: false failovers of a fast-mode carpd pair under CPU hog and frame loss',
    '',
    `Run ${String(result['date'])} — \`${String(result['command'])}\``,
    '',
    `Machine: ${machineLine(m)}.`,
    '',
    `Pair: m \`--advbase 0 --advskew ${MASTER_SKEW}\` (advert every ${MASTER_INTERVAL_MS.toFixed(2)} ms), b \`--advbase 0 --advskew ${BACKUP_SKEW}\` (master-down ${MASTER_DOWN_MS.toFixed(1)} ms), vhid ${VHID}, --no-vmac, in the netns lab, daemons ${NICE === undefined ? 'at the default priority' : `under \`nice -n ${NICE}\``}. Hogs: \`node -e 'for(;;){}'\` processes. Loss: nftables random drop in the bridge.`,
    '',
    '| phase | duration | hogs | loss | false failovers | m adverts sent | b adverts received | b/m ratio | b drops | bench loop delay p99 / max | ticks >50 ms / >100 ms late |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const p of phases) {
    const dm = p.countersDelta['m'];
    const db = p.countersDelta['b'];
    const dropsText = typeof db === 'object' ? (Object.entries(db.drops).map(([k, v]) => `${k} ${v}`).join(', ') || 'none') : '?';
    lines.push(
      `| ${p.name} | ${p.durationS} s | ${p.hogs} | ${p.lossPercent} % | **${p.falseFailovers}** | ${typeof dm === 'object' ? dm.advertsSent : '?'} | ${typeof db === 'object' ? db.advertsReceived : '?'} | ${p.backupReceiveRatio ?? '?'} | ${dropsText} | ${p.benchEventLoopDelayMs.p99} / ${p.benchEventLoopDelayMs.max} ms | ${p.lateTicks.over50ms} / ${p.lateTicks.over100ms} of ${p.lateTicks.total} |`,
    );
  }
  lines.push('');
  if (phases.some((p) => p.arrivalGaps !== undefined)) {
    lines.push(
      `m's adverts as captured on b's eth0 (tcpdump, kernel timestamps; the capture starts a moment before the counters and stops a moment after): gaps between consecutive arrivals. A gap over master-down (${MASTER_DOWN_MS.toFixed(1)} ms) would make b take over.`,
      '',
      '| phase | packets | mean gap | p99 | p99.9 | max (at t) | >20 ms | >50 ms | >100 ms | >master-down | 5 largest (ms @ s) |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const p of phases) {
      const g = p.arrivalGaps;
      if (typeof g !== 'object') lines.push(`| ${p.name} | ${g ?? '-'} |||||||||`);
      else
        lines.push(
          `| ${p.name} | ${g.packets} | ${g.meanMs} ms | ${g.p99Ms} ms | ${g.p999Ms} ms | ${g.maxMs} ms (${g.maxAtS} s) | ${g.over20ms} | ${g.over50ms} | ${g.over100ms} | ${g.overMasterDown} | ${g.largest.map((x) => `${x.gapMs} @ ${x.endAtS}`).join(', ')} |`,
        );
    }
    lines.push('');
  }
  for (const p of phases) {
    lines.push(`## ${p.name}: transitions`, '');
    if (p.transitions.length === 0) lines.push('None: m stayed master, b stayed backup.', '');
    else {
      lines.push('| t (s) | node | from → to | reason | time |', '|---|---|---|---|---|');
      for (const t of p.transitions) lines.push(`| ${t.atS} | ${t.node} | ${t.from} → ${t.to} | ${t.reason} | ${t.time} |`);
      lines.push('');
    }
    lines.push(`Load average at start / end: ${p.loadavgStart} / ${p.loadavgEnd}.`, '');
    lines.push(`Phases at the end: ${Object.entries(p.finalPhases).map(([k, v]) => `${k} ${v}`).join(', ')}${p.exited.length > 0 ? `; exited: ${p.exited.join(', ')}` : ''}.`, '');
  }
  const exp = result['lossOnlyExpectation'] as ReturnType<typeof lossOnlyExpectation>;
  lines.push(
    '## Expected false failovers from loss alone',
    '',
    `${exp.note}; P(a given advert starts such a run) = ${exp.perWindowProbability.toExponential(2)}; expected over the stress phase ≈ ${exp.expected.toExponential(2)}, i.e. zero. ` +
      'Any false failover observed is therefore not explained by independent random loss: it points at scheduling (the master not sending, or the backup\'s timer firing before queued adverts are read, after a CPU stall) or at correlated loss.',
    '',
  );
  if (typeof result['analysis'] === 'string') lines.push('## Analysis', '', String(result['analysis']), '');
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const reason = await Lab.available();
  if (reason !== undefined) throw new Error(`lab unavailable: ${reason}`);
  const machine = describeMachine();
  const optional = [
    MASTER_SKEW !== 1 || BACKUP_SKEW !== 10 ? ` --master-skew ${MASTER_SKEW} --backup-skew ${BACKUP_SKEW}` : '',
    // With "=": parseArgs refuses `--nice -10` (a value that looks like an option).
    NICE === undefined ? '' : ` --nice=${NICE}`,
    values.name === 'steadiness' ? '' : ` --name ${values.name}`,
  ].join('');
  const command = `node --import tsx bench/steadiness.ts --minutes ${MINUTES} --loss ${LOSS} --hog ${HOGS} --baseline-minutes ${BASELINE_MINUTES}${optional}`;
  const lab = await Lab.create({ hosts: ['m', 'b'] });
  const phases: PhaseResult[] = [];
  let setupError: string | undefined;
  let m: CarpdNode | undefined;
  let b: CarpdNode | undefined;
  try {
    const extra = ['--advbase', '0', '--no-vmac'];
    m = startCarpd(lab, lab.host('m'), groupFlags({ vhid: VHID, vip: VIP, advskew: MASTER_SKEW, extra }), undefined, LAUNCHER);
    await waitForPhase(m, 'master', 10_000);
    b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: VHID, vip: VIP, advskew: BACKUP_SKEW, extra }), undefined, LAUNCHER);
    await waitForPhase(b, 'backup', 10_000);
    await sleep(3000);
    if (phaseOf(m) !== 'master' || phaseOf(b) !== 'backup') throw new Error(`pair not stable: m ${phaseOf(m)}, b ${phaseOf(b)}`);
    const nodes = [m, b];
    const watchers = nodes.map((n) => new TransitionWatcher(n));
    for (const w of watchers) w.poll();
    if (BASELINE_MINUTES > 0) phases.push(await runPhase(lab, nodes, watchers, 'baseline', BASELINE_MINUTES * 60_000, 0, 0));
    await sleep(2000);
    phases.push(await runPhase(lab, nodes, watchers, 'stress', MINUTES * 60_000, HOGS, LOSS));
    for (const n of nodes) {
      const code = await stopCarpd(n);
      if (code !== 0) process.stderr.write(`${n.host.name}: carpd exit ${code}\n`);
    }
  } catch (error) {
    setupError = String(error instanceof Error ? error.stack : error);
    process.stderr.write(`ERROR: ${setupError}\n`);
  } finally {
    await lab.destroy();
  }
  const stress = phases.find((p) => p.name === 'stress');
  const result: Record<string, unknown> = {
    bench: 'steadiness',
    date: new Date().toISOString(),
    command,
    machine,
    settings: {
      minutes: MINUTES,
      baselineMinutes: BASELINE_MINUTES,
      lossPercent: LOSS,
      hogs: HOGS,
      hogCommand: "node -e 'for(;;){}'",
      vhid: VHID,
      master: { advbase: 0, advskew: MASTER_SKEW, intervalMs: MASTER_INTERVAL_MS },
      backup: { advbase: 0, advskew: BACKUP_SKEW, intervalMs: BACKUP_INTERVAL_MS, masterDownMs: MASTER_DOWN_MS },
      flags: ['--advbase 0', '--no-vmac', '--log-level debug'],
      daemonNice: NICE ?? null,
      capture: CAPTURE,
    },
    lossOnlyExpectation: lossOnlyExpectation(LOSS, stress?.durationS ?? MINUTES * 60),
    phases,
    ...(setupError === undefined ? {} : { error: setupError }),
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${values.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, `${values.name}.md`), markdown(result, phases));
  for (const p of phases) process.stdout.write(`${p.name}: ${p.falseFailovers} false failover(s); b/m advert ratio ${p.backupReceiveRatio}; ${JSON.stringify(p.transitions)}\n`);
  if (setupError !== undefined || phases.some((p) => p.falseFailovers > 0)) process.exitCode = 1;
}

await main();
