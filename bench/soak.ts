/**
 * Soak test: a three-node carpd cluster (a/b/c, advskew 0/50/100, preempt, vhid 7, advbase 1)
 * and a client in the network-namespace lab, under random faults for a bounded duration.
 * Run as root: `node --import tsx bench/soak.ts [--minutes 10] [--seed N]`.
 *
 * Faults (chosen and timed by a seeded PRNG, one at a time, always healed before the next):
 *   crash      SIGKILL of a daemon + cut of its link, for 3–8 s; heal: link restored, daemon restarted
 *   restart    graceful restart (SIGTERM, 0.5–2 s pause, start again)
 *   loss       10–40 % frame loss on the segment for 3–8 s
 *   partition  one node against the other two for 3–8 s, then healed
 *   flap       a node's link cut/restored every 300 ms, 3–6 times
 * Between faults the cluster is left alone for 6–12 s.
 *
 * Invariants, sampled every 200 ms (phases from the daemons' JSON logs, addresses from
 * `ip addr` in every host namespace):
 *   - exactly one MASTER among the live daemons, once master-down (4.172 s for advskew 100)
 *     + 1 s has passed since the last fault action (apply or heal), and not while a partition
 *     or a loss burst is in force (each side of a partition rightly has its own master); every
 *     sample breaking it counts 200 ms of violation;
 *   - the VIP never on two hosts for more than 500 ms in a row, outside a partition or a loss
 *     burst and from 1.5 s (one advert interval + margin) after their heal: during a partition
 *     each side legitimately has a master, and under loss a backup may legitimately miss
 *     enough adverts to take over until the next advert reaches it (these are reported, not
 *     counted);
 *   - no VIP on a dead host (a SIGKILLed daemon) from 1 s after its death (its cleanup guard).
 * A daemon that exits unexpectedly, or whose control socket does not answer `carpctl status`
 * within 5 s (asked before every fault), is an anomaly and counts as a violation too.
 *
 * Availability: the client pings the VIP every 20 ms for the whole run; the fraction answered.
 * Results: bench/results/soak.json and bench/results/soak.md (when run as a script).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Lab } from '../src/lab/lab.ts';
import { seededRandom } from '../src/sim/random.ts';
import { groupFlags, startCarpd, type CarpdNode } from '../test/integration/carpd-in-lab.ts';
import { describeMachine, machineLine } from './machine-description.ts';

const CARPCTL = resolve(import.meta.dirname, '../bin/carpctl');
const VIP = '198.51.100.107';
const VHID = 7;
const NAMES = ['a', 'b', 'c'] as const;
type NodeName = (typeof NAMES)[number];
const SKEW: Record<NodeName, number> = { a: 0, b: 50, c: 100 };
const MASTER_DOWN_MS = 3000 * (1 + 100 / 256);
const GRACE_MS = MASTER_DOWN_MS + 1000;
const SAMPLE_MS = 200;
const DUAL_LIMIT_MS = 500;
const DUAL_GRACE_MS = 1500;
const DEAD_VIP_GRACE_MS = 1000;

export interface SoakOptions {
  durationMs: number;
  seed: number;
  /** Progress lines (default: console.log). */
  log?: (line: string) => void;
}

export interface FaultRecord {
  kind: string;
  target: string;
  detail: string;
  appliedAtMs: number;
  healedAtMs: number;
}

export interface Violation {
  atMs: number;
  kind: 'master-count' | 'dual-vip' | 'vip-on-dead-host' | 'daemon-exit' | 'daemon-unresponsive';
  detail: string;
}

