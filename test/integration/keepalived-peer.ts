/**
 * Debian's keepalived (2.2.x) as a VRRPv3 peer, or at its default version (VRRPv2, with or
 * without `auth_type PASS`), inside a lab host: one vrrp_instance per
 * process, every file in a per-run directory (config, notify script, state records, the four pid
 * files), no fork, logs to stdout, no syslog. `keepalived --help` (2.2.7) gives the flags used:
 *   -n don't fork, -l log to console, -D detailed log, -G no syslog, -P VRRP subsystem only,
 *   -R don't respawn children, -f config, -p/-r/-c/-b the parent/VRRP/checker/BFD pid files.
 * The state is read from the generic notify script, which keepalived runs as
 * `script INSTANCE <name> <MASTER|BACKUP|FAULT|STOP> <priority>`; each call appends
 * `<STATE> <epoch seconds.ns> <priority>` to the state file (the bench's record format).
 * bench/failover.ts generates its keepalived configs here too.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabHost, LabProcess, ProcessExit } from '../../src/lab/lab.ts';
import { familyOf, labPrefixLength, type VrrpRole, type VrrpSpeaker, type VrrpV2Auth } from './vrrp-speaker.ts';

/** One keepalived VRRP instance. */
export interface KeepalivedInstance {
  readonly vrid: number;
  /** Virtual addresses without prefix length, one family (it selects IPv4 or IPv6 VRRP). */
  readonly addresses: readonly string[];
  /** 1..255 (keepalived's default is 100). */
  readonly priority: number;
  /** advert_int in seconds: VRRPv3 takes centiseconds, 0.01..40.95; VRRPv2 whole seconds, 1..255. */
  readonly advertIntervalSeconds: number;
  /** keepalived's default is preempt; false writes `nopreempt` (which needs state BACKUP, used here). */
  readonly preempt?: boolean;
  /** unicast_peer addresses; absent: multicast to 224.0.0.18 / ff02::12. */
  readonly unicastPeers?: readonly string[];
  /** unicast_src_ip (keepalived's default: the interface's primary address). */
  readonly unicastSource?: string;
  /** Default eth0. */
  readonly interface?: string;
  /** Instance name, default vi<vrid>. */
  readonly name?: string;
  /** global_defs router_id, default lab. */
  readonly routerId?: string;
  /** VRRP version: 3 (default here), or 'keepalived-default' to write no `version` line (keepalived then speaks VRRPv2). */
  readonly version?: 3 | 'keepalived-default';
  /**
   * VRRPv2 only: `authentication { auth_type PASS auth_pass <password> }` (keepalived's sample
   * configs have it; at most 8 bytes, keepalived truncates longer ones). Absent: no
   * authentication block, auth type 0 on the wire.
   */
  readonly authPass?: string;
}

/** The VRRP version a keepalived instance speaks: 2 when no `version` line is written (keepalived's default). */
export function keepalivedVersion(instance: KeepalivedInstance): 2 | 3 {
  return instance.version === 'keepalived-default' ? 2 : 3;
}

/** The instance's advert_int text, checked against the range of its VRRP version. */
function advertIntText(instance: KeepalivedInstance): string {
  const seconds = instance.advertIntervalSeconds;
  if (keepalivedVersion(instance) === 2) {
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 255) throw new Error(`keepalived: VRRPv2 advert_int ${seconds} s must be whole seconds 1..255`);
    return seconds.toString();
  }
  const centis = Math.round(seconds * 100);
  if (centis < 1 || centis > 4095 || Math.abs(centis - seconds * 100) > 1e-6) {
    throw new Error(`keepalived: advert_int ${seconds} s must be 0.01..40.95 in centiseconds`);
  }
  return (centis / 100).toString();
}

/** The authentication block of a VRRPv2 instance with a password (none otherwise). */
function authenticationLines(instance: KeepalivedInstance): string[] {
  if (instance.authPass === undefined) return [];
  if (keepalivedVersion(instance) !== 2) throw new Error('keepalived: authentication is VRRPv2 only');
  if (instance.authPass === '' || Buffer.byteLength(instance.authPass) > 8 || /\s/.test(instance.authPass)) {
    throw new Error(`keepalived: auth_pass ${JSON.stringify(instance.authPass)} must be 1..8 bytes without spaces`);
  }
  return ['  authentication {', '    auth_type PASS', `    auth_pass ${instance.authPass}`, '  }'];
}

/** The keepalived.conf text for one instance whose notify script is `notifyScript`. */
export function keepalivedConfig(instance: KeepalivedInstance, notifyScript: string): string {
  const ifname = instance.interface ?? 'eth0';
  const families = new Set(instance.addresses.map(familyOf));
  if (instance.addresses.length === 0 || families.size !== 1) throw new Error('keepalived: one or more virtual addresses, all of one family');
  const advertInt = advertIntText(instance);
  const lines = [
    'global_defs {',
    `  router_id ${instance.routerId ?? 'lab'}`,
    // Scripts run as root; script security checks that no one else can write them (the files
    // and directories are root's own), and silences keepalived's "SECURITY VIOLATION" warning.
    '  script_user root',
    '  enable_script_security',
    '}',
    `vrrp_instance ${instance.name ?? `vi${instance.vrid}`} {`,
    ...(instance.version === 'keepalived-default' ? [] : ['  version 3']),
    // Both peers start as BACKUP and the election decides (nopreempt requires it).
    '  state BACKUP',
    `  interface ${ifname}`,
    `  virtual_router_id ${instance.vrid}`,
    `  priority ${instance.priority}`,
    `  advert_int ${advertInt}`,
    ...authenticationLines(instance),
    ...(instance.preempt === false ? ['  nopreempt'] : []),
    ...(instance.unicastSource !== undefined ? [`  unicast_src_ip ${instance.unicastSource}`] : []),
    ...(instance.unicastPeers !== undefined ? ['  unicast_peer {', ...instance.unicastPeers.map((p) => `    ${p}`), '  }'] : []),
    '  virtual_ipaddress {',
    ...instance.addresses.map((a) => `    ${a}/${labPrefixLength(a)} dev ${ifname}`),
    '  }',
    `  notify "${notifyScript}"`,
    '}',
    '',
  ];
  return lines.join('\n');
}

