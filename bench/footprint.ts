/**
 * Footprint and start-up of carpd beside a bare Node process, keepalived and ucarp, all measured
 * in one run on this machine, in one namespace lab host (issue 10, item 4):
 *  - memory (VmRSS) of every process of a node after it settled: 1 group (carpd: the daemon and
 *    its cleanup guard; keepalived: its parent and VRRP child; ucarp), 255 groups (carpd,
 *    keepalived); a bare idle `node` is the yardstick for the ratios;
 *  - CPU: 255 MASTER groups at advbase 1 (carpd) beside keepalived with 255 VRRPv3 instances;
 *  - start-up: exec → BACKUP (every system started the same way, through `ip netns exec`, until
 *    its first BACKUP line), `carpd --version`, `carpctl --help`, `carpctl status`, each against
 *    `node -e 0` started the same way.
 *   node --import tsx bench/footprint.ts [--runs 7] [--cpu-seconds 30] [--out bench/results] [--name footprint]
 * carpd runs from its build (bin/carpd → dist/): `npm run build` first.
 *
 * With --package TREE (issue 20), only the Debian package's carpd instead: TREE is `/` for the
 * installed package or a directory the .deb was unpacked into (`dpkg-deb -x carpd_*.deb TREE`).
 * Its usr/bin/carpd with 1 group, and at the same time a bare idle node of the package's own
 * runtime (TREE/usr/lib/carpd/node) and of this machine's, each round measured after settling;
 * the ratio is the packaged carpd against the packaged bare node of the same round, median of
 * --runs rounds. Written as NAME-package.md / .json.
 *   node --import tsx bench/footprint.ts --package /tmp/tree --runs 5
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Lab, type LabProcess } from '../src/lab/lab.ts';
import { describeMachine, machineLine } from './machine-description.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CARPD = join(ROOT, 'bin', 'carpd');
const CARPCTL = join(ROOT, 'bin', 'carpctl');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, 'cpu-seconds': { type: 'string', default: '30' }, out: { type: 'string', default: join(ROOT, 'bench', 'results') }, name: { type: 'string', default: 'footprint' }, package: { type: 'string' } } });
const RUNS = Math.max(1, Math.min(50, Number(values.runs)));
const CPU_SECONDS = Math.max(5, Math.min(300, Number(values['cpu-seconds'])));
/**
 * Before measuring CPU: every group MASTER (≤ 3.4 s), and past the transition's extra
 * announcements (keepalived repeats its gratuitous ARPs garp_master_delay = 5 s later).
 */
const STEADY_AFTER_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/** Every pid of a process tree. */
function treePids(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number): void => {
    out.push(p);
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        for (const child of children === '' ? [] : children.split(/\s+/)) visit(Number(child));
      }
    } catch {
      // Gone meanwhile.
    }
  };
  visit(pid);
  return out;
}

/** VmRSS in KiB of a process and every descendant. */
function treeRssKiB(pid: number): { kib: number; processes: number } {
  let kib = 0;
  let processes = 0;
  for (const p of treePids(pid)) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      processes++;
    } catch {
      // Gone meanwhile.
    }
  }
  return { kib, processes };
}

/** utime + stime of a process tree, in clock ticks (1/100 s). */
function treeTicks(pid: number): number {
  let ticks = 0;
  for (const p of treePids(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone meanwhile.
    }
  }
  return ticks;
}

/** CPU of a process tree over `seconds`, in % of one core. */
async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const before = treeTicks(pid);
  const started = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  return ((treeTicks(pid) - before) / 100 / elapsed) * 100;
}

async function stop(process: LabProcess): Promise<void> {
  process.signal('SIGTERM');
  await Promise.race([process.exited, sleep(10_000)]);
  if (!process.done) process.signal('SIGKILL');
  await Promise.race([process.exited, sleep(5_000)]);
}

