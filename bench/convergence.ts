/**
 * Convergence of N carpd nodes on one segment, in the network-namespace lab.
 * Run as root: `node --import tsx bench/convergence.ts [--sizes 2,4,8,16] [--runs 3] [--out DIR]`.
 *
 * Per size N (one lab of N hosts n1..nN, reused by every run of that size), per run:
 *   (1) start: all N daemons are spawned at once (advbase 1, node i with advskew 10·i, preempt on,
 *       default vmac mode). Converged = exactly one node (n1, the best) is MASTER, every other node
 *       has logged BACKUP and is in BACKUP, and the VIP is held by n1 only (`ip addr` of every
 *       host polled). Reported from the spawn instant and from the instant the last daemon logged
 *       its first INIT→BACKUP (under CPU load at N=16 the daemons' own start-up dominates), both
 *       from the log `time` of the last transition that completed the state; the poll-confirmed
 *       time is kept in the JSON. Transient masters = nodes other than n1 that went MASTER.
 *       The state must then hold for 1.5 s.
 *   (2) crash: after a random 0–1000 ms (a random phase of n1's advert cycle) n1's bridge port is
 *       cut and n1 SIGKILLed. Converged = n2 (the next best) is MASTER, every other live node is
 *       BACKUP, and among live hosts only n2 holds the VIP. Measured from the trigger to n2's
 *       logged →MASTER; compared with n2's master-down 3 × (1 + 20/256) s (OpenBSD). Since n2's
 *       timer was last re-armed by n1's last advert before the cut, the expected value lies in
 *       [master-down − (1 + 10/256) s, master-down].
 * Between runs all daemons are stopped (SIGTERM), the killed node's leftovers removed and its link
 * restored. Results go to bench/results/convergence.{json,md} (or --out DIR). Exit status 1 when a
 * run did not converge.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab } from '../src/lab/lab.ts';
import { groupFlags, startCarpd, stopCarpd, transitions, type CarpdNode } from '../test/integration/carpd-in-lab.ts';
import { describeMachine, machineLine } from './machine-description.ts';
import { summarize } from './summary-statistics.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '2,4,8,16' }, runs: { type: 'string', default: '3' }, out: { type: 'string' } } });
/** Where convergence.{json,md} go (a smoke run must not overwrite the committed results). */
const OUT_DIR = resolve(values.out ?? resolve(import.meta.dirname, 'results'));
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) throw new Error(`--runs must be an integer in 1..50, got ${values.runs}`);
const SIZES = values.sizes.split(',').map((s) => Number(s.trim()));
for (const n of SIZES) if (!Number.isInteger(n) || n < 2 || n > 25) throw new Error(`--sizes: each size must be an integer in 2..25, got ${values.sizes}`);

const ADVBASE = 1;
const VHID = 40;
const VIP = '198.51.100.250';
const skewOf = (i: number): number => 10 * (i + 1); // node index i (0-based) → advskew; n1 = 10
const masterDownMs = (skew: number): number => 3 * (ADVBASE + skew / 256) * 1000;
const START_TIMEOUT_MS = 90_000;
const CRASH_TIMEOUT_MS = 20_000;
const HOLD_MS = 1500;
const POLL_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface RunResult {
  n: number;
  run: number;
  ok: boolean;
  error?: string;
  /** Spawn of the first → spawn of the last daemon. */
  spawnSpreadMs: number;
  /** Spawn → the last daemon's first INIT→BACKUP (daemon start-up time under load). */
  allBackupMs: number | null;
  /** Spawn → converged (log time of the last transition that completed the state). */
  startFromSpawnMs: number | null;
  /** Last daemon's first INIT→BACKUP → converged. */
  startFromAllBackupMs: number | null;
  /** Spawn → the poll that confirmed the state (VIP only on n1). */
  startConfirmedMs: number | null;
  /** n1's first INIT→BACKUP → its last →MASTER (its own master-down wait, ≈ 3 × (1 + 10/256) s). */
  bestWaitMs: number | null;
  transientMasters: number;
  transientMasterEvents: number;
  startStable: boolean | null;
  crashPhaseDelayMs: number | null;
  /** Trigger → n2's logged →MASTER. */
  crashMs: number | null;
  /** Trigger → the poll that confirmed only n2 holds the VIP. */
  crashConfirmedMs: number | null;
  crashTransientMasters: number;
  staleAfterKill: string[];
}

