import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseListen, parseWitnessArgs, passphraseOf, WitnessStartError } from '../../src/cli/witness.ts';

const codeOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof WitnessStartError);
    return error.code;
  }
  return 'none';
};

test('carpd witness: --listen takes ADDR:PORT or [IPv6]:PORT and nothing else', () => {
  assert.deepEqual(parseListen('198.51.100.30:8112'), { address: '198.51.100.30', port: 8112 });
  assert.deepEqual(parseListen('[2001:db8::30]:8112'), { address: '2001:db8::30', port: 8112 });
  for (const bad of ['198.51.100.30', '198.51.100.30:0', '198.51.100.30:65536', 'witness.example:8112', '2001:db8::30:8112', '[198.51.100.30]:8112', '198.51.100.300:1', ':8112']) {
    assert.equal(parseListen(bad), undefined, bad);
  }
  assert.equal(codeOf(() => parseWitnessArgs(['--listen', '198.51.100.30', '--passfile', '/x'])), 'CARPD_WITNESS_LISTEN');
  assert.equal(codeOf(() => parseWitnessArgs(['--listen', '198.51.100.30:1'])), 'CARPD_USAGE');
  assert.equal(codeOf(() => parseWitnessArgs(['--bogus', '1'])), 'CARPD_USAGE');
  assert.equal(parseWitnessArgs(['--help']), 'help');
});

test('carpd witness: the passphrase file must be a regular file of mode 0600 or 0400 with a first line', () => {
  const file = { isFile: () => true };
  assert.equal(passphraseOf('/p', { ...file, mode: 0o100600 }, 'secret\nrest').toString(), 'secret');
  assert.equal(passphraseOf('/p', { ...file, mode: 0o100400 }, 'secret').toString(), 'secret');
  for (const mode of [0o100640, 0o100644, 0o100700, 0o100666]) assert.equal(codeOf(() => passphraseOf('/p', { ...file, mode }, 'secret')), 'CARPD_WITNESS_PASSFILE', mode.toString(8));
  assert.equal(codeOf(() => passphraseOf('/p', { ...file, mode: 0o100600 }, '')), 'CARPD_WITNESS_PASSFILE');
  assert.equal(codeOf(() => passphraseOf('/p', { ...file, mode: 0o100600 }, '\nsecret')), 'CARPD_WITNESS_PASSFILE');
  assert.equal(codeOf(() => passphraseOf('/p', { isFile: () => false, mode: 0o40600 }, '')), 'CARPD_WITNESS_PASSFILE');
});

test('carpd witness (the real command): a bad passfile or listen address exits 2 with its code; --help exits 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-witness-'));
  try {
    const open = join(dir, 'open.pass');
    writeFileSync(open, 'secret\n');
    chmodSync(open, 0o644);
    const empty = join(dir, 'empty.pass');
    writeFileSync(empty, '');
    chmodSync(empty, 0o600);
    const good = join(dir, 'good.pass');
    writeFileSync(good, 'secret\n');
    chmodSync(good, 0o600);
    const run = (...args: string[]) => spawnSync(process.execPath, ['bin/carpd', 'witness', ...args], { encoding: 'utf8', timeout: 30_000 });
    const cases: [string[], number, string][] = [
      [['--listen', '198.51.100.30:8112', '--passfile', open], 2, 'CARPD_WITNESS_PASSFILE'],
      [['--listen', '198.51.100.30:8112', '--passfile', empty], 2, 'CARPD_WITNESS_PASSFILE'],
      [['--listen', '198.51.100.30:8112', '--passfile', join(dir, 'missing')], 2, 'CARPD_WITNESS_PASSFILE'],
      [['--listen', 'nowhere', '--passfile', good], 2, 'CARPD_WITNESS_LISTEN'],
    ];
    for (const [args, status, code] of cases) {
      const result = run(...args);
      assert.equal(result.status, status, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`\\[${code}\\]`));
    }
    const help = run('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--listen ADDR:PORT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
