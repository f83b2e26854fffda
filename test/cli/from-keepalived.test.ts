/**
 * `carpd --from-keepalived` end to end (issue 21 item 6; docs/migration.md "The converter"): the
 * built bin/carpd converts the keepalived.conf of each node of a pair (test/fixtures/keepalived:
 * a default VRRPv2 instance with auth_type PASS and a script check, a VRRPv3 dual-stack router as
 * two instances in a sync group, an include), writes the passphrase file, and `carpd --check`
 * accepts the result. --check looks the interfaces up, so it runs in a network namespace of the
 * test's own with eth0 and eth1 (veth pairs) (no traffic, nothing on the host); without root that part
 * is skipped.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ip, TestNamespaces } from '../helpers/netns.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CARPD = join(ROOT, 'bin/carpd');
const FIXTURES = join(ROOT, 'test/fixtures/keepalived');
const skip = existsSync(join(ROOT, 'dist', 'carpd.js')) ? false : 'dist/ not built (npm run build)';

function carpd(args: string[], prefix: string[] = []) {
  const [command, ...rest] = [...prefix, process.execPath, CARPD, ...args];
  return spawnSync(command as string, rest, { encoding: 'utf8', timeout: 30_000 });
}

/** The codes on stderr, as "LINE CODE", for one file's notes. */
function noteCodes(stderr: string): string[] {
  return [...stderr.matchAll(/^\S+:(\d+): .*\[(CARPD_[A-Z_]+)\]$/gm)].map((m) => `${m[1]} ${m[2]}`);
}

