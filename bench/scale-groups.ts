/**
 * 255 groups on one interface in one carpd process, in the namespace lab: time to bring them all
 * to MASTER, then CPU and RSS over a steady period at advbase 1, advert rate on the wire, and a
 * clean stop that removes all 255 virtual interfaces.
 *   node --import tsx bench/scale-groups.ts [--seconds 60] [--groups 255] [--runs N] [--baseline REV]
 *     [--realtime] [--buffered-capture] [--settle S] [--rows FILE] [--node-flags='--cpu-prof --cpu-prof-dir=/tmp/prof']
 * --baseline builds another revision (git archive + npm ci in a cache directory under tmpdir) and
 * runs it beside this checkout, interleaved, --runs times each: "no regression" is then a ratio
 * measured in one invocation, not a figure from another day. --rows writes every captured advert
 * as `epoch-seconds,vhid` (one file per build and run when there are several: FILE.build.run).
 * --node-flags are given to the daemon's node; results are only written without them (give the
 * value with `=`: it starts with a dash). --realtime puts the daemon under SCHED_FIFO priority 1
 * (`chrt -f -p 1`) once all groups are MASTER, as an operator could with systemd's
 * CPUSchedulingPolicy=fifo (not shipped: the default scheduling is what is measured by default).
 * --buffered-capture runs tcpdump without immediate mode, so it does not wake for each of the
 * 255 frames a second and compete for the 2 vCPUs with what it measures. --settle S starts the
 * steady period S seconds after all groups are MASTER (default 0): the seconds right after a
 * transition carry its aftermath (announcements, state files), not the steady cadence.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** One run of the scale scenario. */
export interface ScaleOptions {
  readonly groups: number;
  readonly steadySeconds: number;
  readonly log?: (line: string) => void;
  /** Writes every captured advert as `epoch-seconds,vhid`. */
  readonly rowsFile?: string;
  /** Flags for the daemon's node (a CPU profile, say). */
  readonly nodeFlags?: readonly string[];
  /** The daemon under SCHED_FIFO 1 once all groups are MASTER. */
  readonly realtime?: boolean;
  /** The carpd and carpctl launchers to run: this checkout's by default, a baseline build's for a comparison. */
  readonly launchers?: { readonly carpd: string; readonly carpctl: string };
  /** tcpdump buffered rather than waking for every frame (Lab.startCapture). */
  readonly bufferedCapture?: boolean;
  /**
   * Seconds between all groups being MASTER and the steady period (default 0): what follows a
   * transition (the announcements after the second advert, state files, scripts) is not steady.
   */
  readonly settleSeconds?: number;
}