/** The files of one keepalived run and the argv that starts it. */
export interface KeepalivedFiles {
  readonly config: string;
  readonly notifyScript: string;
  /** Lines `<STATE> <epoch seconds> <priority>`, appended by the notify script. */
  readonly stateFile: string;
  readonly argv: readonly string[];
}

/** Writes config and notify script into `dir` (which must be root's own: keepalived checks script paths). */
export function writeKeepalivedFiles(dir: string, instance: KeepalivedInstance): KeepalivedFiles {
  const stateFile = join(dir, 'state');
  const notifyScript = join(dir, 'notify.sh');
  // $3 is the state, $4 the priority (keepalived's notify calling convention).
  writeFileSync(notifyScript, `#!/bin/sh\necho "$3 $(date +%s.%N) $4" >> '${stateFile}'\n`);
  chmodSync(notifyScript, 0o755);
  const config = join(dir, 'keepalived.conf');
  writeFileSync(config, keepalivedConfig(instance, notifyScript));
  const argv = [
    'keepalived', '-n', '-l', '-D', '-G', '-P', '-R', '-f', config,
    '-p', join(dir, 'keepalived.pid'), '-r', join(dir, 'vrrp.pid'), '-c', join(dir, 'checkers.pid'), '-b', join(dir, 'bfd.pid'),
  ];
  return { config, notifyScript, stateFile, argv };
}

/** One notify record. */
export interface KeepalivedRecord {
  readonly state: string;
  readonly atMs: number;
}

/** Reads the notify records of a state file (none before the first notification). */
export function readKeepalivedRecords(stateFile: string): KeepalivedRecord[] {
  if (!existsSync(stateFile)) return [];
  const out: KeepalivedRecord[] = [];
  for (const line of readFileSync(stateFile, 'utf8').split('\n')) {
    const [state, seconds] = line.split(' ');
    if (state === undefined || state === '' || seconds === undefined) continue;
    out.push({ state, atMs: Number(seconds) * 1000 });
  }
  return out;
}

const ROLES: Readonly<Record<string, VrrpRole>> = { MASTER: 'master', BACKUP: 'backup', FAULT: 'fault', STOP: 'stopped' };

/** A running keepalived in a lab host. */
export class KeepalivedPeer implements VrrpSpeaker {
  readonly kind = 'keepalived';
  readonly version: 2 | 3;
  readonly auth: VrrpV2Auth | undefined;
  readonly vrid: number;
  readonly addresses: readonly string[];
  readonly family: 4 | 6;

  private constructor(
    private readonly lab: Lab,
    readonly host: LabHost,
    readonly instance: KeepalivedInstance,
    readonly files: KeepalivedFiles,
    readonly process: LabProcess,
  ) {
    this.version = keepalivedVersion(instance);
    this.auth = this.version === 2 ? (instance.authPass === undefined ? { type: 'none' } : { type: 'pass', password: instance.authPass }) : undefined;
    this.vrid = instance.vrid;
    this.addresses = instance.addresses;
    this.family = familyOf(instance.addresses[0] ?? '');
  }

  /** Writes the files into `dir` and starts keepalived in the host's namespace. */
  static start(lab: Lab, host: LabHost, dir: string, instance: KeepalivedInstance): KeepalivedPeer {
    const files = writeKeepalivedFiles(dir, instance);
    return new KeepalivedPeer(lab, host, instance, files, lab.spawn(host, [...files.argv]));
  }

  /** Every notify record so far. */
  records(): KeepalivedRecord[] {
    return readKeepalivedRecords(this.files.stateFile);
  }

  /** The role of the last notification ('init' before the first; 'stopped' once it exited). */
  async role(): Promise<VrrpRole> {
    const last = this.records().at(-1);
    if (this.process.done) return 'stopped';
    return last === undefined ? 'init' : (ROLES[last.state] ?? 'init');
  }

  /** When keepalived notified `role` at or after `afterMs`, or undefined. */
  roleAt(role: VrrpRole, afterMs: number): number | undefined {
    return this.records().find((r) => ROLES[r.state] === role && r.atMs >= afterMs)?.atMs;
  }

  async stop(timeoutMs = 6000): Promise<ProcessExit | undefined> {
    this.process.signal('SIGTERM');
    const exit = await Promise.race([this.process.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs))]);
    if (exit === undefined) await this.process.kill();
    return exit;
  }

  async crash(): Promise<void> {
    // The process group: the parent and its VRRP child.
    await this.process.kill();
  }

  async clearStale(): Promise<string[]> {
    const removed: string[] = [];
    const ifname = this.instance.interface ?? 'eth0';
    for (const address of this.addresses) {
      const result = await this.lab.exec(this.host, ['ip', 'addr', 'del', `${address}/${labPrefixLength(address)}`, 'dev', ifname]);
      if (result.code === 0) removed.push(`${address} on ${ifname}`);
    }
    return removed;
  }

  logTail(count = 30): string[] {
    return [...this.process.lines.slice(-count), ...this.records().map((r) => `[notify] ${r.state} ${new Date(r.atMs).toISOString()}`)];
  }
}
