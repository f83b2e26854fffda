/**
 * Issue 19 item 8, measured: a dual-stack pair (a advskew 0, b advskew 100) on real daemons with
 * IPv6 protocol 112 dropped at the bridge (Lab.blockProtocol) for `--seconds` (default 30): the
 * transitions on each node, the scripts run (master and backup scripts that append a line to a
 * file), the holders of both VIPs sampled every 0.5 s, and the client's pings to the IPv4 VIP.
 * Runs whatever bin/carpd (dist/) is built: build another commit's dist/ to compare.
 *
 *   node --import tsx bench/dual-stack-family-loss.ts [--seconds 30]
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab } from '../src/lab/lab.ts';
import { groupFlags, holds, startCarpd, transitions, waitForPhase, type CarpdNode } from '../test/integration/carpd-in-lab.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' } } });
const seconds = Number(values.seconds);
if (!(seconds >= 1 && seconds <= 600)) throw new Error('--seconds must be 1..600');
const VIP4 = '198.51.100.154';
const VIP6 = '2001:db8::154';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const why = await Lab.available();
if (why !== undefined) throw new Error(`no lab here: ${why}`);
const dir = mkdtempSync(join(tmpdir(), 'carpd-dual-bench-'));
const script = join(dir, 'script.sh');
writeFileSync(script, '#!/bin/sh\necho "$CARP_STATE" >> "$1"\n');
chmodSync(script, 0o755);
const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: true });
const nodes: CarpdNode[] = [];
try {
  const start = (name: string, advskew: number): CarpdNode => {
    const log = join(dir, `${name}.scripts`);
    const wrapper = join(dir, `${name}.sh`);
    writeFileSync(wrapper, `#!/bin/sh\nexec ${script} ${log}\n`);
    chmodSync(wrapper, 0o755);
    const node = startCarpd(lab, lab.host(name), [...groupFlags({ vhid: 54, vip: `${VIP4}/24`, advskew, extra: ['--addr', `${VIP6}/64`] }), '--master-script', wrapper, '--backup-script', wrapper]);
    nodes.push(node);
    return node;
  };
  const scripts = (name: string): number => {
    const file = join(dir, `${name}.scripts`);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length : 0;
  };
  const a = start('a', 0);
  await waitForPhase(a, 'master', 8_000);
  const b = start('b', 100);
  await waitForPhase(b, 'backup', 4_000);
  await sleep(5_000);
  const before = { a: transitions(a).length, b: transitions(b).length, scriptsA: scripts('a'), scriptsB: scripts('b') };
  await lab.blockProtocol(6, 112, true);
  const ping = lab.ping('client', VIP4, { intervalMs: 20, durationMs: seconds * 1000 });
  const startedAt = Date.now();
  const holderSamples: string[] = [];
  while (Date.now() - startedAt < seconds * 1000) {
    const v4 = (await Promise.all(['a', 'b'].map(async (h) => ((await holds(lab, lab.host(h), VIP4)) ? h : '')))).join('');
    const v6 = (await Promise.all(['a', 'b'].map(async (h) => ((await holds(lab, lab.host(h), VIP6)) ? h : '')))).join('');
    holderSamples.push(`${v4 || '-'}/${v6 || '-'}`);
    await sleep(500);
  }
  const pinged = await ping;
  const counts = new Map<string, number>();
  for (const s of holderSamples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const result = {
    seconds,
    transitions: { a: transitions(a).length - before.a, b: transitions(b).length - before.b },
    scripts: { a: scripts('a') - before.scriptsA, b: scripts('b') - before.scriptsB },
    holderSamples: Object.fromEntries(counts),
    pings: { sent: pinged.sent, received: pinged.received, longestGapMs: Math.round(pinged.longestGapMs) },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  for (const node of nodes) if (!node.process.done) node.process.signal('SIGKILL');
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