async function vipHolders(lab: Lab, names: string[]): Promise<string[]> {
  const all = await Promise.all(names.map(async (name) => ({ name, addrs: await lab.addresses(name) })));
  return all.filter((h) => h.addrs.some((a) => a.split('/')[0] === VIP)).map((h) => h.name);
}

async function removeStale(lab: Lab, host: string): Promise<string[]> {
  const removed: string[] = [];
  const links = await lab.links(host);
  if ((await vipHolders(lab, [host])).length > 0) {
    for (const link of links) {
      const r = await lab.exec(host, ['ip', 'addr', 'del', `${VIP}/24`, 'dev', link.name]);
      if (r.code === 0) removed.push(`${VIP} on ${link.name}`);
    }
  }
  for (const link of links) {
    if (link.name.startsWith('carp')) {
      await lab.exec(host, ['ip', 'link', 'del', link.name]);
      removed.push(`link ${link.name}`);
    }
  }
  return removed;
}

function lastPhase(node: CarpdNode): string {
  return transitions(node).at(-1)?.to ?? 'init';
}

function tail(nodes: CarpdNode[], count = 8): string {
  return nodes.map((n) => `--- ${n.host.name}\n${n.process.lines.slice(-count).join('\n')}`).join('\n');
}

async function oneRun(lab: Lab, n: number, run: number): Promise<RunResult> {
  const names = lab.allHosts().map((h) => h.name);
  const result: RunResult = {
    n, run, ok: false, spawnSpreadMs: 0, allBackupMs: null, startFromSpawnMs: null, startFromAllBackupMs: null, startConfirmedMs: null, bestWaitMs: null,
    transientMasters: 0, transientMasterEvents: 0, startStable: null, crashPhaseDelayMs: null, crashMs: null, crashConfirmedMs: null,
    crashTransientMasters: 0, staleAfterKill: [],
  };
  const nodes: CarpdNode[] = [];
  let crashed: CarpdNode | undefined;
  try {
    // (1) start all at once.
    const t0 = Date.now();
    for (const [i, host] of lab.allHosts().entries()) {
      nodes.push(startCarpd(lab, host, groupFlags({ vhid: VHID, vip: VIP, advskew: skewOf(i), extra: ['--advbase', String(ADVBASE), '--preempt'] })));
    }
    result.spawnSpreadMs = Date.now() - t0;
    const best = nodes[0]!;
    let confirmedAt: number | undefined;
    const startDeadline = t0 + START_TIMEOUT_MS;
    for (let i = 0; i < START_TIMEOUT_MS / POLL_MS && Date.now() < startDeadline; i += 1) {
      const dead = nodes.find((x) => x.process.done);
      if (dead !== undefined) throw new Error(`${dead.host.name} exited during start:\n${tail([dead], 20)}`);
      const allBackup = nodes.every((x) => transitions(x).some((t) => t.to === 'backup'));
      const ok = allBackup && lastPhase(best) === 'master' && nodes.slice(1).every((x) => lastPhase(x) === 'backup');
      if (ok) {
        const holders = await vipHolders(lab, names);
        if (holders.length === 1 && holders[0] === best.host.name) {
          confirmedAt = Date.now();
          break;
        }
      }
      await sleep(POLL_MS);
    }
    if (confirmedAt === undefined) throw new Error(`start: no convergence within ${START_TIMEOUT_MS} ms:\n${tail(nodes)}`);
    const lastTransitionAt = Math.max(...nodes.map((x) => Date.parse(transitions(x).at(-1)!.time)));
    const allBackupAt = Math.max(...nodes.map((x) => Date.parse(transitions(x).find((t) => t.to === 'backup')!.time)));
    result.allBackupMs = allBackupAt - t0;
    result.startFromSpawnMs = lastTransitionAt - t0;
    result.startFromAllBackupMs = lastTransitionAt - allBackupAt;
    result.startConfirmedMs = confirmedAt - t0;
    const bestTr = transitions(best);
    result.bestWaitMs = Date.parse(bestTr.at(-1)!.time) - Date.parse(bestTr.find((t) => t.to === 'backup')!.time);
    const others = nodes.slice(1).map((x) => transitions(x).filter((t) => t.to === 'master').length);
    result.transientMasters = others.filter((c) => c > 0).length;
    result.transientMasterEvents = others.reduce((a, b) => a + b, 0);
    const counts = nodes.map((x) => transitions(x).length);
    await sleep(HOLD_MS);
    const holdersAfter = await vipHolders(lab, names);
    result.startStable = nodes.every((x, i) => transitions(x).length === counts[i]) && holdersAfter.length === 1 && holdersAfter[0] === best.host.name;
    if (!result.startStable) throw new Error(`start: state did not hold for ${HOLD_MS} ms (holders ${holdersAfter.join(',')}):\n${tail(nodes)}`);

    // (2) crash the master.
    result.crashPhaseDelayMs = Math.round(Math.random() * 1000);
    await sleep(result.crashPhaseDelayMs);
    const before = nodes.map((x) => transitions(x).length);
    const trigger = Date.now();
    await lab.cutLink(best.host.name);
    await best.process.kill();
    crashed = best;
    const next = nodes[1]!;
    const live = nodes.slice(1);
    const liveNames = live.map((x) => x.host.name);
    let crashConfirmedAt: number | undefined;
    const crashDeadline = trigger + CRASH_TIMEOUT_MS;
    for (let i = 0; i < CRASH_TIMEOUT_MS / POLL_MS && Date.now() < crashDeadline; i += 1) {
      const dead = live.find((x) => x.process.done);
      if (dead !== undefined) throw new Error(`${dead.host.name} exited after the crash:\n${tail([dead], 20)}`);
      if (lastPhase(next) === 'master' && live.slice(1).every((x) => lastPhase(x) === 'backup')) {
        const holders = await vipHolders(lab, liveNames);
        if (holders.length === 1 && holders[0] === next.host.name) {
          crashConfirmedAt = Date.now();
          break;
        }
      }
      await sleep(POLL_MS);
    }
    if (crashConfirmedAt === undefined) throw new Error(`crash: no convergence within ${CRASH_TIMEOUT_MS} ms:\n${tail(live)}`);
    const toMaster = transitions(next).slice(before[1]).find((t) => t.to === 'master');
    result.crashMs = toMaster === undefined ? null : Date.parse(toMaster.time) - trigger;
    result.crashConfirmedMs = crashConfirmedAt - trigger;
    result.crashTransientMasters = live.slice(1).filter((x, i) => transitions(x).slice(before[i + 2]).some((t) => t.to === 'master')).length;
    result.ok = true;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    process.stderr.write(`N=${n} run ${run}: ${result.error}\n`);
  } finally {
    // Stop every live daemon, remove what a killed one left, restore links.
    await Promise.all(nodes.filter((x) => x !== crashed).map((x) => stopCarpd(x, 8000).then((code) => (code === null ? x.process.kill() : undefined))));
    for (const x of nodes) if (!x.process.done) await x.process.kill();
    for (const name of names) {
      const removed = await removeStale(lab, name);
      if (crashed !== undefined && name === crashed.host.name) result.staleAfterKill = removed;
      else if (removed.length > 0) process.stderr.write(`N=${n} run ${run}: ${name} left ${removed.join(', ')} after SIGTERM\n`);
    }
    if (crashed !== undefined) await lab.restoreLink(crashed.host.name);
    for (const x of nodes) rmSync(x.stateDirectory, { recursive: true, force: true });
  }
  return result;
}