/** Runs the scale scenario in a fresh lab. */
export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const { groups, steadySeconds, log = () => {}, rowsFile, nodeFlags = [], realtime = false, bufferedCapture = false, settleSeconds = 0 } = options;
  const { carpd, carpctl } = options.launchers ?? { carpd: CARPD, carpctl: CARPCTL };
  const dir = mkdtempSync(join(tmpdir(), 'carpd-scale-'));
  const lab = await Lab.create({ hosts: ['a', 'peer'] });
  try {
    mkdirSync(join(dir, 'state'));
    const lines = [`state_directory: ${join(dir, 'state')}`, `control_socket: ${join(dir, 'carpd.sock')}`, 'log_level: warn', 'defaults:', '  passphrase: scale-secret', '  advbase: 1', 'groups:'];
    for (let vhid = 1; vhid <= groups; vhid++) lines.push(`  - { interface: eth0, vhid: ${vhid}, addresses: [${groupAddress(vhid)}/24] }`);
    const config = join(dir, 'carpd.yaml');
    writeFileSync(config, lines.join('\n') + '\n');
    const started = Date.now();
    const daemon = lab.spawn('a', [process.execPath, ...nodeFlags, carpd, '--config', config]);
    const statusOf = async () => {
      const result = await lab.exec('a', [process.execPath, carpctl, '--control', join(dir, 'carpd.sock'), 'status', '--json'], { timeoutMs: 20_000 });
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
    if (settleSeconds > 0) await new Promise((r) => setTimeout(r, settleSeconds * 1000));
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    const cpuTicks = () => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return Number(fields[11]) + Number(fields[12]);
    };
    const before = cpuTicks();
    const beforeAt = performance.now();
    const capture = await lab.startCapture('bridge', 'ip proto 112', { buffered: bufferedCapture });
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

/**
 * A build of another revision of carpd to run side by side with this one (`--baseline REV`): the
 * revision's tree from git archive in a cache directory under tmpdir, installed with npm ci (which
 * builds it). Reused while the directory holds a built launcher.
 */
function baselineLaunchers(revision: string, log: (line: string) => void): { carpd: string; carpctl: string; commit: string } {
  const root = resolve(import.meta.dirname, '..');
  const commit = execFileSync('git', ['-C', root, 'rev-parse', '--verify', `${revision}^{commit}`], { encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `carpd-baseline-${commit.slice(0, 12)}`);
  const ready = join(dir, '.carpd-baseline-ready');
  if (!existsSync(ready)) {
    log(`building baseline ${revision} (${commit.slice(0, 12)}) in ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', root, commit, dir], { stdio: 'inherit' });
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
    writeFileSync(ready, commit + '\n');
  }
  return { carpd: join(dir, 'bin/carpd'), carpctl: join(dir, 'bin/carpctl'), commit };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      groups: { type: 'string', default: '255' },
      runs: { type: 'string', default: '1' },
      baseline: { type: 'string' },
      rows: { type: 'string' },
      'node-flags': { type: 'string', default: '' },
      realtime: { type: 'boolean', default: false },
      'buffered-capture': { type: 'boolean', default: false },
      settle: { type: 'string', default: '0' },
    },
  });
  const log = (line: string) => console.log(line);
  const runs = Math.max(1, Math.min(20, Number(values.runs)));
  const head = execFileSync('git', ['-C', resolve(import.meta.dirname, '..'), 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['-C', resolve(import.meta.dirname, '..'), 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
  const builds: { label: string; launchers?: { carpd: string; carpctl: string } }[] = [{ label: `this build (${head}${dirty ? ', uncommitted changes' : ''})` }];
  if (values.baseline !== undefined) {
    const baseline = baselineLaunchers(values.baseline, log);
    builds.push({ label: `baseline ${values.baseline} (${baseline.commit.slice(0, 12)})`, launchers: baseline });
  }
  const common = {
    groups: Number(values.groups),
    steadySeconds: Number(values.seconds),
    log,
    nodeFlags: values['node-flags'].split(' ').filter((flag) => flag !== ''),
    realtime: values.realtime,
    bufferedCapture: values['buffered-capture'],
    settleSeconds: Math.max(0, Math.min(120, Number(values.settle))),
  };
  // Interleaved, the order alternating run by run, so that drift of the machine over the
  // invocation (other load, thermal, the page cache) falls on every build alike.
  const results: { build: string; run: number; result: ScaleResult }[] = [];
  for (let run = 1; run <= runs; run++) {
    const order = run % 2 === 1 ? builds : [...builds].reverse();
    for (const build of order) {
      log(`run ${run}/${runs}: ${build.label}`);
      const rowsFile = values.rows === undefined || (runs === 1 && builds.length === 1) ? values.rows : `${values.rows}.${builds.indexOf(build)}.${run}`;
      const result = await runScale({ ...common, ...(rowsFile === undefined ? {} : { rowsFile }), ...(build.launchers === undefined ? {} : { launchers: build.launchers }) });
      log(JSON.stringify(result));
      results.push({ build: build.label, run, result });
    }
  }
  const flags = [`--seconds ${values.seconds}`, `--groups ${values.groups}`, ...(runs > 1 ? [`--runs ${runs}`] : []), ...(values.baseline === undefined ? [] : [`--baseline ${values.baseline}`]), ...(values.realtime ? ['--realtime'] : []), ...(values['buffered-capture'] ? ['--buffered-capture'] : []), ...(Number(values.settle) > 0 ? [`--settle ${values.settle}`] : [])];
  const command = `node --import tsx bench/scale-groups.ts ${flags.join(' ')}`;
  const machine = { date: new Date().toISOString(), ...describeMachine() };
  const summary = builds.map((build) => {
    const mine = results.filter((r) => r.build === build.label).map((r) => r.result);
    return { build: build.label, runs: mine.length, medianCpuPercent: median(mine.map((r) => r.cpuPercent)), medianJitterP50Ms: median(mine.map((r) => r.jitterMs.p50)), medianJitterP99Ms: median(mine.map((r) => r.jitterMs.p99)) };
  });
  if (values['node-flags'] !== '') process.exit(0);
  mkdirSync(resolve(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(resolve(import.meta.dirname, 'results/scale-groups.json'), JSON.stringify({ command, machine, summary, results }, null, 2) + '\n');
  const cell = (result: ScaleResult) =>
    `${result.groups} | ${result.allMasterAfterMs} ms | ${result.steadySeconds} s | ${result.cpuPercent} % of one core | ${result.rssMiB} MiB | ${result.advertsPerSecond}/s | ${result.jitterMs.p50} / ${result.jitterMs.p99} / ${result.jitterMs.max} ms (${result.jitterMs.gaps} gaps) | ${result.stopMs} ms (exit ${result.exitCode}) | ${result.leftoverLinks} |`;
  const md = [
    '# 255 groups in one carpd process',
    '',
    `- command: \`${command}\``,
    `- ${machine.date}, ${machineLine(machine)}`,
    `- capture: tcpdump on the bridge, ${values['buffered-capture'] ? 'buffered (it wakes once per kernel block, not per frame)' : 'immediate mode (it wakes for every frame)'}, from ${common.settleSeconds} s after all groups are MASTER; daemon ${values.realtime ? 'under SCHED_FIFO 1 once all groups are MASTER' : 'at default scheduling'}`,
    '',
    '| build | run | groups | all MASTER after | steady period | CPU | RSS | adverts on the wire | advert jitter p50 / p99 / max | clean stop | leftover carp* links |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.build} | ${r.run} | ${cell(r.result)}`),
    '',
    ...(builds.length > 1 || runs > 1
      ? ['| build | runs | median CPU | median jitter p50 | median jitter p99 |', '|---|---|---|---|---|', ...summary.map((s) => `| ${s.build} | ${s.runs} | ${s.medianCpuPercent} % | ${s.medianJitterP50Ms} ms | ${s.medianJitterP99Ms} ms |`), '']
      : []),
    'Jitter: for each group, |gap between consecutive adverts on the bridge − 1 s| (advbase 1, advskew 0).',
    '',
  ].join('\n');
  writeFileSync(resolve(import.meta.dirname, 'results/scale-groups.md'), md);
  console.log(md);
}
