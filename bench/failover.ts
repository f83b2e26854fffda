/**
 * Failover comparison in one network-namespace lab: carpd (advbase 1 with and without vmac, and
 * the fast mode advbase 0), Debian's ucarp (advbase 1) and Debian's keepalived (VRRPv3,
 * advert_int 1 and 0.01), for a crash of the master (link cut + SIGKILL of its process group) and
 * a graceful stop (SIGTERM).
 *
 * Run as root: `node --import tsx bench/failover.ts [--runs N] [--quick] [--configs ID,...]
 * [--out DIR] [--name NAME]`. Default: every configuration, 5 runs per case, results in
 * bench/results/failover.{json,md}. --quick (the CI smoke form): 2 runs of carpd-1, carpd-fast and
 * keepalived-fast. --configs picks configurations by id (carpd-1, carpd-1-novmac, carpd-fast,
 * carpd-floor, carpd-floor-novmac, carpd-vrrp-1, carpd-vrrp-fast (carpd in VRRPv3 mode at keepalived's settings), ucarp-1, keepalived-1, keepalived-fast; carpd-floor is the protocol's floor: the
 * master advertises every 1/256 s and the backup declares it dead after 3 × 2/256 s = 23.4 ms); `npm run bench:lab` is carpd-1, carpd-1-novmac and
 * ucarp-1 under the name lab-failover. --out/--name choose where the JSON and markdown go, so a
 * smoke run does not overwrite the committed results.
 *
 * Per run, with the pair stable (m master, b backup) and a client pinging the VIP
 * every 5 ms, after a random phase (0–1000 ms for the 1 s timers, 0–100 ms for the fast ones) the
 * trigger fires and we measure from the trigger's wall-clock time:
 *   (a) the backup's first transition to MASTER: carpd's transition log record `time`; ucarp's
 *       up-script start, keepalived's notify_master script start (`date +%s.%N`);
 *   (b) the VIP configured on the backup: `ip -ts monitor address` in the backup's namespace;
 *   (c) the client's first echo reply after the outage (`ping -D`), i.e. from the new master;
 *   (d) the client's outage: that longest gap between consecutive echo replies that ends after
 *       the trigger.
 * Then both daemons are stopped (SIGTERM) and whatever a SIGKILLed master left is removed.
 *
 * Anomalies (pair not stable, VIP on two hosts — for carpd's make-before-break graceful stop: for
 * more than 50 ms —, a failover slower than the expected time + 100 ms,
 * no notification, unclean exits, leftovers after a clean stop) are recorded with log tails and
 * printed. Exit status: 0 when every run completed, 1 when an anomaly concerns carpd (the peers'
 * anomalies are reported, not failed on), 2 when the lab or a peer is not available.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab, type LabHost, type LabProcess } from '../src/lab/lab.ts';
import { parsePingOutput } from '../src/lab/ping.ts';
import { groupFlags, holds, phaseOf, startCarpd, transitions, waitForPhase, type CarpdNode } from '../test/integration/carpd-in-lab.ts';
import { writeKeepalivedFiles } from '../test/integration/keepalived-peer.ts';
import { parseIpMonitorLine } from '../src/lab/ip-monitor-line.ts';
import { describeMachine, machineLine } from './machine-description.ts';
import { summarize, type Summary } from './summary-statistics.ts';

type SystemName = 'carpd' | 'ucarp' | 'keepalived';
type EventName = 'crash' | 'graceful';
type Timer = '1 s' | 'fast';

interface Config {
  id: string;
  system: SystemName;
  setting: string;
  timer: Timer;
  vhid: number;
  vip: string;
  /** carpd/ucarp: advbase in seconds; keepalived: advert_int in seconds. */
  interval: number;
  masterSkew: number;
  backupSkew: number;
  /** keepalived priorities (master, backup). */
  priorities?: [number, number];
  vmac?: boolean;
  /** The backup's master-down time, ms: what a crash should take at most. */
  masterDownMs: number;
  /** What a graceful stop should take at most, ms. */
  gracefulMs: number;
  /** Extra slack allowed on top (ucarp's pcap delivery delay). */
  slackMs: number;
  phaseMaxMs: number;
}

interface Daemon {
  config: Config;
  host: LabHost;
  process: LabProcess;
  carpd?: CarpdNode;
  /** ucarp / keepalived: the file the scripts append `<state> <epoch seconds>` lines to. */
  recordFile?: string;
}

interface RunResult {
  run: number;
  phaseDelayMs: number;
  triggerAtMs: number;
  triggerActionMs: number;
  toMasterMs: number | null;
  vipOnBackupMs: number | null;
  vipOffMasterMs: number | null;
  outageMs: number | null;
  outageStartMs: number | null;
  outageEndMs: number | null;
  pingSent: number;
  pingReceived: number;
  masterExit?: string;
  backupExit?: string;
  staleAfterKill?: string[];
}

