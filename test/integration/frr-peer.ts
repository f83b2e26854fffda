/**
 * Debian's FRR (8.4.x: zebra + vrrpd, configured through vtysh) as a VRRPv3 peer, or a VRRPv2
 * one (`vrrp N version 2`: IPv4 only, whole-second intervals, no authentication), inside a lab
 * host, every file in a per-run directory.
 *
 * What FRR needs, from its vrrp.rst ("System Configuration") and from trying it here:
 *   - a macvlan per VRID and family on the base interface, made by the operator: MAC
 *     00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6), `mode bridge` (so Backup still
 *     receives adverts), `addrgenmode random` (so an IPv6 link-local is not the one every
 *     router derives from the shared MAC), and the virtual addresses configured on it, not on
 *     the parent. FRR finds it by parent and MAC; the name (vrrp4-<ifindex>-<vrid>, as the docs
 *     show) does not matter. iproute2 6.1 on this kernel refuses `addrgenmode` in `ip link add`
 *     ("Address family not supported"), so it is set before the link goes up. The VIPs are added
 *     once vrrpd has put the macvlan in protodown (addAddressesOnceProtodown says why).
 *   - Backup is `protodown on` of the macvlan (set by zebra), so the VIP stays configured but the
 *     interface has no carrier; Master is protodown off. The address is local either way, so the
 *     host's eth0 would answer ARP for it with its own MAC while Backup (arp_ignore 0, the
 *     default): the host gets arp_ignore=1 (reply only for addresses on the receiving interface),
 *     which leaves ARP for the VIP to the macvlan and hence to the master only. And the master's
 *     own traffic to the segment leaves through eth0 (its connected route comes first): its ARP
 *     requests then carried the VIP as sender address with eth0's MAC, and the client's entry
 *     for the VIP moved from the virtual MAC to eth0's (seen here). arp_announce=2 makes those
 *     requests use eth0's own address.
 *   - zebra and vrrpd in the foreground (no -d), as the `frr` user (root is refused: "user(root)
 *     is not part of vty group specified(frrvty)"), with -f config, -i pid file, -z zserv socket,
 *     --vty_socket directory, -P 0 (no TCP vty), --log stdout. Every FRR daemon also makes
 *     /var/tmp/frr/<daemon>.<pid>/ (fixed at build time, no flag): a per-host directory is bound
 *     over /var/tmp for the daemons, in `ip netns exec`'s private mount namespace, so nothing is
 *     written to the host's /var/tmp.
 *   - `vrrp N advertisement-interval` is in milliseconds, multiples of 10 (10..40950).
 * State: `vtysh --vty_socket DIR -c 'show vrrp interface eth0 N json'`.
 */
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { ExecResult, Lab, LabHost, LabProcess, ProcessExit } from '../../src/lab/lab.ts';
import { familyOf, labPrefixLength, vrrpVirtualMac, type VrrpRole, type VrrpSpeaker, type VrrpV2Auth } from './vrrp-speaker.ts';

const FRR_BIN = '/usr/lib/frr';

/** One FRR virtual router (one family). */
export interface FrrRouter {
  readonly vrid: number;
  /** Virtual addresses without prefix length, one family. */
  readonly addresses: readonly string[];
  /** 1..254 (FRR refuses 255 in the CLI; ownership is not inferred). */
  readonly priority: number;
  /** Milliseconds, a multiple of 10, 10..40950 (FRR's unit; VRRPv3 carries centiseconds); VRRPv2: whole seconds. */
  readonly advertIntervalMs: number;
  /** `vrrp N version`: 3 (default here and FRR's) or 2 (IPv4 only; FRR sends no authentication). */
  readonly version?: 2 | 3;
  /** Default true (FRR's default). */
  readonly preempt?: boolean;
  /** Default eth0. */
  readonly interface?: string;
}

/** FRR's `show vrrp ... json`, the per-family part. */
export interface FrrFamilyStatus {
  interface: string;
  vmac: string;
  primaryAddress: string;
  status: 'Initialize' | 'Backup' | 'Master';
  effectivePriority: number;
  masterAdverInterval: number;
  skewTime: number;
  masterDownInterval: number;
  stats: { adverTx: number; adverRx: number; garpTx?: number; neighborAdverTx?: number; transitions: number };
  addresses: string[];
}