export interface SoakResult {
  seed: number;
  durationMs: number;
  faults: FaultRecord[];
  faultCounts: Record<string, number>;
  violations: Violation[];
  /** Seconds of samples with ≠ 1 master after the grace. */
  wrongMasterCountSeconds: number;
  /** Episodes of the VIP on two hosts > 500 ms outside partitions/loss (the violations). */
  dualVipEpisodes: number;
  /** Episodes of two VIP holders during partitions / loss (expected by the protocol; informative). */
  dualVipDuringFaults: { count: number; longestMs: number };
  samples: number;
  checkedSamples: number;
  availability: { sent: number; received: number; fraction: number; longestGapMs: number };
  transitions: Record<string, number>;
  logTails?: Record<string, string[]>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** A daemon slot: the running node and an incremental reader of its transitions. */
interface Slot {
  name: NodeName;
  node: CarpdNode | undefined;
  /** Stopped on purpose (crash or restart in progress). */
  expectedDown: boolean;
  diedAt: number | undefined;
  scanned: number;
  phase: string;
  transitions: number;
  stateDirectory: string | undefined;
}

function refreshPhase(slot: Slot): string {
  const node = slot.node;
  if (node === undefined || node.process.done) return 'dead';
  const lines = node.process.lines;
  // LabProcess keeps at most 100 000 lines, dropping the oldest: then rescan from the end.
  if (lines.length < slot.scanned) slot.scanned = 0;
  const capped = lines.length >= 100_000;
  const start = capped ? Math.max(0, lines.length - 2_000) : slot.scanned;
  for (let i = start; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (!line.startsWith('{') || !line.includes('"reason"')) continue;
    try {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (typeof r['to'] === 'string' && typeof r['reason'] === 'string') {
        slot.phase = r['to'];
        if (!capped) slot.transitions += 1;
      }
    } catch {
      // a partial line
    }
  }
  slot.scanned = lines.length;
  return slot.phase;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const random = seededRandom(options.seed);
  const between = (lo: number, hi: number): number => lo + random() * (hi - lo);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  const reason = await Lab.available();
  if (reason !== undefined) throw new Error(`soak: the lab cannot run here: ${reason}`);
  const lab = await Lab.create({ hosts: [...NAMES, 'client'] });
  const t0 = Date.now();
  const since = (): number => Date.now() - t0;
  const slots = new Map<NodeName, Slot>(NAMES.map((name) => [name, { name, node: undefined, expectedDown: false, diedAt: undefined, scanned: 0, phase: 'init', transitions: 0, stateDirectory: undefined }]));
  const slot = (name: NodeName): Slot => slots.get(name) as Slot;
  const faults: FaultRecord[] = [];
  const violations: Violation[] = [];
  let lastFaultAction = Date.now();
  /** Partition or loss in force (two VIP holders are then the protocol's business). */
  let splitActive = false;
  let splitHealedAt = 0;
  let wrongMasterMs = 0;
  let samples = 0;
  let checkedSamples = 0;
  let dualSince: number | undefined;
  let dualCounted = false;
  let dualEpisodes = 0;
  let faultDualSince: number | undefined;
  const faultDual = { count: 0, longestMs: 0 };
  const ping = { sent: 0, received: 0, longestGapMs: 0 };
  const transitionsBefore: Record<string, number> = {};
  let stop = false;

  const start = (name: NodeName): void => {
    const s = slot(name);
    if (s.node !== undefined) transitionsBefore[name] = (transitionsBefore[name] ?? 0) + s.transitions;
    s.node = startCarpd(lab, lab.host(name), groupFlags({ vhid: VHID, vip: `${VIP}/24`, advskew: SKEW[name], extra: ['--preempt'] }), s.stateDirectory);
    s.stateDirectory = s.node.stateDirectory;
    s.scanned = 0;
    s.phase = 'init';
    s.transitions = 0;
    s.expectedDown = false;
    s.diedAt = undefined;
    const node = s.node;
    void node.process.exited.then((exit) => {
      if (s.node === node && !s.expectedDown && !stop) {
        violations.push({ atMs: since(), kind: 'daemon-exit', detail: `${name} exited unexpectedly (${JSON.stringify(exit)}): ${node.process.lines.slice(-5).join(' | ')}` });
      }
    });
  };

  const monitor = async (): Promise<void> => {
    const deadline = Date.now() + options.durationMs + 120_000;
    while (!stop && Date.now() < deadline) {
      const tick = Date.now();
      const phases: Record<string, string> = {};
      for (const name of NAMES) phases[name] = refreshPhase(slot(name));
      const holders = (
        await Promise.all(NAMES.map(async (name) => ((await lab.addresses(name).catch(() => [] as string[])).some((a) => a.split('/')[0] === VIP) ? name : '')))
      ).filter((n) => n !== '');
      samples += 1;
      const now = Date.now();
      const masters = NAMES.filter((n) => phases[n] === 'master');
      // During a partition or a loss burst each side (or a backup missing adverts) legitimately
      // has its own master: the count is checked from GRACE_MS after their heal.
      if (!splitActive && now - lastFaultAction >= GRACE_MS) {
        checkedSamples += 1;
        if (masters.length !== 1) {
          wrongMasterMs += SAMPLE_MS;
          violations.push({ atMs: now - t0, kind: 'master-count', detail: `${masters.length} masters ${JSON.stringify(phases)} VIP on [${holders.join(',')}]` });
        }
      }
      for (const name of NAMES) {
        const s = slot(name);
        if (phases[name] === 'dead' && s.diedAt !== undefined && now - s.diedAt > DEAD_VIP_GRACE_MS && holders.includes(name)) {
          violations.push({ atMs: now - t0, kind: 'vip-on-dead-host', detail: `${name} dead since ${s.diedAt - t0} ms holds the VIP` });
        }
      }
      const dualChecked = !splitActive && now - splitHealedAt >= DUAL_GRACE_MS;
      if (holders.length > 1) {
        if (dualChecked) {
          dualSince ??= now;
          if (!dualCounted && now - dualSince > DUAL_LIMIT_MS) {
            dualCounted = true;
            dualEpisodes += 1;
            violations.push({ atMs: now - t0, kind: 'dual-vip', detail: `VIP on [${holders.join(',')}] for ${now - dualSince} ms ${JSON.stringify(phases)}` });
          }
        } else {
          dualSince = undefined;
          dualCounted = false;
          if (faultDualSince === undefined) {
            faultDualSince = now;
            faultDual.count += 1;
          }
          faultDual.longestMs = Math.max(faultDual.longestMs, now - faultDualSince);
        }
      } else {
        dualSince = undefined;
        dualCounted = false;
        faultDualSince = undefined;
      }
      await sleep(SAMPLE_MS - (Date.now() - tick));
    }
  };

  const pinger = async (): Promise<void> => {
    const end = t0 + options.durationMs;
    for (let chunk = 0; chunk < 10_000 && !stop && Date.now() < end; chunk += 1) {
      const durationMs = Math.min(30_000, end - Date.now());
      if (durationMs < 200) break;
      const result = await lab.ping('client', VIP, { intervalMs: 20, durationMs });
      ping.sent += result.sent;
      ping.received += result.received;
      ping.longestGapMs = Math.max(ping.longestGapMs, result.longestGapMs);
    }
  };

  const carpctlAnswers = async (name: NodeName): Promise<void> => {
    const s = slot(name);
    if (s.node === undefined || s.node.process.done) return;
    const result = await lab.exec(name, [process.execPath, CARPCTL, '--control', join(s.node.stateDirectory, 'carpd.sock'), 'status', '--json'], { timeoutMs: 5_000 });
    if (result.code !== 0) violations.push({ atMs: since(), kind: 'daemon-unresponsive', detail: `${name}: carpctl status exit ${result.code}: ${result.stderr.trim().slice(0, 300)}` });
  };

  const fault = async (): Promise<void> => {
    const kind = pick(['crash', 'restart', 'loss', 'partition', 'flap'] as const);
    // Bias towards the current master: that is where faults hurt.
    const master = NAMES.find((n) => slot(n).phase === 'master');
    const target: NodeName = master !== undefined && random() < 0.6 ? master : pick(NAMES);
    const record: FaultRecord = { kind, target, detail: '', appliedAtMs: since(), healedAtMs: 0 };
    faults.push(record);
    lastFaultAction = Date.now();
    switch (kind) {
      case 'crash': {
        const hold = between(3_000, 8_000);
        const s = slot(target);
        s.expectedDown = true;
        await lab.cutLink(target);
        await s.node?.process.kill();
        s.diedAt = Date.now();
        record.detail = `SIGKILL + link cut for ${Math.round(hold)} ms`;
        try {
          await sleep(hold);
        } finally {
          await lab.restoreLink(target);
          start(target);
        }
        break;
      }
      case 'restart': {
        const pause = between(500, 2_000);
        const s = slot(target);
        s.expectedDown = true;
        s.node?.process.signal('SIGTERM');
        const exit = await Promise.race([s.node?.process.exited, sleep(10_000).then(() => undefined)]);
        if (exit === undefined || exit.code !== 0) {
          violations.push({ atMs: since(), kind: 'daemon-exit', detail: `${target}: graceful stop gave ${JSON.stringify(exit)}` });
          await s.node?.process.kill();
        }
        s.diedAt = Date.now();
        record.detail = `SIGTERM, restart after ${Math.round(pause)} ms`;
        await sleep(pause);
        start(target);
        break;
      }
      case 'loss': {
        const percent = Math.round(between(10, 40));
        const hold = between(3_000, 8_000);
        record.target = 'segment';
        record.detail = `${percent} % loss for ${Math.round(hold)} ms`;
        splitActive = true;
        await lab.setLoss(percent);
        try {
          await sleep(hold);
        } finally {
          await lab.setLoss(0);
          splitActive = false;
          splitHealedAt = Date.now();
        }
        break;
      }
      case 'partition': {
        const hold = between(3_000, 8_000);
        const others = NAMES.filter((n) => n !== target);
        record.detail = `{${target}} | {${others.join(',')}} for ${Math.round(hold)} ms`;
        splitActive = true;
        await lab.partition([[target], [...others]]);
        try {
          await sleep(hold);
        } finally {
          await lab.heal();
          splitActive = false;
          splitHealedAt = Date.now();
        }
        break;
      }
      case 'flap': {
        const times = 3 + Math.floor(random() * 4);
        record.detail = `${times} × cut/restore every 300 ms`;
        try {
          for (let i = 0; i < times; i += 1) {
            await lab.cutLink(target);
            await sleep(300);
            await lab.restoreLink(target);
            await sleep(300);
          }
        } finally {
          await lab.restoreLink(target);
        }
        break;
      }
    }
    record.healedAtMs = since();
    lastFaultAction = Date.now();
    log(`[soak +${(record.appliedAtMs / 1000).toFixed(1)} s] ${kind} ${record.target}: ${record.detail} (violations so far: ${violations.length})`);
  };

  let result: SoakResult | undefined;
  try {
    for (const name of NAMES) start(name);
    lastFaultAction = Date.now();
    const monitoring = monitor();
    const pinging = pinger();
    const end = t0 + options.durationMs;
    // Let the cluster settle, then faults until the end, leaving time for a last quiet period.
    await sleep(Math.min(GRACE_MS + 1_000, options.durationMs / 4));
    for (let i = 0; i < 10_000 && Date.now() < end - 15_000; i += 1) {
      await Promise.all(NAMES.map(carpctlAnswers));
      await fault();
      await sleep(Math.min(between(6_000, 12_000), end - Date.now()));
    }
    await sleep(end - Date.now());
    await Promise.all(NAMES.map(carpctlAnswers));
    stop = true;
    await Promise.all([monitoring, pinging]);
    const faultCounts: Record<string, number> = {};
    for (const f of faults) faultCounts[f.kind] = (faultCounts[f.kind] ?? 0) + 1;
    const transitionsByNode: Record<string, number> = {};
    for (const name of NAMES) {
      refreshPhase(slot(name));
      transitionsByNode[name] = (transitionsBefore[name] ?? 0) + slot(name).transitions;
    }
    result = {
      seed: options.seed,
      durationMs: Date.now() - t0,
      faults,
      faultCounts,
      violations,
      wrongMasterCountSeconds: wrongMasterMs / 1000,
      dualVipEpisodes: dualEpisodes,
      dualVipDuringFaults: faultDual,
      samples,
      checkedSamples,
      availability: { sent: ping.sent, received: ping.received, fraction: ping.sent === 0 ? 0 : ping.received / ping.sent, longestGapMs: ping.longestGapMs },
      transitions: transitionsByNode,
    };
    if (violations.length > 0) {
      result.logTails = Object.fromEntries(NAMES.map((n) => [n, (slot(n).node?.process.lines ?? []).filter((l) => !l.includes('"debug"')).slice(-30)]));
    }
    return result;
  } finally {
    stop = true;
    for (const name of NAMES) slot(name).expectedDown = true;
    await lab.destroy();
  }
}

function markdown(result: SoakResult, command: string): string {
  const lines = [
    '# Soak test',
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machineLine()}`,
    '',
    `Duration ${(result.durationMs / 1000).toFixed(0)} s, seed ${result.seed}; 3 nodes (advskew 0/50/100, preempt, advbase 1) and a client pinging the VIP every 20 ms.`,
    '',
    '| | |',
    '|---|---|',
    `| faults applied | ${result.faults.length} (${Object.entries(result.faultCounts).map(([k, v]) => `${k} ${v}`).join(', ')}) |`,
    `| invariant violations | ${result.violations.length} |`,
    `| seconds with ≠ 1 master after grace (${(GRACE_MS / 1000).toFixed(3)} s) | ${result.wrongMasterCountSeconds.toFixed(1)} |`,
    `| VIP on two hosts > 500 ms (outside partition/loss) | ${result.dualVipEpisodes} |`,
    `| two VIP holders during partition/loss (expected; informative) | ${result.dualVipDuringFaults.count} episodes, longest ${result.dualVipDuringFaults.longestMs} ms |`,
    `| invariant samples (checked after grace) | ${result.samples} (${result.checkedSamples}) |`,
    `| VIP availability (client) | ${(result.availability.fraction * 100).toFixed(2)} % (${result.availability.received}/${result.availability.sent}), longest gap ${result.availability.longestGapMs.toFixed(0)} ms |`,
    `| transitions per node | ${Object.entries(result.transitions).map(([k, v]) => `${k} ${v}`).join(', ')} |`,
    '',
    '## Faults',
    '',
    '| at (s) | kind | target | detail | healed at (s) |',
    '|---|---|---|---|---|',
    ...result.faults.map((f) => `| ${(f.appliedAtMs / 1000).toFixed(1)} | ${f.kind} | ${f.target} | ${f.detail} | ${(f.healedAtMs / 1000).toFixed(1)} |`),
    '',
    '## Violations',
    '',
    ...(result.violations.length === 0 ? ['None.'] : result.violations.map((v) => `- +${(v.atMs / 1000).toFixed(1)} s ${v.kind}: ${v.detail}`)),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, seed: { type: 'string' } } });
  const minutes = Number(values.minutes);
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error('--minutes must be in (0, 1440]');
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  const command = `node --import tsx bench/soak.ts --minutes ${minutes} --seed ${seed}`;
  console.log(`soak: ${minutes} min, seed ${seed}`);
  const result = await runSoak({ durationMs: minutes * 60_000, seed });
  const out = resolve(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'soak.json'), `${JSON.stringify({ command, machine: describeMachine(), ...result }, null, 2)}\n`);
  const md = markdown(result, command);
  writeFileSync(join(out, 'soak.md'), md);
  console.log(md);
  process.exitCode = result.violations.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
