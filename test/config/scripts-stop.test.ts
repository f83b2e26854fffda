/**
 * scripts.stop in the configuration file: parsed (and merged from defaults), printed by
 * `carpd --check` in the normalised file and read back the same, and its errors coded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/config-file.ts';
import { renderNormalisedConfig } from '../../src/config/config-render.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const group = (scripts: unknown) => ({ interface: 'lo', vhid: 7, addresses: ['198.51.100.7/24'], passphrase: 'secret', scripts });

function errorsOf(doc: unknown): [string, string][] {
  const result = parseConfigText(stringify(doc), { env: {} });
  assert.equal(result.ok, false);
  return result.ok ? [] : result.errors.map((e) => [e.code, e.path]);
}

test('scripts.stop: parsed, merged from defaults, rendered by --check and read back the same', () => {
  const doc = {
    defaults: { scripts: { stop: '/etc/carpd/stop.sh' } },
    groups: [group({ master: '/etc/carpd/up', backup: '/etc/carpd/down' }), { ...group({ stop: '/etc/carpd/other-stop' }), vhid: 8, addresses: ['198.51.100.8/24'] }],
  };
  const result = parseConfigText(stringify(doc), { env: {} });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  assert.deepEqual(result.config.groups.map((g) => g.scripts.stop), ['/etc/carpd/stop.sh', '/etc/carpd/other-stop']);
  const rendered = renderNormalisedConfig(result.config);
  assert.match(rendered, /^ {6}stop: \/etc\/carpd\/stop\.sh$/m);
  const again = parseConfigText(rendered, { env: {} });
  assert.ok(again.ok);
  assert.deepEqual(again.config.groups.map((g) => g.scripts), result.config.groups.map((g) => g.scripts));
});

test('scripts.stop: absent by default, and not printed then', () => {
  const result = parseConfigText(stringify({ groups: [group({ backup: '/etc/carpd/down' })] }), { env: {} });
  assert.ok(result.ok);
  assert.equal(result.config.groups[0]?.scripts.stop, undefined);
  assert.doesNotMatch(renderNormalisedConfig(result.config), /^\s+stop:/m);
});

test('bad, scripts.stop relative: CARPD_CONFIG_RELATIVE_PATH at its path', () => {
  assert.deepEqual(errorsOf({ groups: [group({ stop: 'stop.sh' })] }), [['CARPD_CONFIG_RELATIVE_PATH', 'groups[0].scripts.stop']]);
});

test('bad, scripts.stop not a string: CARPD_CONFIG_TYPE', () => {
  assert.deepEqual(errorsOf({ groups: [group({ stop: 5 })] }), [['CARPD_CONFIG_TYPE', 'groups[0].scripts.stop']]);
});

test('bad, scripts.stopp (a typo): CARPD_CONFIG_UNKNOWN_KEY', () => {
  assert.deepEqual(errorsOf({ groups: [group({ stopp: '/x' })] }), [['CARPD_CONFIG_UNKNOWN_KEY', 'groups[0].scripts.stopp']]);
});

test('carpd --check prints scripts.stop in the normalised file; a relative one is refused with its line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-stop-check-'));
  try {
    const file = join(dir, 'carpd.yaml');
    writeFileSync(file, ['groups:', '  - interface: lo', '    vhid: 7', '    addresses: [198.51.100.7/24]', '    passphrase: x', '    scripts:', '      stop: /etc/carpd/stop.sh', ''].join('\n'));
    const good = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), '--check', '--config', file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /^ {6}stop: \/etc\/carpd\/stop\.sh$/m);
    writeFileSync(file, ['groups:', '  - interface: lo', '    vhid: 7', '    addresses: [198.51.100.7/24]', '    passphrase: x', '    scripts:', '      stop: stop.sh', ''].join('\n'));
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), '--check', '--config', file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, `carpd: ${file}:7:13: groups[0].scripts.stop: "stop.sh" is not an absolute path [CARPD_CONFIG_RELATIVE_PATH]\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