interface Anomaly {
  config: string;
  event: EventName | 'setup';
  run: number;
  what: string;
  logs?: Record<string, string[]>;
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    configs: { type: 'string' },
    out: { type: 'string' },
    name: { type: 'string', default: 'failover' },
  },
});
const QUICK = values.quick === true;
const RUNS = Number(values.runs ?? (QUICK ? '2' : '5'));
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
const OUT_DIR = resolve(values.out ?? resolve(import.meta.dirname, 'results'));
const NAME = values.name ?? 'failover';
if (!/^[\w.-]+$/.test(NAME)) throw new Error(`--name must be a plain file name stem, got ${NAME}`);

const PASS = 'lab-secret';
const PING_INTERVAL_MS = 5;
const UCARP_PCAP_SLACK_MS = 1000;
const TOLERANCE_MS = 100;

/** carpd (OpenBSD formula): master-down = 3 × (advbase + advskew/256) s; bow-out: the backup's own interval. */
const carpdDown = (advbase: number, skew: number): number => 3 * (advbase + skew / 256) * 1000;
/** keepalived VRRPv3 (RFC 5798): master-down = 3 × interval + skew, skew = (256 − prio)/256 × interval. */
const vrrpSkew = (interval: number, prio: number): number => ((256 - prio) / 256) * interval * 1000;

