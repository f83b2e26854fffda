#!/usr/bin/env node
// `npm run package [-- --outdir DIR]`: builds the Debian package carpd_VERSION_ARCH.deb in the
// project root (or DIR) and prints its absolute path as the last line (README, "Installing";
// docs/package.md). VERSION is the top entry of contrib/debian/changelog: package.json's version
// and a Debian revision (0.2.0-1).
//
// The package carries its runtime: the Node binary that runs this script (Node 20, the one `npm ci`
// built the addon against and scripts/build.mjs made the code cache with) is shipped as
// usr/lib/carpd/node, so the package needs no `nodejs` package (stock Debian 12 has Node 18).
// The build is reproducible: every timestamp is SOURCE_DATE_EPOCH, or the last commit's time.
//
// The tree, relocatable (unpacked anywhere with `dpkg-deb -x`, its usr/bin/carpd runs from there):
//   usr/lib/carpd/                 the program; src/package-root.ts finds everything from here
//     node                         the Node runtime, stripped of its debug symbols (--strip-unneeded
//                                  keeps the dynamic symbols the addon links against)
//     bin/carpd, bin/carpctl       the launchers (set the process title, import dist/), 0644 and
//                                  without their `#!` line: usr/bin/NAME runs them with ../node
//     dist/*.js, dist/chunks/*.js  the bundle, built fresh from src/ by scripts/build.mjs into
//                                  this tree (never replacing the checkout's dist/, which
//                                  running tests and daemons use); yaml and zod are bundled
//                                  in, so there is no node_modules at all; no source maps;
//                                  dist/daemon-command.cjs.cache is V8's code cache, made by
//                                  this Node and checked to be accepted by the shipped one
//     build/Release/carp_socket.node, build/Release/carpd-guard   the addon and the guard, as
//                                  `npm ci` built them (node-gyp, against this Node's headers:
//                                  checked), stripped
//     package.json                 name, version, "type": "module"
//   usr/bin/carpd, usr/bin/carpctl small sh scripts: exec ../lib/carpd/node ../lib/carpd/bin/NAME,
//                                  found from the script's own path, whatever `node` is on PATH
//   lib/systemd/system/            carpd.service and carpd-ucarp@.service from contrib/, with
//                                  /usr/local/bin replaced by /usr/bin; never enabled or started
//   etc/carpd/carpd.yaml           conffile, mode 0600: `carpd --init`'s starter file; it names
//                                  /etc/carpd/passphrase, which the package does not create, so
//                                  an unedited file cannot start a group by accident
//   usr/share/man/man8/carpd.8.gz, carpctl.8.gz, man5/carpd.yaml.5.gz   from docs/man/ (scripts/man.mjs)
//   usr/share/doc/carpd/           README.md, docs/*.md (without their source-tree parts:
//                                  scripts/shipped-docs.mjs), copyright, changelog.Debian.gz
//                                  (contrib/debian/changelog), examples/carpd.yaml
//   usr/share/lintian/overrides/carpd   contrib/debian/lintian-overrides: each with its reason
//   DEBIAN/                        control, conffiles, postinst/prerm/postrm (postinst creates the
//                                  system user carpd, no login shell, and gives it read access to
//                                  /etc/carpd; daemon-reload; prerm stops carpd when the package
//                                  is removed; nothing starts it), md5sums
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { manDate, renderManPage } from './man.mjs';
import { shippedDocs } from './shipped-docs.mjs';
import { addonNodeVersion, debianVersion, launcherScript, md5sums, nodeLicensePath, packagedLauncher } from './package-parts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const { values: flags } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = flags.outdir === undefined ? root : resolve(flags.outdir);
// The Maintainer field: CARPD_MAINTAINER="Name <address>" overrides the placeholder.
const MAINTAINER = process.env.CARPD_MAINTAINER ?? 'carpd maintainers <carpd-maintainers@users.noreply.example>';

/** An error that is reported as its message alone. */
class PackageError extends Error {}

function fail(message) {
  throw new PackageError(message);
}

// A PackageError is reported as a message, anything else with its stack; exit 1 either way
// (the staging directory is removed by the finally below).
process.on('uncaughtException', (error) => {
  process.stderr.write(error instanceof PackageError ? `package: ${error.message}\n` : `package: ${error?.stack ?? error}\n`);
  process.exit(1);
});

function log(message) {
  process.stdout.write(`package: ${message}\n`);
}

