/**
 * Issue 19 item 4: a graceful stop of a master of 254 groups is make-before-break. Two nodes,
 * 254 groups each (one carpd per node); the master is SIGTERMed. Read from `ip -ts monitor
 * address` in both namespaces (one host clock): every VIP's dark time, from its removal on the
 * old master to its addition on the new one, is at most 1 s; the stopping daemon exits within
 * its bound (docs/state-machine.md, "Graceful stop"); a client pinging a few VIPs gets replies.
 *
 * The old master's adverts are dropped on the bridge for the first DROP_MS after the signal, so
 * its first bow-out is lost for every group, as the fault hunt saw for some of them: the
 * backups then hear of the stop only from a repeated bow-out (or their master-down interval).
 * Knobs for before/after measurements (defaults are the test's): CARPD_GSTOP_DROP_MS (0: no
 * loss), CARPD_GSTOP_CARPD (another build's bin/carpd, e.g. main's, to measure it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Lab, type LabProcess } from '../../src/lab/lab.ts';
import { parseIpMonitorLine } from '../../src/lab/ip-monitor-line.ts';
import { GRACEFUL_STOP_HOLD_MAX_MICROS } from '../../src/fsm/intervals.ts';

const skip = await Lab.available();
const CARPD = process.env['CARPD_GSTOP_CARPD'] ?? resolve(import.meta.dirname, '../../bin/carpd');
const CARPCTL = resolve(import.meta.dirname, '../../bin/carpctl');
const DROP_MS = Math.max(0, Math.min(2000, Number(process.env['CARPD_GSTOP_DROP_MS'] ?? 300)));
const GROUPS = 254;
/** The target of issue 19 item 4. */
const MAX_DARK_MS = 1000;
/**
 * The stop's bound: the VIP hold (at most 4 s, GRACEFUL_STOP_HOLD_MAX_MICROS) plus releasing the
 * groups and deleting their carp<vhid> interfaces, which the kernel does one by one (about 20 ms
 * each here: 30 ms allowed). Measured 6.1-8.3 s; main, without the hold, 4.9 s.
 */
const MAX_STOP_MS = GRACEFUL_STOP_HOLD_MAX_MICROS / 1000 + GROUPS * 30;
const PINGED = [201, 230, 254];