const ALL_CONFIGS: Config[] = [
  {
    id: 'carpd-1', system: 'carpd', setting: 'advbase 1, vmac (skew 0/100)', timer: '1 s', vhid: 41, vip: '198.51.100.141', interval: 1,
    masterSkew: 0, backupSkew: 100, vmac: true, masterDownMs: carpdDown(1, 100), gracefulMs: (100 / 256) * 1000, slackMs: 0, phaseMaxMs: 1000,
  },
  {
    id: 'carpd-1-novmac', system: 'carpd', setting: 'advbase 1, no-vmac (skew 0/100)', timer: '1 s', vhid: 46, vip: '198.51.100.146', interval: 1,
    masterSkew: 0, backupSkew: 100, vmac: false, masterDownMs: carpdDown(1, 100), gracefulMs: (100 / 256) * 1000, slackMs: 0, phaseMaxMs: 1000,
  },
  {
    id: 'carpd-fast', system: 'carpd', setting: 'advbase 0, vmac (skew 1/10)', timer: 'fast', vhid: 42, vip: '198.51.100.142', interval: 0,
    masterSkew: 1, backupSkew: 10, vmac: true, masterDownMs: carpdDown(0, 10), gracefulMs: (10 / 256) * 1000, slackMs: 0, phaseMaxMs: 100,
  },
  {
    id: 'carpd-floor', system: 'carpd', setting: 'advbase 0, vmac (skew 1/2)', timer: 'fast', vhid: 47, vip: '198.51.100.147', interval: 0,
    masterSkew: 1, backupSkew: 2, vmac: true, masterDownMs: carpdDown(0, 2), gracefulMs: (2 / 256) * 1000, slackMs: 0, phaseMaxMs: 100,
  },
  {
    id: 'carpd-floor-novmac', system: 'carpd', setting: 'advbase 0, no-vmac (skew 1/2)', timer: 'fast', vhid: 48, vip: '198.51.100.148', interval: 0,
    masterSkew: 1, backupSkew: 2, vmac: false, masterDownMs: carpdDown(0, 2), gracefulMs: (2 / 256) * 1000, slackMs: 0, phaseMaxMs: 100,
  },
  {
    id: 'ucarp-1', system: 'ucarp', setting: 'advbase 1 (skew 0/100)', timer: '1 s', vhid: 43, vip: '198.51.100.143', interval: 1,
    masterSkew: 0, backupSkew: 100, masterDownMs: (3 + 100 / 256) * 1000, gracefulMs: (3 + 100 / 256) * 1000, slackMs: UCARP_PCAP_SLACK_MS, phaseMaxMs: 1000,
  },
  {
    id: 'keepalived-1', system: 'keepalived', setting: 'VRRPv3 advert_int 1 (prio 150/100)', timer: '1 s', vhid: 44, vip: '198.51.100.144', interval: 1,
    masterSkew: 0, backupSkew: 0, priorities: [150, 100], masterDownMs: 3000 + vrrpSkew(1, 100), gracefulMs: vrrpSkew(1, 100), slackMs: 0, phaseMaxMs: 1000,
  },
  {
    id: 'keepalived-fast', system: 'keepalived', setting: 'VRRPv3 advert_int 0.01 (prio 150/100)', timer: 'fast', vhid: 45, vip: '198.51.100.145', interval: 0.01,
    masterSkew: 0, backupSkew: 0, priorities: [150, 100], masterDownMs: 30 + vrrpSkew(0.01, 100), gracefulMs: vrrpSkew(0.01, 100), slackMs: 0, phaseMaxMs: 100,
  },
  // carpd in VRRPv3 mode (protocol vrrp), at keepalived's settings: the same priorities and intervals.
  {
    id: 'carpd-vrrp-1', system: 'carpd', setting: 'VRRPv3 advert_interval 1 (prio 150/100)', timer: '1 s', vhid: 49, vip: '198.51.100.149', interval: 1,
    masterSkew: 0, backupSkew: 0, priorities: [150, 100], vmac: true, masterDownMs: 3000 + vrrpSkew(1, 100), gracefulMs: vrrpSkew(1, 100), slackMs: 0, phaseMaxMs: 1000,
  },
  {
    id: 'carpd-vrrp-fast', system: 'carpd', setting: 'VRRPv3 advert_interval 0.01 (prio 150/100)', timer: 'fast', vhid: 50, vip: '198.51.100.150', interval: 0.01,
    masterSkew: 0, backupSkew: 0, priorities: [150, 100], vmac: true, masterDownMs: 30 + vrrpSkew(0.01, 100), gracefulMs: vrrpSkew(0.01, 100), slackMs: 0, phaseMaxMs: 100,
  },
];
const QUICK_CONFIGS = ['carpd-1', 'carpd-fast', 'keepalived-fast'];
const DEFAULT_CONFIGS = ALL_CONFIGS.filter((c) => !c.id.endsWith('-novmac')).map((c) => c.id);
const SELECTED = values.configs !== undefined ? values.configs.split(',').map((x) => x.trim()) : QUICK ? QUICK_CONFIGS : DEFAULT_CONFIGS;
const unknownConfigs = SELECTED.filter((id) => !ALL_CONFIGS.some((c) => c.id === id));
if (unknownConfigs.length > 0) throw new Error(`--configs: unknown ${unknownConfigs.join(', ')} (known: ${ALL_CONFIGS.map((c) => c.id).join(', ')})`);
const CONFIGS = ALL_CONFIGS.filter((c) => SELECTED.includes(c.id));
const EVENTS: EventName[] = ['crash', 'graceful'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const label = (c: Config): string => `${c.system} ${c.setting}`;

const anomalies: Anomaly[] = [];
/** How long both hosts may hold the VIP in carpd's graceful (make-before-break) handover: a netlink round trip each side. */
const MAKE_BEFORE_BREAK_OVERLAP_MS = 50;
const workDir = mkdtempSync(join(tmpdir(), 'carpd-bench-failover-'));
const stateDirs = new Map<string, string>();
let runCounter = 0;

function note(anomaly: Anomaly): void {
  anomalies.push(anomaly);
  process.stderr.write(`ANOMALY [${anomaly.config} ${anomaly.event} run ${anomaly.run}]: ${anomaly.what}\n`);
  for (const [name, lines] of Object.entries(anomaly.logs ?? {})) {
    process.stderr.write(`  --- ${name} (last ${lines.length} lines)\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  }
}

function logTails(daemons: (Daemon | undefined)[], count = 30): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [i, d] of daemons.entries()) {
    if (d === undefined) continue;
    const lines = d.process.lines.slice(-count);
    if (d.recordFile !== undefined && existsSync(d.recordFile)) lines.push(...readFileSync(d.recordFile, 'utf8').trim().split('\n').map((l) => `[script] ${l}`));
    out[`${d.host.name}#${i} (pid ${d.process.pid})`] = lines;
  }
  return out;
}

function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}`);
  chmodSync(path, 0o755);
  return path;
}

function startDaemon(lab: Lab, config: Config, hostName: string, role: 'master' | 'backup'): Daemon {
  const host = lab.host(hostName);
  const skew = role === 'master' ? config.masterSkew : config.backupSkew;
  if (config.system === 'carpd') {
    const key = `${config.vhid}-${hostName}`;
    let dir = stateDirs.get(key);
    if (dir === undefined) {
      dir = mkdtempSync(join(workDir, `carpd-${hostName}-`));
      stateDirs.set(key, dir);
    }
    const vmac = config.vmac === true ? [] : ['--no-vmac'];
    // A VRRP configuration (it has priorities) runs carpd with --protocol vrrp, keepalived's settings.
    const flags =
      config.priorities === undefined
        ? groupFlags({ vhid: config.vhid, vip: config.vip, advskew: skew, extra: ['--advbase', String(config.interval), ...vmac] })
        : ['--protocol', 'vrrp', '--interface', 'eth0', '--vrid', String(config.vhid), '--addr', config.vip, '--priority', String(config.priorities[role === 'master' ? 0 : 1]), '--advert-interval', String(config.interval), ...vmac];
    const node = startCarpd(lab, host, flags, dir);
    return { config, host, process: node.process, carpd: node };
  }
  runCounter += 1;
  const dir = mkdtempSync(join(workDir, `${config.system}-${hostName}-${runCounter}-`));
  const record = join(dir, 'record');
  if (config.system === 'ucarp') {
    // ucarp's scripts get "<interface> <vaddr>" and configure the VIP themselves.
    const up = script(join(dir, 'up.sh'), `echo "MASTER $(date +%s.%N)" >> ${record}\nip addr add "$2/24" dev "$1"\n`);
    const down = script(join(dir, 'down.sh'), `echo "BACKUP $(date +%s.%N)" >> ${record}\nip addr del "$2/24" dev "$1" 2>/dev/null || true\n`);
    const proc = lab.spawn(host, [
      'ucarp', '--interface=eth0', `--srcip=${host.ipv4}`, `--vhid=${config.vhid}`, `--pass=${PASS}`, `--addr=${config.vip}`,
      `--advbase=${config.interval}`, `--advskew=${skew}`, `--upscript=${up}`, `--downscript=${down}`, '--shutdown',
    ]);
    return { config, host, process: proc, recordFile: record };
  }
  // keepalived: both start as BACKUP; the higher priority wins the first election. nopreempt is
  // irrelevant here (no restart), the default preempt is kept. The notify script only records
  // the state and the time (test/integration/keepalived-peer.ts, shared with the interop tests).
  const [pm, pb] = config.priorities ?? [150, 100];
  const files = writeKeepalivedFiles(dir, {
    vrid: config.vhid,
    addresses: [config.vip],
    priority: role === 'master' ? pm : pb,
    advertIntervalSeconds: config.interval,
    routerId: `lab_${hostName}`,
  });
  return { config, host, process: lab.spawn(host, [...files.argv]), recordFile: files.stateFile };
}

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, stepMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Epoch ms of the first `kind` record of a script-driven daemon at or after `afterMs`. */
function scriptRecord(d: Daemon, kind: 'MASTER' | 'BACKUP', afterMs: number): number | null {
  if (d.recordFile === undefined || !existsSync(d.recordFile)) return null;
  for (const line of readFileSync(d.recordFile, 'utf8').split('\n')) {
    const [k, t] = line.split(' ');
    if (k !== kind || t === undefined) continue;
    const ms = Number(t) * 1000;
    if (ms >= afterMs) return ms;
  }
  return null;
}

/** The last state a script-driven daemon recorded. */
function lastScriptState(d: Daemon): string | undefined {
  if (d.recordFile === undefined || !existsSync(d.recordFile)) return undefined;
  return readFileSync(d.recordFile, 'utf8').trim().split('\n').at(-1)?.split(' ')[0];
}

async function waitMaster(lab: Lab, d: Daemon, timeoutMs: number): Promise<void> {
  if (d.carpd !== undefined) await waitForPhase(d.carpd, 'master', timeoutMs);
  await waitUntil(() => holds(lab, d.host, d.config.vip), timeoutMs, `${d.host.name} to hold ${d.config.vip}`, 50);
}

async function waitBackup(d: Daemon, timeoutMs: number): Promise<void> {
  if (d.carpd !== undefined) await waitForPhase(d.carpd, 'backup', timeoutMs);
  else if (d.config.system === 'keepalived') await waitUntil(() => scriptRecord(d, 'BACKUP', 0) !== null, timeoutMs, `${d.host.name} keepalived BACKUP`, 20);
  else await sleep(300);
}

/** Parses `ip -ts monitor address` lines: `[2026-01-01T12:00:00.123456] [Deleted ]3: eth0 inet VIP/24 ...`. */
function monitorEvents(lines: readonly string[], vip: string): { atMs: number; deleted: boolean }[] {
  const out: { atMs: number; deleted: boolean }[] = [];
  for (const line of lines) {
    const parsed = parseIpMonitorLine(line);
    if (parsed === undefined || !parsed.event.includes(` ${vip}/`)) continue;
    out.push({ atMs: parsed.atMs, deleted: parsed.event.startsWith('Deleted') });
  }
  return out;
}

async function removeStale(lab: Lab, host: string, config: Config): Promise<string[]> {
  const removed: string[] = [];
  if (await holds(lab, lab.host(host), config.vip)) {
    for (const link of await lab.links(host)) {
      const r = await lab.exec(host, ['ip', 'addr', 'del', `${config.vip}/24`, 'dev', link.name]);
      if (r.code === 0) removed.push(`${config.vip} on ${link.name}`);
    }
  }
  for (const link of await lab.links(host)) {
    if (link.name.startsWith('carp')) {
      await lab.exec(host, ['ip', 'link', 'del', link.name]);
      removed.push(`link ${link.name}`);
    }
  }
  return removed;
}

async function stopDaemon(d: Daemon, timeoutMs = 6000): Promise<string> {
  d.process.signal('SIGTERM');
  const exit = await Promise.race([d.process.exited, sleep(timeoutMs).then(() => undefined)]);
  if (exit === undefined) {
    await d.process.kill();
    return 'timeout (SIGKILLed)';
  }
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
}

async function oneRun(lab: Lab, config: Config, event: EventName, run: number): Promise<RunResult | null> {
  const tag = { config: label(config), event, run };
  let m: Daemon | undefined;
  let b: Daemon | undefined;
  const helpers: LabProcess[] = [];
  try {
    await lab.exec('client', ['ip', 'neigh', 'flush', 'all']);
    m = startDaemon(lab, config, 'm', 'master');
    await waitMaster(lab, m, 8000);
    b = startDaemon(lab, config, 'b', 'backup');
    await waitBackup(b, 5000);
    await sleep(config.timer === 'fast' ? 300 : 800);
    const mHolds = await holds(lab, m.host, config.vip);
    const bHolds = await holds(lab, b.host, config.vip);
    const mPhase = m.carpd !== undefined ? phaseOf(m.carpd) : (lastScriptState(m) ?? '?').toLowerCase();
    const bPhase = b.carpd !== undefined ? phaseOf(b.carpd) : config.system === 'keepalived' ? (lastScriptState(b) ?? '?').toLowerCase() : 'backup';
    if (!mHolds || bHolds || bPhase !== 'backup' || mPhase !== 'master') {
      note({ ...tag, what: `pair not stable before the trigger: m holds ${mHolds} (${mPhase}), b holds ${bHolds} (${bPhase})`, logs: logTails([m, b]) });
    }

    const bTransitionsBefore = b.carpd !== undefined ? transitions(b.carpd).length : 0;
    const monB = lab.spawn('b', ['ip', '-ts', 'monitor', 'address']);
    const monM = lab.spawn('m', ['ip', '-ts', 'monitor', 'address']);
    helpers.push(monB, monM);
    const ping = lab.spawn('client', ['ping', '-D', '-n', '-i', (PING_INTERVAL_MS / 1000).toFixed(3), '-W', '1', config.vip]);
    helpers.push(ping);
    await sleep(300);
    const phaseDelayMs = Math.random() * config.phaseMaxMs;
    await sleep(phaseDelayMs);

    const triggerAtMs = Date.now();
    if (event === 'crash') {
      await lab.cutLink('m');
    } else {
      m.process.signal('SIGTERM');
    }
    const triggerActionMs = Date.now() - triggerAtMs;
    // SIGKILL the whole process group (keepalived's VRRP child included).
    if (event === 'crash') await m.process.kill();

    // A backup that left BACKUP before the trigger (a spurious master-down in the steady state:
    // both hosts master) is an anomaly; (a) then counts only transitions from the trigger on.
    const early = b.carpd !== undefined ? transitions(b.carpd).slice(bTransitionsBefore).filter((t) => Date.parse(t.time) < triggerAtMs) : [];
    if (early.length > 0) note({ ...tag, what: `backup flapped before the trigger (steady state, both MASTER): ${JSON.stringify(early)}` });
    const bAfterTrigger = bTransitionsBefore + early.length;
    // (a) the backup's first transition to MASTER.
    const expectedMs = event === 'crash' ? config.masterDownMs : config.gracefulMs;
    const limit = expectedMs + config.slackMs + TOLERANCE_MS;
    const waitMs = limit + 3000;
    let masterAtMs: number | null = null;
    const bd = b;
    try {
      await waitUntil(() => {
        if (bd.carpd !== undefined) {
          const t = transitions(bd.carpd).slice(bAfterTrigger).find((x) => x.to === 'master');
          if (t !== undefined) masterAtMs = Date.parse(t.time);
        } else {
          masterAtMs = scriptRecord(bd, 'MASTER', triggerAtMs - 50);
        }
        return masterAtMs !== null;
      }, waitMs, 'the backup to become master');
    } catch {
      note({ ...tag, what: `backup did not become master within ${waitMs.toFixed(0)} ms of the trigger`, logs: logTails([m, b]) });
    }
    // (b) the VIP on the backup.
    let vipOnAtMs: number | null = null;
    try {
      await waitUntil(() => {
        vipOnAtMs = monitorEvents(monB.lines, config.vip).find((e) => !e.deleted && e.atMs >= triggerAtMs - 50)?.atMs ?? null;
        return vipOnAtMs !== null;
      }, 2000, 'the VIP on the backup');
    } catch {
      note({ ...tag, what: 'no address notification for the VIP on the backup', logs: { ...logTails([m, b]), 'ip monitor b': monB.lines.slice(-10) } });
    }
    await sleep(300);
    ping.signal('SIGINT');
    await Promise.race([ping.exited, sleep(3000)]);
    await monB.kill();
    await monM.kill();

    const pingResult = parsePingOutput(ping.lines.join('\n'));
    const unique = pingResult.replies.filter((r) => !r.duplicate);
    // The outage: the longest gap between replies that ends after the trigger; its end is the
    // client's first reply from the new master.
    let outage: { gap: number; start: number; end: number } | null = null;
    for (let i = 1; i < unique.length; i += 1) {
      const prev = unique[i - 1];
      const cur = unique[i];
      if (prev === undefined || cur === undefined || cur.atMs < triggerAtMs) continue;
      const gap = cur.atMs - prev.atMs;
      if (outage === null || gap > outage.gap) outage = { gap, start: prev.atMs, end: cur.atMs };
    }
    if (unique.length < 2) note({ ...tag, what: `client saw ${unique.length} replies`, logs: { ping: ping.lines.slice(-10) } });
    const vipOff = monitorEvents(monM.lines, config.vip).find((e) => e.deleted && e.atMs >= triggerAtMs - 50)?.atMs ?? null;

    const result: RunResult = {
      run,
      phaseDelayMs: Math.round(phaseDelayMs),
      triggerAtMs,
      triggerActionMs,
      toMasterMs: masterAtMs === null ? null : (masterAtMs as number) - triggerAtMs,
      vipOnBackupMs: vipOnAtMs === null ? null : (vipOnAtMs as number) - triggerAtMs,
      vipOffMasterMs: vipOff === null ? null : vipOff - triggerAtMs,
      outageMs: outage?.gap ?? null,
      outageStartMs: outage === null ? null : outage.start - triggerAtMs,
      outageEndMs: outage === null ? null : outage.end - triggerAtMs,
      pingSent: pingResult.sent,
      pingReceived: pingResult.received,
    };

    // Checks on this run.
    const slowest = Math.max(result.toMasterMs ?? 0, result.vipOnBackupMs ?? 0);
    if (slowest > limit) {
      note({ ...tag, what: `failover took ${slowest.toFixed(1)} ms (MASTER ${result.toMasterMs?.toFixed(1)} ms, VIP ${result.vipOnBackupMs?.toFixed(1)} ms), more than the expected ${expectedMs.toFixed(1)} ms + ${config.slackMs + TOLERANCE_MS} ms` });
    }
    // carpd's graceful stop is make-before-break (docs/state-machine.md "Graceful stop"): the old
    // master keeps the VIP until it hears the successor's first advert, so the two kernels' address
    // changes may cross by a netlink round trip. Longer than that is an anomaly, as any overlap of a peer is.
    const overlapLimitMs = config.system === 'carpd' ? MAKE_BEFORE_BREAK_OVERLAP_MS : 0;
    if (event === 'graceful' && result.vipOnBackupMs !== null && result.vipOffMasterMs !== null && result.vipOffMasterMs - result.vipOnBackupMs > overlapLimitMs) {
      note({ ...tag, what: `VIP on two hosts for ${(result.vipOffMasterMs - result.vipOnBackupMs).toFixed(1)} ms (b added it at ${result.vipOnBackupMs.toFixed(1)} ms, m removed it at ${result.vipOffMasterMs.toFixed(1)} ms)${overlapLimitMs > 0 ? `, more than the ${overlapLimitMs} ms a make-before-break handover may take` : ''}` });
    }
    if (event === 'graceful' && result.vipOffMasterMs === null) {
      note({ ...tag, what: 'graceful stop: no notification of the VIP leaving the old master', logs: logTails([m, b]) });
    }
    if (b.carpd !== undefined) {
      const after = transitions(b.carpd).slice(bAfterTrigger);
      if (after.length !== 1 || after[0]?.to !== 'master') {
        note({ ...tag, what: `backup logged ${after.length} transitions after the trigger: ${JSON.stringify(after)}`, logs: logTails([m, b]) });
      }
    }

    if (event === 'graceful') {
      const exit = await Promise.race([m.process.exited, sleep(5000).then(() => undefined)]);
      result.masterExit = exit === undefined ? 'no exit within 5 s' : exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
      if (exit === undefined || exit.code !== 0) note({ ...tag, what: `old master after SIGTERM: ${result.masterExit}`, logs: logTails([m]) });
      if (await holds(lab, m.host, config.vip)) note({ ...tag, what: 'old master still holds the VIP after its graceful exit', logs: logTails([m]) });
      const left = (await lab.links('m')).filter((l) => l.name.startsWith('carp')).map((l) => l.name);
      if (left.length > 0) note({ ...tag, what: `old master left virtual interface(s) ${left.join(', ')} after its graceful exit`, logs: logTails([m]) });
    } else {
      result.masterExit = 'SIGKILL';
      result.staleAfterKill = await removeStale(lab, 'm', config);
      await lab.restoreLink('m');
    }
    result.backupExit = await stopDaemon(b);
    if (config.system !== 'ucarp' && result.backupExit !== 'code 0') note({ ...tag, what: `backup's clean stop failed: ${result.backupExit}`, logs: logTails([b]) });
    const left = await removeStale(lab, 'b', config);
    if (left.length > 0) note({ ...tag, what: `b left ${left.join(', ')} after a clean stop`, logs: logTails([b]) });
    return result;
  } catch (error) {
    note({ ...tag, what: `run failed: ${(error as Error).message}`, logs: logTails([m, b]) });
    return null;
  } finally {
    for (const p of helpers) await p.kill();
    for (const d of [m, b]) if (d !== undefined && !d.process.done) await d.process.kill();
    await lab.restoreLink('m').catch(() => undefined);
    for (const h of ['m', 'b']) await removeStale(lab, h, config).catch(() => []);
  }
}

