/**
 * Interoperability with Debian's ucarp 1.5.2 (a real, independent peer): election by advskew,
 * crash failover both ways, graceful handover (carpd's bow-out makes ucarp take over on its next
 * 1 s tick, not after its master-down),
 * and tshark decoding carpd's adverts as valid CARP.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, type LabProcess } from '../../src/lab/lab.ts';
import { holds, phaseOf, startCarpd, groupFlags, stopCarpd, transitions, waitForPhase } from './carpd-in-lab.ts';

const VIP = '198.51.100.120';
const PASS = 'lab-secret';
let lab: Lab | undefined;
const labReason = await Lab.available();
const ucarpMissing = (() => {
  try {
    execFileSync('ucarp', ['--help'], { stdio: 'ignore' });
    return undefined;
  } catch (error) {
    // ucarp --help exits non-zero but runs; only a missing binary throws ENOENT.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'ucarp is not installed (apt-get install ucarp)' : undefined;
  }
})();
const skip = labReason ?? ucarpMissing;
const scripts = mkdtempSync(join(tmpdir(), 'carpd-ucarp-'));

before(async () => {
  if (skip !== undefined) return;
  lab = await Lab.create({ hosts: ['c', 'u'] });
  // ucarp's scripts get "<interface> <vaddr> [xparam]"; they configure the VIP themselves.
  writeFileSync(join(scripts, 'up.sh'), '#!/bin/sh\nip addr add "$2/24" dev "$1"\n');
  writeFileSync(join(scripts, 'down.sh'), '#!/bin/sh\nip addr del "$2/24" dev "$1" 2>/dev/null || true\n');
  chmodSync(join(scripts, 'up.sh'), 0o755);
  chmodSync(join(scripts, 'down.sh'), 0o755);
});
after(async () => {
  await lab?.destroy();
});

function startUcarp(labRef: Lab, advskew: number, vhid: number): LabProcess {
  const host = labRef.host('u');
  return labRef.spawn(host, [
    'ucarp', `--interface=eth0`, `--srcip=${host.ipv4}`, `--vhid=${vhid}`, `--pass=${PASS}`, `--addr=${VIP}`,
    '--advbase=1', `--advskew=${advskew}`, `--upscript=${join(scripts, 'up.sh')}`, `--downscript=${join(scripts, 'down.sh')}`, '--shutdown',
  ]);
}

const carpdFlags = (vhid: number, advskew: number) => groupFlags({ vhid, vip: VIP, advskew, extra: ['--replay', 'compat', '--no-vmac'] });

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('interop: carpd master + ucarp backup; graceful stop hands over at once, crash fails over', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  assert.ok(lab !== undefined);
  const labRef = lab;
  const carpd = startCarpd(labRef, labRef.host('c'), carpdFlags(21, 0));
  await waitForPhase(carpd, 'master', 6_000);
  const ucarp = startUcarp(labRef, 100, 21);
  await new Promise((r) => setTimeout(r, 4_000));
  assert.equal(phaseOf(carpd), 'master', 'carpd (advskew 0) stays master');
  assert.ok(!(await holds(labRef, labRef.host('u'), VIP)), 'ucarp (advskew 100) stays backup');
  const drops = carpd.process.lines.filter((l) => l.includes('bad-auth')).length;
  assert.equal(drops, 0);

  // Graceful: carpd's bow-out (advbase 255, advskew 255) trips ucarp's "will time out" rule.
  const stoppedAt = Date.now();
  assert.equal(await stopCarpd(carpd), 0);
  const handoverMs = await waitFor(() => holds(labRef, labRef.host('u'), VIP), 3_000, 'ucarp to take over');
  t.diagnostic(`graceful carpd → ucarp: ucarp holds the VIP ${Date.now() - stoppedAt} ms after SIGTERM (${handoverMs} ms after exit)`);
  assert.ok(Date.now() - stoppedAt < 2_000, 'ucarp took over on its 1 s tick, not after its master-down');

  // carpd comes back (advskew 0, no preemption) as backup and accepts ucarp's random counters in compat mode.
  const carpd2 = startCarpd(labRef, labRef.host('c'), carpdFlags(21, 0));
  await waitForPhase(carpd2, 'backup', 3_000);
  await new Promise((r) => setTimeout(r, 3_000));
  assert.equal(phaseOf(carpd2), 'backup', 'carpd stays backup behind the ucarp master (no preemption)');
  // Crash of ucarp: carpd takes over within its master-down (3 × 1 s) plus one advert interval.
  const count = transitions(carpd2).length;
  await labRef.cutLink('u');
  await ucarp.kill();
  await waitForPhase(carpd2, 'master', 5_000, count);
  assert.ok(await holds(labRef, labRef.host('c'), VIP));
  await labRef.restoreLink('u');
  await labRef.exec('u', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
  assert.equal(await stopCarpd(carpd2), 0);
});

test('interop: ucarp master + carpd backup, election by advskew, crash of ucarp', { skip: skip ?? false, timeout: 60_000 }, async (t) => {
  assert.ok(lab !== undefined);
  const labRef = lab;
  const ucarp = startUcarp(labRef, 0, 22);
  await waitFor(() => holds(labRef, labRef.host('u'), VIP), 6_000, 'ucarp to become master');
  const carpd = startCarpd(labRef, labRef.host('c'), carpdFlags(22, 100));
  await waitForPhase(carpd, 'backup', 3_000);
  await new Promise((r) => setTimeout(r, 4_000));
  assert.equal(phaseOf(carpd), 'backup');
  assert.ok(!(await holds(labRef, labRef.host('c'), VIP)));
  const count = transitions(carpd).length;
  const killedAt = Date.now();
  await labRef.cutLink('u');
  await ucarp.kill();
  await waitForPhase(carpd, 'master', 6_000, count);
  t.diagnostic(`crash ucarp → carpd: carpd master ${Date.now() - killedAt} ms after the kill (master-down 3 × (1 + 100/256) s = 4.17 s)`);
  await labRef.restoreLink('u');
  await labRef.exec('u', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
  // ucarp comes back with advskew 0 but without --preempt: it must stay backup behind carpd.
  const ucarp2 = startUcarp(labRef, 0, 22);
  await new Promise((r) => setTimeout(r, 5_000));
  assert.equal(phaseOf(carpd), 'master', 'carpd stays master');
  assert.ok(!(await holds(labRef, labRef.host('u'), VIP)), 'ucarp stays backup');
  // Crash of carpd (power cut): ucarp (advskew 0 but backup) takes over after its master-down.
  const crashedAt = Date.now();
  await labRef.cutLink('c');
  await carpd.process.kill();
  const ucarpTakeover = await waitFor(() => holds(labRef, labRef.host('u'), VIP), 8_000, 'ucarp to take over from the crashed carpd');
  t.diagnostic(`crash carpd → ucarp: ucarp holds the VIP ${Date.now() - crashedAt} ms after the kill (${ucarpTakeover} ms of polling)`);
  await labRef.restoreLink('c');
  await labRef.exec('c', ['ip', 'addr', 'flush', 'dev', 'eth0', 'to', `${VIP}/32`]);
  await ucarp2.kill();
  await labRef.exec('u', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
});

test('interop: tshark decodes carpd adverts as valid CARP', { skip: skip ?? false, timeout: 30_000 }, async () => {
  assert.ok(lab !== undefined);
  const capture = await lab.startCapture('bridge', 'ip proto 112');
  const carpd = startCarpd(lab, lab.host('c'), carpdFlags(23, 0));
  await waitForPhase(carpd, 'master', 6_000);
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(await stopCarpd(carpd), 0);
  const pcap = await capture.stop();
  const fields = execFileSync('tshark', ['-r', pcap, '-d', 'ip.proto==112,carp', '-T', 'fields', '-E', 'separator=,', '-e', 'carp.version', '-e', 'carp.type', '-e', 'carp.vhid', '-e', 'carp.adver_int', '-e', 'carp.advskew', '-e', 'carp.authlen', '-e', 'carp.checksum.status', '-e', 'ip.ttl'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter((l) => l !== '');
  assert.ok(fields.length >= 3, `tshark saw ${fields.length} adverts`);
  // Every advert: version 2, type 1, vhid 23, authlen 7, checksum verified good (Wireshark's
  // checksum status 1; 0 is bad, 2 unverified), TTL 255;
  // the last is the bow-out (advbase 255, advskew 255).
  for (const line of fields) {
    const [version, type, vhid, , , authlen, checksum, ttl] = line.split(',');
    assert.deepEqual([version, type, vhid, authlen, checksum, ttl], ['2', '1', '23', '7', '1', '255'], line);
  }
  assert.match(fields.at(-1) ?? '', /^2,1,23,255,255,/);
});