/** vhid 1..200: 203.0.113.vhid; 201..254: 198.51.100.(vhid-150), where the client has its address. */
function vipOf(vhid: number): string {
  return vhid <= 200 ? `203.0.113.${vhid}` : `198.51.100.${vhid - 150}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Node {
  readonly name: string;
  readonly dir: string;
  readonly process: LabProcess;
}

function startNode(lab: Lab, base: string, name: string, advskew: number, preempt = false): Node {
  const dir = join(base, name);
  mkdirSync(join(dir, 'state'), { recursive: true });
  const lines = [`state_directory: ${join(dir, 'state')}`, `control_socket: ${join(dir, 'carpd.sock')}`, 'log_level: warn', 'defaults:', '  passphrase: stop-secret', '  advbase: 1', `  advskew: ${advskew}`, `  preempt: ${preempt}`, 'groups:'];
  for (let vhid = 1; vhid <= GROUPS; vhid++) lines.push(`  - { interface: eth0, vhid: ${vhid}, addresses: [${vipOf(vhid)}/24] }`);
  writeFileSync(join(dir, 'carpd.yaml'), lines.join('\n') + '\n');
  return { name, dir, process: lab.spawn(name, [process.execPath, CARPD, '--config', join(dir, 'carpd.yaml')]) };
}

async function states(lab: Lab, node: Node): Promise<string[] | undefined> {
  const result = await lab.exec(node.name, [process.execPath, CARPCTL, '--control', join(node.dir, 'carpd.sock'), 'status', '--json'], { timeoutMs: 20_000 });
  if (result.code !== 0) return undefined;
  return (JSON.parse(result.stdout) as { groups: { state: string }[] }).groups.map((g) => g.state);
}

async function waitAll(lab: Lab, node: Node, state: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = await states(lab, node);
    if (now !== undefined && now.length === GROUPS && now.every((s) => s === state)) return;
    if (node.process.done) throw new Error(`${node.name} exited:\n${node.process.lines.slice(-10).join('\n')}`);
    await sleep(500);
  }
  throw new Error(`${node.name}: not all ${state} within ${timeoutMs} ms`);
}

/** VIP → time (ms) of its first `added`/`removed` event in the monitor's lines after t0. */
function addressEvents(lines: readonly string[], kind: 'added' | 'removed', t0: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines) {
    const parsed = parseIpMonitorLine(line);
    if (parsed === undefined || parsed.atMs < t0) continue;
    const deleted = parsed.event.startsWith('Deleted ');
    if (deleted !== (kind === 'removed')) continue;
    const m = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(parsed.event);
    if (m?.[1] !== undefined && !out.has(m[1])) out.set(m[1], parsed.atMs);
  }
  return out;
}

/** Dark times of a handover from `from` to `to`, read from their monitors' lines after t0. */
function handover(lines: { from: readonly string[]; to: readonly string[] }, t0: number): { dark: Map<string, number>; summary: Record<string, number> } {
  const vips = Array.from({ length: GROUPS }, (_, i) => vipOf(i + 1));
  const removed = addressEvents(lines.from, 'removed', t0);
  const added = addressEvents(lines.to, 'added', t0);
  const dark = darkTimes(removed, added, vips);
  const darks = [...dark.values()].sort((x, y) => x - y);
  return {
    dark,
    summary: {
      darkMedianMs: darks[darks.length >> 1] ?? NaN,
      darkMaxMs: darks.at(-1) ?? NaN,
      removedSeen: removed.size,
      addedSeen: added.size,
      firstRemoveMs: Math.min(...removed.values()) - t0,
      lastAddMs: Math.max(...added.values()) - t0,
    },
  };
}

/** Per-VIP dark time (ms): removed on the old master → added on the new one; Infinity when never added. */
function darkTimes(removed: Map<string, number>, added: Map<string, number>, vips: readonly string[]): Map<string, number> {
  const dark = new Map<string, number>();
  for (const vip of vips) {
    const off = removed.get(vip);
    const on = added.get(vip);
    dark.set(vip, on === undefined ? Infinity : off === undefined ? 0 : Math.max(0, on - off));
  }
  return dark;
}

test('lab: SIGTERM on a master of 254 groups: every VIP dark at most 1 s, the stop bounded, pings answered; then preempted back, dark at most 1 s', { skip: skip ?? false, timeout: 200_000 }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'carpd-gstop-'));
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'] });
  try {
    const a = startNode(lab, base, 'a', 0);
    await waitAll(lab, a, 'MASTER', 60_000);
    const b = startNode(lab, base, 'b', 20);
    await waitAll(lab, b, 'BACKUP', 60_000);
    await sleep(1500);
    const monitors = { a: lab.spawn('a', ['ip', '-ts', 'monitor', 'address']), b: lab.spawn('b', ['ip', '-ts', 'monitor', 'address']) };
    const pings = PINGED.map((vhid) => lab.ping('client', vipOf(vhid), { intervalMs: 20, durationMs: 9_000 }));
    await sleep(1000);
    // The old master's adverts (bow-outs included), matched by its source address, dropped for DROP_MS.
    const nft = (script: string) => lab.exec('bridge', ['nft', '-f', '-'], { input: script });
    if (DROP_MS > 0) assert.equal((await nft(`table bridge gstop {\n  chain drops {\n    type filter hook forward priority -10;\n    ip saddr ${lab.host('a').ipv4} ip protocol 112 drop\n  }\n}\n`)).code, 0);
    const t0 = Date.now();
    a.process.signal('SIGTERM');
    if (DROP_MS > 0) await sleep(DROP_MS).then(() => nft('delete table bridge gstop\n'));
    const exit = await Promise.race([a.process.exited, sleep(30_000).then(() => undefined)]);
    const stopMs = Date.now() - t0;
    await waitAll(lab, b, 'MASTER', 15_000);
    const results = await Promise.all(pings);
    await sleep(300);
    await Promise.all([monitors.a.kill(), monitors.b.kill()]);
    const vips = Array.from({ length: GROUPS }, (_, i) => vipOf(i + 1));
    const stop = handover({ from: monitors.a.lines, to: monitors.b.lines }, t0);
    t.diagnostic(JSON.stringify({ case: 'stop', carpd: CARPD, dropMs: DROP_MS, stopMs, exit: exit?.code, ...stop.summary, pingGapsMs: results.map((r) => r.longestGapMs) }));
    assert.equal(exit?.code, 0, `the stopping daemon exits cleanly (after ${stopMs} ms)`);
    assert.ok(stopMs <= MAX_STOP_MS, `stop took ${stopMs} ms, bound ${MAX_STOP_MS} ms`);
    assert.equal(stop.summary['addedSeen'], GROUPS, 'every VIP added on the new master');
    const late = [...stop.dark.entries()].filter(([, ms]) => ms > MAX_DARK_MS);
    assert.deepEqual(late, [], `VIPs dark longer than ${MAX_DARK_MS} ms`);
    const onB = new Set((await lab.addresses('b')).map((a) => a.split('/')[0]));
    assert.deepEqual(vips.filter((vip) => !onB.has(vip)), [], 'the new master holds every VIP');
    for (const [i, r] of results.entries()) {
      assert.ok(r.received > 0, `client pings to ${vipOf(PINGED[i] as number)} answered`);
      assert.ok(r.longestGapMs <= MAX_DARK_MS + 200, `client ping gap to ${vipOf(PINGED[i] as number)}: ${r.longestGapMs} ms`);
    }

    // Preemption: a comes back, better and preempting, and takes every group back from b.
    const watch = { a: lab.spawn('a', ['ip', '-ts', 'monitor', 'address']), b: lab.spawn('b', ['ip', '-ts', 'monitor', 'address']) };
    await sleep(500);
    const t1 = Date.now();
    const again = startNode(lab, base, 'a', 0, true);
    await waitAll(lab, again, 'MASTER', 60_000);
    await waitAll(lab, b, 'BACKUP', 15_000);
    await sleep(300);
    await Promise.all([watch.a.kill(), watch.b.kill()]);
    const preempt = handover({ from: watch.b.lines, to: watch.a.lines }, t1);
    t.diagnostic(JSON.stringify({ case: 'preemption', ...preempt.summary }));
    assert.equal(preempt.summary['addedSeen'], GROUPS, 'every VIP added on the preempting master');
    assert.deepEqual([...preempt.dark.entries()].filter(([, ms]) => ms > MAX_DARK_MS), [], `VIPs dark longer than ${MAX_DARK_MS} ms at preemption`);
  } finally {
    await lab.destroy();
    rmSync(base, { recursive: true, force: true });
  }
});