const fmt = (s: { median: number; min: number; max: number } | null): string =>
  s === null ? '—' : `${(s.median / 1000).toFixed(2)} (${(s.min / 1000).toFixed(2)}–${(s.max / 1000).toFixed(2)})`;

async function main(): Promise<number> {
  const reason = await Lab.available();
  if (reason !== undefined) {
    process.stderr.write(`convergence: cannot run: ${reason}\n`);
    return 2;
  }
  const command = ['node', ...process.execArgv, 'bench/convergence.ts', ...process.argv.slice(2)].join(' ');
  const machine = describeMachine();
  const results: RunResult[] = [];
  const began = Date.now();
  for (const n of SIZES) {
    const lab = await Lab.create({ hosts: Array.from({ length: n }, (_, i) => `n${i + 1}`) });
    try {
      for (let run = 1; run <= RUNS; run += 1) {
        const r = await oneRun(lab, n, run);
        results.push(r);
        process.stdout.write(
          `N=${n} run ${run}: ${r.ok ? 'ok' : 'FAILED'} allBackup ${r.allBackupMs} ms, start ${r.startFromSpawnMs} ms from spawn / ${r.startFromAllBackupMs} ms from all-backup, ` +
            `transient masters ${r.transientMasters}, crash ${r.crashMs} ms (confirmed ${r.crashConfirmedMs} ms, phase delay ${r.crashPhaseDelayMs} ms)\n`,
        );
        await sleep(500);
      }
    } finally {
      await lab.destroy();
    }
  }

  const expectedCrashMs = masterDownMs(skewOf(1));
  const summary = SIZES.map((n) => {
    const rs = results.filter((r) => r.n === n);
    const ok = rs.filter((r) => r.ok);
    return {
      n,
      runs: rs.length,
      failed: rs.length - ok.length,
      allBackupMs: summarize(rs.map((r) => r.allBackupMs)),
      startFromSpawnMs: summarize(rs.map((r) => r.startFromSpawnMs)),
      startFromAllBackupMs: summarize(rs.map((r) => r.startFromAllBackupMs)),
      startConfirmedMs: summarize(rs.map((r) => r.startConfirmedMs)),
      bestWaitMs: summarize(rs.map((r) => r.bestWaitMs)),
      transientMasters: rs.map((r) => r.transientMasters),
      crashMs: summarize(rs.map((r) => r.crashMs)),
      crashConfirmedMs: summarize(rs.map((r) => r.crashConfirmedMs)),
      crashTransientMasters: rs.map((r) => r.crashTransientMasters),
      expectedStartMasterDownMs: masterDownMs(skewOf(0)),
      expectedCrashMasterDownMs: expectedCrashMs,
    };
  });

  const date = new Date().toISOString();
  const lines = [
    '# carpd convergence on one segment (netns lab)',
    '',
    `- date: ${date}; ${machineLine(machine)}`,
    `- command: \`${command}\` (wall time ${((Date.now() - began) / 1000).toFixed(0)} s)`,
    `- setup: one lab of N hosts per size; advbase ${ADVBASE}, node i advskew 10·i (n1 = 10 is the best), --preempt, vmac mode; ${RUNS} run(s) per size`,
    '- times in seconds, median (min–max). "from spawn": spawn of all daemons → the log time of the last transition completing the state',
    '  (n1 MASTER, all others BACKUP; VIP only on n1, confirmed by polling `ip addr` in every namespace). "from all-BACKUP": the last',
    '  daemon\'s first INIT→BACKUP → the same instant. "daemon start-up": spawn → the last daemon\'s first INIT→BACKUP (Node start-up under load).',
    `- crash: n1's bridge port cut + SIGKILL after a random 0–1 s; → n2's logged MASTER (VIP only on n2). n2's master-down is 3 × (1 + 20/256) = ${(expectedCrashMs / 1000).toFixed(3)} s,`,
    `  so with the random advert phase the expected value lies in [${((expectedCrashMs - (ADVBASE + skewOf(0) / 256) * 1000) / 1000).toFixed(2)}, ${(expectedCrashMs / 1000).toFixed(2)}] s.`,
    '',
    '| N | daemon start-up | start conv. from spawn | start conv. from all-BACKUP | n1 BACKUP→MASTER | transient masters (per run) | crash conv. | crash transient masters | expected master-down (n1 start / n2 crash) | failed runs |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...summary.map(
      (s) =>
        `| ${s.n} | ${fmt(s.allBackupMs)} | ${fmt(s.startFromSpawnMs)} | ${fmt(s.startFromAllBackupMs)} | ${fmt(s.bestWaitMs)} | ${s.transientMasters.join(', ')} | ${fmt(s.crashMs)} | ${s.crashTransientMasters.join(', ')} | ${(s.expectedStartMasterDownMs / 1000).toFixed(3)} / ${(s.expectedCrashMasterDownMs / 1000).toFixed(3)} | ${s.failed} |`,
    ),
    '',
  ];
  const failures = results.filter((r) => !r.ok);
  if (failures.length > 0) {
    lines.push('## Failed runs', '', ...failures.map((r) => `- N=${r.n} run ${r.run}: ${(r.error ?? '').split('\n')[0]}`), '');
  }
  const md = lines.join('\n');
  process.stdout.write(`\n${md}\n`);
  const out = OUT_DIR;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'convergence.md'), md);
  writeFileSync(
    join(out, 'convergence.json'),
    `${JSON.stringify({ benchmark: 'convergence', date, machine, command, runsPerSize: RUNS, sizes: SIZES, advbase: ADVBASE, advskews: '10·i', preempt: true, vmac: true, summary, results }, null, 2)}\n`,
  );
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`convergence: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
