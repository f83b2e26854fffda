/**
 * The units in contrib/ (docs/systemd.md, "Privileges and sandbox"), without systemd running:
 * carpd runs as the unprivileged user carpd with CAP_NET_RAW and CAP_NET_ADMIN only, no core
 * dumps, its runtime and state directories made by systemd for that user; and, where
 * systemd-analyze is installed, both units verify cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const UNITS = ['carpd.service', 'carpd-ucarp@.service'];

/** The [Service] section's settings: key → every value given (in order). */
function serviceSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      section = header[1] as string;
      continue;
    }
    const eq = line.indexOf('=');
    if (section !== 'Service' || eq < 0) continue;
    const key = line.slice(0, eq);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1)]);
  }
  return settings;
}

for (const name of UNITS) {
  test(`${name}: user carpd with CAP_NET_RAW and CAP_NET_ADMIN only, no core dumps, its own runtime and state directories`, () => {
    const service = serviceSettings(readFileSync(join(ROOT, 'contrib', name), 'utf8'));
    const one = (key: string) => {
      const values = service.get(key) ?? [];
      assert.equal(values.length, 1, `${key} is set once`);
      return values[0];
    };
    assert.equal(one('User'), 'carpd');
    assert.equal(one('Group'), 'carpd');
    const capabilities = (key: string) => (one(key) ?? '').split(/\s+/).sort();
    assert.deepEqual(capabilities('CapabilityBoundingSet'), ['CAP_NET_ADMIN', 'CAP_NET_RAW']);
    assert.deepEqual(capabilities('AmbientCapabilities'), ['CAP_NET_ADMIN', 'CAP_NET_RAW']);
    assert.equal(one('NoNewPrivileges'), 'yes');
    assert.equal(one('LimitCORE'), '0');
    assert.equal(one('RuntimeDirectory'), 'carpd');
    assert.equal(one('StateDirectory'), 'carpd');
    assert.equal(one('ProtectSystem'), 'strict');
    assert.ok(!service.has('ProtectKernelTunables'), 'the ARP sysctls stay writable (docs/systemd.md)');
    assert.ok(![...service.values()].flat().some((v) => /\broot\b/.test(v)), 'nothing runs as root');
    for (const [key, values] of service) if (key.startsWith('Exec')) for (const value of values) assert.ok(!/^[+!]/.test(value), `${key} does not escape the user (${value})`);
  });
}

const noAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0 ? undefined : 'systemd-analyze is not installed';

test('systemd-analyze verify passes on both units (pointed at this checkout\'s carpd)', { skip: noAnalyze ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-units-'));
  try {
    for (const name of UNITS) {
      const text = readFileSync(join(ROOT, 'contrib', name), 'utf8')
        .replaceAll('/usr/local/bin/carpd', join(ROOT, 'bin', 'carpd'))
        // A man: link is looked up with man(1), which this machine may not have.
        .replace(/^Documentation=.*$/m, 'Documentation=https://example.invalid/carpd');
      const path = join(dir, name);
      writeFileSync(path, text);
      const verified = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(verified.status, 0, `${name}: ${verified.stdout}${verified.stderr}`);
      assert.equal(verified.stderr.trim(), '', `${name} verifies without warnings`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
