/**
 * Where do the milliseconds of a fast graceful handover go? Kernel link and address events in
 * both hosts' namespaces (`ip -ts monitor link address`) around a SIGTERM of a floor-speed master
 * (advbase 0, skew 1; backup skew 2, so it takes over 7.8 ms after the bow-out), with and without
 * vmac, next to the backup's logged transition.
 *
 * Run as root: `node --import tsx bench/graceful-trace.ts [--runs 3] [--out DIR]`.
 * Results: bench/results/graceful-trace.{json,md} (or --out DIR). Exit status 1 when a handover
 * did not happen.
 *
 * Why it exists: the failover benchmark showed the new master's VIP coming up ~5 ms after its
 * transition on a graceful stop with vmac, against ~1 ms after a crash or without vmac. The
 * trace shows the new master's virtual interface coming up only when the old master's has gone
 * down: in one kernel every namespace shares the routing-netlink lock, which taking a link down
 * holds while it waits for in-flight packets to drain.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab } from '../src/lab/lab.ts';
import { groupFlags, startCarpd, stopCarpd, transitions, waitForPhase, type CarpdNode } from '../test/integration/carpd-in-lab.ts';
import { parseIpMonitorLine } from '../src/lab/ip-monitor-line.ts';
import { describeMachine, machineLine } from './machine-description.ts';
import { summarize } from './summary-statistics.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, out: { type: 'string' } } });
const RUNS = Number(values.runs);
if (!(Number.isInteger(RUNS) && RUNS >= 1 && RUNS <= 50)) throw new Error(`--runs must be an integer in [1, 50], got ${values.runs}`);
const RESULTS = resolve(values.out ?? resolve(import.meta.dirname, 'results'));
const VHID = 47;
const VIP = '198.51.100.147';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface TraceEvent {
  /** ms after the SIGTERM. */
  readonly atMs: number;
  readonly host: 'm' | 'b';
  readonly what: string;
}

interface TraceRun {
  readonly vmac: boolean;
  readonly run: number;
  readonly events: TraceEvent[];
  /** b's transition (log, ms resolution) → the VIP configured on b. */
  readonly transitionToVipMs: number | undefined;
  /** With vmac: m's virtual interface down → b's virtual interface up. */
  readonly oldDownToNewUpMs: number | undefined;
}

/** `[2026-01-01T12:00:00.123456] 3: carp47@eth0: <...UP...>` → time and a short description. */
function monitorEvents(lines: readonly string[], host: 'm' | 'b', t0: number): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const line of lines) {
    const parsed = parseIpMonitorLine(line);
    if (parsed !== undefined) out.push({ atMs: parsed.atMs - t0, host, what: describe(parsed.event) });
  }
  return out;
}

function describe(event: string): string {
  const deleted = event.startsWith('Deleted ');
  const body = deleted ? event.slice('Deleted '.length) : event;
  const link = /^\d+: (\S+?)(@\S+)?: <([^>]*)>/.exec(body);
  if (link !== null) {
    const up = (link[3] ?? '').split(',').includes('UP');
    return `link ${link[1] ?? '?'} ${deleted ? 'deleted' : up ? 'up' : 'down'}`;
  }
  const address = /^\d+: (\S+)\s+inet6? (\S+)/.exec(body);
  if (address !== null) return `address ${address[2] ?? '?'} on ${address[1] ?? '?'} ${deleted ? 'removed' : 'added'}`;
  return body.slice(0, 80);
}

