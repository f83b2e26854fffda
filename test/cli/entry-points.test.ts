/**
 * The installed entry points (bin/carpd, bin/carpctl) run the build in dist/, never TypeScript;
 * their first load holds only the command line: every subcommand's code is a chunk loaded on
 * first use (dist/meta.json, esbuild's metafile, says what each output statically imports).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CARPD_VERSION } from '../../src/version.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const built = existsSync(join(ROOT, 'dist', 'meta.json'));
const skip = built ? false : 'dist/ not built (npm run build)';

interface Meta {
  readonly outputs: Record<string, { readonly imports: readonly { readonly path: string; readonly kind: string }[]; readonly inputs: Record<string, unknown> }>;
}

/** The sources an output loads before its code runs: its own and those of its static imports, transitively. */
function staticInputs(meta: Meta, output: string, seen = new Set<string>()): string[] {
  if (seen.has(output)) return [];
  seen.add(output);
  const entry = meta.outputs[output];
  assert.ok(entry !== undefined, `no ${output} in dist/meta.json`);
  return [...Object.keys(entry.inputs), ...entry.imports.filter((i) => i.kind === 'import-statement' && meta.outputs[i.path] !== undefined).flatMap((i) => staticInputs(meta, i.path, seen))];
}

test('bin/carpd and bin/carpctl load dist/, not TypeScript', () => {
  for (const name of ['carpd', 'carpctl']) {
    const launcher = readFileSync(join(ROOT, 'bin', name), 'utf8');
    assert.match(launcher, new RegExp(`\\.\\./dist/${name}\\.js`));
    assert.doesNotMatch(launcher, /tsx|\.ts['"]/);
  }
});

test('carpd --version prints the package version; package.json agrees', { skip }, () => {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'carpd'), '--version'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, `carpd ${CARPD_VERSION}\n`);
  assert.equal((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version, CARPD_VERSION);
});

test('carpd --help says what the demo really runs (namespaces as root, else the simulated LAN)', { skip }, () => {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'carpd'), '--help'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /demo \[--sim\]\s+run a live 3-node failover demo: real daemons in network namespaces as\s+root, else \(or with --sim\) on a simulated LAN/);
});

test('lazy entry points: --version, --help and carpctl load no daemon, inspect, demo or config code', { skip }, () => {
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'meta.json'), 'utf8')) as Meta;
  for (const output of ['dist/carpd.js', 'dist/carpctl.js']) {
    const inputs = staticInputs(meta, output);
    const heavy = inputs.filter((f) => /src\/(daemon|demo|config|engine|linux|sim|protocol)\/|src\/cli\/(inspect|daemon-command|demo)\.ts|node_modules\/(yaml|zod)/.test(f));
    assert.deepEqual(heavy, [], `${output} loads at start: ${heavy.join(', ')}`);
  }
});

test('the daemon command is built once more as CommonJS with a V8 code cache that this Node accepts', { skip }, () => {
  // In a child process: loading it here would compile half a megabyte into the test runner.
  const script = [
    "const { loadWithCodeCache } = await import(process.argv[1]);",
    "const loaded = loadWithCodeCache(process.argv[2]);",
    "process.stdout.write(JSON.stringify({ cache: loaded.cache, exports: Object.keys(loaded.exports).sort() }));",
  ].join('\n');
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(join(ROOT, 'dist', 'code-cache.js')).href, join(ROOT, 'dist', 'daemon-command.cjs')], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { cache: string; exports: string[] };
  assert.equal(result.cache, 'used', 'V8 took the cache: the source, its version and its flags match');
  for (const name of ['runCleanupCommand', 'runDaemonCommand', 'runUcarpCommand']) assert.ok(result.exports.includes(name), name);
  // bin/carpd's daemon path runs from it (carpd.ts loads it when it exists beside carpd.js).
  const help = spawnSync(process.execPath, [join(ROOT, 'bin', 'carpd'), '--help-daemon'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /--vhid/);
});

test('a closed pipe ends the output quietly: carpd inspect FILE | head -1, exit 0, nothing on stderr', { skip }, () => {
  const fixture = join(ROOT, 'test/fixtures/ucarp-vhid7-secret-pass.pcap');
  const run = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${join(ROOT, 'bin/carpd')}" inspect --pass secret-pass --addr 192.0.2.100 "${fixture}" | head -1 >/dev/null`], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
});

