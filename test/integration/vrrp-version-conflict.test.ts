/**
 * keepalived at its default version (VRRPv2) on the VRID of a carpd VRRP group (issue 18,
 * item 4), on real daemons in the lab. Neither hears the other, so both are MASTER and hold the
 * address. Before, carpd's only sign was a `vrrp-v2` drop counter. Now carpd logs a warning
 * naming the sender and `vrrp_version 3`, counts it, and shows it in `carpctl status`. As MASTER
 * it re-announces while keepalived is heard, so when keepalived stops (its priority-0 advert) the
 * client is back on carpd within one advert interval.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { GroupStatus, StatusReport } from '../../src/control/control-types.ts';
import { Lab } from '../../src/lab/lab.ts';
import { eventually } from '../helpers/eventually.ts';
import { labForThisFile } from '../helpers/file-lab.ts';
import { holds, records, waitForPhase } from './carpd-in-lab.ts';
import { KeepalivedPeer } from './keepalived-peer.ts';
import { carpctlOn, machine, startCarpdOn, writeVrrpConfig } from './machine.ts';
import { peerWorkDirectory } from './vrrp-peers.ts';

const VRID = 9;
const VIP = '198.51.100.9';
const ADVERT_INTERVAL_MS = 1_000;
const MARGIN_MS = 600;

function missingKeepalived(): string | undefined {
  try {
    execFileSync('keepalived', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'keepalived is not installed' : undefined;
  }
}

const skip = (await Lab.available()) ?? missingKeepalived();
const fileLab = await labForThisFile({ hosts: ['c', 'ka', 'client'] });

test('keepalived at its default VRRPv2 on our VRID: carpd warns naming it and `vrrp_version 3`, status shows it, and the client is back on carpd within one interval when keepalived stops', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const lab = fileLab.lab();
  const m = machine(lab.host('c'));
  const work = peerWorkDirectory('kav2');
  t.after(() => {
    for (const dir of [m.root, work]) rmSync(dir, { recursive: true, force: true });
  });
  const config = writeVrrpConfig(m, 'carpd.yaml', [{ vhid: VRID, addresses: [`${VIP}/24`], priority: 100 }]);
  const carpd = startCarpdOn(lab, m, ['--config', config]);
  await waitForPhase(carpd, 'master', 8_000);
  const kaDir = join(work, 'ka');
  mkdirSync(kaDir, { recursive: true });
  const ka = KeepalivedPeer.start(lab, lab.host('ka'), kaDir, { vrid: VRID, addresses: [VIP], priority: 200, advertIntervalSeconds: 1, version: 'keepalived-default' });
  try {
    const kaAddress = lab.host('ka').ipv4;
    await eventually('carpd names keepalived at warn level', 10_000, async () =>
      records(carpd).some((r) => r['level'] === 'warn' && r['mismatch'] === 'vrrp-v2' && r['peer'] === kaAddress && String(r['msg'] ?? r['message']).includes('vrrp_version 3')),
    );
    await eventually('keepalived MASTER as well', 10_000, async () => (await ka.role()) === 'master');
    // What each namespace holds: both the address (the conflict the warning is about).
    assert.ok(await holds(lab, lab.host('c'), VIP), 'carpd holds the VIP');
    assert.ok(await holds(lab, lab.host('ka'), VIP), 'keepalived holds the VIP too');
    // The first re-announcement comes a quarter of carpd's interval after the first foreign advert
    // (docs/state-machine.md, "Foreign masters"): read status until it has, within 3 s.
    let json = await carpctlOn(lab, m, ['status', '--json']);
    await eventually('the MASTER re-announced', 3_000, async () => {
      json = await carpctlOn(lab, m, ['status', '--json']);
      return ((JSON.parse(json.stdout) as StatusReport).groups[0]?.foreign?.reannouncements ?? 0) > 0;
    });
    const group = (JSON.parse(json.stdout) as StatusReport).groups[0] as GroupStatus;
    assert.ok(group.counters.drops['vrrp-v2'] > 0, json.stdout);
    assert.equal(group.foreign?.last?.peer, kaAddress);
    assert.equal(group.foreign?.last?.kind, 'vrrp-v2');
    const text = (await carpctlOn(lab, m, ['status'])).stdout;
    assert.match(text, new RegExp(`FOREIGN\\s+${kaAddress.replace(/\./g, '\\.')}, a VRRPv2 router on this VRID: set \`vrrp_version 3\` on it; \\d+ advert`), text);
    // keepalived stops: its priority-0 advert; the client must be back on carpd within one interval.
    const pinging = lab.ping('client', VIP, { intervalMs: 20, durationMs: 8_000 });
    await new Promise((r) => setTimeout(r, 2_000));
    const stoppedAt = Date.now();
    await ka.stop();
    const result = await pinging;
    const after = result.replies.filter((r) => !r.duplicate && r.atMs >= stoppedAt).map((r) => r.atMs);
    let outage = after.length === 0 ? Infinity : (after[0] as number) - stoppedAt;
    for (let i = 1; i < after.length; i++) outage = Math.max(outage, (after[i] as number) - (after[i - 1] as number));
    t.diagnostic(`client outage after keepalived (VRRPv2) stopped: ${Math.round(outage)} ms (replies ${result.received}/${result.sent})`);
    assert.ok(outage <= ADVERT_INTERVAL_MS + MARGIN_MS, `outage ${outage} ms`);
    assert.ok(await holds(lab, lab.host('c'), VIP), 'carpd still holds the VIP');
  } finally {
    await ka.stop();
    carpd.process.signal('SIGTERM');
    await carpd.process.exited;
  }
});