/** Runs `carpd --check` on a file inside a namespace with eth0 / eth1 and the test-range addresses the groups advertise from. */
function checkInNamespace(t: TestContext, file: string): ReturnType<typeof spawnSync> | undefined {
  if (process.getuid?.() !== 0) {
    t.skip('carpd --check needs eth0 and eth1: made in a network namespace, which needs root');
    return undefined;
  }
  const namespaces = new TestNamespaces();
  const ns = `kc${process.pid}`;
  const failed = namespaces.tryAdd(ns);
  if (failed !== undefined) {
    t.skip(failed);
    return undefined;
  }
  try {
    // veth pairs with both ends in the namespace (this kernel may have no dummy links).
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
    ip('-n', ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p');
    ip('-n', ns, 'addr', 'add', '198.51.100.2/24', 'dev', 'eth0');
    ip('-n', ns, 'addr', 'add', '203.0.113.2/24', 'dev', 'eth1');
    for (const link of ['lo', 'eth0', 'eth0p', 'eth1', 'eth1p']) ip('-n', ns, 'link', 'set', link, 'up');
    return carpd(['--check', '--config', file], ['ip', 'netns', 'exec', ns]);
  } finally {
    namespaces.deleteAll(t);
  }
}

test('a VRRPv3 node converts completely (exit 0) and carpd --check accepts the groups as converted', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-from-keepalived-'));
  try {
    const run = carpd(['--from-keepalived', join(FIXTURES, 'v3-node/keepalived.conf'), '--secrets-dir', join(dir, 'secrets')]);
    assert.equal(run.status, 0, run.stderr);
    const file = join(dir, 'carpd.yaml');
    writeFileSync(file, run.stdout);
    const check = checkInNamespace(t, file);
    if (check === undefined) return;
    assert.equal(check.status, 0, String(check.stderr));
    const groups = (parseYaml(String(check.stdout)) as { groups: Record<string, unknown>[] }).groups;
    assert.deepEqual(groups.map((g) => [g['name'], g['protocol'], g['vrid'], g['priority'], g['advert_interval'], g['accept_mode'], g['addresses'], g['sync_set']]), [
      ['WEB', 'vrrp', 51, 150, 1, true, ['198.51.100.10/24'], undefined],
      ['API4', 'vrrp', 60, 150, 0.5, true, ['203.0.113.20/24'], 'API'],
      ['API6', 'vrrp', 60, 150, 0.5, true, ['2001:db8:60::20/64'], 'API'],
    ]);
    assert.deepEqual(((groups[0] as Record<string, unknown>)['track'] as { checks: unknown[] }).checks, [
      { name: 'chk_web', command: ['/bin/sh', '-c', 'exec /usr/bin/test -e /run/web.pid'], interval_seconds: 2, timeout_seconds: 1.8, rise: 2, fall: 3, weight: 60 },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('node A converts completely (exit 0), its passphrase file is written 0600, and carpd --check accepts the groups as converted', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-from-keepalived-'));
  try {
    const run = carpd(['--from-keepalived', join(FIXTURES, 'node-a/keepalived.conf'), '--secrets-dir', join(dir, 'secrets'), '--write-secrets']);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(noteCodes(run.stderr).filter((c) => !c.endsWith('DIFFERS')), []);
    const secret = join(dir, 'secrets/WEB.pass');
    assert.equal(readFileSync(secret, 'utf8'), 'k33pal1v\n');
    assert.equal(statSync(secret).mode & 0o777, 0o600);
    assert.doesNotMatch(run.stdout, /k33pal1v/);
    const file = join(dir, 'carpd.yaml');
    writeFileSync(file, run.stdout);
    const check = checkInNamespace(t, file);
    if (check === undefined) return;
    assert.equal(check.status, 0, String(check.stderr));
    const groups = (parseYaml(String(check.stdout)) as { groups: Record<string, unknown>[] }).groups;
    const pick = (g: Record<string, unknown>) => [g['name'], g['vrrp_version'], g['auth_type'], g['passphrase_file'], g['interface'], g['vrid'], g['priority'], g['advert_interval'], g['preempt'], g['addresses'], g['vmac'], g['sync_set']];
    assert.deepEqual(groups.map(pick), [
      ['WEB', 2, 'pass', secret, 'eth0', 51, 150, 1, true, ['198.51.100.10/24'], false, undefined],
      ['API4', undefined, undefined, undefined, 'eth1', 60, 150, 0.5, true, ['203.0.113.20/24'], false, 'API'],
      ['API6', undefined, undefined, undefined, 'eth1', 60, 150, 0.5, true, ['2001:db8:60::20/64'], false, 'API'],
    ]);
    // The password is sent in clear: --check says so.
    assert.match(String(check.stderr), /\[CARPD_CONFIG_VRRP2_CLEARTEXT\]/);
    const [web, api4] = groups as [Record<string, unknown>, Record<string, unknown>];
    assert.deepEqual((web['track'] as { checks: unknown[] }).checks, [
      { name: 'chk_web', command: ['/bin/sh', '-c', 'exec /usr/bin/test -e /run/web.pid'], interval_seconds: 2, timeout_seconds: 1.8, rise: 2, fall: 3, weight: 60 },
    ]);
    assert.deepEqual([(web['scripts'] as Record<string, unknown>)['master'], (web['scripts'] as Record<string, unknown>)['backup']], ['/etc/keepalived/web-master.sh', '/etc/keepalived/web-backup.sh']);
    assert.deepEqual((api4['track'] as { interfaces: unknown[] }).interfaces, [{ interface: 'eth0', weight: 50 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('node B: what is left out is named with its line (exit 3); without --write-secrets the printed command creates the passphrase file', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-from-keepalived-'));
  try {
    const run = carpd(['--from-keepalived', join(FIXTURES, 'node-b/keepalived.conf'), `--secrets-dir=${dir}/keys`]);
    assert.equal(run.status, 3, run.stderr);
    assert.deepEqual(noteCodes(run.stderr).filter((c) => !c.endsWith('DIFFERS')), ['7 CARPD_KEEPALIVED_NOT_CONVERTED']);
    assert.match(run.stdout, /^# {3}\S+node-b\/keepalived\.conf:7: router_id node-b/m);
    const command = run.stderr.split('\n').find((line) => line.includes('WEB.pass'))?.trim();
    assert.ok(command !== undefined, run.stderr);
    const sh = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
    assert.equal(sh.status, 0, sh.stderr);
    assert.equal(readFileSync(join(dir, 'keys/WEB.pass'), 'utf8'), 'k33pal1v\n');
    assert.equal(statSync(join(dir, 'keys/WEB.pass')).mode & 0o777, 0o600);
    // The same command again refuses to overwrite (set -C).
    assert.notEqual(spawnSync('/bin/sh', ['-c', command]).status, 0);
    const file = join(dir, 'carpd.yaml');
    writeFileSync(file, run.stdout);
    const check = checkInNamespace(t, file);
    if (check === undefined) return;
    assert.equal(check.status, 0, String(check.stderr));
    const groups = (parseYaml(String(check.stdout)) as { groups: Record<string, unknown>[] }).groups;
    assert.deepEqual(groups.map((g) => [g['name'], g['priority']]), [['WEB', 100], ['API4', 100], ['API6', 100]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--write-secrets never overwrites another file (exit 1, CARPD_KEEPALIVED_SECRET_EXISTS, no YAML), and accepts one with the same content', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-from-keepalived-'));
  try {
    const args = ['--from-keepalived', join(FIXTURES, 'node-a/keepalived.conf'), '--secrets-dir', dir, '--write-secrets'];
    writeFileSync(join(dir, 'WEB.pass'), 'other\n', { mode: 0o600 });
    const refused = carpd(args);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /\[CARPD_KEEPALIVED_SECRET_EXISTS\]/);
    assert.equal(refused.stdout, '');
    assert.equal(readFileSync(join(dir, 'WEB.pass'), 'utf8'), 'other\n');
    writeFileSync(join(dir, 'WEB.pass'), 'k33pal1v\n');
    assert.equal(carpd(args).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exit status: 1 for an unreadable file or an include cycle, 2 for usage errors; carpd from-keepalived is the same command', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-from-keepalived-'));
  try {
    assert.equal(carpd(['--from-keepalived', join(dir, 'missing.conf')]).status, 1);
    writeFileSync(join(dir, 'a.conf'), 'include b.conf\n');
    writeFileSync(join(dir, 'b.conf'), 'include a.conf\n');
    const cycle = carpd(['--from-keepalived', join(dir, 'a.conf')]);
    assert.deepEqual([cycle.status, noteCodes(cycle.stderr), cycle.stdout], [1, ['1 CARPD_KEEPALIVED_INCLUDE'], '']);
    const usage = carpd(['--from-keepalived']);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /^carpd --from-keepalived: [^\n]*see carpd --from-keepalived --help \[CARPD_USAGE\]\n$/);
    assert.equal(carpd(['--from-keepalived', 'x.conf', '--bogus']).status, 2);
    assert.equal(carpd(['--from-keepalived', 'x.conf', '--secrets-dir', 'relative']).status, 2);
    assert.equal(carpd(['from-keepalived', '--help']).status, 0);
    const alias = carpd(['from-keepalived', join(FIXTURES, 'node-a/keepalived.conf'), '--secrets-dir', dir]);
    assert.equal(alias.status, 0, alias.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
