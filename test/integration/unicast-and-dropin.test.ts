/**
 * Unicast peers (adverts to, and accepted only from, the listed peers) and the ucarp drop-in
 * (`carpd ucarp <ucarp's flags>`) against a real ucarp.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Lab, type LabHost } from '../../src/lab/lab.ts';
import { CARPD, holds, startCarpd, groupFlags, stopCarpd } from './carpd-in-lab.ts';

const CARPCTL = resolve(import.meta.dirname, '../../bin/carpctl');
let lab: Lab | undefined;
const skip = await Lab.available();
const dir = mkdtempSync(join(tmpdir(), 'carpd-unicast-'));

before(async () => {
  if (skip === undefined) lab = await Lab.create({ hosts: ['a', 'b', 'c'] });
});
after(async () => {
  await lab?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function unicastConfig(host: string, peer: string, advskew: number): string {
  const path = join(dir, `${host}.yaml`);
  writeFileSync(
    path,
    [
      `state_directory: ${join(dir, host)}`,
      `control_socket: ${join(dir, host, 'carpd.sock')}`,
      'groups:',
      '  - interface: eth0',
      '    vhid: 91',
      '    addresses: [198.51.100.191/24]',
      '    passphrase: lab-secret',
      `    advskew: ${advskew}`,
      `    peers: [${peer}]`,
      '',
    ].join('\n'),
  );
  return path;
}

async function groupStatus(labRef: Lab, host: string): Promise<{ state: string; counters: { drops: Record<string, number>; transitions: number } }> {
  const result = await labRef.exec(host, [process.execPath, CARPCTL, '--control', join(dir, host, 'carpd.sock'), 'status', '--json'], { timeoutMs: 10_000 });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout).groups[0];
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    // A daemon that is still starting does not answer yet: that counts as "not yet".
    if (await check().catch(() => false)) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}

test('lab: unicast peers — adverts go to the peer, a node not listed is ignored, failover works', { skip: skip ?? false, timeout: 90_000 }, async () => {
  assert.ok(lab !== undefined);
  const labRef = lab;
  const [ha, hb] = [labRef.host('a'), labRef.host('b')] as [LabHost, LabHost];
  const a = labRef.spawn(ha, [process.execPath, CARPD, '--config', unicastConfig('a', hb.ipv4, 0)]);
  const b = labRef.spawn(hb, [process.execPath, CARPD, '--config', unicastConfig('b', ha.ipv4, 100)]);
  await waitUntil(async () => (await groupStatus(labRef, 'a')).state === 'MASTER' && (await groupStatus(labRef, 'b')).state === 'BACKUP', 10_000, 'a master, b backup');
  // Every advert on the wire is unicast to the peer.
  const capture = await labRef.startCapture('bridge', 'ip proto 112');
  await new Promise((r) => setTimeout(r, 2_500));
  const destinations = execFileSync('tshark', ['-r', await capture.stop(), '-T', 'fields', '-e', 'ip.dst'], { encoding: 'utf8' }).trim().split('\n');
  assert.ok(destinations.length >= 2 && destinations.every((d) => d === hb.ipv4), `destinations: ${destinations.join(' ')}`);
  // c, not a listed peer, advertises the same vhid by multicast with a better skew: ignored.
  const c = startCarpd(labRef, labRef.host('c'), groupFlags({ vhid: 91, vip: '198.51.100.191', advskew: 0, extra: ['--no-vmac'] }));
  await new Promise((r) => setTimeout(r, 4_000));
  const sb = await groupStatus(labRef, 'b');
  assert.equal(sb.state, 'BACKUP');
  assert.ok((sb.counters.drops['unexpected-source'] ?? 0) > 0, `b dropped c's adverts: ${JSON.stringify(sb.counters.drops)}`);
  assert.equal((await groupStatus(labRef, 'a')).state, 'MASTER', 'a ignores c too');
  await stopCarpd(c);
  // Crash of a: b takes over.
  await labRef.cutLink('a');
  await a.kill();
  await waitUntil(async () => (await groupStatus(labRef, 'b')).state === 'MASTER', 6_000, 'b takes over');
  await labRef.restoreLink('a');
  b.signal('SIGTERM');
  assert.equal((await b.exited).code, 0);
});

test('lab: carpd ucarp <ucarp flags> interoperates with a real ucarp, scripts called ucarp-style', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  assert.ok(lab !== undefined);
  const labRef = lab;
  let ucarpMissing = false;
  try {
    execFileSync('ucarp', ['--help'], { stdio: 'ignore' });
  } catch (error) {
    ucarpMissing = (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  if (ucarpMissing) return t.skip('ucarp is not installed');
  const log = join(dir, 'ucarp-style.log');
  writeFileSync(join(dir, 'up.sh'), `#!/bin/sh\necho "up $*" >> ${log}\nip addr add "$2/24" dev "$1"\n`);
  writeFileSync(join(dir, 'down.sh'), `#!/bin/sh\necho "down $*" >> ${log}\nip addr del "$2/24" dev "$1" 2>/dev/null || true\n`);
  chmodSync(join(dir, 'up.sh'), 0o755);
  chmodSync(join(dir, 'down.sh'), 0o755);
  const VIP = '198.51.100.192';
  const flags = (host: LabHost, advskew: number) => [
    '--interface=eth0', `--srcip=${host.ipv4}`, '--vhid=92', '--pass=lab-secret', `--addr=${VIP}`, '--advbase=1', `--advskew=${advskew}`,
    `--upscript=${join(dir, 'up.sh')}`, `--downscript=${join(dir, 'down.sh')}`, '--shutdown', '--xparam=carpd',
  ];
  const ha = labRef.host('a');
  const hb = labRef.host('b');
  // The same command line for both: only the binary differs, as in a systemd unit switched by one word.
  const carpd = labRef.spawn(ha, [process.execPath, CARPD, 'ucarp', ...flags(ha, 0)], { env: { CARPD_CONTROL: join(dir, 'dropin.sock'), CARPD_STATE_DIRECTORY: join(dir, 'dropin') } });
  await waitUntil(() => holds(labRef, ha, VIP), 8_000, 'carpd (ucarp mode) master');
  const ucarp = labRef.spawn(hb, ['ucarp', ...flags(hb, 100)]);
  await new Promise((r) => setTimeout(r, 4_000));
  assert.ok(!(await holds(labRef, hb, VIP)), 'ucarp stays backup');
  // carpd's scripts were called the ucarp way: <interface> <vaddr> <xparam>.
  assert.ok(existsSync(log) && readFileSync(log, 'utf8').includes(`up eth0 ${VIP} carpd`), readFileSync(log, 'utf8'));
  // Graceful stop of carpd: bow-out, ucarp takes over on its 1 s tick (docs/migration.md).
  const stoppedAt = Date.now();
  carpd.signal('SIGTERM');
  assert.equal((await carpd.exited).code, 0);
  await waitUntil(() => holds(labRef, hb, VIP), 3_000, 'ucarp takes over');
  t.diagnostic(`ucarp took over ${Date.now() - stoppedAt} ms after SIGTERM to carpd ucarp`);
  assert.ok(!(await holds(labRef, ha, VIP)), 'carpd ran its down script on stop');
  await ucarp.kill();
});