/** Runs a command, failing with its output when it fails; returns stdout. */
function run(argv, options = {}) {
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd: root, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error !== undefined) fail(`${argv[0]}: ${result.error.message}`);
  if (result.status !== 0) fail(`${argv.join(' ')} exited ${result.status ?? result.signal}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

for (const tool of ['dpkg-deb', 'dpkg']) if (!hasCommand(tool)) fail(`${tool} is needed (Debian's dpkg package)`);
// The Depends line is what the shipped binaries need, and only dpkg-shlibdeps knows that.
for (const tool of ['dpkg-shlibdeps', 'strip']) if (!hasCommand(tool)) fail(`${tool} is needed (Debian's dpkg-dev and binutils packages)`);
const changelogText = readFileSync(join(root, 'contrib', 'debian', 'changelog'), 'utf8');
const version = debianVersion(changelogText, pkgJson.version) ?? fail(`contrib/debian/changelog: its top entry must be carpd (${pkgJson.version}-N), package.json's version with a Debian revision`);
// The runtime shipped is the one running this script: Node 20, what the addon and the cache are for.
if (process.versions.node.split('.')[0] !== '20') fail(`run with Node 20 (this is ${process.version}): the package ships the Node that builds it`);
const arch = run(['dpkg', '--print-architecture']).trim();
const guard = join(root, 'build', 'Release', 'carpd-guard');
const addon = join(root, 'build', 'Release', 'carp_socket.node');
for (const file of [addon, guard]) if (!existsSync(file)) fail(`${relative(root, file)} is missing: run \`npm ci\` first (it builds the native addon and the guard)`);
const addonBuiltFor = addonNodeVersion(root);
const nodeLicense = nodeLicensePath(process.execPath) ?? fail(`Node's LICENSE is not beside ${process.execPath} (share/doc/nodejs/LICENSE): the copyright file must carry it`);
if (addonBuiltFor !== process.versions.node) fail(`build/Release/carp_socket.node was built against Node ${addonBuiltFor ?? '(unknown)'}'s headers, this is ${process.version}: run \`npm ci\` with this Node`);

const epoch = Math.floor(manDate() / 1000);
const staging = mkdtempSync(join(tmpdir(), 'carpd-package-'));
/** dpkg-deb writes here, renamed to the .deb once complete. */
let partial;
const tree = join(staging, 'root');
const lib = join(tree, 'usr', 'lib', 'carpd');
const doc = join(tree, 'usr', 'share', 'doc', 'carpd');

function write(path, text, mode = 0o644) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}

function copy(from, to, mode = 0o644) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  chmodSync(to, mode);
}

/** contrib/NAME with the packaged paths; every replacement must apply. */
function packagedUnit(name, replacements) {
  let text = readFileSync(join(root, 'contrib', name), 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) fail(`contrib/${name}: expected ${JSON.stringify(from)} (the packaged unit is made from it)`);
    text = text.split(from).join(to);
  }
  if (text.includes('/usr/local')) fail(`contrib/${name}: a /usr/local path is left in the packaged unit`);
  return text;
}

