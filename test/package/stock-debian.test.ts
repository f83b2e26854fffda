/**
 * Issue 20 item 2: the package installs on stock Debian 12 and 13 from Debian's packages alone.
 * For each suite: a `debootstrap --variant=minbase` tree (test/package/debian-chroot.ts), the .deb
 * copied in and installed with apt-get in a chroot, whose only apt source is Debian's archive and
 * which has no `node` at all; `carpd --version`; `carpd --check` on the installed starter file
 * with a passphrase file made for it; one group that becomes MASTER in a lab namespace, run by the
 * installed /usr/bin/carpd as the unit runs it (user carpd, two capabilities); then `apt-get purge
 * carpd`, after which exactly what docs/package.md ("What purge leaves") lists remains.
 * Skipped without root, apt-get, debootstrap, dpkg-dev or the namespace lab; .ci/run installs
 * debootstrap, so CI runs it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Lab } from '../../src/lab/lab.ts';
import { run } from '../../src/lab/run.ts';
import { holds, stopCarpd, waitForPhase, type CarpdNode } from '../integration/carpd-in-lab.ts';
import { chrootArgv, debianMirror, inChroot, mountSystemDirectories, removeChroot, snapshot, stockDebian } from './debian-chroot.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const VIP = '198.51.100.100';
/** Debian 12 and 13. bookworm's debootstrap knows trixie (its script is sid's). */
const SUITES = ['bookworm', 'trixie'] as const;

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore', timeout: 5_000 }).status === 0;
}

const mirror = debianMirror();

async function skipReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'debootstrap and chroot need root';
  for (const tool of ['apt-get', 'debootstrap', 'dpkg-deb', 'dpkg-shlibdeps', 'strip', 'chroot']) if (!hasCommand(tool)) return `${tool} is not installed (.ci/run installs debootstrap)`;
  if (mirror === undefined) return "no Debian archive in this machine's apt sources";
  return Lab.available();
}

const skip = await skipReason();
const work = mkdtempSync(join(tmpdir(), 'carpd-stock-debian-test-'));
let deb = '';
const trees = new Map<string, Promise<{ root: string; cached: boolean; ms: number }>>();

before(async () => {
  if (skip !== undefined) return;
  // Both suites bootstrap (or come from the cache) while the package builds.
  for (const suite of SUITES) {
    const root = join(work, suite);
    const tree = stockDebian(suite, root, mirror ?? '').then((r) => ({ root, ...r }));
    tree.catch(() => undefined);
    trees.set(suite, tree);
  }
  const built = await run(['npm', 'run', 'package', '--', '--outdir', join(work, 'deb')], { timeoutMs: 400_000 });
  assert.equal(built.code, 0, `npm run package: ${built.stdout}${built.stderr}`);
  deb = built.stdout.trimEnd().split('\n').at(-1) ?? '';
});

after(async () => {
  for (const tree of trees.values()) await tree.catch(() => undefined);
  for (const suite of SUITES) await removeChroot(join(work, suite));
  rmSync(work, { recursive: true, force: true });
});

