/**
 * The operable daemon, end to end in the lab: a YAML config with several groups, carpctl status
 * and events against the live daemon, metrics scraped from it, reload without disturbing
 * unchanged groups, an invalid reload refused, health-check demotion handing over and back.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Lab, type LabHost, type LabProcess } from '../../src/lab/lab.ts';
import { CARPD, transitions, type CarpdNode } from './carpd-in-lab.ts';
import { labForThisFile } from '../helpers/file-lab.ts';

const CARPCTL = resolve(import.meta.dirname, '../../bin/carpctl');
const dir = mkdtempSync(join(tmpdir(), 'carpd-config-'));

const fileLab = await labForThisFile({ hosts: ['a', 'b'] });
const skip = fileLab.skip;
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface GroupSpec {
  name: string;
  vhid: number;
  vip: string;
  advskew: number;
  extra?: string;
}

function configText(host: string, groups: GroupSpec[], extraTop = ''): string {
  const lines = [
    `state_directory: ${join(dir, host, 'state')}`,
    `control_socket: ${join(dir, host, 'carpd.sock')}`,
    'log_level: debug',
    extraTop,
    'defaults:',
    '  passphrase: lab-secret',
    '  preempt: true',
    '  scripts:',
    `    master: ${join(dir, 'log.sh')}`,
    `    backup: ${join(dir, 'log.sh')}`,
    'groups:',
  ];
  for (const g of groups) {
    lines.push(`  - name: ${g.name}`, '    interface: eth0', `    vhid: ${g.vhid}`, `    addresses: [${g.vip}/24]`, `    advskew: ${g.advskew}`);
    if (g.extra !== undefined) lines.push(...g.extra.split('\n').map((l) => `    ${l}`));
  }
  return lines.join('\n') + '\n';
}

function writeConfig(host: string, text: string): string {
  const path = join(dir, host, 'carpd.yaml');
  writeFileSync(path, text);
  return path;
}

function startWithConfig(labRef: Lab, host: LabHost, path: string, extra: string[] = []): CarpdNode {
  const process = labRef.spawn(host, [globalThis.process.execPath, CARPD, '--config', path, ...extra]);
  return { host, process, stateDirectory: join(dir, host.name, 'state') };
}

async function carpctl(labRef: Lab, host: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return labRef.exec(host, [process.execPath, CARPCTL, '--control', join(dir, host, 'carpd.sock'), ...args], { timeoutMs: 15_000 });
}

async function status(labRef: Lab, host: string): Promise<{ groups: { name: string; state: string; counters: { transitions: number }; demotion: { total: number } }[] }> {
  const result = await carpctl(labRef, host, ['status', '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}

/** The group's state, or undefined while the daemon is not answering yet. */
async function stateOf(labRef: Lab, host: string, group: string): Promise<string | undefined> {
  const result = await carpctl(labRef, host, ['status', '--json']);
  if (result.code !== 0) return undefined;
  return (JSON.parse(result.stdout) as { groups: { name: string; state: string }[] }).groups.find((g) => g.name === group)?.state;
}

function scriptLog(): string[] {
  const path = join(dir, 'scripts.log');
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter((l) => l !== '') : [];
}

