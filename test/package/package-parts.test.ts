/**
 * Issue 20: the pieces scripts/package.mjs assembles the Debian package from
 * (scripts/package-parts.mjs), without building one: the version from contrib/debian/changelog,
 * the check that the addon was built for the Node being shipped, the launchers that run the
 * package's own Node whatever `node` is on the PATH, DEBIAN/md5sums.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// @ts-expect-error: plain ES module of the build scripts, no types
import { addonNodeVersion, debianVersion, launcherScript, md5sums, packagedLauncher, PACKAGED_NODE } from '../../scripts/package-parts.mjs';

const ROOT = resolve(import.meta.dirname, '../..');

test('debianVersion: the changelog\'s top entry when it is upstream\'s version with a Debian revision', () => {
  const entry = (v: string): string => `carpd (${v}) unstable; urgency=medium\n\n  * x\n\n -- a <a@b.example>  Mon, 07 Dec 2026 20:00:00 +0000\n`;
  const cases: [string, string, string | undefined][] = [
    ['ok, first revision', entry('0.2.0-1'), '0.2.0-1'],
    ['ok, later revision', entry('0.2.0-12'), '0.2.0-12'],
    ['bad, native version', entry('0.2.0'), undefined],
    ['bad, another upstream', entry('0.3.0-1'), undefined],
    ['bad, revision not a number', entry('0.2.0-1a'), undefined],
    ['bad, another package', entry('0.2.0-1').replace('carpd', 'ucarp'), undefined],
    ['bad, empty', '', undefined],
  ];
  for (const [name, text, expected] of cases) assert.equal(debianVersion(text, '0.2.0'), expected, name);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.ok(debianVersion(readFileSync(join(ROOT, 'contrib', 'debian', 'changelog'), 'utf8'), pkg.version) !== undefined, 'contrib/debian/changelog matches package.json');
});

test('addonNodeVersion: the addon of this checkout was built against this Node\'s headers', { skip: existsSync(join(ROOT, 'build', 'config.gypi')) ? false : 'no build/config.gypi (npm ci)' }, () => {
  assert.equal(addonNodeVersion(ROOT), process.versions.node);
  const empty = mkdtempSync(join(tmpdir(), 'carpd-parts-'));
  try {
    assert.equal(addonNodeVersion(empty), undefined, 'no build/: unknown');
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('packagedLauncher: the checkout\'s launcher without its #! line, only for #!/usr/bin/env node', () => {
  const text = readFileSync(join(ROOT, 'bin', 'carpd'), 'utf8');
  const packaged = packagedLauncher(text, 'carpd') as string;
  assert.ok(!packaged.startsWith('#!'));
  assert.ok(packaged.includes(PACKAGED_NODE));
  assert.equal(packaged.split('\n').slice(1).join('\n'), text.split('\n').slice(1).join('\n'), 'the rest unchanged');
  assert.equal(packagedLauncher('#!/bin/sh\necho\n', 'carpd'), undefined);
});

test('launcherScript: usr/bin/NAME runs usr/lib/carpd/node on usr/lib/carpd/bin/NAME, from its path, a link or the PATH, never the PATH\'s node', () => {
  const tree = mkdtempSync(join(tmpdir(), 'carpd-parts-tree-'));
  try {
    const bin = join(tree, 'some where', 'usr', 'bin');
    const lib = join(tree, 'some where', 'usr', 'lib', 'carpd');
    mkdirSync(bin, { recursive: true });
    mkdirSync(join(lib, 'bin'), { recursive: true });
    // A stand-in runtime that says it ran and with what.
    writeFileSync(join(lib, 'node'), '#!/bin/sh\nprintf "packaged node:%s\\n" "$@"\n', { mode: 0o755 });
    writeFileSync(join(bin, 'carpd'), launcherScript('carpd'), { mode: 0o755 });
    const fake = join(tree, 'fake');
    mkdirSync(fake);
    writeFileSync(join(fake, 'node'), '#!/bin/sh\necho "PATH node"\nexit 97\n', { mode: 0o755 });
    const env = { PATH: `${fake}:${bin}:/usr/bin:/bin` };
    const runs = (argv: string[], cwd = '/'): string[] => {
      const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', env, cwd, timeout: 10_000 });
      assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stdout}${r.stderr}`);
      return r.stdout.trim().split('\n');
    };
    const [first, ...args] = runs([join(bin, 'carpd'), '--check', 'a b']);
    assert.ok(first?.startsWith('packaged node:'), `the tree's node ran: ${first}`);
    assert.equal(resolve(first?.slice('packaged node:'.length) ?? ''), join(lib, 'bin', 'carpd'), 'on the tree\'s bin/carpd');
    assert.deepEqual(args, ['packaged node:--check', 'packaged node:a b'], 'the arguments as given');
    // Through a link elsewhere, and found on the PATH (no slash in argv[0]).
    const elsewhere = join(tree, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(join(bin, 'carpd'), join(elsewhere, 'carpd'));
    assert.equal(resolve(runs([join(elsewhere, 'carpd')])[0]?.slice('packaged node:'.length) ?? ''), join(lib, 'bin', 'carpd'), 'through a link');
    assert.equal(resolve(runs(['carpd'])[0]?.slice('packaged node:'.length) ?? ''), join(lib, 'bin', 'carpd'), 'from the PATH');
    assert.equal(resolve(bin, runs(['sh', 'carpd'], bin)[0]?.slice('packaged node:'.length) ?? ''), join(lib, 'bin', 'carpd'), 'as `sh carpd` in its directory');
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
});

test('md5sums: every regular file outside DEBIAN, sorted by path, with its md5', () => {
  const tree = mkdtempSync(join(tmpdir(), 'carpd-parts-md5-'));
  try {
    mkdirSync(join(tree, 'DEBIAN'));
    writeFileSync(join(tree, 'DEBIAN', 'control'), 'x');
    mkdirSync(join(tree, 'usr', 'b'), { recursive: true });
    writeFileSync(join(tree, 'usr', 'b', 'z'), 'zed');
    writeFileSync(join(tree, 'usr', 'a'), 'ay');
    symlinkSync('a', join(tree, 'usr', 'link'));
    const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
    assert.equal(md5sums(tree), `${md5('ay')}  usr/a\n${md5('zed')}  usr/b/z\n`);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
});
