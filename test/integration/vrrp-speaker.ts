/**
 * What the VRRP interop tests need from every speaker in the lab (keepalived, FRR, carpd), and
 * how they observe the outcome from outside the daemons: who holds the virtual address (an
 * address on an interface that is up and has carrier: FRR keeps its VIP on a macvlan in
 * protodown while Backup, keepalived and carpd remove it), when that changed (`ip -ts monitor`
 * in the host's namespace), and what a client pinging the address saw.
 */
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab, LabHost, LabProcess, ProcessExit } from '../../src/lab/lab.ts';
import { parseIpMonitorLine } from '../../src/lab/ip-monitor-line.ts';
import { parsePingOutput, type PingResult } from '../../src/lab/ping.ts';

/** A speaker's role as the speaker itself reports it. */
export type VrrpRole = 'master' | 'backup' | 'init' | 'fault' | 'stopped';

/**
 * VRRPv2's authentication fields as a speaker fills them (RFC 3768 §5.3.6; keepalived's
 * `authentication { auth_type PASS }`): none, or a simple text password of at most 8 bytes, sent
 * in clear. VRRPv3 has no such fields.
 */
export type VrrpV2Auth = { readonly type: 'none' } | { readonly type: 'pass'; readonly password: string };

/** The auth type octet of a VRRPv2 advert for `auth` (RFC 3768 §5.3.6: 0 none, 1 simple text). */
export function vrrpV2AuthType(auth: VrrpV2Auth | undefined): number {
  return auth?.type === 'pass' ? 1 : 0;
}

/** One VRRP speaker (VRRPv3, or VRRPv2 where `version` says so) running in a lab host. */
export interface VrrpSpeaker {
  /** Which implementation. */
  readonly kind: 'keepalived' | 'frr' | 'carpd';
  readonly host: LabHost;
  /** The VRRP version it speaks (RFC 5798 is 3, RFC 3768 is 2). */
  readonly version: 2 | 3;
  /** VRRPv2 only: what its adverts carry in the authentication fields (absent: none). */
  readonly auth?: VrrpV2Auth;
  readonly vrid: number;
  /** The virtual addresses, without prefix length, all of one family. */
  readonly addresses: readonly string[];
  readonly family: 4 | 6;
  /** The role the daemon reports (notify records, `show vrrp json`, transition logs). */
  role(): Promise<VrrpRole>;
  /** SIGTERM and wait for the exit: a master sends its priority-0 advertisement. */
  stop(timeoutMs?: number): Promise<ProcessExit | undefined>;
  /** SIGKILL of every process of the speaker; the caller cuts the link first (a power cut). */
  crash(): Promise<void>;
  /** Removes what a killed speaker left on its host (VIPs, macvlans); returns what it removed. */
  clearStale(): Promise<string[]>;
  /** Last log lines (and state records), for failure messages. */
  logTail(count?: number): string[];
}