try {
  // The program.
  log(`building dist/ from src/ into the staging tree ${staging}`);
  run([process.execPath, join(root, 'scripts', 'build.mjs'), '--outdir', join(lib, 'dist'), '--no-maps', '--run-from', '/usr/lib/carpd/dist']);
  rmSync(join(lib, 'dist', 'meta.json'), { force: true });
  // The runtime: debug symbols and comments stripped (98.9 → 86.3 MB for Node 20.20.2);
  // .dynsym stays, it is what the addon's N-API calls bind to.
  copy(process.execPath, join(lib, 'node'), 0o755);
  run(['strip', '--strip-unneeded', '--remove-section=.comment', join(lib, 'node')]);
  for (const name of ['carpd', 'carpctl']) {
    write(join(lib, 'bin', name), packagedLauncher(readFileSync(join(root, 'bin', name), 'utf8'), name) ?? fail(`bin/${name}: expected a first line #!/usr/bin/env node`));
  }
  copy(addon, join(lib, 'build', 'Release', 'carp_socket.node'), 0o644);
  copy(guard, join(lib, 'build', 'Release', 'carpd-guard'), 0o755);
  run(['strip', '--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', join(lib, 'build', 'Release', 'carp_socket.node')]);
  run(['strip', '--remove-section=.comment', '--remove-section=.note', join(lib, 'build', 'Release', 'carpd-guard')]);
  const runtimePackage = { name: pkgJson.name, version: pkgJson.version, description: pkgJson.description, license: pkgJson.license, private: true, type: 'module' };
  write(join(lib, 'package.json'), `${JSON.stringify(runtimePackage, null, 2)}\n`);
  for (const name of ['carpd', 'carpctl']) write(join(tree, 'usr', 'bin', name), launcherScript(name), 0o755);

  // What the staged program says about itself: the tree must run before it is packed, with its
  // own Node (PATH has none), and that Node must accept the code cache.
  const staged = join(tree, 'usr', 'bin', 'carpd');
  const bare = { cwd: staging, env: { PATH: '/usr/sbin:/sbin:/nonexistent' } };
  const said = run([staged, '--version'], bare).trim();
  if (said !== `carpd ${pkgJson.version}`) fail(`the staged carpd says ${JSON.stringify(said)}, package.json has ${pkgJson.version}`);
  const starter = run([staged, '--init'], bare);
  const cacheCheck = 'const { loadWithCodeCache } = await import(process.argv[1]); process.stdout.write(loadWithCodeCache(process.argv[2]).cache);';
  const cache = run([join(lib, 'node'), '--input-type=module', '-e', cacheCheck, `file://${join(lib, 'dist', 'code-cache.js')}`, join(lib, 'dist', 'daemon-command.cjs')], bare);
  if (cache !== 'used') fail(`the shipped Node does not use dist/daemon-command.cjs.cache (${cache})`);

  // systemd units.
  const docPaths = [['file:/usr/local/share/doc/carpd/', 'file:/usr/share/doc/carpd/']];
  write(
    join(tree, 'lib', 'systemd', 'system', 'carpd.service'),
    packagedUnit('carpd.service', [
      ['# carpd: CARP daemon (docs/systemd.md). Install as /etc/systemd/system/carpd.service, put the\n# configuration in /etc/carpd/carpd.yaml, then: systemctl daemon-reload && systemctl enable --now carpd',
        '# carpd: CARP daemon (carpd(8), /usr/share/doc/carpd/systemd.md), from the carpd package.\n# Not enabled on installation: edit /etc/carpd/carpd.yaml, then: systemctl enable --now carpd'],
      ['man:carp(4)', 'man:carpd(8) man:carpd.yaml(5)'],
      ...docPaths,
      ['/usr/local/bin/carpd', '/usr/bin/carpd'],
    ]),
  );
  write(
    join(tree, 'lib', 'systemd', 'system', 'carpd-ucarp@.service'),
    packagedUnit('carpd-ucarp@.service', [
      ['Documentation=file:/usr/local/share/doc/carpd/migration.md', 'Documentation=man:carpd(8) file:/usr/share/doc/carpd/migration.md'],
      ['/usr/local/bin/carpd', '/usr/bin/carpd'],
    ]),
  );

  // The sample configuration (a conffile) and the documentation.
  const sampleHeader = [
    '# Installed by the carpd package as a starting point; carpd.service is not enabled. Edit the',
    '# groups, put the passphrase in /etc/carpd/passphrase (install -o carpd -m 600: carpd runs as',
    '# user carpd), check the file with',
    '#   carpd --check --config /etc/carpd/carpd.yaml',
    '# then: systemctl enable --now carpd. Every key: man carpd.yaml, /usr/share/doc/carpd/configuration.md.',
    '',
  ].join('\n');
  const sample = sampleHeader + starter.replace('Every key is described in docs/configuration.md;', 'Every key is described in carpd.yaml(5);');
  write(join(tree, 'etc', 'carpd', 'carpd.yaml'), sample, 0o600);
  chmodSync(join(tree, 'etc', 'carpd'), 0o750);
  write(join(doc, 'examples', 'carpd.yaml'), sample);
  // README.md and docs/*.md, the source tree's own parts cut (scripts/shipped-docs.mjs).
  for (const [file, text] of shippedDocs(root)) write(join(doc, file), text);
  write(join(doc, 'copyright'), copyright());
  write(join(doc, 'changelog.Debian.gz'), gzipSync(changelogText, { level: 9 }));
  write(join(tree, 'usr', 'share', 'lintian', 'overrides', 'carpd'), readFileSync(join(root, 'contrib', 'debian', 'lintian-overrides'), 'utf8'));

  // Man pages.
  for (const [page, section] of [['carpd.8', 8], ['carpctl.8', 8], ['carpd.yaml.5', 5]]) {
    const source = join(root, 'docs', 'man', `${page}.md`);
    const roff = renderManPage(readFileSync(source, 'utf8'), { sourcePath: source, version, date: epoch * 1000 });
    write(join(tree, 'usr', 'share', 'man', `man${section}`, `${page}.gz`), gzipSync(roff, { level: 9 }));
  }

  // DEBIAN/.
  const control = join(tree, 'DEBIAN');
  mkdirSync(control, { recursive: true });
  write(join(control, 'control'), controlFile());
  write(join(control, 'conffiles'), '/etc/carpd/carpd.yaml\n');
  write(join(control, 'postinst'), maintainerScript('postinst'), 0o755);
  write(join(control, 'prerm'), maintainerScript('prerm'), 0o755);
  write(join(control, 'postrm'), maintainerScript('postrm'), 0o755);
  write(join(control, 'md5sums'), md5sums(tree));

  // Directories 0755 (etc/carpd 0750); files keep the modes set above.
  for (const dir of directories(tree)) chmodSync(dir, dir === join(tree, 'etc', 'carpd') ? 0o750 : 0o755);

  const name = `carpd_${version}_${arch}.deb`;
  mkdirSync(outdir, { recursive: true });
  partial = join(outdir, `.${name}.partial`);
  log(`packing ${name}`);
  run(['dpkg-deb', '--root-owner-group', '-Zxz', '--build', tree, partial], { env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) } });
  const output = join(outdir, name);
  renameSync(partial, output);
  log(`${statSync(output).size} bytes`);
  process.stdout.write(`${output}\n`);
} finally {
  rmSync(staging, { recursive: true, force: true });
  if (partial !== undefined) rmSync(partial, { force: true });
}