test('lab: config file with groups, carpctl status/events, metrics, reload without flap, invalid reload refused', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const labRef = fileLab.lab();
  for (const h of ['a', 'b']) {
    await labRef.exec(h, ['mkdir', '-p', join(dir, h, 'state')]);
  }
  writeFileSync(join(dir, 'log.sh'), `#!/bin/bash\necho "$(hostname -s 2>/dev/null) $CARP_VHID $CARP_STATE" >> ${join(dir, 'scripts.log')}\n`);
  chmodSync(join(dir, 'log.sh'), 0o755);
  const groups: GroupSpec[] = [
    { name: 'web', vhid: 61, vip: '198.51.100.161', advskew: 0 },
    { name: 'db', vhid: 62, vip: '198.51.100.162', advskew: 0 },
  ];
  const pathA = writeConfig('a', configText('a', groups, 'metrics: { listen: "127.0.0.1:9273" }'));
  const check = await labRef.exec('a', [process.execPath, CARPD, '--check', '--config', pathA]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stderr, /configuration OK/);
  assert.ok(!check.stdout.includes('lab-secret'), 'the normalised config never shows the passphrase');
  const a = startWithConfig(labRef, labRef.host('a'), pathA);
  await waitUntil(async () => (await stateOf(labRef, 'a', 'web')) === 'MASTER' && (await stateOf(labRef, 'a', 'db')) === 'MASTER', 8_000, 'a master of both');
  const pathB = writeConfig('b', configText('b', groups.map((g) => ({ ...g, advskew: 100 }))));
  const b = startWithConfig(labRef, labRef.host('b'), pathB);
  await waitUntil(async () => (await stateOf(labRef, 'b', 'web')) === 'BACKUP' && (await stateOf(labRef, 'b', 'db')) === 'BACKUP', 8_000, 'b backup of both');

  // carpctl status (table) names the groups; events stream a transition.
  const table = await carpctl(labRef, 'b', ['status']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /web/);
  assert.match(table.stdout, /BACKUP/);
  const events: LabProcess = labRef.spawn('b', [process.execPath, CARPCTL, '--control', join(dir, 'b', 'carpd.sock'), 'events']);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await carpctl(labRef, 'a', ['maintenance', 'on', 'web'])).code, 0);
  await events.waitForLine(/"type":"transition".*"group":"web".*"to":"MASTER"/, 5_000);
  assert.equal(await stateOf(labRef, 'a', 'web'), 'BACKUP', 'a in maintenance yields web');
  assert.equal(await stateOf(labRef, 'a', 'db'), 'MASTER', 'db is untouched');
  assert.equal((await carpctl(labRef, 'a', ['maintenance', 'off', 'web'])).code, 0);
  await waitUntil(async () => (await stateOf(labRef, 'a', 'web')) === 'MASTER', 5_000, 'a takes web back (preempt)');
  await events.kill();

  // Metrics from the live daemon (inside a's namespace).
  const scrape = await labRef.exec('a', [process.execPath, '-e', 'fetch("http://127.0.0.1:9273/metrics").then(r => r.text()).then(t => process.stdout.write(t))']);
  assert.equal(scrape.code, 0, scrape.stderr);
  assert.match(scrape.stdout, /carpd_group_state\{[^}]*group="web"[^}]*state="MASTER"[^}]*\} 1/);
  assert.match(scrape.stdout, /carpd_adverts_sent_total\{[^}]*group="db"[^}]*\} [1-9]/);
  assert.ok(!scrape.stdout.includes('lab-secret'));

  // Reload on b: db unchanged, web removed, api added. db must not flap or run a script.
  const dbBefore = (await status(labRef, 'b')).groups.find((g) => g.name === 'db');
  const scriptsBefore = scriptLog().length;
  writeConfig('b', configText('b', [{ name: 'db', vhid: 62, vip: '198.51.100.162', advskew: 100 }, { name: 'api', vhid: 63, vip: '198.51.100.163', advskew: 100 }]));
  b.process.signal('SIGHUP');
  await waitUntil(async () => (await status(labRef, 'b')).groups.some((g) => g.name === 'api'), 8_000, 'api added by the reload');
  const after1 = await status(labRef, 'b');
  assert.deepEqual(after1.groups.map((g) => g.name).sort(), ['api', 'db']);
  const dbAfter = after1.groups.find((g) => g.name === 'db');
  assert.equal(dbAfter?.counters.transitions, dbBefore?.counters.transitions, 'db did not transition');
  assert.equal(dbAfter?.state, 'BACKUP');
  const newScripts = scriptLog().slice(scriptsBefore);
  assert.ok(!newScripts.some((l) => l.includes(' 62 ')), `no script for db: ${newScripts.join(' | ')}`);

  // An invalid config is refused and the running one stays.
  writeConfig('b', 'groups:\n  - interface: eth0\n    vhid: 300\n');
  const refused = await carpctl(labRef, 'b', ['reload']);
  assert.equal(refused.code, 1);
  assert.match(refused.stdout + refused.stderr, /vhid/);
  assert.deepEqual((await status(labRef, 'b')).groups.map((g) => g.name).sort(), ['api', 'db']);
  assert.equal(transitions(a).length >= 0, true);

  for (const node of [a, b]) {
    node.process.signal('SIGTERM');
    const exit = await node.process.exited;
    assert.equal(exit.code, 0, node.process.lines.slice(-5).join('\n'));
  }
});

test('lab: a failing health check demotes the master; the backup takes over; recovery hands back', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const labRef = fileLab.lab();
  const flag = join(dir, 'healthy-a');
  writeFileSync(flag, 'ok');
  const check = `track:\n  checks:\n    - name: service\n      command: [/usr/bin/test, -f, ${flag}]\n      interval_seconds: 1\n      timeout_seconds: 0.5\n      rise: 2\n      fall: 2\n      weight: 100`;
  const a = startWithConfig(labRef, labRef.host('a'), writeConfig('a', configText('a', [{ name: 'svc', vhid: 71, vip: '198.51.100.171', advskew: 0, extra: check }])));
  const b = startWithConfig(labRef, labRef.host('b'), writeConfig('b', configText('b', [{ name: 'svc', vhid: 71, vip: '198.51.100.171', advskew: 100 }])));
  await waitUntil(async () => (await stateOf(labRef, 'a', 'svc')) === 'MASTER', 15_000, 'a master once its check is healthy');
  await waitUntil(async () => (await stateOf(labRef, 'b', 'svc')) === 'BACKUP', 5_000, 'b backup');
  rmSync(flag);
  const failedAt = Date.now();
  await waitUntil(async () => (await stateOf(labRef, 'b', 'svc')) === 'MASTER', 10_000, 'b takes over when a is demoted');
  t.diagnostic(`handover ${Date.now() - failedAt} ms after the check started failing (fall 2 × 1 s)`);
  assert.equal(await stateOf(labRef, 'a', 'svc'), 'BACKUP');
  assert.equal((await status(labRef, 'a')).groups[0]?.demotion.total, 100);
  writeFileSync(flag, 'ok');
  await waitUntil(async () => (await stateOf(labRef, 'a', 'svc')) === 'MASTER', 10_000, 'a takes back after rise');
  for (const node of [a, b]) {
    node.process.signal('SIGTERM');
    assert.equal((await node.process.exited).code, 0);
  }
});