/** FRR's `show vrrp ... json`, one router. */
export interface FrrStatus {
  vrid: number;
  version: number;
  shutdown: boolean;
  preemptMode: boolean;
  acceptMode: boolean;
  advertisementInterval: number;
  v4: FrrFamilyStatus;
  v6: FrrFamilyStatus;
}

/** uid and gid of the `frr` user, which the daemons run as. */
function frrIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'frr'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'frr'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Bounded wait for a file (a daemon's socket) to appear. */
async function waitForFile(path: string, timeoutMs: number, process: LabProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1000 && Date.now() < deadline; i += 1) {
    if (existsSync(path)) return;
    if (process.done) throw new Error(`frr: ${path} not created, the daemon exited:\n${process.lines.slice(-15).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`frr: ${path} not created within ${timeoutMs} ms:\n${process.lines.slice(-15).join('\n')}`);
}

/** A running zebra + vrrpd pair in a lab host. */
export class FrrPeer implements VrrpSpeaker {
  readonly kind = 'frr';
  readonly version: 2 | 3;
  /** FRR's VRRPv2 adverts carry auth type 0 (it has no authentication). */
  readonly auth: VrrpV2Auth | undefined;
  readonly vrid: number;
  readonly addresses: readonly string[];
  readonly family: 4 | 6;
  /** The operator-made macvlan FRR uses, and its virtual MAC. */
  readonly macvlan: string;
  readonly vmac: string;
  private zebra: LabProcess | undefined;
  private vrrpd: LabProcess | undefined;

  private constructor(
    private readonly lab: Lab,
    readonly host: LabHost,
    readonly router: FrrRouter,
    readonly dir: string,
    macvlan: string,
  ) {
    this.version = router.version ?? 3;
    this.auth = this.version === 2 ? { type: 'none' } : undefined;
    this.vrid = router.vrid;
    this.addresses = router.addresses;
    this.family = familyOf(router.addresses[0] ?? '');
    this.macvlan = macvlan;
    this.vmac = vrrpVirtualMac(router.vrid, this.family);
  }

  /**
   * Creates the macvlan with the VIPs, starts zebra then vrrpd, and configures the router through
   * vtysh. Resolves once vtysh accepted the configuration (the router then starts in Backup).
   */
  static async start(lab: Lab, host: LabHost, dir: string, router: FrrRouter): Promise<FrrPeer> {
    const families = new Set(router.addresses.map(familyOf));
    if (router.addresses.length === 0 || families.size !== 1) throw new Error('frr: one or more virtual addresses, all of one family');
    if (router.advertIntervalMs % 10 !== 0 || router.advertIntervalMs < 10 || router.advertIntervalMs > 40950) {
      throw new Error(`frr: advertisement-interval ${router.advertIntervalMs} ms must be a multiple of 10 in 10..40950`);
    }
    if (router.version === 2 && (router.advertIntervalMs % 1000 !== 0 || router.addresses.some((a) => familyOf(a) !== 4))) {
      throw new Error(`frr: VRRPv2 takes IPv4 addresses and whole seconds (advertisement-interval ${router.advertIntervalMs} ms)`);
    }
    const family = familyOf(router.addresses[0] ?? '');
    const ifname = router.interface ?? 'eth0';
    const link = JSON.parse((await lab.exec(host, ['ip', '-j', 'link', 'show', 'dev', ifname])).stdout) as { ifindex: number }[];
    const ifindex = link[0]?.ifindex;
    if (ifindex === undefined) throw new Error(`frr: no ${ifname} in ${host.name}`);
    const peer = new FrrPeer(lab, host, router, dir, `vrrp${family}-${ifindex}-${router.vrid}`);
    await peer.createMacvlan();
    peer.writeDirectory();
    await peer.startDaemons();
    const configured = await peer.vtysh(peer.configuration());
    if (configured.code !== 0 || /%|error|unknown/i.test(configured.stdout + configured.stderr)) {
      throw new Error(`frr: vtysh refused the configuration (${configured.code}): ${configured.stdout}${configured.stderr}`);
    }
    await peer.addAddressesOnceProtodown();
    return peer;
  }

  /** The vtysh commands that configure the router (FRR's CLI, vrrp.rst "Interface Configuration"). */
  configuration(): string[] {
    const r = this.router;
    return [
      'configure terminal',
      'debug vrrp protocol',
      `interface ${r.interface ?? 'eth0'}`,
      `vrrp ${r.vrid} version ${r.version ?? 3}`,
      `vrrp ${r.vrid} priority ${r.priority}`,
      `vrrp ${r.vrid} advertisement-interval ${r.advertIntervalMs}`,
      `${r.preempt === false ? 'no ' : ''}vrrp ${r.vrid} preempt`,
      // The first address activates the router, so it comes last.
      ...r.addresses.map((a) => `vrrp ${r.vrid} ${familyOf(a) === 4 ? 'ip' : 'ipv6'} ${a}`),
      'end',
    ];
  }

  private async createMacvlan(): Promise<void> {
    const ifname = this.router.interface ?? 'eth0';
    const ns = this.host;
    await this.lab.exec(ns, ['ip', 'link', 'del', this.macvlan]);
    const steps: string[][] = [
      ['sysctl', '-q', '-w', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2'],
      ['ip', 'link', 'add', this.macvlan, 'link', ifname, 'type', 'macvlan', 'mode', 'bridge'],
      ['ip', 'link', 'set', 'dev', this.macvlan, 'addrgenmode', 'random'],
      ['ip', 'link', 'set', 'dev', this.macvlan, 'address', this.vmac],
      ['ip', 'link', 'set', 'dev', this.macvlan, 'up'],
    ];
    for (const argv of steps) {
      const result = await this.lab.exec(ns, argv);
      if (result.code !== 0) throw new Error(`frr: \`${argv.join(' ')}\` in ${ns.name} failed: ${result.stderr.trim()}`);
    }
  }

  /**
   * The VIPs go on the macvlan once zebra has put it in protodown (the router is in Backup). FRR's
   * docs add them before starting FRR, but then the fresh macvlan serves them with carrier until
   * vrrpd's first protodown request, a window in which it answers ARP for them beside the real
   * master. vrrpd takes the addresses from its own configuration, so it does not mind.
   */
  private async addAddressesOnceProtodown(): Promise<void> {
    const deadline = Date.now() + 5000;
    for (let i = 0; ; i += 1) {
      const link = JSON.parse((await this.lab.exec(this.host, ['ip', '-j', '-d', 'link', 'show', 'dev', this.macvlan])).stdout || '[]') as { proto_down?: boolean }[];
      if (link[0]?.proto_down === true) break;
      if (i >= 200 || Date.now() > deadline) throw new Error(`frr: ${this.macvlan} not in protodown 5 s after configuring vrrpd:\n${this.logTail(20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const a of this.addresses) {
      const argv = ['ip', 'addr', 'add', `${a}/${labPrefixLength(a)}`, 'dev', this.macvlan, ...(familyOf(a) === 6 ? ['nodad'] : [])];
      const result = await this.lab.exec(this.host, argv);
      if (result.code !== 0) throw new Error(`frr: \`${argv.join(' ')}\` in ${this.host.name} failed: ${result.stderr.trim()}`);
    }
  }

  private writeDirectory(): void {
    const { uid, gid } = frrIds();
    const vartmp = join(this.dir, 'vartmp');
    mkdirSync(vartmp, { recursive: true });
    for (const daemon of ['zebra', 'vrrpd']) {
      // Microsecond stamps in the daemons' stdout logs.
      writeFileSync(join(this.dir, `${daemon}.conf`), `hostname ${this.host.name}\nlog stdout debugging\nlog timestamp precision 6\n`);
      chownSync(join(this.dir, `${daemon}.conf`), uid, gid);
    }
    chownSync(vartmp, uid, gid);
    chownSync(this.dir, uid, gid);
  }

  private daemonArgv(daemon: 'zebra' | 'vrrpd'): string[] {
    const d = this.dir;
    return [
      'sh', '-c', 'mount --bind "$0/vartmp" /var/tmp && exec "$@"', d,
      join(FRR_BIN, daemon), '-f', join(d, `${daemon}.conf`), '-i', join(d, `${daemon}.pid`), '-z', join(d, 'zserv.api'),
      '--vty_socket', d, '-P', '0', '--log', 'stdout', '--log-level', 'debug',
    ];
  }

  private async startDaemons(): Promise<void> {
    this.zebra = this.lab.spawn(this.host, this.daemonArgv('zebra'));
    await waitForFile(join(this.dir, 'zserv.api'), 10_000, this.zebra);
    await waitForFile(join(this.dir, 'zebra.vty'), 10_000, this.zebra);
    this.vrrpd = this.lab.spawn(this.host, this.daemonArgv('vrrpd'));
    await waitForFile(join(this.dir, 'vrrpd.vty'), 10_000, this.vrrpd);
  }

  /** Runs vtysh with these commands against this host's daemons. */
  vtysh(commands: readonly string[]): Promise<ExecResult> {
    return this.lab.exec(this.host, ['vtysh', '--vty_socket', this.dir, ...commands.flatMap((c) => ['-c', c])], { timeoutMs: 10_000 });
  }

  /** `show vrrp interface IF VRID json`, or undefined when vrrpd does not answer. */
  async status(): Promise<FrrStatus | undefined> {
    if (this.vrrpd === undefined || this.vrrpd.done) return undefined;
    const result = await this.vtysh([`show vrrp interface ${this.router.interface ?? 'eth0'} ${this.vrid} json`]);
    if (result.code !== 0) return undefined;
    try {
      return (JSON.parse(result.stdout) as FrrStatus[])[0];
    } catch {
      return undefined;
    }
  }

  /** The status of this router's family. */
  async familyStatus(): Promise<FrrFamilyStatus | undefined> {
    const status = await this.status();
    return this.family === 4 ? status?.v4 : status?.v6;
  }

  async role(): Promise<VrrpRole> {
    if (this.vrrpd === undefined || this.vrrpd.done) return 'stopped';
    const status = (await this.familyStatus())?.status;
    return status === 'Master' ? 'master' : status === 'Backup' ? 'backup' : 'init';
  }

  /**
   * SIGTERM to vrrpd (it sends priority 0 and asks zebra for protodown), then to zebra — but only
   * once zebra has applied that protodown, or 2 s have passed. vrrpd's request reaches zebra
   * asynchronously: a zebra stopped at once can exit first and leave the macvlan up with the VIP
   * (seen once in CI: both keepalived and the stopped FRR served it). An operator's
   * `systemctl stop frr` leaves the same gap; waiting for it keeps this ground-truth lab about
   * VRRP rather than about FRR's shutdown order.
   */
  async stop(timeoutMs = 6000): Promise<ProcessExit | undefined> {
    const exit = await this.terminate(this.vrrpd, timeoutMs);
    await this.waitForProtodown(2000);
    await this.terminate(this.zebra, timeoutMs);
    return exit;
  }

  /** Waits (bounded in time and count) until the macvlan is in protodown or gone. */
  private async waitForProtodown(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 100 && Date.now() < deadline; i++) {
      const result = await this.lab.exec(this.host, ['ip', '-j', '-d', 'link', 'show', 'dev', this.macvlan]);
      if (result.code !== 0) return;
      const link = JSON.parse(result.stdout || '[]') as { proto_down?: boolean }[];
      if (link[0]?.proto_down === true) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async terminate(process: LabProcess | undefined, timeoutMs: number): Promise<ProcessExit | undefined> {
    if (process === undefined) return undefined;
    process.signal('SIGTERM');
    const exit = await Promise.race([process.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs))]);
    if (exit === undefined) await process.kill();
    return exit;
  }

  async crash(): Promise<void> {
    await Promise.all([this.vrrpd?.kill(), this.zebra?.kill()]);
  }

  /** Deletes the macvlan: a killed vrrpd leaves it as it was (a Master's VIP served). */
  async clearStale(): Promise<string[]> {
    const result = await this.lab.exec(this.host, ['ip', 'link', 'del', this.macvlan]);
    return result.code === 0 ? [`link ${this.macvlan}`] : [];
  }

  logTail(count = 30): string[] {
    return [...(this.zebra?.lines.slice(-Math.ceil(count / 3)) ?? []).map((l) => `[zebra] ${l}`), ...(this.vrrpd?.lines.slice(-count) ?? []).map((l) => `[vrrpd] ${l}`)];
  }

  /** vrrpd's log lines so far. */
  vrrpdLines(): readonly string[] {
    return this.vrrpd?.lines ?? [];
  }
}
