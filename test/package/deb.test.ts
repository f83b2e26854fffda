/**
 * The Debian package (issues 10 and 20): `npm run package` builds carpd_VERSION_ARCH.deb and
 * prints its path last; its contents and control fields (the Node runtime inside, Depends only
 * on stock Debian libraries); the tree unpacked anywhere runs with its own Node whatever `node`
 * is on the PATH (relocatable), the daemon included, with its guard from that tree; the man
 * pages render; a second build is byte-identical; lintian reports nothing but the shipped
 * overrides. Installing on stock Debian 12 and 13: stock-debian.test.ts. Then, on CI
 * (CI=true) or when asked (CARPD_TEST_INSTALL=1), as root: installed with apt-get (a
 * policy-rc.d forbids starting services meanwhile), nothing started or enabled, a two-node
 * failover with the installed /usr/bin/carpd in the namespace lab, and removed again (purge)
 * whatever happens.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Lab } from '../../src/lab/lab.ts';
import { holds, stopCarpd, transitions, waitForPhase, type CarpdNode } from '../integration/carpd-in-lab.ts';
import { carpctlOn, machine, startCarpdOn, writeConfig, writePassphrase, type Machine } from '../integration/machine.ts';
// @ts-expect-error: plain ES module of the build scripts, no types
import { debianVersion } from '../../scripts/package-parts.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** The package's version: package.json's with the Debian revision of contrib/debian/changelog. */
const DEB_VERSION = (debianVersion(readFileSync(join(ROOT, 'contrib', 'debian', 'changelog'), 'utf8'), VERSION) as string | undefined) ?? `${VERSION}-?`;
const VIP = '198.51.100.100';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell, bounded by timeoutMs (SIGKILL). Never rejects. */
function sh(argv: readonly string[], options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  const [command, ...args] = argv;
  return new Promise((resolvePromise) => {
    execFile(
      command ?? 'false',
      args,
      { timeout: options.timeoutMs ?? 30_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', cwd: options.cwd ?? ROOT, env: options.env ?? process.env },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolvePromise({ code, stdout, stderr: error !== null && code === null ? `${stderr}${error.message}\n` : stderr });
      },
    );
  });
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore', timeout: 5_000 }).status === 0;
}

function explain(result: Result): string {
  return `exit ${result.code}\n${result.stdout}${result.stderr}`;
}

const noDpkg = ['dpkg-deb', 'dpkg', 'dpkg-shlibdeps', 'strip'].every(hasCommand) ? undefined : 'dpkg-deb, dpkg-shlibdeps or strip is not installed (Debian\'s dpkg-dev and binutils)';
const isRoot = process.getuid?.() === 0;

/** Why the install test does not run here, or undefined when it does. */
function installSkip(): string | undefined {
  if (noDpkg !== undefined) return noDpkg;
  if (process.env['CI'] !== 'true' && process.env['CARPD_TEST_INSTALL'] !== '1') return 'installs on the machine: only with CI=true or CARPD_TEST_INSTALL=1';
  if (!isRoot) return 'installing needs root';
  if (!hasCommand('apt-get')) return 'apt-get is not installed';
  const installed = spawnSync('dpkg-query', ['-W', '-f=${Status}', 'carpd'], { encoding: 'utf8', timeout: 10_000 });
  if (installed.status === 0 && / installed$/.test(installed.stdout)) return 'a carpd package is already installed here: not touching it';
  if (existsSync('/etc/carpd/carpd.yaml')) return '/etc/carpd/carpd.yaml exists: the package would take it over, and a purge remove it';
  if (existsSync('/usr/bin/carpd') || existsSync('/usr/bin/carpctl')) return '/usr/bin/carpd or /usr/bin/carpctl exists outside the package';
  return undefined;
}

// `npm run package` once for the file; every test uses its output.
let deb = '';
let packageOutput: Result | undefined;
let packageMs = 0;
const work = mkdtempSync(join(tmpdir(), 'carpd-deb-test-'));
const unpacked = join(work, 'unpacked', 'some where');

