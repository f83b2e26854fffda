/**
 * A stock Debian in a directory, for test/package/stock-debian.test.ts: `debootstrap
 * --variant=minbase SUITE` from the mirror this machine's apt uses (read from its sources at run
 * time), kept under /tmp keyed by suite and date so that repeated local runs are fast (CI=true
 * always bootstraps afresh), copied for each run; /proc, /sys and /dev mounted into the copy while
 * it is used and unmounted always; the copy is removed only once nothing is mounted below it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, type ExecResult } from '../../src/lab/run.ts';

const CACHE = '/tmp/carpd-stock-debian';
/** What commands run with in the chroot: nothing of this process's environment (no PATH node). */
const CHROOT_ENV = ['env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8', 'DEBIAN_FRONTEND=noninteractive', 'HOME=/root'];

/** The URI of Debian's main archive in this machine's apt sources (deb822 or one-line), or undefined. */
export function debianMirror(): string | undefined {
  const candidates: string[] = [];
  const deb822 = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(deb822)) {
    for (const stanza of readFileSync(deb822, 'utf8').split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(.+)$/m.exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1] ?? '';
      if (/^Types:.*\bdeb\b/m.test(stanza) && !/-security\b/.test(suites)) candidates.push(...uris);
    }
  }
  if (existsSync('/etc/apt/sources.list')) {
    for (const line of readFileSync('/etc/apt/sources.list', 'utf8').split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
      if (m?.[1] !== undefined && !/-security\b/.test(m[2] ?? '')) candidates.push(m[1]);
    }
  }
  return candidates.find((uri) => /^https?:\/\//.test(uri));
}

/** Mount points at or below dir, deepest last (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .map((point) => point.replace(/\\040/g, ' '))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

async function must(argv: readonly string[], timeoutMs: number, what: string): Promise<ExecResult> {
  const result = await run(argv, { timeoutMs });
  if (result.code !== 0) throw new Error(`${what}: exit ${result.code}\n${result.stdout.slice(-3000)}${result.stderr.slice(-3000)}`);
  return result;
}

/** A fresh minbase SUITE in target: from today's cache (not on CI), else debootstrapped. */
export async function stockDebian(suite: string, target: string, mirror: string): Promise<{ cached: boolean; ms: number }> {
  const started = Date.now();
  if (process.env['CI'] === 'true') {
    await must(['debootstrap', '--variant=minbase', suite, target, mirror], 600_000, `debootstrap ${suite}`);
    return { cached: false, ms: Date.now() - started };
  }
  mkdirSync(CACHE, { recursive: true });
  const key = `${suite}-${today()}`;
  const cached = join(CACHE, key);
  const hit = existsSync(join(cached, '.carpd-complete'));
  if (!hit) {
    for (const old of readdirSync(CACHE).filter((name) => name.startsWith(`${suite}-`) && name !== key)) {
      if (mountsUnder(join(CACHE, old)).length === 0) rmSync(join(CACHE, old), { recursive: true, force: true });
    }
    const partial = `${cached}.partial-${process.pid}`;
    await must(['debootstrap', '--variant=minbase', suite, partial, mirror], 600_000, `debootstrap ${suite}`);
    writeFileSync(join(partial, '.carpd-complete'), `${mirror} ${suite} ${today()}\n`);
    rmSync(cached, { recursive: true, force: true });
    renameSync(partial, cached);
  }
  await must(['cp', '-a', cached, target], 300_000, `copy of the cached ${suite}`);
  rmSync(join(target, '.carpd-complete'), { force: true });
  return { cached: hit, ms: Date.now() - started };
}

/** /proc, /sys and /dev of this machine inside root, for apt and carpd; undone by unmountAll. */
export async function mountSystemDirectories(root: string): Promise<void> {
  await must(['mount', '-t', 'proc', 'proc', join(root, 'proc')], 10_000, 'mount proc');
  await must(['mount', '-t', 'sysfs', 'sysfs', join(root, 'sys')], 10_000, 'mount sysfs');
  await must(['mount', '--bind', '/dev', join(root, 'dev')], 10_000, 'mount --bind /dev');
}

/** Unmounts everything below root, deepest first (lazily when busy); true when none is left. */
export async function unmountAll(root: string): Promise<boolean> {
  for (let round = 0; round < 3 && mountsUnder(root).length > 0; round++) {
    for (const point of mountsUnder(root).reverse()) {
      if ((await run(['umount', point], { timeoutMs: 10_000 })).code !== 0) await run(['umount', '-l', point], { timeoutMs: 10_000 });
    }
  }
  return mountsUnder(root).length === 0;
}

/** Removes a chroot, but never while anything is mounted below it (that would reach /dev). */
export async function removeChroot(root: string): Promise<void> {
  if (!(await unmountAll(root))) throw new Error(`still mounted below ${root}: ${mountsUnder(root).join(', ')}; not removed`);
  rmSync(root, { recursive: true, force: true });
}

/** Runs argv in the chroot with a clean environment. */
export function inChroot(root: string, argv: readonly string[], timeoutMs = 60_000): Promise<ExecResult> {
  return run([...CHROOT_ENV, 'chroot', root, ...argv], { timeoutMs });
}

/** argv as run by `ip netns exec` inside the chroot, with a sysfs of that namespace (ip netns exec gives the command a mount namespace of its own). */
export function chrootArgv(root: string, argv: readonly string[]): string[] {
  return ['sh', '-c', 'mount -t sysfs sysfs "$0/sys" && exec "$@"', root, ...CHROOT_ENV, 'chroot', root, ...argv];
}

/** Every path in the chroot except the ones apt, dpkg and the kernel change on their own. */
export function snapshot(root: string): Set<string> {
  const skip = new Set(['/proc', '/sys', '/dev', '/tmp', '/run', '/var/cache', '/var/lib/apt', '/var/lib/dpkg', '/var/log']);
  const paths = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir === '/' ? '' : dir}/${entry.name}`;
      if (skip.has(path)) continue;
      paths.add(path);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk('/');
  return paths;
}
