/**
 * 255 groups on one interface in one carpd process, in the namespace lab: time to bring them all
 * to MASTER, then CPU and RSS over a steady period at advbase 1, advert rate on the wire, and a
 * clean stop that removes all 255 virtual interfaces.
 *   node --import tsx bench/scale-groups.ts [--seconds 60] [--groups 255] [--rows FILE] [--realtime]
 *     [--node-flags='--cpu-prof --cpu-prof-dir=/tmp/prof']
 * --rows writes every captured advert as `epoch-seconds,vhid` for analysis of its own; --node-flags
 * are given to the daemon's node (a CPU profile of the steady state, say). Results are only
 * written without --node-flags (give its value with `=`: it starts with a dash). --realtime puts
 * the daemon under SCHED_FIFO priority 1 (`chrt -f -p 1`) once all groups are MASTER, as an
 * operator would with systemd's CPUSchedulingPolicy=fifo: on 2 vCPUs shared with the capture,
 * advert bursts are otherwise stretched by preemption (p99 4.5-11.6 ms here against 2.2-3.2 ms).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab } from '../src/lab/lab.ts';
import { describeMachine, machineLine } from './machine-description.ts';

const CARPD = resolve(import.meta.dirname, '../bin/carpd');
const CARPCTL = resolve(import.meta.dirname, '../bin/carpctl');

/** What one run measured. */
export interface ScaleResult {
  readonly groups: number;
  readonly allMasterAfterMs: number;
  readonly steadySeconds: number;
  readonly cpuPercent: number;
  readonly rssMiB: number;
  readonly advertsPerSecond: number;
  /** Per-group gaps between consecutive adverts on the wire, minus the 1 s interval, in ms. */
  readonly jitterMs: { readonly p50: number; readonly p99: number; readonly max: number; readonly gaps: number };
  readonly stopMs: number;
  readonly leftoverLinks: number;
  readonly exitCode: number | null;
}

function groupAddress(vhid: number): string {
  return vhid <= 254 ? `203.0.113.${vhid}` : `198.51.100.${vhid - 4}`;
}

