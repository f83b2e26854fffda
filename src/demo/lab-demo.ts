/**
 * The live demo in network namespaces: three real carpd daemons on a bridged lab segment and a
 * client pinging the virtual address every 10 ms. The master loses power (link cut + SIGKILL), a
 * backup takes over; the old master comes back and preempts; then it stops gracefully (bow-out)
 * and hands over almost at once. Prints a live timeline and the outages the client measured.
 *
 * It drives the test lab (src/lab), so it needs root and iproute2/nftables/ping; `carpd demo`
 * falls back to the simulated LAN otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../package-root.ts';
import { protocolModule } from '../protocols/index.ts';
import { Lab, type LabHost, type LabProcess } from '../lab/lab.ts';

/** CARP's master-down at advbase 1 and this advskew (µs): the lab demo's daemons run CARP at their defaults. */
function carpMasterDownMicros(advskew: number): number {
  return protocolModule('carp').sim.masterDownMicros({ name: 'demo', id: 1, virtualAddresses: [], sourceAddresses: {}, rank: advskew, intervalSeconds: 1, preempt: true });
}
import { parsePingOutput, type PingReply } from '../lab/ping.ts';

const VHID = 1;
const VIP = '198.51.100.100';
const VMAC = '00:00:5e:00:01:01';
const PASSPHRASE = 'demo-secret';
const SERVERS = [
  { name: 'alpha', advskew: 0 },
  { name: 'bravo', advskew: 50 },
  { name: 'charlie', advskew: 100 },
] as const;
const CARPD = join(packageRoot(), 'bin', 'carpd');
/** A gap between two client replies longer than this is reported as an outage (pings are 10 ms apart). */
const OUTAGE_MS = 50;

/** One carpd process in a lab host; a restart makes a new one with the same state directory. */
interface Daemon {
  readonly name: string;
  readonly host: LabHost;
  readonly process: LabProcess;
  /** Lines of `process` already looked at by the timeline. */
  seen: number;
  /** The last phase it logged ('init' before any). */
  phase: string;
  /** Transitions it logged, with their wall-clock time (ms since the epoch). */
  readonly transitions: { to: string; reason: string; atMs: number }[];
}

