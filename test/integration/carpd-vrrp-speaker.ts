/**
 * carpd running one `protocol: vrrp` group in a lab host, as machine.ts runs it: default
 * /run/carpd and /var/lib/carpd bound per host, configured by a YAML file (written as JSON,
 * which YAML accepts) with the keys of docs/vrrp.md (and, for VRRPv2, `vrrp_version: 2` and a
 * simple password in `passphrase_file`: docs/configuration.md "VRRP groups").
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExecResult, Lab, LabHost, ProcessExit } from '../../src/lab/lab.ts';
import type { CarpdNode } from './carpd-in-lab.ts';
import { phaseOf, stopCarpd, transitions } from './carpd-in-lab.ts';
import { machine, onMachine, startCarpdOn, type Machine } from './machine.ts';
import { familyOf, labPrefixLength, type VrrpRole, type VrrpSpeaker, type VrrpV2Auth } from './vrrp-speaker.ts';

const CARPD = resolve(import.meta.dirname, '../../bin/carpd');

/** One carpd VRRP group. */
export interface CarpdVrrpGroup {
  readonly vrid: number;
  /** Virtual addresses without prefix length, one family. */
  readonly addresses: readonly string[];
  /** 1..255, carpd's default 100. */
  readonly priority: number;
  /** Seconds, 0.01..40.95 (VRRPv2: whole seconds, 1..255). */
  readonly advertIntervalSeconds: number;
  /** `vrrp_version`; absent: carpd's default, 3 (no key written). */
  readonly version?: 2 | 3;
  /** VRRPv2 simple text password (keepalived's `auth_type PASS`), written to a `passphrase_file`; absent: none. */
  readonly password?: string;
  /** Default true. */
  readonly preempt?: boolean;
  /**
   * RFC 5798 Accept_Mode. The tests set it: a non-owner master without it must not accept
   * packets for the addresses, so a client's pings would go unanswered (keepalived accepts by
   * default outside strict_mode, FRR always does: the VIP is a local address on its macvlan).
   */
  readonly acceptMode?: boolean;
  readonly checksumMode?: 'compatible' | 'strict';
  /** Unicast peers (keepalived's unicast_peer). */
  readonly peers?: readonly string[];
  /** `metrics: { listen }` (e.g. 127.0.0.1:9273, inside the host's namespace); absent: no metrics endpoint. */
  readonly metricsListen?: string;
  /** Extra group keys. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** The config file's object for one group (docs/vrrp.md keys); `passphraseFile` holds the group's VRRPv2 password. */
export function carpdVrrpConfig(group: CarpdVrrpGroup, passphraseFile?: string): Record<string, unknown> {
  return {
    log_level: 'debug',
    ...(group.metricsListen === undefined ? {} : { metrics: { listen: group.metricsListen } }),
    groups: [
      {
        name: `vr${group.vrid}`,
        protocol: 'vrrp',
        interface: 'eth0',
        vhid: group.vrid,
        addresses: group.addresses.map((a) => `${a}/${labPrefixLength(a)}`),
        priority: group.priority,
        advert_interval: group.advertIntervalSeconds,
        preempt: group.preempt ?? true,
        accept_mode: group.acceptMode ?? true,
        // The checksum variants are VRRPv3's (docs/protocol-vrrp.md "Checksum"); VRRPv2 has one.
        ...(group.version === 2 ? { vrrp_version: 2 } : { checksum_mode: group.checksumMode ?? 'compatible' }),
        ...(passphraseFile === undefined ? {} : { passphrase_file: passphraseFile }),
        ...(group.peers === undefined ? {} : { peers: group.peers }),
        ...group.extra,
      },
    ],
  };
}

/** Writes the group's config into the machine's etc/ and returns its path. */
export function writeCarpdVrrpConfig(m: Machine, group: CarpdVrrpGroup, file = 'carpd.yaml'): string {
  let passphraseFile: string | undefined;
  if (group.password !== undefined) {
    // First line is the passphrase; root's own, mode 0600 (carpd warns when others may read it).
    passphraseFile = join(m.etc, `vr${group.vrid}.pass`);
    writeFileSync(passphraseFile, `${group.password}\n`, { mode: 0o600 });
    chmodSync(passphraseFile, 0o600);
  }
  const path = join(m.etc, file);
  writeFileSync(path, `${JSON.stringify(carpdVrrpConfig(group, passphraseFile), null, 2)}\n`);
  return path;
}

/** `carpd --check --config F` on the machine (what a VRRP group must pass before anything runs). */
export function checkCarpdConfig(lab: Lab, m: Machine, config: string): Promise<ExecResult> {
  return lab.exec(m.host, onMachine(m, [process.execPath, CARPD, '--check', '--config', config]), { timeoutMs: 20_000 });
}

const PHASES: Readonly<Record<string, VrrpRole>> = { master: 'master', backup: 'backup', init: 'init' };

/** A running carpd with one VRRP group. */
export class CarpdVrrpSpeaker implements VrrpSpeaker {
  readonly kind = 'carpd';
  readonly version: 2 | 3;
  readonly auth: VrrpV2Auth | undefined;
  readonly vrid: number;
  readonly addresses: readonly string[];
  readonly family: 4 | 6;

