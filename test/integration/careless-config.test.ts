/**
 * Issue 18 item 3, "careless configs refused", end to end in the lab: a VIP equal to the node's
 * own address is refused by `carpd --check`, by start and by a reload (CARPD_HOST_ADDRESS), and
 * the node keeps its address: another host still pings it afterwards. Before the fix, start
 * deleted the address as "left on the interface by a previous run", went MASTER, and a stop left
 * the node without any IPv4 address.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Lab } from '../../src/lab/lab.ts';
import { CARPD, holds, records } from './carpd-in-lab.ts';
import { labForThisFile } from '../helpers/file-lab.ts';

const CARPCTL = resolve(import.meta.dirname, '../../bin/carpctl');
const dir = mkdtempSync(join(tmpdir(), 'carpd-careless-'));
const fileLab = await labForThisFile({ hosts: ['a', 'b'] });
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a's config with one group whose VIP is `vip`, and returns its path. */
function writeConfig(name: string, vip: string): string {
  mkdirSync(join(dir, 'state'), { recursive: true });
  const text = [
    `state_directory: ${join(dir, 'state')}`,
    `control_socket: ${join(dir, 'carpd.sock')}`,
    'log_level: debug',
    'groups:',
    '  - name: web',
    '    interface: eth0',
    '    vhid: 81',
    `    addresses: [${vip}]`,
    '    passphrase: lab-secret',
    '',
  ].join('\n');
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Pings a's own address from b for 1 s: the count of replies. */
async function repliesFromA(lab: Lab): Promise<number> {
  return (await lab.ping('b', lab.host('a').ipv4, { intervalMs: 50, durationMs: 1_000 })).replies.length;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}

test("item 3, lab: a VIP equal to the node's own address is refused by --check and by start; the address stays and answers pings", { skip: fileLab.skip ?? false, timeout: 60_000 }, async (t) => {
  const lab = fileLab.lab();
  const own = lab.host('a').ipv4;
  const path = writeConfig('own.yaml', own);

  const check = await lab.exec('a', [process.execPath, CARPD, '--check', '--config', path]);
  assert.equal(check.code, 2, check.stderr);
  assert.match(check.stderr, /\[CARPD_HOST_ADDRESS\]/);

  const start = lab.spawn('a', [process.execPath, CARPD, '--config', path]);
  const exit = await Promise.race([start.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000))]);
  assert.equal(exit?.code, 2, start.lines.slice(-10).join('\n'));
  const node = { host: lab.host('a'), process: start, stateDirectory: join(dir, 'state') };
  assert.ok(records(node).some((r) => r['code'] === 'CARPD_HOST_ADDRESS'), start.lines.slice(-10).join('\n'));
  assert.ok(!records(node).some((r) => String(r['msg']).includes('previous run')), 'nothing was taken for a leftover');

  assert.ok(await holds(lab, lab.host('a'), own), `a still has ${own}`);
  const replies = await repliesFromA(lab);
  t.diagnostic(`b -> a (${own}): ${replies} of 20 pings answered after the refused start`);
  assert.ok(replies >= 18, `${replies} replies`);
});

test("item 3, lab: --check warns (CARPD_VIP_OUTSIDE_SUBNET) for a VIP outside eth0's subnet, and passes", { skip: fileLab.skip ?? false, timeout: 30_000 }, async () => {
  const lab = fileLab.lab();
  const check = await lab.exec('a', [process.execPath, CARPD, '--check', '--config', writeConfig('outside.yaml', '203.0.113.81')]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stderr, /\[CARPD_VIP_OUTSIDE_SUBNET\]/);
  assert.match(check.stderr, /configuration OK/);
});

test("item 3 and 7c, lab: a reload introducing the node's own address as a VIP is refused; the running group, its VIP and the address stay; the clean stop's last log line is 'carpd stopped'", { skip: fileLab.skip ?? false, timeout: 60_000 }, async (t) => {
  const lab = fileLab.lab();
  const own = lab.host('a').ipv4;
  const vip = '198.51.100.181';
  const path = writeConfig('carpd.yaml', vip);
  const daemon = lab.spawn('a', [process.execPath, CARPD, '--config', path]);
  const carpctl = (args: string[]) => lab.exec('a', [process.execPath, CARPCTL, '--control', join(dir, 'carpd.sock'), ...args], { timeoutMs: 15_000 });
  try {
    await waitUntil(async () => holds(lab, lab.host('a'), vip), 10_000, 'a master with the VIP');
    writeConfig('carpd.yaml', own);
    const refused = await carpctl(['reload']);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stdout + refused.stderr, /CARPD_HOST_ADDRESS/);
    const status = JSON.parse((await carpctl(['status', '--json'])).stdout) as { groups: { name: string; state: string; addresses: string[] }[] };
    assert.deepEqual(status.groups.map((g) => [g.name, g.state, g.addresses.map((a) => a.split('/')[0])]), [['web', 'MASTER', [vip]]], 'the old configuration runs');
    const toVip = await lab.ping('b', vip, { intervalMs: 50, durationMs: 1_000 });
    const toOwn = await repliesFromA(lab);
    t.diagnostic(`after the refused reload: b -> VIP ${toVip.replies.length}/20, b -> a ${toOwn}/20`);
    assert.ok(toVip.replies.length >= 18 && toOwn >= 18);
  } finally {
    daemon.signal('SIGTERM');
    const exit = await daemon.exited;
    assert.equal(exit.code, 0, daemon.lines.slice(-5).join('\n'));
  }
  // Item 7c: the last line of a clean stop says so, with why and how it ended.
  const last = records({ host: lab.host('a'), process: daemon, stateDirectory: join(dir, 'state') }).at(-1);
  assert.equal(last?.['msg'], 'carpd stopped', daemon.lines.slice(-3).join('\n'));
  assert.deepEqual([last?.['level'], last?.['reason'], last?.['exitStatus'], last?.['groups']], ['info', 'SIGTERM', 0, 1]);
  assert.equal(typeof last?.['uptimeSeconds'], 'number');
  assert.ok(await holds(lab, lab.host('a'), own), `a still has ${own} after the stop`);
  assert.ok(!(await holds(lab, lab.host('a'), vip)), 'the VIP went with the stop');
  assert.ok((await repliesFromA(lab)) >= 18);
});