/** Follows daemons and the client's ping, printing each transition and outage once. */
class Timeline {
  readonly replies: PingReply[] = [];
  private readonly daemons: Daemon[] = [];
  private ping: { process: LabProcess; seen: number } | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly startMs: number,
    private readonly print: (line: string) => void,
  ) {
    this.timer = setInterval(() => this.poll(), 10);
  }

  stamp(atMs: number): string {
    return `+${((atMs - this.startMs) / 1000).toFixed(3).padStart(7)}s`;
  }

  line(atMs: number, text: string): void {
    this.print(`${this.stamp(atMs)}  ${text}`);
  }

  /** A line without a time stamp. */
  plain(text: string): void {
    this.print(text);
  }

  follow(daemon: Daemon): void {
    this.daemons.push(daemon);
  }

  followPing(process: LabProcess): void {
    this.ping = { process, seen: 0 };
  }

  /** Reads every new line now (also called before any decision, so nothing is stale). */
  poll(): void {
    // Collected first and printed in time order: the daemons' logs arrive on separate pipes.
    const pending: { atMs: number; text: string }[] = [];
    for (const daemon of this.daemons) this.pollDaemon(daemon, pending);
    pending.sort((a, b) => a.atMs - b.atMs);
    for (const { atMs, text } of pending) this.line(atMs, text);
    if (this.ping !== undefined) this.pollPing(this.ping);
  }

  stop(): void {
    this.poll();
    clearInterval(this.timer);
  }

  private pollDaemon(daemon: Daemon, pending: { atMs: number; text: string }[]): void {
    const lines = daemon.process.lines;
    for (; daemon.seen < lines.length; daemon.seen++) {
      const record = parseRecord(lines[daemon.seen] ?? '');
      if (record === undefined) continue;
      const { from, to, reason, time } = record;
      if (typeof to !== 'string' || typeof reason !== 'string' || typeof from !== 'string') continue;
      const atMs = typeof time === 'string' ? Date.parse(time) : Date.now();
      daemon.phase = to;
      daemon.transitions.push({ to, reason, atMs });
      const peer = typeof record['peer'] === 'string' ? `, peer ${record['peer']}` : '';
      pending.push({ atMs, text: `${daemon.name.padEnd(8)} ${from.toUpperCase().padEnd(6)} -> ${to.toUpperCase().padEnd(6)} (${reason}${peer})` });
    }
  }

  private pollPing(ping: { process: LabProcess; seen: number }): void {
    const lines = ping.process.lines;
    for (; ping.seen < lines.length; ping.seen++) {
      const reply = parsePingOutput(lines[ping.seen] ?? '').replies[0];
      if (reply === undefined || reply.duplicate) continue;
      const previous = this.replies.at(-1);
      this.replies.push(reply);
      if (previous === undefined) {
        this.line(reply.atMs, `client   first reply from ${VIP} (icmp_seq ${reply.seq})`);
      } else if (reply.atMs - previous.atMs > OUTAGE_MS) {
        const lost = reply.seq - previous.seq - 1;
        this.line(reply.atMs, `client   replies resumed after ${(reply.atMs - previous.atMs).toFixed(0)} ms (${lost} requests unanswered)`);
      }
    }
  }
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The longest time between consecutive replies around [fromMs, toMs]: the outage the client saw. */
function longestGapMs(replies: readonly PingReply[], fromMs: number, toMs: number): number | undefined {
  let longest: number | undefined;
  for (let i = 1; i < replies.length; i++) {
    const a = replies[i - 1];
    const b = replies[i];
    if (a === undefined || b === undefined || b.atMs <= fromMs || a.atMs >= toMs) continue;
    longest = Math.max(longest ?? 0, b.atMs - a.atMs);
  }
  return longest;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `predicate` holds; false after timeoutMs. */
async function until(timeline: Timeline, predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    timeline.poll();
    if (predicate()) return true;
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
}

/** The daemon's first transition to `phase` after its `after`-th. */
function transitionTo(daemon: Daemon, phase: string, after: number): { atMs: number; reason: string } | undefined {
  return daemon.transitions.slice(after).find((t) => t.to === phase);
}

/** The lab, its daemons and the client's ping: what the scenario steps share. */
class DemoLab {
  readonly daemons = new Map<string, Daemon>();
  private readonly stateDirs = new Map<string, string>();
  /** Every ARP entry shown, in order. */
  readonly arpSeen: string[] = [];

  constructor(
    readonly lab: Lab,
    readonly timeline: Timeline,
  ) {}

  start(name: string): Daemon {
    const spec = SERVERS.find((s) => s.name === name);
    if (spec === undefined) throw new Error(`lab demo: no server ${name}`);
    let stateDir = this.stateDirs.get(name);
    if (stateDir === undefined) {
      stateDir = mkdtempSync(join(tmpdir(), `carpd-demo-${name}-`));
      this.stateDirs.set(name, stateDir);
    }
    const host = this.lab.host(name);
    const argv = [process.execPath, CARPD, '--interface', 'eth0', '--vhid', String(VHID), '--pass', PASSPHRASE, '--addr', VIP];
    argv.push('--advskew', String(spec.advskew), '--preempt', '--state-dir', stateDir, '--control', join(stateDir, 'carpd.sock'));
    const daemon: Daemon = { name, host, process: this.lab.spawn(host, argv), seen: 0, phase: 'init', transitions: [] };
    this.daemons.set(name, daemon);
    this.timeline.follow(daemon);
    return daemon;
  }

  daemon(name: string): Daemon {
    const daemon = this.daemons.get(name);
    if (daemon === undefined) throw new Error(`lab demo: ${name} was never started`);
    return daemon;
  }

  /** Waits for a transition of `name` to `phase` after its `after`-th; throws with its log on timeout. */
  async waitPhase(name: string, phase: string, timeoutMs: number, after = 0): Promise<{ atMs: number; reason: string }> {
    const daemon = this.daemon(name);
    await until(this.timeline, () => transitionTo(daemon, phase, after) !== undefined || daemon.process.done, timeoutMs);
    const found = transitionTo(daemon, phase, after);
    if (found === undefined) {
      const why = daemon.process.done ? 'carpd ended' : `no transition to ${phase} within ${timeoutMs} ms`;
      throw new Error(`${name}: ${why}:\n${daemon.process.lines.slice(-15).join('\n')}`);
    }
    return found;
  }

  /** The client's neighbour entry for the VIP, and whose MAC it is. */
  async arpEntry(): Promise<string> {
    const result = await this.lab.exec('client', ['ip', 'neigh', 'show', VIP]);
    const entry = result.stdout.trim();
    const mac = /lladdr ([0-9a-f:]+)/.exec(entry)?.[1];
    if (mac === undefined) return entry === '' ? '(no entry)' : entry;
    const owner = mac === VMAC ? 'the virtual MAC' : this.lab.allHosts().find((h) => h.mac === mac)?.name;
    return `${entry}  [${owner === undefined ? 'unknown MAC' : owner === 'the virtual MAC' ? owner : `NOT the virtual MAC: ${owner}'s eth0`}]`;
  }

  async holders(): Promise<string[]> {
    const out: string[] = [];
    for (const { name } of SERVERS) {
      const addresses = await this.lab.addresses(name);
      if (addresses.some((a) => a.split('/')[0] === VIP)) out.push(name);
    }
    return out;
  }

  /** Prints the client's ARP entry for the VIP and who holds the VIP; remembers the MACs seen. */
  async showArp(): Promise<void> {
    const arp = await this.arpEntry();
    this.arpSeen.push(arp);
    this.timeline.line(Date.now(), `client   ARP: ${arp}`);
    this.timeline.line(Date.now(), `         VIP configured on: ${(await this.holders()).join(', ') || 'nobody'}`);
  }

  /** SIGTERM every live daemon and wait for each (SIGKILL after 5 s). */
  async stopAll(): Promise<void> {
    const live = [...this.daemons.values()].filter((d) => !d.process.done);
    for (const d of live) d.process.signal('SIGTERM');
    await Promise.all(live.map(async (d) => {
      const exited = await Promise.race([d.process.exited, sleep(5000).then(() => undefined)]);
      if (exited === undefined) await d.process.kill();
    }));
  }

  removeStateDirs(): void {
    for (const dir of this.stateDirs.values()) rmSync(dir, { recursive: true, force: true });
  }
}

/** What the scenario measured, for the summary. */
interface Measured {
  crashFailoverMs?: number;
  crashOutageMs?: number;
  preemptOutageMs?: number;
  gracefulFailoverMs?: number;
  gracefulOutageMs?: number;
  alphaExit?: number | null;
}

/** Runs the scenario and prints the timeline; true when it ends with exactly one master holding the VIP. */
export async function runLabDemo(print: (line: string) => void): Promise<boolean> {
  print(`carpd demo: 3 carpd daemons in network namespaces on one bridge, vhid ${VHID}, virtual address ${VIP}`);
  const createdAt = Date.now();
  const lab = await Lab.create({ hosts: [...SERVERS.map((s) => s.name), 'client'] });
  const onSigint = (): void => {
    print('interrupted: stopping the daemons and tearing down the lab');
    void lab.destroy().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  const timeline = new Timeline(Date.now(), print);
  const demo = new DemoLab(lab, timeline);
  try {
    printSetup(lab, print, Date.now() - createdAt);
    const measured: Measured = {};
    await electAndCrash(demo, measured);
    await rejoinAndStop(demo, measured);
    return await finish(demo, measured);
  } finally {
    process.removeListener('SIGINT', onSigint);
    timeline.stop();
    await demo.stopAll().catch(() => undefined);
    await lab.destroy();
    demo.removeStateDirs();
  }
}

function printSetup(lab: Lab, print: (line: string) => void, buildMs: number): void {
  print(`lab built in ${buildMs} ms (namespaces ${lab.prefix}-*, bridge ${lab.bridge})`);
  for (const { name, advskew } of SERVERS) {
    const md = carpMasterDownMicros(advskew) / 1e6;
    print(`  ${name.padEnd(8)} ${lab.host(name).ipv4.padEnd(14)} advbase 1  advskew ${String(advskew).padStart(3)}  master-down ${md.toFixed(3)} s  preempt on`);
  }
  print(`  ${'client'.padEnd(8)} ${lab.host('client').ipv4.padEnd(14)} pings ${VIP} every 10 ms`);
  print('');
}

async function electAndCrash(demo: DemoLab, measured: Measured): Promise<void> {
  const { lab, timeline } = demo;
  for (const { name } of SERVERS) demo.start(name);
  timeline.line(Date.now(), 'started carpd on alpha, bravo and charlie');
  await demo.waitPhase('alpha', 'master', 8_000);
  await demo.waitPhase('bravo', 'backup', 4_000);
  await demo.waitPhase('charlie', 'backup', 4_000);
  explainEarlyMasters(demo);
  timeline.followPing(lab.spawn('client', ['ping', '-D', '-n', '-i', '0.01', VIP]));
  await until(timeline, () => timeline.replies.length > 0, 3_000);
  await sleep(Math.max(1_500, timeline.startMs + 5_500 - Date.now()));
  await demo.showArp();

  const bravo = demo.daemon('bravo');
  const bravoBefore = bravo.transitions.length;
  timeline.line(Date.now(), '** alpha loses power: carpd SIGKILLed, link cut (no bow-out, no last words) **');
  // Killed first, so that the daemon never sees its link go down and cannot react to it; alpha's
  // kernel still answers pings until the cut, so the failover is timed from the cut.
  await demo.daemon('alpha').process.kill();
  await lab.cutLink('alpha');
  const crashAt = Date.now();
  // A machine without power keeps nothing: take away the carp1 (VIP, virtual MAC) the killed
  // daemon could not remove, or it would reappear on the LAN with the link before carpd restarts.
  await lab.exec('alpha', ['ip', 'link', 'del', `carp${VHID}`]);
  const takeover = await demo.waitPhase('bravo', 'master', 6_000, bravoBefore);
  measured.crashFailoverMs = takeover.atMs - crashAt;
  await until(timeline, () => (timeline.replies.at(-1)?.atMs ?? 0) > takeover.atMs, 2_000);
  await sleep(800);
  timeline.poll();
  measured.crashOutageMs = longestGapMs(timeline.replies, crashAt, Date.now());
  timeline.line(Date.now(), `   failover: bravo master ${ms(measured.crashFailoverMs)} after the cut; client outage ${ms(measured.crashOutageMs)}`);
  await demo.showArp();
}

/**
 * Node's start-up on a busy machine can bring a worse node up long enough before alpha that its
 * master-down interval ends first: it is master until alpha, preempting, takes over. Said plainly
 * so that the timeline does not look like a wrong election.
 */
function explainEarlyMasters(demo: DemoLab): void {
  const early = SERVERS.filter(({ name }) => name !== 'alpha' && transitionTo(demo.daemon(name), 'master', 0) !== undefined);
  for (const { name } of early) {
    demo.timeline.line(Date.now(), `   ${name} started before alpha and heard no master within its master-down interval; alpha, better and preempting, took over`);
  }
}

async function rejoinAndStop(demo: DemoLab, measured: Measured): Promise<void> {
  const { lab, timeline } = demo;
  const rejoinAt = Date.now();
  timeline.line(rejoinAt, '** alpha powers up again: link restored, carpd restarted (best advskew, preempt on) **');
  await lab.restoreLink('alpha');
  demo.start('alpha');
  await demo.waitPhase('alpha', 'master', 8_000);
  await sleep(1_500);
  timeline.poll();
  measured.preemptOutageMs = longestGapMs(timeline.replies, rejoinAt, Date.now());

  const bravo = demo.daemon('bravo');
  const bravoBefore = bravo.transitions.length;
  const alpha = demo.daemon('alpha');
  const stopAt = Date.now();
  timeline.line(stopAt, '** alpha stops gracefully: SIGTERM, it sends a bow-out advert (advbase 255, advskew 255) **');
  alpha.process.signal('SIGTERM');
  const takeover = await demo.waitPhase('bravo', 'master', 3_000, bravoBefore);
  measured.gracefulFailoverMs = takeover.atMs - stopAt;
  const exit = await Promise.race([alpha.process.exited, sleep(5_000).then(() => undefined)]);
  measured.alphaExit = exit === undefined ? null : exit.code;
  timeline.line(Date.now(), `alpha    carpd exited with status ${measured.alphaExit ?? 'none (still running after 5 s)'}`);
  await sleep(1_000);
  timeline.poll();
  measured.gracefulOutageMs = longestGapMs(timeline.replies, stopAt, Date.now());
  timeline.line(Date.now(), `   handover: bravo master ${ms(measured.gracefulFailoverMs)} after SIGTERM; client outage ${ms(measured.gracefulOutageMs)}`);
  await demo.showArp();
}

async function finish(demo: DemoLab, measured: Measured): Promise<boolean> {
  const { timeline } = demo;
  timeline.poll();
  const masters = [...demo.daemons.values()].filter((d) => !d.process.done && d.phase === 'master').map((d) => d.name);
  const holders = await demo.holders();
  const ok =
    masters.length === 1 &&
    holders.length === 1 &&
    holders[0] === masters[0] &&
    measured.crashFailoverMs !== undefined &&
    measured.gracefulFailoverMs !== undefined &&
    measured.alphaExit === 0;
  const arpVirtual = demo.arpSeen.filter((a) => a.includes(`lladdr ${VMAC}`)).length;
  const arpSummary =
    arpVirtual === demo.arpSeen.length
      ? `the client's ARP entry for ${VIP} was ${VMAC} every time (${arpVirtual} looks)`
      : `the client's ARP entry for ${VIP} was ${VMAC} in ${arpVirtual} of ${demo.arpSeen.length} looks; otherwise a server's real eth0 MAC`;
  const bravoDown = carpMasterDownMicros(50) / 1000;
  timeline.stop();
  const sent = timeline.replies.at(-1)?.seq ?? 0;
  const out: string[] = [
    '',
    'summary:',
    `  crash (power cut):   bravo master after ${ms(measured.crashFailoverMs)}, client outage ${ms(measured.crashOutageMs)}`,
    `                       bravo's master-down interval: 3 × (1 + 50/256) s = ${bravoDown.toFixed(0)} ms after alpha's last advert`,
    `                       (alpha advertised every 1 s, so the cut came 0–1 s after its last advert)`,
    `  preemption (rejoin): client outage ${ms(measured.preemptOutageMs)}`,
    `  graceful (bow-out):  bravo master after ${ms(measured.gracefulFailoverMs)}, client outage ${ms(measured.gracefulOutageMs)}`,
    `                       bravo's skew time 50/256 s = ${(50_000 / 256).toFixed(0)} ms`,
    `  client: ${timeline.replies.length} replies to ${sent} pings; ${arpSummary}`,
    `  final master ${masters.join(', ') || 'none'}; VIP held by ${holders.join(', ') || 'nobody'}`,
    ok ? 'result: OK, exactly one master holds the address' : `result: FAILED (masters ${JSON.stringify(masters)}, holders ${JSON.stringify(holders)}, alpha exit ${measured.alphaExit})`,
  ];
  for (const text of out) timeline.plain(text);
  return ok;
}

function ms(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${value.toFixed(0)} ms`;
}
