/**
 * Issue 18 item 7f: `carpd --check` reports the problems of every stage in one run, in file
 * order: the schema's, the passphrase files', the interface check and the host-address check
 * (item 3), even when other groups have errors. Runs the built bin/carpd (dist/); the host
 * checks read this machine's links and addresses through netlink, read-only: an interface no
 * machine has, and 127.0.0.1 on lo, which every Linux network namespace has.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const skip = existsSync(join(ROOT, 'dist', 'carpd.js')) ? false : 'dist/ not built (npm run build)';

/** The codes of `carpd --check` output lines, as "LINE CODE". */
function codes(stderr: string): string[] {
  return [...stderr.matchAll(/^carpd: [^\n]*?:(\d+):\d+: [^\n]*\[(CARPD_[A-Z_]+)\]$/gm)].map((m) => `${m[1]} ${m[2]}`);
}

test('item 7f: carpd --check names the schema, passphrase-file, interface and host-address problems of one file in one run, in file order', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-check-stages-'));
  try {
    const file = join(dir, 'carpd.yaml');
    writeFileSync(
      file,
      [
        'groups:',
        '  - interface: nosuch18x0', // line 2: no such interface
        '    vhid: 7',
        '    addresses: [198.51.100.7/24]',
        `    passphrase_file: ${join(dir, 'missing.pass')}`, // line 5: missing file
        '  - interface: lo',
        '    vhid: 300', // line 7: schema
        '    addresses: [198.51.100.8/24]',
        '    passphrase: x',
        '  - interface: lo',
        '    vhid: 9',
        '    addresses: [127.0.0.1]', // line 12: the host's own address
        '    passphrase: x',
        '',
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), '--check', '--config', file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 2, run.stdout + run.stderr);
    if (run.stderr.includes('netlink unavailable')) return t.skip('no netlink here');
    assert.deepEqual(codes(run.stderr), ['2 CARPD_CONFIG_NO_INTERFACE', '5 CARPD_CONFIG_PASSPHRASE_FILE_UNREADABLE', '7 CARPD_CONFIG_RANGE', '12 CARPD_HOST_ADDRESS'], run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 4, 'nothing else printed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('item 7f: a valid file with a VIP outside its interface\'s subnets passes --check with a CARPD_VIP_OUTSIDE_SUBNET warning', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-check-stages-'));
  try {
    const file = join(dir, 'carpd.yaml');
    writeFileSync(file, ['groups:', '  - interface: lo', '    vhid: 9', '    addresses: [203.0.113.9]', '    passphrase: x', ''].join('\n'));
    const run = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), '--check', '--config', file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /:4:\d+: groups\[0\]\.addresses\[0\]: 203\.0\.113\.9 is outside every subnet of lo .*\[CARPD_VIP_OUTSIDE_SUBNET\]/);
    assert.match(run.stderr, /configuration OK\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
