/**
 * Failover timing in the network-namespace lab: carpd (--no-vmac and the default vmac mode)
 * against Debian's ucarp, for a crash of the master (link cut + SIGKILL) and a graceful stop
 * (SIGTERM). Run as root: `node --import tsx bench/lab-failover.ts [--runs N]` (default 5).
 *
 * Per run, with the pair stable (m master with advskew 0, b backup with advskew 100, advbase 1)
 * and a client pinging the VIP every 5 ms, after a random 0–1000 ms sleep (a random phase of the
 * master's advert cycle) the trigger fires and we measure from the trigger's wall-clock time:
 *   (a) the backup's first transition to MASTER: carpd's transition log record `time`; ucarp's
 *       up-script start (`date +%s.%N`, appended to a file by the script);
 *   (b) the VIP configured on the backup: the timestamp `ip -ts monitor address` prints in the
 *       backup's namespace (the same clock, read by the kernel notification's reader);
 *   (c) the client's outage: the longest gap between consecutive echo replies (`ping -D`).
 * Then the old master is restored (stale VIP / virtual interface of a SIGKILLed daemon removed,
 * link restored), restarted with advskew 0 and must come up as backup without preempting; then
 * both are stopped with SIGTERM and must exit cleanly and leave nothing behind.
 *
 * Anything unexpected (two holders, a failover slower than master-down + 100 ms, a preempting
 * restart, an unclean exit, leftovers) is recorded as an anomaly with the daemons' log tails.
 * Results go to bench/results/lab-failover.{json,md}.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab, type LabHost, type LabProcess } from '../src/lab/lab.ts';
import { parsePingOutput } from '../src/lab/ping.ts';
import { groupFlags, holds, phaseOf, startCarpd, transitions, waitForPhase, type CarpdNode } from '../test/integration/carpd-in-lab.ts';

type SystemName = 'carpd' | 'ucarp';
type EventName = 'crash' | 'graceful';

interface Config {
  system: SystemName;
  mode: string;
  vhid: number;
  vip: string;
  vmac: boolean;
}

interface Daemon {
  config: Config;
  host: LabHost;
  process: LabProcess;
  carpd?: CarpdNode;
  /** ucarp: the file its up/down scripts append `up|down <epoch seconds>` lines to. */
  recordFile?: string;
}

interface RunResult {
  run: number;
  phaseDelayMs: number;
  triggerAtMs: number;
  /** Time the trigger's first action took (crash: `ip link set down` of the bridge port). */
  triggerActionMs: number;
  toMasterMs: number | null;
  vipOnBackupMs: number | null;
  /** Graceful: the VIP removed on the old master, relative to the trigger (null when not seen). */
  vipOffMasterMs: number | null;
  outageMs: number | null;
  outageStartMs: number | null;
  outageEndMs: number | null;
  pingSent: number;
  pingReceived: number;
  masterExit?: string;
  /** Crash: what the SIGKILLed master's namespace still held when the link was restored (removed first). */
  staleAfterKill?: string[];
}

interface Anomaly {
  config: string;
  event: EventName | 'setup';
  run: number;
  what: string;
  logs?: Record<string, string[]>;
}

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

const PASS = 'lab-secret';
const ADVBASE = 1;
const MASTER_SKEW = 0;
const BACKUP_SKEW = 100;
const PING_INTERVAL_MS = 5;
/** Master-down of the backup: carpd (OpenBSD) 3 × (advbase + skew/256); ucarp 3 × advbase + skew/256. */
const MASTER_DOWN_MS: Record<SystemName, number> = {
  carpd: 3 * (ADVBASE + BACKUP_SKEW / 256) * 1000,
  ucarp: (3 * ADVBASE + BACKUP_SKEW / 256) * 1000,
};
/** ucarp's pcap loop delivers packets up to 1 s late (PROTOCOL.md), so its timer may fire that much later. */
const UCARP_PCAP_SLACK_MS = 1000;
const TOLERANCE_MS = 100;