type Stats = Summary | null;

const num = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const fmt = (s: Stats): string => (s === null ? 'n/a' : `${num(s.median)} (${num(s.min)}–${num(s.max)})`);
const ratio = (a: Stats, b: Stats | undefined): string => (a === null || b === null || b === undefined || b.median === 0 ? '–' : `${(a.median / b.median).toFixed(a.median / b.median < 0.1 ? 3 : 2)}`);

function version(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const reason = await Lab.available();
  if (reason !== undefined) {
    process.stderr.write(`failover: cannot run: ${reason}\n`);
    return 2;
  }
  const missing = CONFIGS.map((c) => c.system).filter((s, i, a) => s !== 'carpd' && a.indexOf(s) === i).filter((s) => {
    try {
      execFileSync('sh', ['-c', `command -v ${s}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    process.stderr.write(`failover: cannot run: not installed: ${missing.join(', ')}\n`);
    return 2;
  }
  const command = ['node', ...process.execArgv, 'bench/failover.ts', ...process.argv.slice(2)].join(' ');
  const machine = describeMachine();
  const versions = { ucarp: version('ucarp'), keepalived: version('keepalived') };
  const started = Date.now();
  const groups: { id: string; system: SystemName; setting: string; timer: Timer; event: EventName; expectedMs: number; runs: RunResult[] }[] = [];
  const lab = await Lab.create({ hosts: ['m', 'b', 'client'] });
  try {
    for (const config of CONFIGS) {
      for (const event of EVENTS) {
        const group = { id: config.id, system: config.system, setting: config.setting, timer: config.timer, event, expectedMs: event === 'crash' ? config.masterDownMs : config.gracefulMs, runs: [] as RunResult[] };
        groups.push(group);
        for (let run = 1; run <= RUNS; run += 1) {
          const r = await oneRun(lab, config, event, run);
          if (r !== null) group.runs.push(r);
          process.stderr.write(
            `${label(config)} ${event} run ${run}/${RUNS}: ${r === null ? 'failed' : `master ${r.toMasterMs?.toFixed(1)} ms, VIP ${r.vipOnBackupMs?.toFixed(1)} ms, outage ${r.outageMs?.toFixed(1)} ms (phase ${r.phaseDelayMs} ms)`}\n`,
          );
        }
      }
    }
  } finally {
    await lab.destroy();
    rmSync(workDir, { recursive: true, force: true });
  }

  const summary = groups.map((g) => ({
    id: g.id,
    system: g.system,
    setting: g.setting,
    timer: g.timer,
    event: g.event,
    expectedMs: g.expectedMs,
    runs: g.runs.length,
    toMasterMs: summarize(g.runs.map((r) => r.toMasterMs)),
    vipOnBackupMs: summarize(g.runs.map((r) => r.vipOnBackupMs)),
    firstReplyMs: summarize(g.runs.map((r) => r.outageEndMs)),
    outageMs: summarize(g.runs.map((r) => r.outageMs)),
  }));
  const find = (id: string, event: EventName): (typeof summary)[number] | undefined => summary.find((s) => s.id === id && s.event === event);
  const ratios = summary.map((s) => {
    const u = find('ucarp-1', s.event);
    const k = find(s.timer === 'fast' ? 'keepalived-fast' : 'keepalived-1', s.event);
    return {
      id: s.id,
      event: s.event,
      vsUcarp1: u === undefined ? null : { toMaster: ratio(s.toMasterMs, u.toMasterMs), vipOnBackup: ratio(s.vipOnBackupMs, u.vipOnBackupMs), firstReply: ratio(s.firstReplyMs, u.firstReplyMs) },
      vsKeepalived: k === undefined ? null : { against: k.setting, toMaster: ratio(s.toMasterMs, k.toMasterMs), vipOnBackup: ratio(s.vipOnBackupMs, k.vipOnBackupMs), firstReply: ratio(s.firstReplyMs, k.firstReplyMs) },
    };
  });
  const date = new Date().toISOString();
  const table = [
    '| system | setting | event | runs | expected, ms | (a) trigger → MASTER, ms | (b) trigger → VIP on backup, ms | (c) trigger → client\'s first reply, ms | (d) client outage, ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...summary.map((s) => `| ${s.system} | ${s.setting} | ${s.event} | ${s.runs} | ${num(s.expectedMs)} | ${fmt(s.toMasterMs)} | ${fmt(s.vipOnBackupMs)} | ${fmt(s.firstReplyMs)} | ${fmt(s.outageMs)} |`),
  ].join('\n');
  const ratioTable = [
    '| system | setting | event | vs ucarp advbase 1: (a) / (b) / (c) | vs keepalived (same timer class): (a) / (b) / (c) |',
    '|---|---|---|---|---|',
    ...summary.map((s, i) => {
      const r = ratios[i];
      const u = r?.vsUcarp1 === null || r === undefined ? '–' : `${r.vsUcarp1.toMaster} / ${r.vsUcarp1.vipOnBackup} / ${r.vsUcarp1.firstReply}`;
      const k = r?.vsKeepalived === null || r === undefined ? '–' : `${r.vsKeepalived.toMaster} / ${r.vsKeepalived.vipOnBackup} / ${r.vsKeepalived.firstReply} (${s.timer === 'fast' ? 'advert_int 0.01' : 'advert_int 1'})`;
      return `| ${s.system} | ${s.setting} | ${s.event} | ${u} | ${k} |`;
    }),
  ].join('\n');
  const expectations = [
    'Expected (column "expected"): crash = the backup\'s master-down: carpd 3 × (advbase + advskew/256) s (advbase 1, skew 100: 4172 ms; advbase 0, skew 10: 117 ms; skew 2: 23.4 ms);',
    'ucarp 3 × advbase + advskew/256 s = 3391 ms (+ up to 1000 ms pcap delivery delay); keepalived VRRPv3 3 × advert_int + (256 − 100)/256 × advert_int',
    '(advert_int 1: 3609 ms; 0.01: 36.1 ms). Graceful: carpd bows out (advbase 255 advert), the backup takes over after its own advert interval',
    '(advskew/256 s: 391 ms, 39 ms, 7.8 ms); keepalived sends priority 0, the backup takes over after its skew time (609 ms, 6.1 ms); ucarp sends no leave',
    'advert, so its graceful stop behaves like a crash. Anomaly limit: expected + 100 ms (+ 1000 ms for ucarp).',
  ].join('\n');
  const anomalyLines = anomalies.length === 0 ? ['none'] : anomalies.map((a) => `- ${a.config} ${a.event} run ${a.run}: ${a.what}`);
  const perRun = groups.flatMap((g) => [
    `### ${g.system} ${g.setting}, ${g.event}`,
    '',
    '| run | phase, ms | trigger action, ms | (a) MASTER, ms | (b) VIP on b, ms | VIP off m, ms | (c) first reply, ms | (d) outage, ms | outage window, ms | pings sent/received |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...g.runs.map((r) => `| ${r.run} | ${r.phaseDelayMs} | ${r.triggerActionMs} | ${r.toMasterMs?.toFixed(1) ?? 'n/a'} | ${r.vipOnBackupMs?.toFixed(1) ?? 'n/a'} | ${r.vipOffMasterMs?.toFixed(1) ?? '–'} | ${r.outageEndMs?.toFixed(1) ?? 'n/a'} | ${r.outageMs?.toFixed(1) ?? 'n/a'} | ${r.outageStartMs?.toFixed(1) ?? '?'} → ${r.outageEndMs?.toFixed(1) ?? '?'} | ${r.pingSent}/${r.pingReceived} |`),
    '',
  ]);
  const md = [
    '# Failover: carpd vs ucarp vs keepalived',
    '',
    `- date: ${date}`,
    `- machine: ${machineLine(machine)}`,
    `- ucarp: ${versions.ucarp}; keepalived: ${versions.keepalived}`,
    `- command: \`${command}\``,
    `- setup: one namespace lab (m, b, client on a bridge); client pings the VIP every ${PING_INTERVAL_MS} ms; trigger after a random phase (0–1000 ms for the 1 s timers, 0–100 ms for the fast ones); crash = bridge port of m down + SIGKILL of m's process group; graceful = SIGTERM`,
    `- runs per case: ${RUNS}${QUICK ? ' (--quick)' : ''}; wall time: ${((Date.now() - started) / 1000).toFixed(0)} s; anomalies: ${anomalies.length}`,
    '',
    'Cells: median (min–max) over the runs. (a) carpd: the backup\'s transition log time; ucarp: its up-script start;',
    'keepalived: its notify_master script start. (b) the `ip -ts monitor address` notification in the backup\'s namespace.',
    `(c) the client's first echo reply after the outage, i.e. from the new master; (d) that outage: the longest gap between`,
    `echo replies ending after the trigger (resolution of both: the ${PING_INTERVAL_MS} ms ping interval).`,
    '',
    table,
    '',
    expectations,
    '',
    '## Ratios of the medians (lower is faster)',
    '',
    ratioTable,
    '',
    '## Anomalies',
    '',
    ...anomalyLines,
    '',
    '## Per run (ms from the trigger)',
    '',
    ...perRun,
  ].join('\n');

  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(
    join(OUT_DIR, `${NAME}.json`),
    `${JSON.stringify({ benchmark: NAME, date, machine, versions, command, runsPerCase: RUNS, quick: QUICK, pingIntervalMs: PING_INTERVAL_MS, toleranceMs: TOLERANCE_MS, configs: CONFIGS, summary, ratios, groups, anomalies }, null, 2)}\n`,
  );
  writeFileSync(join(OUT_DIR, `${NAME}.md`), md);
  process.stdout.write(`${table}\n\n${ratioTable}\n\n${expectations}\n\nanomalies: ${anomalies.length}\n${anomalies.length > 0 ? `${anomalyLines.join('\n')}\n` : ''}results: ${join(OUT_DIR, NAME)}.{json,md}\n`);
  return anomalies.some((a) => a.config.startsWith('carpd')) ? 1 : 0;
}

process.exitCode = await main();
