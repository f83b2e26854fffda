/**
 * A lab host as a separate machine: carpd runs with its *default* control socket and state
 * directory, each host having its own. `ip netns exec` gives every command a private mount
 * namespace, so a per-host directory is bound over /run/carpd and /var/lib/carpd for that
 * command only (docs/development.md "A lab host as a separate machine"). Two commands with the same
 * Machine share them: a second carpd on the same host sees the first one's socket and locks.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ExecResult, Lab, LabHost } from '../../src/lab/lab.ts';
import { CARPD, type CarpdNode } from './carpd-in-lab.ts';

const CARPCTL = resolve(import.meta.dirname, '../../bin/carpctl');

/** One host's private directories. */
export interface Machine {
  readonly host: LabHost;
  /** Holds run/ (bound over /run/carpd), lib/ (over /var/lib/carpd) and etc/ (config, passphrases). */
  readonly root: string;
  readonly etc: string;
}

/** How the default directories are mounted for one command. */
export interface MountOptions {
  /** Bind /run/carpd read-only (EROFS for the control socket). */
  readonly readOnlyRun?: boolean;
  /** Bind /var/lib/carpd read-only (EROFS for the state directory). */
  readonly readOnlyLib?: boolean;
}

/** Creates the host's directories (and the mount points on the host, once). */
export function machine(host: LabHost): Machine {
  for (const point of ['/run/carpd', '/var/lib/carpd']) mkdirSync(point, { recursive: true });
  const root = mkdtempSync(join(tmpdir(), `carpd-machine-${host.name}-`));
  for (const sub of ['run', 'lib', 'etc']) mkdirSync(join(root, sub), { mode: 0o700 });
  return { host, root, etc: join(root, 'etc') };
}

/** argv wrapped so that it runs with the machine's directories over the defaults. */
export function onMachine(m: Machine, argv: readonly string[], options: MountOptions = {}): string[] {
  const script = [
    'mount --bind "$0/run" /run/carpd',
    'mount --bind "$0/lib" /var/lib/carpd',
    ...(options.readOnlyRun === true ? ['mount -o remount,bind,ro /run/carpd'] : []),
    ...(options.readOnlyLib === true ? ['mount -o remount,bind,ro /var/lib/carpd'] : []),
    'exec "$@"',
  ].join(' && ');
  return ['sh', '-c', script, m.root, ...argv];
}

/** Which carpd (or carpctl) runs: this checkout's under this Node by default. */
export interface ProgramOptions {
  /**
   * An installed launcher to execute as it is, e.g. /usr/bin/carpd from the Debian package
   * (test/package/deb.test.ts): it runs the package's own Node, as under systemd.
   */
  readonly program?: string;
}

/** Starts `carpd ARGS` on the machine with the default paths (JSON logs at debug level). */
export function startCarpdOn(lab: Lab, m: Machine, args: readonly string[], options: MountOptions & ProgramOptions & { env?: Record<string, string>; launcher?: readonly string[] } = {}): CarpdNode {
  // With --config the file sets the log level (writeConfig: debug); flags would be refused.
  const logLevel = args.includes('--config') ? [] : ['--log-level', 'debug'];
  const carpd = options.program === undefined ? [process.execPath, CARPD] : [options.program];
  const argv = onMachine(m, [...(options.launcher ?? []), ...carpd, ...args, ...logLevel], options);
  const child = lab.spawn(m.host, argv, options.env === undefined ? {} : { env: options.env });
  return { host: m.host, process: child, stateDirectory: join(m.root, 'lib') };
}

/** Runs `carpctl ARGS` on the machine (default control socket). */
export function carpctlOn(lab: Lab, m: Machine, args: readonly string[], options: ProgramOptions = {}): Promise<ExecResult> {
  const carpctl = options.program === undefined ? [process.execPath, CARPCTL] : [options.program];
  return lab.exec(m.host, onMachine(m, [...carpctl, ...args]), { timeoutMs: 10_000 });
}

/** A group of the lab's config files. */
export interface GroupSpec {
  readonly name?: string;
  readonly vhid?: number;
  readonly addresses: readonly string[];
  readonly advskew: number;
  readonly passphraseFile: string;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Writes a YAML config (as JSON, which YAML accepts) and returns its path. */
export function writeConfig(m: Machine, file: string, groups: readonly GroupSpec[], top: Readonly<Record<string, unknown>> = {}): string {
  const config = {
    log_level: 'debug',
    ...top,
    groups: groups.map((g) => ({
      name: g.name ?? 'web',
      interface: 'eth0',
      vhid: g.vhid ?? 7,
      addresses: g.addresses,
      passphrase_file: g.passphraseFile,
      advskew: g.advskew,
      preempt: true,
      ...g.extra,
    })),
  };
  const path = join(m.etc, file);
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/** Writes a passphrase file (mode 0600) and returns its path. */
export function writePassphrase(m: Machine, file: string, passphrase: string): string {
  const path = join(m.etc, file);
  writeFileSync(path, `${passphrase}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** A `protocol: vrrp` group of the lab's config files (no passphrase: VRRPv3 has none). */
export interface VrrpGroupSpec {
  readonly name?: string;
  readonly vhid?: number;
  readonly addresses: readonly string[];
  readonly priority: number;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Writes a YAML config of VRRP groups (as JSON) with the documented keys, and returns its path. */
export function writeVrrpConfig(m: Machine, file: string, groups: readonly VrrpGroupSpec[], top: Readonly<Record<string, unknown>> = {}): string {
  const config = {
    log_level: 'debug',
    ...top,
    groups: groups.map((g) => ({
      name: g.name ?? 'gw',
      protocol: 'vrrp',
      interface: 'eth0',
      vhid: g.vhid ?? 7,
      addresses: g.addresses,
      priority: g.priority,
      advert_interval: 1,
      preempt: true,
      accept_mode: false,
      checksum_mode: 'compatible',
      ...g.extra,
    })),
  };
  const path = join(m.etc, file);
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}