const CONFIGS: Config[] = [
  { system: 'carpd', mode: 'no-vmac', vhid: 31, vip: '198.51.100.121', vmac: false },
  { system: 'carpd', mode: 'vmac', vhid: 32, vip: '198.51.100.122', vmac: true },
  { system: 'ucarp', mode: '-', vhid: 33, vip: '198.51.100.123', vmac: false },
];
const EVENTS: EventName[] = ['crash', 'graceful'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const label = (c: Config): string => `${c.system}${c.mode === '-' ? '' : ` ${c.mode}`}`;

const anomalies: Anomaly[] = [];
const scriptDir = mkdtempSync(join(tmpdir(), 'carpd-bench-ucarp-'));
const stateDirs = new Map<string, string>();

function note(anomaly: Anomaly): void {
  anomalies.push(anomaly);
  process.stderr.write(`ANOMALY [${anomaly.config} ${anomaly.event} run ${anomaly.run}]: ${anomaly.what}\n`);
  for (const [name, lines] of Object.entries(anomaly.logs ?? {})) {
    process.stderr.write(`  --- ${name} (last ${lines.length} lines)\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  }
}

function logTails(daemons: (Daemon | undefined)[], count = 40): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [i, d] of daemons.entries()) {
    if (d === undefined) continue;
    const lines = d.process.lines.slice(-count);
    if (d.recordFile !== undefined && existsSync(d.recordFile)) lines.push(...readFileSync(d.recordFile, 'utf8').trim().split('\n').map((l) => `[script] ${l}`));
    out[`${d.host.name}#${i} (pid ${d.process.pid})`] = lines;
  }
  return out;
}

function writeUcarpScripts(host: string): { up: string; down: string; record: string } {
  const record = join(scriptDir, `${host}.rec`);
  const up = join(scriptDir, `up-${host}.sh`);
  const down = join(scriptDir, `down-${host}.sh`);
  // ucarp's scripts get "<interface> <vaddr>" and configure the VIP themselves.
  writeFileSync(up, `#!/bin/sh\necho "up $(date +%s.%N)" >> ${record}\nip addr add "$2/24" dev "$1"\necho "added $(date +%s.%N)" >> ${record}\n`);
  writeFileSync(down, `#!/bin/sh\necho "down $(date +%s.%N)" >> ${record}\nip addr del "$2/24" dev "$1" 2>/dev/null || true\n`);
  chmodSync(up, 0o755);
  chmodSync(down, 0o755);
  return { up, down, record };
}

function startDaemon(lab: Lab, config: Config, hostName: string, advskew: number): Daemon {
  const host = lab.host(hostName);
  if (config.system === 'carpd') {
    const key = `${config.vhid}-${hostName}`;
    let dir = stateDirs.get(key);
    if (dir === undefined) {
      dir = mkdtempSync(join(tmpdir(), `carpd-bench-${hostName}-`));
      stateDirs.set(key, dir);
    }
    const extra = ['--advbase', String(ADVBASE), ...(config.vmac ? [] : ['--no-vmac'])];
    const node = startCarpd(lab, host, groupFlags({ vhid: config.vhid, vip: config.vip, advskew, extra }), dir);
    return { config, host, process: node.process, carpd: node };
  }
  const scripts = writeUcarpScripts(hostName);
  const proc = lab.spawn(host, [
    'ucarp', '--interface=eth0', `--srcip=${host.ipv4}`, `--vhid=${config.vhid}`, `--pass=${PASS}`, `--addr=${config.vip}`,
    `--advbase=${ADVBASE}`, `--advskew=${advskew}`, `--upscript=${scripts.up}`, `--downscript=${scripts.down}`, '--shutdown',
  ]);
  return { config, host, process: proc, recordFile: scripts.record };
}

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function waitMaster(lab: Lab, d: Daemon, timeoutMs: number): Promise<void> {
  if (d.carpd !== undefined) await waitForPhase(d.carpd, 'master', timeoutMs);
  await waitUntil(() => holds(lab, d.host, d.config.vip), timeoutMs, `${d.host.name} to hold ${d.config.vip}`, 50);
}

async function waitBackup(d: Daemon, timeoutMs: number): Promise<void> {
  if (d.carpd !== undefined) await waitForPhase(d.carpd, 'backup', timeoutMs);
  else await sleep(300);
}

/** Epoch ms of the first `kind` record (ucarp scripts) at or after `afterMs`. */
function scriptRecord(d: Daemon, kind: 'up' | 'added' | 'down', afterMs: number): number | null {
  if (d.recordFile === undefined || !existsSync(d.recordFile)) return null;
  for (const line of readFileSync(d.recordFile, 'utf8').split('\n')) {
    const [k, t] = line.split(' ');
    if (k !== kind || t === undefined) continue;
    const ms = Number(t) * 1000;
    if (ms >= afterMs - 50) return ms;
  }
  return null;
}

/** Parses `ip -ts monitor address` lines: `[2026-01-01T12:00:00.123456] [Deleted ]3: eth0 inet VIP/24 ...`. */
function monitorEvents(lines: readonly string[], vip: string): { atMs: number; deleted: boolean }[] {
  const out: { atMs: number; deleted: boolean }[] = [];
  for (const line of lines) {
    const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\]\s*(.*)$/.exec(line);
    if (m === null) continue;
    const rest = m[3] ?? '';
    if (!rest.includes(` ${vip}/`)) continue;
    const base = new Date(m[1] ?? '').getTime(); // no zone suffix: local time, as ip prints it
    const frac = Number(`0.${m[2] ?? '0'}`) * 1000;
    out.push({ atMs: base + frac, deleted: rest.startsWith('Deleted') });
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
  let m2: Daemon | undefined;
  const helpers: LabProcess[] = [];
  try {
    await lab.exec('client', ['ip', 'neigh', 'flush', 'all']);
    m = startDaemon(lab, config, 'm', MASTER_SKEW);
    await waitMaster(lab, m, 8000);
    b = startDaemon(lab, config, 'b', BACKUP_SKEW);
    await waitBackup(b, 5000);
    await sleep(1200);
    const mHolds = await holds(lab, m.host, config.vip);
    const bHolds = await holds(lab, b.host, config.vip);
    if (!mHolds || bHolds || (b.carpd !== undefined && phaseOf(b.carpd) !== 'backup') || (m.carpd !== undefined && phaseOf(m.carpd) !== 'master')) {
      note({ ...tag, what: `pair not stable before the trigger: m holds ${mHolds}, b holds ${bHolds}`, logs: logTails([m, b]) });
    }

    const monB = lab.spawn('b', ['ip', '-ts', 'monitor', 'address']);
    const monM = lab.spawn('m', ['ip', '-ts', 'monitor', 'address']);
    helpers.push(monB, monM);
    const ping = lab.spawn('client', ['ping', '-D', '-n', '-i', (PING_INTERVAL_MS / 1000).toFixed(3), '-W', '1', config.vip]);
    helpers.push(ping);
    await sleep(400);
    const bTransitionsBefore = b.carpd !== undefined ? transitions(b.carpd).length : 0;
    const phaseDelayMs = Math.random() * 1000;
    await sleep(phaseDelayMs);

    const triggerAtMs = Date.now();
    if (event === 'crash') {
      await lab.cutLink('m');
    } else {
      m.process.signal('SIGTERM');
    }
    const triggerActionMs = Date.now() - triggerAtMs;
    if (event === 'crash') await m.process.kill();

    // (a) the backup's first transition to MASTER.
    const expectedMs = event === 'crash' || config.system === 'ucarp' ? MASTER_DOWN_MS[config.system] : (BACKUP_SKEW / 256) * 1000;
    const waitMs = expectedMs + (config.system === 'ucarp' ? UCARP_PCAP_SLACK_MS : 0) + 3000;
    let masterAtMs: number | null = null;
    const bd = b;
    try {
      await waitUntil(() => {
        if (bd.carpd !== undefined) {
          const t = transitions(bd.carpd).slice(bTransitionsBefore).find((x) => x.to === 'master');
          if (t !== undefined) masterAtMs = Date.parse(t.time);
        } else {
          masterAtMs = scriptRecord(bd, 'up', triggerAtMs);
        }
        return masterAtMs !== null;
      }, waitMs, 'the backup to become master');
    } catch {
      note({ ...tag, what: `backup did not become master within ${waitMs} ms of the trigger`, logs: logTails([m, b]) });
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
    await sleep(400);
    ping.signal('SIGINT');
    await Promise.race([ping.exited, sleep(3000)]);
    await monB.kill();
    await monM.kill();

    const pingResult = parsePingOutput(ping.lines.join('\n'));
    const unique = pingResult.replies.filter((r) => !r.duplicate);
    let outage: { gap: number; start: number; end: number } | null = null;
    for (let i = 1; i < unique.length; i += 1) {
      const prev = unique[i - 1];
      const cur = unique[i];
      if (prev === undefined || cur === undefined) continue;
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
    const limit = expectedMs + (config.system === 'ucarp' ? UCARP_PCAP_SLACK_MS : 0) + TOLERANCE_MS;
    if (result.toMasterMs !== null && result.toMasterMs > limit) {
      note({ ...tag, what: `failover took ${result.toMasterMs.toFixed(1)} ms, more than the expected ${expectedMs.toFixed(1)} ms + slack (limit ${limit.toFixed(0)} ms)`, logs: logTails([m, b]) });
    }
    if (event === 'crash' && config.system === 'carpd' && result.toMasterMs !== null && result.toMasterMs < MASTER_DOWN_MS.carpd - 1000 - TOLERANCE_MS) {
      note({ ...tag, what: `failover after only ${result.toMasterMs.toFixed(1)} ms: earlier than master-down minus one advert interval`, logs: logTails([m, b]) });
    }
    if (event === 'graceful' && result.vipOnBackupMs !== null && result.vipOffMasterMs !== null && result.vipOnBackupMs < result.vipOffMasterMs) {
      note({ ...tag, what: `both held the VIP for ${(result.vipOffMasterMs - result.vipOnBackupMs).toFixed(1)} ms (b added it at ${result.vipOnBackupMs.toFixed(1)} ms, m removed it at ${result.vipOffMasterMs.toFixed(1)} ms)`, logs: logTails([m, b]) });
    }
    if (event === 'graceful' && result.vipOffMasterMs === null) {
      note({ ...tag, what: 'graceful stop: no notification of the VIP leaving the old master', logs: logTails([m, b]) });
    }
    if (b.carpd !== undefined) {
      const after = transitions(b.carpd).slice(bTransitionsBefore);
      if (after.length !== 1 || after[0]?.to !== 'master') {
        note({ ...tag, what: `backup logged ${after.length} transitions after the trigger: ${JSON.stringify(after)}`, logs: logTails([m, b]) });
      }
    }

    // Restore: the old master comes back (stale state of a killed daemon removed first, as a reboot would).
    if (event === 'graceful') {
      const exit = await Promise.race([m.process.exited, sleep(5000).then(() => undefined)]);
      result.masterExit = exit === undefined ? 'no exit within 5 s' : exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
      if (exit === undefined || exit.code !== 0) note({ ...tag, what: `old master after SIGTERM: ${result.masterExit}`, logs: logTails([m]) });
      if (await holds(lab, m.host, config.vip)) note({ ...tag, what: 'old master still holds the VIP after its graceful exit', logs: logTails([m]) });
      const left = (await lab.links('m')).filter((l) => l.name.startsWith('carp')).map((l) => l.name);
      if (left.length > 0) note({ ...tag, what: `old master left virtual interface(s) ${left.join(', ')} after its graceful exit`, logs: logTails([m]) });
      await removeStale(lab, 'm', config);
    } else {
      result.masterExit = 'SIGKILL';
      result.staleAfterKill = await removeStale(lab, 'm', config);
      await lab.restoreLink('m');
    }
    m2 = startDaemon(lab, config, 'm', MASTER_SKEW);
    await waitBackup(m2, 5000);
    await sleep(1200);
    const m2Holds = await holds(lab, m2.host, config.vip);
    const bStillHolds = await holds(lab, b.host, config.vip);
    const m2Phase = m2.carpd !== undefined ? phaseOf(m2.carpd) : m2Holds ? 'master' : 'backup';
    const bPhase = b.carpd !== undefined ? phaseOf(b.carpd) : bStillHolds ? 'master' : 'backup';
    if (m2Holds || !bStillHolds || m2Phase !== 'backup' || bPhase !== 'master') {
      note({ ...tag, what: `after the old master's restart: m holds ${m2Holds} (${m2Phase}), b holds ${bStillHolds} (${bPhase}); expected only b`, logs: logTails([m2, b]) });
    }

    // Stop everything cleanly.
    const [e1, e2] = await Promise.all([stopDaemon(m2), stopDaemon(b)]);
    if (config.system === 'carpd' && (e1 !== 'code 0' || e2 !== 'code 0')) {
      note({ ...tag, what: `clean stop failed: m ${e1}, b ${e2}`, logs: logTails([m2, b]) });
    }
    for (const h of ['m', 'b']) {
      const left = await removeStale(lab, h, config);
      if (left.length > 0) note({ ...tag, what: `${h} left ${left.join(', ')} after a clean stop`, logs: logTails([h === 'm' ? m2 : b]) });
    }
    m2 = undefined;
    b = undefined;
    m = undefined;
    return result;
  } catch (error) {
    note({ ...tag, what: `run failed: ${(error as Error).message}`, logs: logTails([m, b, m2]) });
    return null;
  } finally {
    for (const p of helpers) await p.kill();
    for (const d of [m, b, m2]) if (d !== undefined && !d.process.done) await d.process.kill();
    await lab.restoreLink('m').catch(() => undefined);
    for (const h of ['m', 'b']) await removeStale(lab, h, config).catch(() => []);
  }
}

function stats(xs: (number | null)[]): { median: number; min: number; max: number; n: number } | null {
  const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? (v[mid] ?? 0) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
  return { median, min: v[0] ?? 0, max: v.at(-1) ?? 0, n: v.length };
}

const fmt = (s: ReturnType<typeof stats>): string => (s === null ? 'n/a' : `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`);

async function main(): Promise<number> {
  const reason = await Lab.available();
  if (reason !== undefined) {
    process.stderr.write(`lab-failover: cannot run: ${reason}\n`);
    return 2;
  }
  const command = ['node', ...process.execArgv, 'bench/lab-failover.ts', ...process.argv.slice(2)].join(' ');
  const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  let ucarpVersion = 'unknown';
  try {
    ucarpVersion = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'ucarp'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a Debian system; keep unknown.
  }
  const started = Date.now();
  const groups: { system: SystemName; mode: string; event: EventName; runs: RunResult[] }[] = [];
  const lab = await Lab.create({ hosts: ['m', 'b', 'client'] });
  try {
    for (const config of CONFIGS) {
      for (const event of EVENTS) {
        const group = { system: config.system, mode: config.mode, event, runs: [] as RunResult[] };
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
    rmSync(scriptDir, { recursive: true, force: true });
    for (const dir of stateDirs.values()) rmSync(dir, { recursive: true, force: true });
  }

  const summary = groups.map((g) => ({
    system: g.system,
    mode: g.mode,
    event: g.event,
    runs: g.runs.length,
    toMasterMs: stats(g.runs.map((r) => r.toMasterMs)),
    vipOnBackupMs: stats(g.runs.map((r) => r.vipOnBackupMs)),
    outageMs: stats(g.runs.map((r) => r.outageMs)),
  }));
  const date = new Date().toISOString();
  const table = [
    '| system | mode | event | runs | (a) trigger → MASTER, ms | (b) trigger → VIP on backup, ms | (c) client outage, ms |',
    '|---|---|---|---|---|---|---|',
    ...summary.map((s) => `| ${s.system} | ${s.mode} | ${s.event} | ${s.runs} | ${fmt(s.toMasterMs)} | ${fmt(s.vipOnBackupMs)} | ${fmt(s.outageMs)} |`),
  ].join('\n');
  const expectations =
    `Expected: crash ≤ master-down (carpd 3 × (1 + 100/256) s = ${MASTER_DOWN_MS.carpd.toFixed(0)} ms; ` +
    `ucarp 3 × 1 + 100/256 s = ${MASTER_DOWN_MS.ucarp.toFixed(0)} ms, plus up to ${UCARP_PCAP_SLACK_MS} ms pcap delay), ` +
    `at least master-down − 1 advert interval; carpd graceful ≈ backup skew ${((BACKUP_SKEW / 256) * 1000).toFixed(0)} ms (bow-out); ` +
    'ucarp sends no leave advert, so its graceful stop behaves as a crash.';
  const md = [
    '# Lab failover: carpd vs ucarp',
    '',
    `- date: ${date}`,
    `- kernel: ${kernel}`,
    `- node: ${process.version}`,
    `- cpu: ${cpu}`,
    `- ucarp: ${ucarpVersion}`,
    `- command: \`${command}\``,
    `- setup: advbase ${ADVBASE}, master advskew ${MASTER_SKEW}, backup advskew ${BACKUP_SKEW}; client pings the VIP every ${PING_INTERVAL_MS} ms; trigger after a random 0–1000 ms`,
    `- crash runs where the SIGKILLed master still held the VIP / virtual interface at restore time: ${groups.flatMap((g) => g.runs).filter((r) => (r.staleAfterKill?.length ?? 0) > 0).length} of ${groups.flatMap((g) => g.runs).filter((r) => r.masterExit === 'SIGKILL').length}`,
    `- wall time: ${((Date.now() - started) / 1000).toFixed(0)} s, anomalies: ${anomalies.length}`,
    '',
    'Cells: median (min–max) over the runs. (a) carpd: the backup\'s transition log time; ucarp: its up-script start.',
    '(b) the `ip -ts monitor address` notification in the backup\'s namespace. (c) longest gap between echo replies.',
    '',
    table,
    '',
    expectations,
    '',
  ].join('\n');

  const outDir = resolve(import.meta.dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'lab-failover.json'),
    `${JSON.stringify({ benchmark: 'lab-failover', date, kernel, node: process.version, cpu, ucarp: ucarpVersion, command, runsPerCase: RUNS, advbase: ADVBASE, masterAdvskew: MASTER_SKEW, backupAdvskew: BACKUP_SKEW, pingIntervalMs: PING_INTERVAL_MS, expectedMasterDownMs: MASTER_DOWN_MS, summary, groups, anomalies }, null, 2)}\n`,
  );
  writeFileSync(join(outDir, 'lab-failover.md'), md);
  process.stdout.write(`${table}\n\n${expectations}\nanomalies: ${anomalies.length}\n`);
  return 0;
}

process.exitCode = await main();