async function traceOne(lab: Lab, vmac: boolean, run: number): Promise<TraceRun> {
  const extra = ['--advbase', '0', ...(vmac ? [] : ['--no-vmac'])];
  const m = startCarpd(lab, lab.host('m'), groupFlags({ vhid: VHID, vip: `${VIP}/24`, advskew: 1, extra }));
  let b: CarpdNode | undefined;
  try {
    await waitForPhase(m, 'master', 8000);
    b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: VHID, vip: `${VIP}/24`, advskew: 2, extra }));
    await waitForPhase(b, 'backup', 8000);
    await sleep(1500);
    const monitors = { m: lab.spawn('m', ['ip', '-ts', 'monitor', 'link', 'address']), b: lab.spawn('b', ['ip', '-ts', 'monitor', 'link', 'address']) };
    await sleep(500);
    const before = transitions(b).length;
    const t0 = Date.now();
    m.process.signal('SIGTERM');
    await waitForPhase(b, 'master', 3000, before);
    await Promise.race([m.process.exited, sleep(5000)]);
    await sleep(300);
    await Promise.all([monitors.m.kill(), monitors.b.kill()]);
    const taken = transitions(b).slice(before).find((t) => t.to === 'master');
    const events = [...monitorEvents(monitors.m.lines, 'm', t0), ...monitorEvents(monitors.b.lines, 'b', t0)];
    if (taken !== undefined) events.push({ atMs: Date.parse(taken.time) - t0, host: 'b', what: 'transition to MASTER (carpd log, ms resolution)' });
    events.sort((x, y) => x.atMs - y.atMs);
    const vipOnB = events.find((e) => e.host === 'b' && e.what.startsWith(`address ${VIP}/`) && e.what.endsWith('added'));
    const carp = `carp${VHID}`;
    const oldDown = events.find((e) => e.host === 'm' && e.what === `link ${carp} down`);
    const newUp = events.find((e) => e.host === 'b' && e.what === `link ${carp} up`);
    return {
      vmac,
      run,
      events,
      transitionToVipMs: vipOnB !== undefined && taken !== undefined ? vipOnB.atMs - (Date.parse(taken.time) - t0) : undefined,
      oldDownToNewUpMs: oldDown !== undefined && newUp !== undefined ? newUp.atMs - oldDown.atMs : undefined,
    };
  } finally {
    await Promise.all([b === undefined ? undefined : stopCarpd(b), m.process.done ? undefined : stopCarpd(m)]);
    for (const host of ['m', 'b']) await lab.exec(host, ['sh', '-c', `ip link del carp${VHID} 2>/dev/null; true`]);
  }
}

function markdown(date: string, command: string, runs: TraceRun[]): string {
  const lines = [
    '# Graceful handover at the floor: kernel events on both hosts',
    '',
    `Run ${date} — \`${command}\``,
    '',
    `Machine: ${machineLine()}.`,
    '',
    `m: \`--advbase 0 --advskew 1\`, b: \`--advbase 0 --advskew 2\` (takes over 7.8 ms after the bow-out), vhid ${VHID}; SIGTERM to m at 0 ms. Events from \`ip -ts monitor link address\` in each namespace.`,
    '',
  ];
  for (const vmac of [true, false]) {
    const mine = runs.filter((r) => r.vmac === vmac);
    const toVip = summarize(mine.flatMap((r) => (r.transitionToVipMs === undefined ? [] : [r.transitionToVipMs])));
    lines.push(`## ${vmac ? 'vmac' : 'no-vmac'}`, '');
    lines.push(`b's transition → VIP on b: median ${toVip?.median.toFixed(1) ?? 'n/a'} ms (min ${toVip?.min.toFixed(1) ?? 'n/a'}, max ${toVip?.max.toFixed(1) ?? 'n/a'}).`);
    if (vmac) {
      const gap = summarize(mine.flatMap((r) => (r.oldDownToNewUpMs === undefined ? [] : [r.oldDownToNewUpMs])));
      lines.push(`m's carp${VHID} down → b's carp${VHID} up: median ${gap?.median.toFixed(2) ?? 'n/a'} ms (min ${gap?.min.toFixed(2) ?? 'n/a'}, max ${gap?.max.toFixed(2) ?? 'n/a'}).`);
    }
    lines.push('');
    for (const r of mine) {
      lines.push(`Run ${r.run}:`, '', '| ms after SIGTERM | host | event |', '|---|---|---|');
      for (const e of r.events) lines.push(`| ${e.atMs.toFixed(2)} | ${e.host} | ${e.what} |`);
      lines.push('');
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const unavailable = await Lab.available();
  if (unavailable !== undefined) throw new Error(`lab unavailable: ${unavailable}`);
  const command = `node --import tsx bench/graceful-trace.ts --runs ${RUNS}`;
  const lab = await Lab.create({ hosts: ['m', 'b'] });
  const runs: TraceRun[] = [];
  try {
    for (const vmac of [true, false]) {
      for (let run = 1; run <= RUNS; run++) {
        const r = await traceOne(lab, vmac, run);
        runs.push(r);
        process.stdout.write(`${vmac ? 'vmac' : 'no-vmac'} run ${run}: transition → VIP ${r.transitionToVipMs?.toFixed(1) ?? 'n/a'} ms${vmac ? `, m's link down → b's link up ${r.oldDownToNewUpMs?.toFixed(2) ?? 'n/a'} ms` : ''}\n`);
      }
    }
  } finally {
    await lab.destroy();
  }
  const date = new Date().toISOString();
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'graceful-trace.json'), `${JSON.stringify({ bench: 'graceful-trace', date, command, machine: describeMachine(), runs }, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'graceful-trace.md'), `${markdown(date, command, runs)}\n`);
  process.stdout.write(`results: ${join(RESULTS, 'graceful-trace.{json,md}')}\n`);
  if (runs.some((r) => r.transitionToVipMs === undefined)) process.exitCode = 1;
}

await main();