/** RFC 5798 §7.3: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6. */
export function vrrpVirtualMac(vrid: number, family: 4 | 6): string {
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new RangeError(`VRID ${vrid} must be 1..255`);
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${vrid.toString(16).padStart(2, '0')}`;
}

/** The address family of an address text. */
export function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** The lab's prefix length for a VIP: /24 (IPv4) or /64 (IPv6), the lab's subnets. */
export function labPrefixLength(address: string): number {
  return familyOf(address) === 4 ? 24 : 64;
}

/** A directory for one run's peer files, traversable by FRR's unprivileged `frr` user. */
export function peerWorkDirectory(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `carpd-vrrp-${label}-`));
  chmodSync(dir, 0o711);
  return dir;
}

interface IpLinkJson {
  ifname?: string;
  address?: string;
  flags?: string[];
  proto_down?: boolean;
  addr_info?: { local?: string }[];
}

/** Whether an interface state carries traffic: up, carrier (LOWER_UP), not protodown. */
function carries(flags: readonly string[], protoDown: boolean): boolean {
  return flags.includes('UP') && flags.includes('LOWER_UP') && !protoDown;
}

/** The interface (name and MAC) through which the host serves `vip`, or undefined. */
export async function vipInterface(lab: Lab, host: LabHost | string, vip: string): Promise<{ name: string; mac: string } | undefined> {
  const result = await lab.exec(host, ['ip', '-j', '-d', 'addr', 'show']);
  if (result.code !== 0) throw new Error(`ip addr in ${typeof host === 'string' ? host : host.name}: ${result.stderr}`);
  const links = JSON.parse(result.stdout) as IpLinkJson[];
  const link = links.find((l) => (l.addr_info ?? []).some((a) => a.local === vip) && carries(l.flags ?? [], l.proto_down === true));
  return link === undefined ? undefined : { name: link.ifname ?? '', mac: link.address ?? '' };
}

/** Whether the host serves `vip`: the address on an interface that carries traffic. */
export async function holdsVip(lab: Lab, host: LabHost | string, vip: string): Promise<boolean> {
  return (await vipInterface(lab, host, vip)) !== undefined;
}

/** The names of the hosts that serve `vip` now (exactly one in a healthy pair). */
export async function vipHolders(lab: Lab, hosts: readonly LabHost[], vip: string): Promise<string[]> {
  const out: string[] = [];
  for (const host of hosts) if (await holdsVip(lab, host, vip)) out.push(host.name);
  return out;
}

/** The MAC address the client has for `vip` (its neighbour entry), or undefined. */
export async function clientNeighbourMac(lab: Lab, client: LabHost | string, vip: string): Promise<string | undefined> {
  const result = await lab.exec(client, ['ip', '-j', 'neigh', 'show', 'to', vip]);
  const entries = JSON.parse(result.stdout === '' ? '[]' : result.stdout) as { lladdr?: string; state?: string[] }[];
  return entries.find((e) => e.lladdr !== undefined && !(e.state ?? []).includes('FAILED'))?.lladdr;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Per interface: does it have the VIP, does it carry traffic. */
interface InterfaceState {
  hasVip: boolean;
  carries: boolean;
}

const ADDRESS_EVENT = /^(Deleted )?\d+: (\S+?)\s+inet6? ([0-9a-fA-F.:]+)\/\d+/;
const LINK_EVENT = /^(Deleted )?\d+: ([^:@\s]+)(?:@\S+)?: <([^>]*)>(.*)$/;

/**
 * Watches one host with `ip -ts monitor link address` and tells when it started or stopped
 * serving the VIP, to the monitor's microsecond stamps (polling `ip addr` would add 5–20 ms).
 */
export class VipWatch {
  private constructor(
    private readonly monitor: LabProcess,
    private readonly vip: string,
    private readonly snapshotAtMs: number,
    private readonly initial: ReadonlyMap<string, InterfaceState>,
  ) {}

  /** Starts the monitor, then takes the initial state (so no change falls between the two). */
  static async start(lab: Lab, host: LabHost | string, vip: string): Promise<VipWatch> {
    const monitor = lab.spawn(host, ['ip', '-ts', 'monitor', 'link', 'address']);
    // ip subscribes at once but prints nothing until an event: give it a moment to be running.
    await sleep(150);
    const snapshotAtMs = Date.now();
    const result = await lab.exec(host, ['ip', '-j', '-d', 'addr', 'show']);
    const initial = new Map<string, InterfaceState>();
    for (const link of JSON.parse(result.stdout) as IpLinkJson[]) {
      initial.set(link.ifname ?? '', { hasVip: (link.addr_info ?? []).some((a) => a.local === vip), carries: carries(link.flags ?? [], link.proto_down === true) });
    }
    return new VipWatch(monitor, vip, snapshotAtMs, initial);
  }

  /** Every change of "the host serves the VIP" after the snapshot, in order. */
  changes(): { atMs: number; holds: boolean }[] {
    const state = new Map<string, InterfaceState>([...this.initial].map(([k, v]) => [k, { ...v }]));
    const holding = (): boolean => [...state.values()].some((s) => s.hasVip && s.carries);
    let last = holding();
    const out: { atMs: number; holds: boolean }[] = [];
    for (const line of this.monitor.lines) {
      const parsed = parseIpMonitorLine(line);
      if (parsed === undefined || parsed.atMs < this.snapshotAtMs) continue;
      const address = ADDRESS_EVENT.exec(parsed.event);
      if (address !== null) {
        if (address[3] !== this.vip) continue;
        const name = address[2] ?? '';
        const entry = state.get(name) ?? { hasVip: false, carries: true };
        entry.hasVip = address[1] === undefined;
        state.set(name, entry);
      } else {
        const link = LINK_EVENT.exec(parsed.event);
        if (link === null) continue;
        const name = link[2] ?? '';
        if (link[1] !== undefined) {
          state.delete(name);
        } else {
          const entry = state.get(name) ?? { hasVip: false, carries: false };
          entry.carries = carries((link[3] ?? '').split(','), / protodown on/.test(link[4] ?? ''));
          state.set(name, entry);
        }
      }
      const now = holding();
      if (now !== last) out.push({ atMs: parsed.atMs, holds: now });
      last = now;
    }
    return out;
  }

  /** When the host started serving the VIP at or after `afterMs`, or undefined. */
  firstHoldAfter(afterMs: number): number | undefined {
    return this.changes().find((c) => c.holds && c.atMs >= afterMs)?.atMs;
  }

  /** When the host stopped serving the VIP at or after `afterMs`, or undefined. */
  firstReleaseAfter(afterMs: number): number | undefined {
    return this.changes().find((c) => !c.holds && c.atMs >= afterMs)?.atMs;
  }

  /** Stops the monitor. */
  async stop(): Promise<void> {
    await this.monitor.kill();
  }
}

/** The client's view of one outage: the longest gap between echo replies that ends after the trigger. */
export interface ClientOutage {
  /** Length of the gap, ms. */
  gapMs: number;
  /** From the trigger to the first reply after the gap (the new master answering), ms. */
  firstReplyMs: number;
}

/** A client pinging a VIP continuously (every 10 ms by default) until stopped. */
export class ClientPinger {
  private constructor(private readonly ping: LabProcess) {}

  /** Starts `ping -D` towards the VIP in the client's namespace. */
  static start(lab: Lab, client: LabHost | string, vip: string, intervalMs = 10): ClientPinger {
    return new ClientPinger(lab.spawn(client, ['ping', '-D', '-n', '-i', (intervalMs / 1000).toFixed(3), '-W', '1', vip]));
  }

  /** Stops ping (SIGINT, so it prints its summary) and parses what it printed. */
  async stop(): Promise<PingResult> {
    this.ping.signal('SIGINT');
    const exited = await Promise.race([this.ping.exited, sleep(3000).then(() => undefined)]);
    if (exited === undefined) await this.ping.kill();
    return parsePingOutput(this.ping.lines.join('\n'));
  }
}

/** The longest reply gap that ends after `triggerAtMs`, or undefined when no reply came after it. */
export function outageAfter(result: PingResult, triggerAtMs: number): ClientOutage | undefined {
  const unique = result.replies.filter((r) => !r.duplicate);
  let best: ClientOutage | undefined;
  for (let i = 1; i < unique.length; i += 1) {
    const previous = unique[i - 1];
    const current = unique[i];
    if (previous === undefined || current === undefined || current.atMs < triggerAtMs) continue;
    const gapMs = current.atMs - previous.atMs;
    if (best === undefined || gapMs > best.gapMs) best = { gapMs, firstReplyMs: current.atMs - triggerAtMs };
  }
  return best;
}