/** Runs the scale scenario in a fresh lab. */
export async function runScale(groups: number, steadySeconds: number, log: (line: string) => void = () => {}, rowsFile?: string, nodeFlags: readonly string[] = [], realtime = false): Promise<ScaleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-scale-'));
  const lab = await Lab.create({ hosts: ['a', 'peer'] });
  try {
    mkdirSync(join(dir, 'state'));
    const lines = [`state_directory: ${join(dir, 'state')}`, `control_socket: ${join(dir, 'carpd.sock')}`, 'log_level: warn', 'defaults:', '  passphrase: scale-secret', '  advbase: 1', 'groups:'];
    for (let vhid = 1; vhid <= groups; vhid++) lines.push(`  - { interface: eth0, vhid: ${vhid}, addresses: [${groupAddress(vhid)}/24] }`);
    const config = join(dir, 'carpd.yaml');
    writeFileSync(config, lines.join('\n') + '\n');
    const started = Date.now();
    const daemon = lab.spawn('a', [process.execPath, ...nodeFlags, CARPD, '--config', config]);
    const statusOf = async () => {
      const result = await lab.exec('a', [process.execPath, CARPCTL, '--control', join(dir, 'carpd.sock'), 'status', '--json'], { timeoutMs: 20_000 });
      return result.code === 0 ? (JSON.parse(result.stdout) as { pid: number; groups: { state: string }[] }) : undefined;
    };
    let pid = 0;
    for (;;) {
      if (Date.now() - started > 120_000) throw new Error(`not all masters after 120 s:\n${daemon.lines.slice(-10).join('\n')}`);
      const status = await statusOf();
      if (status !== undefined && status.groups.length === groups && status.groups.every((g) => g.state === 'MASTER')) {
        pid = status.pid;
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const allMasterAfterMs = Date.now() - started;
    if (realtime) execFileSync('chrt', ['-f', '-p', '1', String(pid)]);
    log(`${groups} groups MASTER after ${allMasterAfterMs} ms (pid ${pid})`);
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    const cpuTicks = () => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return Number(fields[11]) + Number(fields[12]);
    };
    const before = cpuTicks();
    const beforeAt = performance.now();
    const capture = await lab.startCapture('bridge', 'ip proto 112');
    await new Promise((r) => setTimeout(r, steadySeconds * 1000));
    const pcap = await capture.stop();
    const elapsed = (performance.now() - beforeAt) / 1000;
    const cpuPercent = ((cpuTicks() - before) / ticks / elapsed) * 100;
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const rows = execFileSync('tshark', ['-r', pcap, '-d', 'ip.proto==112,carp', '-T', 'fields', '-E', 'separator=,', '-e', 'frame.time_epoch', '-e', 'carp.vhid'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((l) => l !== '');
    const adverts = rows.length;
    // For analysis outside the bench (burst shapes, per-group gaps): the raw time,vhid rows.
    if (rowsFile !== undefined) writeFileSync(rowsFile, rows.join('\n') + '\n');
    const jitterMs = advertJitter(rows);
    const stopAt = Date.now();
    daemon.signal('SIGTERM');
    const exit = await daemon.exited;
    const stopMs = Date.now() - stopAt;
    const leftoverLinks = (await lab.links('a')).filter((l) => l.name.startsWith('carp')).length;
    return { groups, allMasterAfterMs, steadySeconds: Math.round(elapsed), cpuPercent: Math.round(cpuPercent * 10) / 10, rssMiB: Math.round(rssKiB / 102.4) / 10, advertsPerSecond: Math.round(adverts / elapsed), jitterMs, stopMs, leftoverLinks, exitCode: exit.code };
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Timing jitter of each group's adverts: |gap − 1 s| over all consecutive pairs, p50/p99/max in ms. */
function advertJitter(rows: readonly string[]): ScaleResult['jitterMs'] {
  const last = new Map<string, number>();
  const deviations: number[] = [];
  for (const row of rows) {
    const [time, vhid] = row.split(',');
    const at = Number(time) * 1000;
    const previous = last.get(vhid ?? '');
    if (previous !== undefined) deviations.push(Math.abs(at - previous - 1000));
    last.set(vhid ?? '', at);
  }
  deviations.sort((a, b) => a - b);
  const pick = (q: number) => Math.round((deviations[Math.min(deviations.length - 1, Math.floor(q * deviations.length))] ?? 0) * 100) / 100;
  return { p50: pick(0.5), p99: pick(0.99), max: Math.round((deviations.at(-1) ?? 0) * 100) / 100, gaps: deviations.length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, groups: { type: 'string', default: '255' }, rows: { type: 'string' }, 'node-flags': { type: 'string', default: '' }, realtime: { type: 'boolean', default: false } } });
  const result = await runScale(Number(values.groups), Number(values.seconds), (line) => console.log(line), values.rows, values['node-flags'].split(' ').filter((flag) => flag !== ''), values.realtime);
  const command = `node --import tsx bench/scale-groups.ts --seconds ${values.seconds} --groups ${values.groups}${values.realtime ? ' --realtime' : ''}`;
  const machine = { date: new Date().toISOString(), ...describeMachine() };
  console.log(JSON.stringify(result, null, 2));
  if (values['node-flags'] !== '') process.exit(0);
  mkdirSync(resolve(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(resolve(import.meta.dirname, 'results/scale-groups.json'), JSON.stringify({ command, machine, result }, null, 2) + '\n');
  const md = [
    '# 255 groups in one carpd process',
    '',
    `- command: \`${command}\``,
    `- ${machine.date}, ${machineLine(machine)}`,
    '',
    '| groups | all MASTER after | steady period | CPU | RSS | adverts on the wire | advert jitter p50 / p99 / max | clean stop | leftover carp* links |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${result.groups} | ${result.allMasterAfterMs} ms | ${result.steadySeconds} s | ${result.cpuPercent} % of one core | ${result.rssMiB} MiB | ${result.advertsPerSecond}/s | ${result.jitterMs.p50} / ${result.jitterMs.p99} / ${result.jitterMs.max} ms (${result.jitterMs.gaps} gaps) | ${result.stopMs} ms (exit ${result.exitCode}) | ${result.leftoverLinks} |`,
    '',
    'Jitter: for each group, |gap between consecutive adverts on the bridge − 1 s| (advbase 1, advskew 0).',
    '',
  ].join('\n');
  writeFileSync(resolve(import.meta.dirname, 'results/scale-groups.md'), md);
  console.log(md);
}