function carpdConfig(dir: string, groups: number): string {
  const lines = [`state_directory: ${join(dir, 'state')}`, `control_socket: ${join(dir, 'carpd.sock')}`, 'log_level: info', 'defaults:', '  passphrase: footprint', '  advbase: 1', '  advskew: 100', 'groups:'];
  for (let vhid = 1; vhid <= groups; vhid++) lines.push(`  - { interface: eth0, vhid: ${vhid}, addresses: [${vhid <= 254 ? `203.0.113.${vhid}` : '198.51.100.250'}/24] }`);
  const path = join(dir, `carpd-${groups}.yaml`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function keepalivedConfig(dir: string, instances: number): string {
  const parts = ['global_defs {\n  router_id footprint\n  script_user root\n}'];
  for (let id = 1; id <= instances; id++) {
    parts.push(`vrrp_instance vi${id} {\n  version 3\n  state BACKUP\n  interface eth0\n  virtual_router_id ${id}\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    ${id <= 254 ? `203.0.113.${id}` : '198.51.100.250'}/24 dev eth0\n  }\n}`);
  }
  const path = join(dir, `keepalived-${instances}.conf`);
  writeFileSync(path, `${parts.join('\n')}\n`);
  return path;
}

/** Starts argv in the host and waits for a line matching `ready`; returns the process and the ms it took. */
async function startUntil(lab: Lab, argv: string[], ready: RegExp, timeoutMs = 60_000): Promise<{ process: LabProcess; ms: number }> {
  const started = performance.now();
  const process = lab.spawn('a', argv);
  await process.waitForLine(ready, timeoutMs);
  return { process, ms: performance.now() - started };
}

/** ucarp logs only to syslog: its downscript (run when it enters BACKUP at start) writes a file. */
async function startUcarpUntilBackup(lab: Lab, dir: string): Promise<{ process: LabProcess; ms: number }> {
  const marker = join(dir, 'ucarp-backup');
  rmSync(marker, { force: true });
  const script = join(dir, 'ucarp-down.sh');
  writeFileSync(script, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
  const started = performance.now();
  const process = lab.spawn('a', ['ucarp', '--interface=eth0', '--srcip=198.51.100.10', '--vhid=9', '--pass=footprint', '--addr=198.51.100.99', '--advskew=100', '--upscript=/bin/true', `--downscript=${script}`]);
  for (let i = 0; i < 10_000 && !existsSync(marker); i++) {
    if (process.done || performance.now() - started > 20_000) throw new Error(`ucarp did not enter BACKUP:\n${process.lines.join('\n')}`);
    await sleep(1);
  }
  return { process, ms: performance.now() - started };
}

/** One command to its end, timed (through ip netns exec like everything else). */
async function timed(lab: Lab, argv: string[]): Promise<number> {
  const started = performance.now();
  const result = await lab.exec('a', argv, { timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`${argv.join(' ')}: exit ${result.code}: ${result.stderr}`);
  return performance.now() - started;
}

/**
 * The packaged carpd (1 group) beside two bare idle nodes started with it, the package's runtime
 * and this machine's `node`: --runs rounds, memory after settling.
 */
async function packageFootprint(tree: string): Promise<number> {
  const carpd = join(tree, 'usr', 'bin', 'carpd');
  const packagedNode = join(tree, 'usr', 'lib', 'carpd', 'node');
  if (!existsSync(carpd) || !existsSync(packagedNode)) {
    process.stderr.write(`footprint: ${tree} has no usr/bin/carpd and usr/lib/carpd/node (dpkg-deb -x carpd_*.deb ${tree})\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'carpd-footprint-'));
  mkdirSync(join(dir, 'state'));
  const lab = await Lab.create({ hosts: ['a'] });
  const rounds: { carpd: number; packagedNode: number; systemNode: number; ratio: number }[] = [];
  try {
    const config = carpdConfig(dir, 1);
    const idle = ['-e', 'setInterval(() => {}, 1000)'];
    for (let round = 0; round < RUNS; round++) {
      const bare = lab.spawn('a', [packagedNode, ...idle]);
      const system = lab.spawn('a', [process.execPath, ...idle]);
      const daemon = await startUntil(lab, [carpd, '--config', config], /carpd started/, 60_000);
      await sleep(3_000);
      const kib = { carpd: treeRssKiB(daemon.process.pid).kib, packagedNode: treeRssKiB(bare.pid).kib, systemNode: treeRssKiB(system.pid).kib };
      rounds.push({ ...kib, ratio: kib.carpd / kib.packagedNode });
      for (const p of [daemon.process, bare, system]) await stop(p);
    }
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const mibOf = (key: 'carpd' | 'packagedNode' | 'systemNode'): string => (median(rounds.map((r) => r[key])) / 1024).toFixed(1);
  const command = ['node', ...process.execArgv, 'bench/footprint.ts', ...process.argv.slice(2)].join(' ');
  const md = [
    '# Footprint of the Debian package\'s carpd',
    '',
    `Command: \`${command}\` (as root). ${new Date().toISOString()}, ${machineLine()}. ${RUNS} rounds; in each, the three processes run at the same time in one lab host and are measured after 3 s settled (VmRSS of every process: carpd with its guard). Medians.`,
    '',
    '| process | MiB |',
    '|---|---|',
    `| packaged carpd (${carpd}), 1 group | ${mibOf('carpd')} |`,
    `| bare idle node, the package's runtime (${packagedNode}) | ${mibOf('packagedNode')} |`,
    `| bare idle node, this machine's (${process.execPath}) | ${mibOf('systemNode')} |`,
    '',
    `Packaged carpd / packaged bare node: ${median(rounds.map((r) => r.ratio)).toFixed(2)}× (median of the rounds' ratios; each round: ${rounds.map((r) => r.ratio.toFixed(2)).join(', ')}). Target: ≤ 1.5×.`,
    '',
  ].join('\n');
  const out = values.out as string;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${values.name}-package.json`), `${JSON.stringify({ command, at: new Date().toISOString(), machine: describeMachine(), tree, rounds }, null, 2)}\n`);
  writeFileSync(join(out, `${values.name}-package.md`), md);
  process.stdout.write(md);
  return 0;
}

async function main(): Promise<number> {
  const skip = await Lab.available();
  if (skip !== undefined) {
    process.stderr.write(`footprint: cannot run: ${skip}\n`);
    return 2;
  }
  if (values.package !== undefined) return packageFootprint(resolve(values.package));
  if (!existsSync(join(ROOT, 'dist', 'carpd.js'))) {
    process.stderr.write('footprint: run `npm run build` first\n');
    return 2;
  }
  const missing = ['keepalived', 'ucarp'].filter((tool) => spawnable(tool) === false);
  const dir = mkdtempSync(join(tmpdir(), 'carpd-footprint-'));
  mkdirSync(join(dir, 'state'));
  const lab = await Lab.create({ hosts: ['a'] });
  const results: Record<string, unknown> = {};
  try {
    // --- start-up times ---
    const nodeBaseline: number[] = [];
    const version: number[] = [];
    const help: number[] = [];
    const carpdBackup: number[] = [];
    const status: number[] = [];
    const keepalivedBackup: number[] = [];
    const ucarpBackup: number[] = [];
    const config1 = carpdConfig(dir, 1);
    const kconf1 = keepalivedConfig(dir, 1);
    for (let run = 0; run < RUNS; run++) {
      nodeBaseline.push(await timed(lab, [process.execPath, '-e', '0']));
      version.push(await timed(lab, [process.execPath, CARPD, '--version']));
      help.push(await timed(lab, [process.execPath, CARPCTL, '--help']));
      const carpd = await startUntil(lab, [process.execPath, CARPD, '--config', config1], /-> BACKUP/);
      carpdBackup.push(carpd.ms);
      status.push(await timed(lab, [process.execPath, CARPCTL, '--control', join(dir, 'carpd.sock'), 'status']));
      await stop(carpd.process);
      if (!missing.includes('keepalived')) {
        const keepalived = await startUntil(lab, ['keepalived', '-n', '-l', '-D', '-f', kconf1, '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid'), '-c', join(dir, 'c.pid')], /Entering BACKUP STATE/);
        keepalivedBackup.push(keepalived.ms);
        await stop(keepalived.process);
      }
      if (!missing.includes('ucarp')) {
        const ucarp = await startUcarpUntilBackup(lab, dir);
        ucarpBackup.push(ucarp.ms);
        await stop(ucarp.process);
      }
    }
    const baseline = median(nodeBaseline);
    results.startup = {
      nodeMinusE0Ms: baseline,
      carpdVersionMs: median(version),
      carpctlHelpMs: median(help),
      carpctlStatusMs: median(status),
      carpdExecToBackupMs: median(carpdBackup),
      keepalivedExecToBackupMs: keepalivedBackup.length > 0 ? median(keepalivedBackup) : null,
      ucarpExecToBackupMs: ucarpBackup.length > 0 ? median(ucarpBackup) : null,
    };
    // --- memory, after settling ---
    const settle = 3_000;
    const idle = lab.spawn('a', [process.execPath, '-e', 'setInterval(() => {}, 1000)']);
    await sleep(settle);
    const nodeIdle = treeRssKiB(idle.pid);
    await stop(idle);
    const memory: Record<string, { kib: number; processes: number } | null> = { nodeIdle };
    const cpu: Record<string, number | null> = {};
    for (const groups of [1, 255]) {
      const carpd = await startUntil(lab, [process.execPath, CARPD, '--config', carpdConfig(dir, groups)], /carpd started/, 120_000);
      await sleep(settle);
      memory[`carpd${groups}`] = treeRssKiB(carpd.process.pid);
      // Alone on the segment every group is MASTER after its master-down interval (≤ 3.4 s):
      // the steady state of 255 masters advertising every second.
      if (groups === 255) {
        await sleep(STEADY_AFTER_MS);
        cpu.carpd255Masters = await cpuPercent(carpd.process.pid, CPU_SECONDS);
      }
      await stop(carpd.process);
      if (!missing.includes('keepalived')) {
        const conf = keepalivedConfig(dir, groups);
        // Without -D: its per-address gratuitous ARP lines would be CPU spent on our log pipe.
        const keepalived = lab.spawn('a', ['keepalived', '-n', '-l', '-f', conf, '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid'), '-c', join(dir, 'c.pid')]);
        await keepalived.waitForLine(/Entering BACKUP STATE/, 60_000);
        await sleep(settle);
        memory[`keepalived${groups}`] = treeRssKiB(keepalived.pid);
        if (groups === 255) {
          await sleep(STEADY_AFTER_MS);
          cpu.keepalived255Masters = await cpuPercent(keepalived.pid, CPU_SECONDS);
        }
        await stop(keepalived);
      } else memory[`keepalived${groups}`] = null;
    }
    if (!missing.includes('ucarp')) {
      const ucarp = await startUcarpUntilBackup(lab, dir);
      await sleep(settle);
      memory.ucarp1 = treeRssKiB(ucarp.process.pid);
      await stop(ucarp.process);
    }
    results.memory = memory;
    results.cpu = cpu;
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const startup = results.startup as Record<string, number | null>;
  const memory = results.memory as Record<string, { kib: number; processes: number } | null>;
  const cpu = results.cpu as Record<string, number | null | undefined>;
  const cpuText = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toFixed(2));
  const mib = (k: { kib: number } | null | undefined): string => (k === null || k === undefined ? '–' : (k.kib / 1024).toFixed(1));
  const ratio = (a: number | null | undefined, b: number): string => (a === null || a === undefined ? '–' : `${(a / b).toFixed(2)}×`);
  const base = startup.nodeMinusE0Ms as number;
  const idleKib = (memory.nodeIdle as { kib: number }).kib;
  const command = ['node', ...process.execArgv, 'bench/footprint.ts', ...process.argv.slice(2)].join(' ');
  const md = [
    '# Footprint and start-up',
    '',
    `Command: \`${command}\` (as root; carpd from its build). ${new Date().toISOString()}, ${machineLine()}. Medians of ${RUNS} runs for times; memory after ${3} s settled.`,
    '',
    '| start-up (through `ip netns exec`) | ms | vs `node -e 0` |',
    '|---|---|---|',
    `| \`node -e 0\` | ${base.toFixed(0)} | 1.00× |`,
    `| \`carpd --version\` | ${(startup.carpdVersionMs as number).toFixed(0)} | ${ratio(startup.carpdVersionMs, base)} |`,
    `| \`carpctl --help\` | ${(startup.carpctlHelpMs as number).toFixed(0)} | ${ratio(startup.carpctlHelpMs, base)} |`,
    `| \`carpctl status\` | ${(startup.carpctlStatusMs as number).toFixed(0)} | ${ratio(startup.carpctlStatusMs, base)} |`,
    `| carpd exec → BACKUP (1 group) | ${(startup.carpdExecToBackupMs as number).toFixed(0)} | ${ratio(startup.carpdExecToBackupMs, base)} |`,
    `| keepalived exec → BACKUP | ${startup.keepalivedExecToBackupMs === null ? '–' : (startup.keepalivedExecToBackupMs as number).toFixed(0)} | ${ratio(startup.keepalivedExecToBackupMs, base)} |`,
    `| ucarp exec → BACKUP | ${startup.ucarpExecToBackupMs === null ? '–' : (startup.ucarpExecToBackupMs as number).toFixed(0)} | ${ratio(startup.ucarpExecToBackupMs, base)} |`,
    '',
    '| memory, every process of the node (VmRSS) | MiB | processes | vs idle `node` |',
    '|---|---|---|---|',
    `| idle \`node\` | ${mib(memory.nodeIdle)} | 1 | 1.00× |`,
    ...['carpd1', 'carpd255', 'keepalived1', 'keepalived255', 'ucarp1'].map((key) => `| ${key.replace(/(\d+)$/, ' $1 group(s)')} | ${mib(memory[key])} | ${memory[key]?.processes ?? '–'} | ${ratio(memory[key]?.kib, idleKib)} |`),
    '',
    `| CPU, 255 MASTER groups at advbase 1 / advert_int 1, over ${CPU_SECONDS} s | % of a core | vs keepalived |`,
    '|---|---|---|',
    `| carpd (255 CARP groups) | ${cpuText(cpu.carpd255Masters)} | ${cpu.keepalived255Masters ? ratio(cpu.carpd255Masters, cpu.keepalived255Masters) : '–'} |`,
    `| keepalived (255 VRRPv3 instances) | ${cpuText(cpu.keepalived255Masters)} | 1.00× |`,
    '',
  ].join('\n');
  const out = values.out as string;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${values.name}.json`), `${JSON.stringify({ command, at: new Date().toISOString(), machine: describeMachine(), runs: RUNS, ...results }, null, 2)}\n`);
  writeFileSync(join(out, `${values.name}.md`), md);
  process.stdout.write(md);
  return 0;
}

function spawnable(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

process.exitCode = await main();