/** The paths docs/package.md says a purge leaves: the list under "What purge leaves". */
function documentedRemains(): string[] {
  const doc = readFileSync(join(ROOT, 'docs', 'package.md'), 'utf8');
  const section = /^## What purge leaves\n([\s\S]*?)(?=^## )/m.exec(doc)?.[1] ?? '';
  return [...section.matchAll(/^- `(\/[^`]+)`/gm)].map((m) => m[1] as string);
}

for (const suite of SUITES) {
  test(`${suite} minbase: apt-get install ./carpd_*.deb from Debian's packages, --version, --check, a MASTER in a namespace, purge`, { skip: skip ?? false, timeout: 420_000 }, async (t) => {
    const tree = await (trees.get(suite) as Promise<{ root: string; cached: boolean; ms: number }>);
    const root = tree.root;
    t.diagnostic(`${suite}: ${tree.cached ? 'copied from the cache' : 'debootstrapped'} in ${tree.ms} ms`);
    const chroot = (argv: readonly string[], timeoutMs?: number) => inChroot(root, argv, timeoutMs);
    const explain = (r: { code: number | null; stdout: string; stderr: string }): string => `exit ${r.code}\n${r.stdout.slice(-4000)}${r.stderr.slice(-4000)}`;
    let lab: Lab | undefined;
    const nodes: CarpdNode[] = [];
    try {
      await mountSystemDirectories(root);
      // Debian's archive is the only source, and nothing of Node is there.
      const sources = (await chroot(['sh', '-c', 'cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null'])).stdout;
      assert.deepEqual([...sources.matchAll(/^deb\s+(\S+)/gm)].map((m) => m[1]), [mirror], `the only apt source: ${sources}`);
      assert.notEqual((await chroot(['sh', '-c', 'command -v node nodejs'])).code, 0, 'no node in a stock minbase');
      const packagesBefore = new Set((await chroot(['dpkg-query', '-W', '-f=${Package}\\n'])).stdout.trim().split('\n'));
      const before = snapshot(root);

      const name = deb.split('/').at(-1) ?? '';
      copyFileSync(deb, join(root, 'tmp', name));
      writeFileSync(join(root, 'usr', 'sbin', 'policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
      const started = Date.now();
      const installed = await chroot(['apt-get', 'install', '-y', '-o', 'Dpkg::Use-Pty=0', `/tmp/${name}`], 300_000);
      assert.equal(installed.code, 0, `apt-get install in ${suite}: ${explain(installed)}`);
      t.diagnostic(`${suite}: apt-get install ${Date.now() - started} ms`);
      rmSync(join(root, 'usr', 'sbin', 'policy-rc.d'));
      rmSync(join(root, 'tmp', name));
      assert.notEqual((await chroot(['dpkg-query', '-W', 'nodejs'])).code, 0, 'no nodejs package came with it');

      const version = await chroot(['carpd', '--version']);
      assert.equal(version.stdout.trim(), `carpd ${VERSION}`, explain(version));
      const user = (await chroot(['getent', 'passwd', 'carpd'])).stdout.trim().split(':');
      assert.ok(Number(user[2]) < 1000 && user[6] === '/usr/sbin/nologin', `postinst made the system user carpd: ${user.join(':')}`);
      const [uid, gid] = [Number(user[2]), Number(user[3])];

      // The starter file as installed, with the passphrase file it names (the operator's step).
      writeFileSync(join(root, 'etc', 'carpd', 'passphrase'), 'stock-debian\n', { mode: 0o600 });
      chownSync(join(root, 'etc', 'carpd', 'passphrase'), uid, gid);
      lab = await Lab.create({ hosts: ['a'] });
      const host = lab.host('a');
      const check = await lab.exec(host, chrootArgv(root, ['carpd', '--check', '--config', '/etc/carpd/carpd.yaml']), { timeoutMs: 30_000 });
      assert.equal(check.code, 0, `carpd --check on the starter file: ${explain(check)}`);
      assert.match(check.stdout, /^state_directory: \/var\/lib\/carpd$/m);

      // One group, run as carpd.service runs it: user carpd, CAP_NET_RAW and CAP_NET_ADMIN, the
      // runtime and state directories systemd would make.
      writeFileSync(
        join(root, 'etc', 'carpd', 'lab.yaml'),
        `${JSON.stringify({ log_level: 'debug', groups: [{ name: 'web', interface: 'eth0', vhid: 7, addresses: [`${VIP}/24`], passphrase_file: '/etc/carpd/passphrase', advskew: 0 }] }, null, 2)}\n`,
      );
      for (const dir of ['run/carpd', 'var/lib/carpd']) {
        mkdirSync(join(root, dir), { recursive: true, mode: 0o755 });
        chownSync(join(root, dir), uid, gid);
      }
      const asUnit = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--inh-caps=-all,+net_raw,+net_admin', '--ambient-caps=-all,+net_raw,+net_admin', '--bounding-set=-all,+net_raw,+net_admin'];
      const node: CarpdNode = { host, process: lab.spawn(host, chrootArgv(root, [...asUnit, '/usr/bin/carpd', '--config', '/etc/carpd/lab.yaml'])), stateDirectory: join(root, 'var', 'lib', 'carpd') };
      nodes.push(node);
      await waitForPhase(node, 'master', 10_000);
      assert.ok(await holds(lab, host, VIP), 'the master holds the VIP');
      assert.equal(readlinkSync(`/proc/${node.process.pid}/exe`), join(root, 'usr', 'lib', 'carpd', 'node'), "the package's Node runs it");
      assert.equal(await stopCarpd(node), 0, 'SIGTERM: exit 0');
      assert.ok(!(await holds(lab, host, VIP)), 'the VIP is removed on stop');
      rmSync(join(root, 'run', 'carpd'), { recursive: true, force: true }); // RuntimeDirectory= goes with the stop
      rmSync(join(root, 'etc', 'carpd', 'lab.yaml'));

      const purged = await chroot(['apt-get', 'purge', '-y', '-o', 'Dpkg::Use-Pty=0', 'carpd'], 120_000);
      assert.equal(purged.code, 0, `apt-get purge: ${explain(purged)}`);
      // What is new since before the install, less the files of the packages that came with it
      // (iproute2 and its libraries, the Recommends), is what the docs say a purge leaves.
      const added = (await chroot(['dpkg-query', '-W', '-f=${Package}\\n'])).stdout.trim().split('\n').filter((p) => !packagesBefore.has(p));
      const theirs = new Set<string>();
      for (const pkg of added) {
        for (const path of (await chroot(['dpkg', '-L', pkg])).stdout.trim().split('\n')) {
          theirs.add(path);
          // Merged /usr: dpkg lists /sbin/ip, the file is /usr/sbin/ip.
          if (/^\/(bin|sbin|lib|lib64)\//.test(path)) theirs.add(`/usr${path}`);
        }
      }
      const left = [...snapshot(root)].filter((p) => !before.has(p) && !theirs.has(p)).filter((p) => !/^\/etc\/(passwd|group|shadow|gshadow)-$/.test(p));
      const documented = documentedRemains();
      assert.ok(documented.length > 0, 'docs/package.md lists what a purge leaves');
      const undocumented = left.filter((p) => !documented.some((d) => p === d || p.startsWith(`${d}/`)));
      assert.deepEqual(undocumented, [], `left after the purge and not in docs/package.md; the packages it brought: ${added.join(' ')}`);
      for (const d of documented) assert.ok(left.includes(d), `docs/package.md says a purge leaves ${d}`);
      assert.equal((await chroot(['getent', 'passwd', 'carpd'])).code, 0, 'the system user stays (docs/package.md)');
      t.diagnostic(`${suite}: left after purge: ${left.join(' ')}; packages it brought: ${added.join(' ')}`);
    } finally {
      for (const node of nodes) if (!node.process.done) await node.process.kill();
      await lab?.destroy();
      await removeChroot(root);
    }
  });
}