  private constructor(
    private readonly lab: Lab,
    readonly host: LabHost,
    readonly group: CarpdVrrpGroup,
    readonly machine: Machine,
    readonly config: string,
    readonly node: CarpdNode,
  ) {
    this.version = group.version ?? 3;
    this.auth = this.version === 2 ? (group.password === undefined ? { type: 'none' } : { type: 'pass', password: group.password }) : undefined;
    this.vrid = group.vrid;
    this.addresses = group.addresses;
    this.family = familyOf(group.addresses[0] ?? '');
  }

  /**
   * Checks the config with `carpd --check` (throws with carpd's output when it is refused), then
   * starts carpd on a fresh machine for the host.
   */
  static async start(lab: Lab, host: LabHost, group: CarpdVrrpGroup): Promise<CarpdVrrpSpeaker> {
    const m = machine(host);
    const config = writeCarpdVrrpConfig(m, group);
    const check = await checkCarpdConfig(lab, m, config);
    if (check.code !== 0) throw new Error(`carpd --check refuses the VRRP group (exit ${check.code}):\n${check.stdout}${check.stderr}`);
    return new CarpdVrrpSpeaker(lab, host, group, m, config, startCarpdOn(lab, m, ['--config', config]));
  }

  async role(): Promise<VrrpRole> {
    if (this.node.process.done) return 'stopped';
    return PHASES[phaseOf(this.node)] ?? 'init';
  }

  /** When carpd logged a transition to `role` at or after `afterMs`, or undefined. */
  roleAt(role: VrrpRole, afterMs: number): number | undefined {
    const t = transitions(this.node).find((x) => x.to === role && Date.parse(x.time) >= afterMs);
    return t === undefined ? undefined : Date.parse(t.time);
  }

  async stop(timeoutMs = 10_000): Promise<ProcessExit | undefined> {
    const code = await stopCarpd(this.node, timeoutMs);
    if (code === null && !this.node.process.done) await this.node.process.kill();
    return this.node.process.done ? this.node.process.exited : undefined;
  }

  async crash(): Promise<void> {
    // The process group: carpd and its cleanup guard.
    await this.node.process.kill();
  }

  /** Removes the VIPs from every interface and deletes carpd's macvlans (vrrp<N>, vrrp6-<N>, carp*). */
  async clearStale(): Promise<string[]> {
    const removed: string[] = [];
    for (const link of await this.lab.links(this.host)) {
      if (/^(vrrp|carp)/.test(link.name)) {
        const result = await this.lab.exec(this.host, ['ip', 'link', 'del', link.name]);
        if (result.code === 0) removed.push(`link ${link.name}`);
      }
    }
    for (const address of this.addresses) {
      const result = await this.lab.exec(this.host, ['ip', 'addr', 'del', `${address}/${labPrefixLength(address)}`, 'dev', 'eth0']);
      if (result.code === 0) removed.push(`${address} on eth0`);
    }
    return removed;
  }

  logTail(count = 30): string[] {
    return this.node.process.lines.slice(-count);
  }
}