function controlFile() {
  const installedKiB = sizesKiB(tree);
  return [
    'Package: carpd',
    `Version: ${version}`,
    `Architecture: ${arch}`,
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${installedKiB}`,
    // passwd: postinst's groupadd and useradd (the system user carpd). No nodejs: the runtime is
    // usr/lib/carpd/node; the libraries it and the addon link against are in every Debian.
    `Depends: ${['passwd', ...sharedLibraryDepends()].join(', ')}`,
    // carpd itself speaks rtnetlink; transition scripts (ucarp-style ones above all) run `ip`.
    'Recommends: iproute2',
    'Section: net',
    'Priority: optional',
    'Description: CARP daemon: virtual address failover for Linux',
    ' carpd runs the Common Address Redundancy Protocol: machines on one LAN share',
    ' virtual IP addresses, one of them (the master) holds each address and the',
    ' backups take over when it stops advertising. It is wire-compatible with',
    ' OpenBSD and FreeBSD carp(4) and with ucarp, and has a YAML configuration,',
    ' health checks and demotion, a control socket (carpctl), Prometheus metrics',
    ' and systemd integration. `carpd ucarp` takes ucarp\'s command line as it is.',
    ' .',
    ' The service is not enabled on installation: edit /etc/carpd/carpd.yaml, then',
    ' systemctl enable --now carpd.',
    '',
  ].join('\n');
}

/**
 * The libraries the runtime, the addon and the guard link against, with the versions their
 * symbols need, as dpkg-shlibdeps finds them (libc6, libgcc-s1, libstdc++6 on Debian 12).
 */
function sharedLibraryDepends() {
  const binaries = [join(lib, 'node'), join(lib, 'build', 'Release', 'carp_socket.node'), join(lib, 'build', 'Release', 'carpd-guard')];
  const work = join(staging, 'shlibs');
  mkdirSync(join(work, 'debian'), { recursive: true });
  writeFileSync(join(work, 'debian', 'control'), 'Source: carpd\n\nPackage: carpd\nArchitecture: any\n');
  // Its warnings (the addon's N-API symbols are the runtime's, not a library's) are noise here.
  const out = run(['dpkg-shlibdeps', '-O', ...binaries], { cwd: work });
  const line = /^shlibs:Depends=(.*)$/m.exec(out)?.[1] ?? fail(`dpkg-shlibdeps printed no shlibs:Depends: ${out}`);
  return line.split(',').map((d) => d.trim());
}

/**
 * postinst: the unprivileged system user the units run carpd as (User=carpd, docs/systemd.md),
 * with its own group, no home and no login shell; kept on purge, as Debian does with system
 * users (files it owned may remain). /etc/carpd and the sample file become readable by the
 * group, unless the administrator set other modes with dpkg-statoverride.
 */
function systemUserLines() {
  return [
    'if ! getent group carpd >/dev/null; then',
    '  groupadd --system carpd',
    'fi',
    'if ! getent passwd carpd >/dev/null; then',
    "  useradd --system --gid carpd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --comment 'carpd CARP daemon' carpd",
    'fi',
    'if ! dpkg-statoverride --list /etc/carpd >/dev/null 2>&1; then',
    '  chown root:carpd /etc/carpd && chmod 0750 /etc/carpd',
    'fi',
    'if [ -f /etc/carpd/carpd.yaml ] && ! dpkg-statoverride --list /etc/carpd/carpd.yaml >/dev/null 2>&1; then',
    '  chown root:carpd /etc/carpd/carpd.yaml && chmod 0640 /etc/carpd/carpd.yaml',
    'fi',
  ];
}

function maintainerScript(kind) {
  const head = ['#!/bin/sh', `# carpd ${kind}: never enables or starts carpd (the operator does: systemctl enable --now carpd).`, 'set -e'];
  const reload = ['if [ -d /run/systemd/system ]; then', '  systemctl daemon-reload >/dev/null 2>&1 || true', 'fi'];
  if (kind === 'postinst') return [...head, 'if [ "$1" = configure ]; then', ...systemUserLines().map((l) => `  ${l}`), ...reload.map((l) => `  ${l}`), 'fi', 'exit 0', ''].join('\n');
  if (kind === 'prerm') {
    // On removal (not on upgrade) a running carpd hands over the graceful way before its files go.
    return [
      ...head,
      // deb-systemd-invoke (init-system-helpers, on every Debian that boots systemd) as
      // debhelper's scripts do: it honours policy-rc.d.
      'if [ "$1" = remove ] && [ -d /run/systemd/system ] && command -v deb-systemd-invoke >/dev/null 2>&1; then',
      "  deb-systemd-invoke stop carpd.service 'carpd-ucarp@*.service' >/dev/null || true",
      'fi',
      'exit 0',
      '',
    ].join('\n');
  }
  // postrm. /var/lib/carpd (the advert counters) is left on purge: replay protection across a
  // reinstall, and a directory other carpd instances may still use.
  return [...head, ...reload, 'exit 0', ''].join('\n');
}

function copyright() {
  const license = (path) =>
    readFileSync(path.startsWith('/') ? path : join(root, 'node_modules', ...path.split('/')), 'utf8')
      .replace(/\r/g, '')
      .trim()
      .split('\n')
      .map((l) => (l.trim() === '' ? ' .' : ` ${l}`))
      .join('\n');
  return [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: carpd',
    '',
    'Files: *',
    'Copyright: the carpd contributors',
    'License: ISC',
    '',
    'Files: usr/lib/carpd/dist/*',
    'Copyright: the carpd contributors; Eemeli Aro (yaml); Colin McDonnell (zod)',
    'Comment: the bundle includes the npm packages yaml and zod; their licenses follow.',
    'License: ISC and MIT',
    '',
    'Files: usr/lib/carpd/build/Release/carp_socket.node',
    'Copyright: the carpd contributors; Node.js API collaborators (node-addon-api headers)',
    'License: ISC and MIT',
    '',
    'Files: usr/lib/carpd/node',
    `Copyright: Node.js contributors and the authors of the libraries it includes (Node ${process.version}, its LICENSE follows)`,
    'License: Node.js',
    license(nodeLicense),
    '',
    'License: ISC',
    ' Permission to use, copy, modify, and/or distribute this software for any',
    ' purpose with or without fee is hereby granted, provided that the above',
    ' copyright notice and this permission notice appear in all copies.',
    ' .',
    ' THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES',
    ' WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF',
    ' MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR',
    ' ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES',
    ' WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN',
    ' ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF',
    ' OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.',
    '',
    'License: MIT',
    ' See the texts below.',
    '',
    'Comment: yaml',
    license('yaml/LICENSE'),
    '',
    'Comment: zod',
    license('zod/LICENSE'),
    '',
    'Comment: node-addon-api',
    license('node-addon-api/LICENSE.md'),
    '',
  ].join('\n');
}

function* directories(dir) {
  yield dir;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) yield* directories(join(dir, entry.name));
  }
}

/** Installed-Size: the files' sizes in KiB, each rounded up (as dpkg-gencontrol counts). */
function sizesKiB(dir) {
  let total = 0;
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (d === tree && entry.name === 'DEBIAN') continue;
      if (entry.isDirectory()) walk(path);
      else total += Math.ceil(lstatSync(path).size / 1024) || 1;
    }
  };
  walk(dir);
  return total;
}