test('usage errors are one line with a pointer to --help', { skip }, () => {
  const carpd = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), 'frobnicate'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(carpd.status, 2);
  assert.equal(carpd.stderr, 'carpd: unknown command "frobnicate"; see carpd --help\n');
  const carpctl = spawnSync(process.execPath, [join(ROOT, 'bin/carpctl'), '--frobnicate', 'status'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(carpctl.status, 2);
  assert.equal(carpctl.stderr, 'carpctl: unknown option --frobnicate; see carpctl --help\n');
});

test('carpd --check: a passphrase file that does not exist is an error in the file\'s own terms, every problem at once with its line and column', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-check-'));
  try {
    const file = join(dir, 'carpd.yaml');
    writeFileSync(
      file,
      ['groups:', '  - interface: lo', '    vhid: 7', '    addresses: [198.51.100.7/24]', `    passphrase_file: ${join(dir, 'missing.pass')}`, ''].join('\n'),
    );
    const run = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), '--check', '--config', file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.equal(run.stderr, `carpd: ${file}:5:22: groups[0].passphrase_file: ${join(dir, 'missing.pass')} cannot be read (ENOENT): the daemon could not start [CARPD_CONFIG_PASSPHRASE_FILE_UNREADABLE]\n`);
    writeFileSync(file, ['groups:', '  - interface: lo', '    vhid: 300', '    addresses: [198.51.100.7/24]', '    passphrase: x', '    advskew: 999', ''].join('\n'));
    const two = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), '--check', '--config', file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(two.status, 2);
    assert.deepEqual(two.stderr.trim().split('\n'), [
      `carpd: ${file}:3:11: groups[0].vhid: 300 is outside 1..255 [CARPD_CONFIG_RANGE]`,
      `carpd: ${file}:6:14: groups[0].advskew: 999 is outside 0..254 [CARPD_CONFIG_RANGE]`,
    ]);
    // Problems found at different stages (the schema, the passphrase file) come in one run, in file order.
    const missing = join(dir, 'missing.pass');
    writeFileSync(file, ['groups:', '  - interface: lo', '    vhid: 7', '    addresses: [198.51.100.7/24]', `    passphrase_file: ${missing}`, '  - interface: lo', '    vhid: 0', '    addresses: [198.51.100.8/24]', '    passphrase: x', ''].join('\n'));
    const three = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), '--check', '--config', file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(three.status, 2);
    assert.deepEqual(three.stderr.trim().split('\n'), [
      `carpd: ${file}:5:22: groups[0].passphrase_file: ${missing} cannot be read (ENOENT): the daemon could not start [CARPD_CONFIG_PASSPHRASE_FILE_UNREADABLE]`,
      `carpd: ${file}:7:11: groups[1].vhid: 0 is outside 1..255 [CARPD_CONFIG_RANGE]`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--metrics is validated as metrics.listen is in the file: an IP address and a port', { skip }, () => {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), '--metrics', 'localhost:9273', '--check', '--config', '/nonexistent.yaml'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 2);
  assert.equal(run.stderr, 'carpd: --metrics: "localhost:9273" is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT) [CARPD_CONFIG_HOST_PORT]\n');
});

test('carpd --init | carpd --check: the starter file passes, with its VRRP group switched on too', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'carpd-init-'));
  try {
    const init = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), '--init'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(init.status, 0, init.stderr);
    // As the package test does: an interface every machine has, and a passphrase of its own.
    const local = init.stdout.replaceAll('interface: eth0', 'interface: lo').replace('passphrase_file: /etc/carpd/passphrase', 'passphrase: init-pass');
    for (const [name, text] of [['as printed', local], ['VRRP group on', local.replace(/^ {2}# (- | {2})/gm, '  $1')]] as const) {
      const file = join(dir, 'carpd.yaml');
      writeFileSync(file, text);
      const check = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), '--check', '--config', file], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(check.status, 0, `${name}: ${check.stderr}`);
      assert.match(check.stderr, /configuration OK/);
      assert.equal(/^\s+protocol: vrrp$/m.test(check.stdout), name === 'VRRP group on', `${name}: ${check.stdout}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