before(async () => {
  if (noDpkg !== undefined) return;
  const started = Date.now();
  packageOutput = await sh(['npm', 'run', 'package'], { timeoutMs: 400_000 });
  packageMs = Date.now() - started;
  deb = packageOutput.stdout.trimEnd().split('\n').at(-1) ?? '';
  if (packageOutput.code === 0 && existsSync(deb)) {
    mkdirSync(unpacked, { recursive: true });
    const extracted = await sh(['dpkg-deb', '-x', deb, unpacked]);
    assert.equal(extracted.code, 0, explain(extracted));
  }
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

function requirePackage(t: TestContext): void {
  assert.ok(packageOutput !== undefined);
  assert.equal(packageOutput.code, 0, `npm run package failed: ${explain(packageOutput)}`);
  t.diagnostic(`npm run package: ${packageMs} ms`);
}

/** `dpkg-deb -c`: path (without ./) → its mode string, owner and link target. */
async function contents(): Promise<Map<string, { mode: string; owner: string; target?: string }>> {
  const listed = await sh(['dpkg-deb', '-c', deb]);
  assert.equal(listed.code, 0, explain(listed));
  const entries = new Map<string, { mode: string; owner: string; target?: string }>();
  for (const line of listed.stdout.trim().split('\n')) {
    const [mode = '', owner = '', , , , path = '', arrow, target] = line.split(/\s+/);
    const name = path.replace(/^\.\//, '').replace(/\/$/, '');
    if (name === '') continue;
    entries.set(name, { mode, owner, ...(arrow === '->' && target !== undefined ? { target } : {}) });
  }
  return entries;
}

test('npm run package: carpd_VERSION_ARCH.deb in the project root, its path the last line', { skip: noDpkg ?? false, timeout: 420_000 }, async (t) => {
  requirePackage(t);
  const arch = (await sh(['dpkg', '--print-architecture'])).stdout.trim();
  assert.equal(deb, join(ROOT, `carpd_${DEB_VERSION}_${arch}.deb`));
  assert.ok(lstatSync(deb).isFile());
  t.diagnostic(`${deb}: ${lstatSync(deb).size} bytes`);
});

test('the package holds the program, units, sample config, docs and man pages, and nothing of the build', { skip: noDpkg ?? false, timeout: 60_000 }, async (t) => {
  requirePackage(t);
  const entries = await contents();
  const required = [
    'usr/bin/carpd',
    'usr/bin/carpctl',
    'usr/lib/carpd/bin/carpd',
    'usr/lib/carpd/bin/carpctl',
    'usr/lib/carpd/dist/carpd.js',
    'usr/lib/carpd/dist/carpctl.js',
    'usr/lib/carpd/dist/daemon-command.cjs',
    'usr/lib/carpd/dist/daemon-command.cjs.cache',
    'usr/lib/carpd/build/Release/carp_socket.node',
    'usr/lib/carpd/build/Release/carpd-guard',
    'usr/lib/carpd/package.json',
    'usr/lib/carpd/node',
    'usr/share/doc/carpd/changelog.Debian.gz',
    'usr/share/lintian/overrides/carpd',
    'lib/systemd/system/carpd.service',
    'lib/systemd/system/carpd-ucarp@.service',
    'etc/carpd/carpd.yaml',
    'usr/share/doc/carpd/copyright',
    'usr/share/doc/carpd/README.md',
    'usr/share/doc/carpd/configuration.md',
    'usr/share/doc/carpd/systemd.md',
    'usr/share/doc/carpd/examples/carpd.yaml',
    'usr/share/man/man8/carpd.8.gz',
    'usr/share/man/man8/carpctl.8.gz',
    'usr/share/man/man5/carpd.yaml.5.gz',
  ];
  for (const path of required) assert.ok(entries.has(path), `the package has ${path}`);
  assert.ok([...entries.keys()].some((p) => p.startsWith('usr/lib/carpd/dist/chunks/') && p.endsWith('.js')), 'the code-split chunks');
  const forbidden = /(^|\/)node_modules(\/|$)|(^|\/)(typescript|tsx|esbuild|fast-check|@types|marked|marked-man)(\/|$)|\.ts$|\.map$|(^|\/)src(\/|$)|meta\.json$/;
  const bad = [...entries.keys()].filter((p) => forbidden.test(p));
  assert.deepEqual(bad, [], 'no node_modules, build tools, TypeScript sources or source maps');

  for (const [path, entry] of entries) {
    assert.equal(entry.owner, 'root/root', `${path} is owned by root`);
    if (entry.mode.startsWith('l')) continue;
    if (entry.mode.startsWith('d')) assert.match(entry.mode, path === 'etc/carpd' ? /^drwxr-x---$/ : /^drwxr-xr-x$/, path);
  }
  const executables = ['usr/bin/carpd', 'usr/bin/carpctl', 'usr/lib/carpd/node', 'usr/lib/carpd/build/Release/carpd-guard'];
  for (const path of executables) assert.equal(entries.get(path)?.mode, '-rwxr-xr-x', `${path} is 0755`);
  assert.equal(entries.get('etc/carpd/carpd.yaml')?.mode, '-rw-------', 'the sample config is 0600 (it names the passphrase file)');
  const others = [...entries].filter(([p, e]) => e.mode.startsWith('-') && ![...executables, 'etc/carpd/carpd.yaml'].includes(p));
  for (const [path, entry] of others) assert.equal(entry.mode, '-rw-r--r--', `${path} is 0644`);
});

test('control fields: Version from package.json and the changelog, Depends only on stock Debian packages (no nodejs), the sample a conffile, scripts that start nothing', { skip: noDpkg ?? false, timeout: 60_000 }, async (t) => {
  requirePackage(t);
  const field = async (name: string): Promise<string> => (await sh(['dpkg-deb', '-f', deb, name])).stdout.trim();
  assert.equal(await field('Package'), 'carpd');
  assert.equal(await field('Version'), DEB_VERSION);
  assert.equal(await field('Architecture'), (await sh(['dpkg', '--print-architecture'])).stdout.trim());
  const depends = (await field('Depends')).split(',').map((d) => d.trim());
  // The runtime is usr/lib/carpd/node: what it, the addon and the guard link against, and passwd.
  assert.deepEqual(depends.map((d) => d.split(' ')[0]).sort(), ['libc6', 'libgcc-s1', 'libstdc++6', 'passwd'], `Depends: ${depends.join(', ')}`);
  for (const d of depends.filter((x) => x.startsWith('lib'))) assert.match(d, /^[a-z0-9+.-]+ \(>= [\d.:~-]+\)$/, `a versioned library dependency: ${d}`);
  assert.equal(await field('Recommends'), 'iproute2');
  const installedKiB = Number(await field('Installed-Size'));
  t.diagnostic(`Installed-Size: ${installedKiB} KiB; download: ${statSync(deb).size} bytes; Depends: ${depends.join(', ')}`);
  assert.equal(await field('Section'), 'net');
  assert.match(await field('Maintainer'), /^.+ <[^@\s]+@[^@\s]+>$/);
  const control = join(work, 'control');
  const extracted = await sh(['dpkg-deb', '-e', deb, control]);
  assert.equal(extracted.code, 0, explain(extracted));
  assert.equal(readFileSync(join(control, 'conffiles'), 'utf8'), '/etc/carpd/carpd.yaml\n');
  for (const script of readdirSync(control).filter((f) => ['preinst', 'postinst', 'prerm', 'postrm'].includes(f))) {
    const text = readFileSync(join(control, script), 'utf8');
    const code = text.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
    assert.doesNotMatch(code, /\b(start|restart|enable|try-restart|reload-or-restart)\b|deb-systemd-helper/, `${script} never starts or enables a service`);
  }
});

test('postinst creates the system user carpd (no login shell) that the units run as; the units keep two capabilities and no core dumps', { skip: noDpkg ?? false, timeout: 60_000 }, async (t) => {
  requirePackage(t);
  const control = join(work, 'control-user');
  const extracted = await sh(['dpkg-deb', '-e', deb, control]);
  assert.equal(extracted.code, 0, explain(extracted));
  const postinst = readFileSync(join(control, 'postinst'), 'utf8');
  assert.match(postinst, /^\s*groupadd --system carpd$/m);
  assert.match(postinst, /^\s*useradd --system --gid carpd --no-create-home --home-dir \/nonexistent --shell \/usr\/sbin\/nologin .* carpd$/m);
  assert.match(postinst, /chown root:carpd \/etc\/carpd\/carpd\.yaml && chmod 0640/);
  assert.ok((await sh(['dpkg-deb', '-f', deb, 'Depends'])).stdout.split(',').map((d) => d.trim()).includes('passwd'), 'Depends on passwd (useradd)');
  // Run the postinst's user creation for real with a throw-away name, then remove it.
  if (isRoot && hasCommand('useradd')) {
    const name = `carpdt${process.pid % 100000}`;
    // The lines from `if ! getent group carpd` to the `fi` after useradd.
    const lines = postinst.split('\n');
    const first = lines.findIndex((l) => /getent group carpd/.test(l));
    const last = lines.findIndex((l, i) => i > lines.findIndex((u) => /useradd/.test(u)) && /^\s*fi$/.test(l));
    assert.ok(first >= 0 && last > first, 'postinst has the user block');
    const script = lines.slice(first, last + 1).join('\n').replaceAll('carpd', name);
    try {
      const created = await sh(['sh', '-ec', script]);
      assert.equal(created.code, 0, explain(created));
      const [entry] = (await sh(['getent', 'passwd', name])).stdout.trim().split('\n');
      const fields = (entry ?? '').split(':');
      assert.ok(Number(fields[2]) < 1000, `a system uid: ${entry}`);
      assert.equal(fields[6], '/usr/sbin/nologin');
      assert.equal((await sh(['sh', '-ec', script])).code, 0, 'a second configure (an upgrade) is fine');
    } finally {
      await sh(['userdel', name]);
      await sh(['groupdel', name]);
    }
  }
  for (const name of ['carpd.service', 'carpd-ucarp@.service']) {
    const unit = readFileSync(join(unpacked, 'lib', 'systemd', 'system', name), 'utf8');
    assert.match(unit, /^User=carpd$/m, name);
    assert.match(unit, /^Group=carpd$/m, name);
    assert.match(unit, /^AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN$/m, name);
    assert.match(unit, /^CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN$/m, name);
    assert.match(unit, /^NoNewPrivileges=yes$/m, name);
    assert.match(unit, /^LimitCORE=0$/m, name);
    assert.match(unit, /^RuntimeDirectory=carpd$/m, name);
    assert.match(unit, /^StateDirectory=carpd$/m, name);
  }
});

/** A PATH whose first `node` fails: the packaged launchers must not run it. */
function pathWithFailingNode(): NodeJS.ProcessEnv {
  const bin = join(work, 'fake-node-bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'node'), '#!/bin/sh\necho "the PATH\'s node ran" >&2\nexit 97\n', { mode: 0o755 });
  return { ...process.env, PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin` };
}

test('unpacked anywhere with dpkg-deb -x, usr/bin/carpd and carpctl run from there with the packaged Node, whatever node is on PATH', { skip: noDpkg ?? false, timeout: 60_000 }, async (t) => {
  requirePackage(t);
  const carpd = join(unpacked, 'usr', 'bin', 'carpd');
  const carpctl = join(unpacked, 'usr', 'bin', 'carpctl');
  const env = pathWithFailingNode();
  assert.equal((await sh(['node', '--version'], { env })).code, 97, 'the fake node is the PATH\'s');
  // The packaged Node is the one this test runs under, stripped.
  const packagedNode = await sh([join(unpacked, 'usr', 'lib', 'carpd', 'node'), '-p', 'process.version + " " + process.versions.modules'], { env });
  assert.equal(packagedNode.stdout.trim(), `${process.version} ${process.versions.modules}`, explain(packagedNode));
  // From another directory, with this checkout nowhere on the path, and through a link to the script.
  const version = await sh([carpd, '--version'], { cwd: '/', env });
  const linked = join(work, 'linked-carpd');
  await sh(['ln', '-sf', carpd, linked]);
  assert.equal((await sh([linked, '--version'], { cwd: '/', env })).stdout.trim(), `carpd ${VERSION}`, 'through a symlink');
  assert.equal(version.code, 0, explain(version));
  assert.equal(version.stdout.trim(), `carpd ${VERSION}`);
  const help = await sh([carpctl, '--help'], { cwd: '/', env });
  assert.equal(help.code, 0, explain(help));
  assert.match(help.stdout, /^usage: carpctl /);
  const down = await sh([carpctl, '--control', join(work, 'no.sock'), 'status'], { cwd: '/', env });
  assert.equal(down.code, 3, `carpctl without a daemon exits 3: ${explain(down)}`);

  // The packaged sample, on an interface every machine has and with a passphrase of its own.
  const sample = readFileSync(join(unpacked, 'etc', 'carpd', 'carpd.yaml'), 'utf8');
  assert.match(sample, /passphrase_file: \/etc\/carpd\/passphrase/, 'the sample names a passphrase file the package does not ship');
  const config = join(work, 'sample.yaml');
  writeFileSync(config, sample.replace(/interface: eth0\b/, 'interface: lo').replace('passphrase_file: /etc/carpd/passphrase', 'passphrase: sample-pass'));
  const check = await sh([carpd, '--check', '--config', config], { cwd: '/', env });
  assert.equal(check.code, 0, explain(check));
  assert.match(check.stdout, /^log_level: info$/m);
  const init = await sh([carpd, '--init'], { cwd: '/', env });
  assert.equal(sample.endsWith(init.stdout.replace('Every key is described in docs/configuration.md;', 'Every key is described in carpd.yaml(5);')), true, 'the sample is carpd --init');
});

test('the man pages render and document every flag the programs print', { skip: noDpkg ?? false, timeout: 60_000 }, async (t) => {
  requirePackage(t);
  const pages = [
    { file: 'usr/share/man/man8/carpd.8.gz', name: 'carpd', title: 'CARPD(8)' },
    { file: 'usr/share/man/man8/carpctl.8.gz', name: 'carpctl', title: 'CARPCTL(8)' },
    { file: 'usr/share/man/man5/carpd.yaml.5.gz', name: 'carpd.yaml', title: 'CARPD.YAML(5)' },
  ];
  const man = hasCommand('man');
  if (!man) t.diagnostic('man is not installed: checking the roff source only');
  // The flags are looked up in the roff text (rendered, a long one may be hyphenated).
  const sources = new Map<string, string>();
  for (const page of pages) {
    const path = join(unpacked, page.file);
    const roff = gunzipSync(readFileSync(path)).toString('utf8');
    assert.match(roff, /^\.TH "[A-Z\\.]+" "[58]" /m, `${page.file} has a .TH line`);
    assert.match(roff, /^\.SH "NAME"$/m);
    sources.set(page.name, roff.replace(/\\f[BIRP]/g, '').replace(/\\-/g, '-').replace(/\\\./g, '.'));
    if (!man) continue;
    const out = await sh(['man', '--warnings', '-l', path], { env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat', LANG: 'C.UTF-8' } });
    assert.equal(out.code, 0, explain(out));
    assert.equal(out.stderr.trim(), '', `${page.file} renders without warnings`);
    assert.ok(out.stdout.startsWith(page.title), `${page.file} starts with its title: ${out.stdout.slice(0, 80)}`);
    assert.match(out.stdout, new RegExp(`^NAME\\n\\s+${page.name.replace('.', '\\.')} - `, 'm'));
    assert.match(out.stdout, /^SEE ALSO$/m);
  }
  // Every long option the help texts print is in the page (the help comes from the package).
  const carpd = join(unpacked, 'usr', 'bin', 'carpd');
  const helps = [
    { page: 'carpd', argv: [carpd, '--help'] },
    { page: 'carpd', argv: [carpd, '--help-daemon'] },
    { page: 'carpctl', argv: [join(unpacked, 'usr', 'bin', 'carpctl'), '--help'] },
  ];
  for (const help of helps) {
    const out = await sh(help.argv, { cwd: '/' });
    assert.equal(out.code, 0, explain(out));
    const flags = new Set(out.stdout.match(/--[a-z][a-z-]+/g) ?? []);
    assert.ok(flags.size > 0);
    const text = sources.get(help.page) ?? '';
    const missing = [...flags].filter((flag) => !text.includes(flag));
    assert.deepEqual(missing, [], `${help.argv.slice(1).join(' ')}: flags missing from ${help.page}(8)`);
  }
  const yaml = sources.get('carpd.yaml') ?? '';
  for (const key of ['state_directory', 'passphrase_file', 'advskew', 'track.checks', 'key_change_window', 'interval_seconds']) assert.ok(yaml.includes(key), `carpd.yaml(5) has ${key}`);
});

test('reproducible: a second build from the same commit and SOURCE_DATE_EPOCH gives the same bytes', { skip: noDpkg ?? false, timeout: 420_000 }, async (t) => {
  requirePackage(t);
  const again = join(work, 'again');
  const second = await sh(['npm', 'run', 'package', '--', '--outdir', again], { timeoutMs: 400_000 });
  assert.equal(second.code, 0, explain(second));
  const other = second.stdout.trimEnd().split('\n').at(-1) ?? '';
  assert.equal(other, join(again, deb.split('/').at(-1) ?? ''));
  if (!readFileSync(deb).equals(readFileSync(other))) {
    // Say which files differ, from each tree unpacked.
    const trees = [join(work, 'repro-1'), join(work, 'repro-2')];
    await sh(['dpkg-deb', '-R', deb, trees[0] ?? '']);
    await sh(['dpkg-deb', '-R', other, trees[1] ?? '']);
    const diff = await sh(['diff', '-rq', trees[0] ?? '', trees[1] ?? '']);
    assert.fail(`the two builds differ:\n${diff.stdout}${diff.stderr}`);
  }
  t.diagnostic(`two builds byte-identical: ${statSync(deb).size} bytes`);
});

const noLintian = noDpkg ?? (hasCommand('lintian') ? undefined : 'lintian is not installed (.ci/run installs it)');

test('lintian --pedantic --info: no tag but the overrides shipped with their reasons', { skip: noLintian ?? false, timeout: 300_000 }, async (t) => {
  requirePackage(t);
  // lintian refuses nothing as root, it only warns; the warning is not a tag.
  const out = await sh(['lintian', '--pedantic', '--info', '--show-overrides', '--tag-display-limit', '0', deb], { timeoutMs: 280_000 });
  const tags = out.stdout.split('\n').filter((l) => /^[EWIPX]: /.test(l));
  assert.deepEqual(tags, [], `lintian tags that are neither fixed nor overridden:\n${out.stdout}${out.stderr}`);
  const overridden = out.stdout.split('\n').filter((l) => l.startsWith('O: '));
  t.diagnostic(`lintian: ${overridden.length} overridden tags: ${overridden.join('; ')}`);
  // Every override is used (lintian reports an unused one as a tag) and carries its reason.
  const overrides = readFileSync(join(ROOT, 'contrib', 'debian', 'lintian-overrides'), 'utf8').split('\n');
  overrides.forEach((line, i) => {
    if (line.startsWith('carpd: ')) assert.ok(i > 0 && /^(#|carpd: )/.test(overrides[i - 1] ?? ''), `override ${line} follows its reason`);
  });
});

/** Pids of the `carpd-guard` children of pid. */
async function guardsOf(pid: number): Promise<number[]> {
  const out = await sh(['pgrep', '-P', String(pid), '-x', 'carpd-guard']);
  return out.stdout.trim().split('\n').filter(Boolean).map(Number);
}

function machineWithConfig(lab: Lab, host: string, advskew: number): { m: Machine; config: string } {
  const m = machine(lab.host(host));
  const passphraseFile = writePassphrase(m, 'vhid7.pass', 'package-secret');
  const config = writeConfig(m, 'carpd.yaml', [{ addresses: [`${VIP}/24`], advskew, passphraseFile }]);
  return { m, config };
}

const labSkip = noDpkg ?? (await Lab.available());

test('the unpacked tree runs the daemon: title carpd, its guard from that tree, a clean stop', { skip: labSkip ?? false, timeout: 60_000 }, async (t) => {
  requirePackage(t);
  const lab = await Lab.create({ hosts: ['a'] });
  const machines: Machine[] = [];
  try {
    const { m, config } = machineWithConfig(lab, 'a', 0);
    machines.push(m);
    const node = startCarpdOn(lab, m, ['--config', config], { program: join(unpacked, 'usr', 'bin', 'carpd') });
    await waitForPhase(node, 'master', 8_000);
    assert.ok(await holds(lab, lab.host('a'), VIP), 'the master holds the VIP');
    assert.equal(readFileSync(`/proc/${node.process.pid}/comm`, 'utf8').trim(), 'carpd', 'the process title is carpd');
    assert.equal(readlinkSync(`/proc/${node.process.pid}/exe`), join(unpacked, 'usr', 'lib', 'carpd', 'node'), 'the Node of the unpacked tree runs it');
    const guards = await guardsOf(node.process.pid);
    assert.equal(guards.length, 1, 'one cleanup guard');
    assert.equal(readlinkSync(`/proc/${guards[0]}/exe`), join(unpacked, 'usr', 'lib', 'carpd', 'build', 'Release', 'carpd-guard'), 'the guard of the unpacked tree');
    assert.equal(await stopCarpd(node), 0, 'SIGTERM: exit 0');
    assert.ok(!(await holds(lab, lab.host('a'), VIP)), 'the VIP is removed on stop');
  } finally {
    await lab.destroy();
    for (const m of machines) rmSync(m.root, { recursive: true, force: true });
  }
});

const POLICY = '/usr/sbin/policy-rc.d';

test('installed with apt-get: nothing started or enabled, a lab failover with /usr/bin/carpd, then purged', { skip: installSkip() ?? labSkip ?? false, timeout: 400_000 }, async (t) => {
  requirePackage(t);
  const apt = { timeoutMs: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  const aptOptions = ['-o', 'DPkg::Lock::Timeout=120', '-o', 'Dpkg::Use-Pty=0'];
  // Keep apt from starting anything (exit 101: action forbidden), and put back what was there.
  const savedPolicy = existsSync(POLICY) ? { copy: join(work, 'policy-rc.d.saved'), mode: statSync(POLICY).mode & 0o7777 } : undefined;
  if (savedPolicy !== undefined) copyFileSync(POLICY, savedPolicy.copy);
  writeFileSync(POLICY, '#!/bin/sh\nexit 101\n');
  chmodSync(POLICY, 0o755);
  let lab: Lab | undefined;
  const machines: Machine[] = [];
  const nodes: CarpdNode[] = [];
  // postinst creates the system user carpd; a purge keeps it (as Debian does): the test removes it if it made it.
  const userExisted = (await sh(['getent', 'passwd', 'carpd'])).code === 0;
  try {
    const started = Date.now();
    const installed = await sh(['apt-get', 'install', '-y', '--no-install-recommends', ...aptOptions, deb], apt);
    assert.equal(installed.code, 0, `apt-get install: ${explain(installed)}`);
    t.diagnostic(`apt-get install: ${Date.now() - started} ms`);
    assert.match((await sh(['dpkg-query', '-W', '-f=${Status} ${Version}', 'carpd'])).stdout, new RegExp(`install ok installed ${DEB_VERSION.replace(/\./g, '\\.')}$`));

    const version = await sh(['/usr/bin/carpd', '--version'], { cwd: '/' });
    assert.equal(version.stdout.trim(), `carpd ${VERSION}`, explain(version));
    const unit = readFileSync('/lib/systemd/system/carpd.service', 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/carpd --config \/etc\/carpd\/carpd\.yaml$/m);
    assert.match(unit, /^ExecStopPost=\/usr\/bin\/carpd cleanup --config \/etc\/carpd\/carpd\.yaml$/m);
    assert.match(unit, /^Documentation=.*man:carpd\(8\)/m);
    assert.doesNotMatch(unit, /\/usr\/local\//);
    assert.match(readFileSync('/lib/systemd/system/carpd-ucarp@.service', 'utf8'), /^ExecStart=\/usr\/bin\/carpd ucarp \$UCARP_OPTS$/m);
    assert.ok(existsSync('/etc/carpd/carpd.yaml'), 'the sample config is installed');
    const user = (await sh(['getent', 'passwd', 'carpd'])).stdout.trim().split(':');
    assert.equal(user[6], '/usr/sbin/nologin', `the system user carpd exists, no login shell: ${user.join(':')}`);
    const carpdGid = Number(user[3]);
    for (const [path, mode] of [['/etc/carpd', 0o750], ['/etc/carpd/carpd.yaml', 0o640]] as const) {
      const s = statSync(path);
      assert.deepEqual([s.uid, s.gid, s.mode & 0o7777], [0, carpdGid, mode], `${path} is root:carpd ${mode.toString(8)}`);
    }
    assert.match(unit, /^User=carpd$/m);
    if (hasCommand('systemd-analyze')) {
      for (const file of ['/lib/systemd/system/carpd.service', '/lib/systemd/system/carpd-ucarp@.service']) {
        const verified = await sh(['systemd-analyze', 'verify', file]);
        assert.equal(verified.code, 0, `systemd-analyze verify ${file}: ${explain(verified)}`);
        assert.equal(verified.stderr.trim(), '', `systemd-analyze verify ${file} warns`);
      }
    } else t.diagnostic('systemd-analyze is not installed: the units are not verified');

    // Nothing started or enabled: no enablement link, no process started by a maintainer script
    // (it would carry dpkg's environment), and systemd (if it runs) agrees.
    for (const wants of ['/etc/systemd/system/multi-user.target.wants/carpd.service', '/etc/systemd/system/multi-user.target.wants/carpd-ucarp@.service']) {
      assert.ok(!existsSync(wants), `${wants} is not there`);
    }
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let environ = '';
      try {
        environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      assert.ok(!environ.split('\0').includes('DPKG_MAINTSCRIPT_PACKAGE=carpd'), `process ${pid} was started by carpd's maintainer scripts`);
    }
    if (existsSync('/run/systemd/system')) {
      assert.notEqual((await sh(['systemctl', 'is-active', 'carpd.service'])).stdout.trim(), 'active');
      assert.notEqual((await sh(['systemctl', 'is-enabled', 'carpd.service'])).stdout.trim(), 'enabled');
    }

    // The lab smoke test with the installed program: a becomes master and holds the VIP, b is
    // backup; SIGTERM to a hands over to b at once (bow-out).
    lab = await Lab.create({ hosts: ['a', 'b'] });
    const a = machineWithConfig(lab, 'a', 0);
    const b = machineWithConfig(lab, 'b', 100);
    machines.push(a.m, b.m);
    // a runs as the unit runs it: user carpd with CAP_NET_RAW and CAP_NET_ADMIN only, its
    // runtime and state directories its own, the passphrase file its own.
    const carpdUid = Number(user[2]);
    chmodSync(a.m.root, 0o755);
    chmodSync(a.m.etc, 0o755);
    for (const sub of ['run', 'lib']) chownSync(join(a.m.root, sub), carpdUid, carpdGid);
    chownSync(join(a.m.etc, 'vhid7.pass'), carpdUid, carpdGid);
    chmodSync(a.config, 0o644);
    const asUnit = ['setpriv', `--reuid=${carpdUid}`, `--regid=${carpdGid}`, '--clear-groups', '--inh-caps=-all,+net_raw,+net_admin', '--ambient-caps=-all,+net_raw,+net_admin', '--bounding-set=-all,+net_raw,+net_admin'];
    const nodeA = startCarpdOn(lab, a.m, ['--config', a.config], { program: '/usr/bin/carpd', launcher: asUnit });
    nodes.push(nodeA);
    await waitForPhase(nodeA, 'master', 8_000);
    const nodeB = startCarpdOn(lab, b.m, ['--config', b.config], { program: '/usr/bin/carpd' });
    nodes.push(nodeB);
    await waitForPhase(nodeB, 'backup', 5_000);
    assert.ok(await holds(lab, lab.host('a'), VIP), 'a holds the VIP');
    assert.ok(!(await holds(lab, lab.host('b'), VIP)), 'b does not');
    assert.equal(readFileSync(`/proc/${nodeA.process.pid}/comm`, 'utf8').trim(), 'carpd', 'pidof carpd finds it');
    assert.equal(readlinkSync(`/proc/${nodeA.process.pid}/exe`), '/usr/lib/carpd/node', 'the packaged Node runs it');
    assert.match(readFileSync(`/proc/${nodeA.process.pid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${carpdUid}\\s`, 'm'), 'a runs as user carpd');
    const [guard] = await guardsOf(nodeA.process.pid);
    assert.ok(guard !== undefined, 'a runs its cleanup guard');
    assert.equal(readlinkSync(`/proc/${guard}/exe`), '/usr/lib/carpd/build/Release/carpd-guard');
    const status = await carpctlOn(lab, a.m, ['status'], { program: '/usr/bin/carpctl' }); // as root: root may use carpd's socket
    assert.equal(status.code, 0, explain(status));
    assert.match(status.stdout, /web \(eth0 vhid 7\): MASTER/);

    const before = transitions(nodeB).length;
    const stoppedAt = Date.now();
    assert.equal(await stopCarpd(nodeA), 0, 'a exits 0 after SIGTERM');
    await waitForPhase(nodeB, 'master', 3_000, before);
    t.diagnostic(`handover to b ${Date.now() - stoppedAt} ms after SIGTERM`);
    assert.ok(await holds(lab, lab.host('b'), VIP), 'b holds the VIP');
    assert.ok(!(await holds(lab, lab.host('a'), VIP)), 'a removed it');
    assert.equal(await stopCarpd(nodeB), 0);
  } finally {
    for (const node of nodes) if (!node.process.done) await node.process.kill();
    await lab?.destroy();
    for (const m of machines) rmSync(m.root, { recursive: true, force: true });
    const removed = await sh(['apt-get', 'remove', '--purge', '-y', ...aptOptions, 'carpd'], apt);
    if (savedPolicy !== undefined) {
      copyFileSync(savedPolicy.copy, POLICY);
      chmodSync(POLICY, savedPolicy.mode);
    } else rmSync(POLICY, { force: true });
    assert.equal(removed.code, 0, `apt-get remove --purge: ${explain(removed)}`);
    if (!userExisted) {
      await sh(['userdel', 'carpd']);
      await sh(['groupdel', 'carpd']);
    }
  }
  assert.ok(!existsSync('/usr/bin/carpd') && !existsSync('/usr/bin/carpctl'), 'the programs are gone');
  assert.ok(!existsSync('/usr/lib/carpd') && !existsSync('/lib/systemd/system/carpd.service'), 'the tree and the units are gone');
  assert.ok(!existsSync('/etc/carpd/carpd.yaml'), 'purge removed the conffile');
  const status = await sh(['dpkg-query', '-W', '-f=${Status}', 'carpd']);
  assert.ok(!/ installed$/.test(status.stdout), `carpd is no longer installed: ${status.stdout}`);
});
