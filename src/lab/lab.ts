// A throw-away Ethernet segment built from network namespaces, for integration tests of carpd.
//
// Layout for prefix P (e.g. `cl1a2b3c`):
//   namespace `Pbr`      holds bridge `Pb0` and the bridge-side veth ends `P0`, `P1`, ...
//   namespace `P-<name>` per host, holding `lo` and `eth0` (the other veth end)
// Nothing is ever attached to, addressed or routed in the host namespace (docs/development.md, "Test
// networks"): the host uses 192.0.2.0/24 and fd00::/64, the lab only 198.51.100.0/24,
// 203.0.113.0/24 and 2001:db8::/32, and refuses to start if the host holds any of those.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labRuleset } from './nft.ts';
import { parsePingOutput, type PingResult } from './ping.ts';
import { LabProcess } from './process.ts';
import { labRangeConflicts } from './ranges.ts';
import { tearDownOnSignal } from './teardown-on-signal.ts';
import { hostNamespaceAddresses, must, namespaces, parseAddresses, run, sleep, type ExecResult, type IpAddrJson } from './run.ts';

export { LabProcess } from './process.ts';
export type { ProcessExit } from './process.ts';
export type { PingReply, PingResult } from './ping.ts';
export type { ExecResult } from './run.ts';

/** One host of the lab. */
export interface LabHost {
  name: string;
  /** Its network namespace. */
  netns: string;
  /** Its only non-loopback interface. */
  ifname: 'eth0';
  /** 198.51.100.(10+i), without prefix length. */
  ipv4: string;
  /** 2001:db8::(10+i) when the lab has IPv6. */
  ipv6?: string;
  /** eth0's MAC address. */
  mac: string;
}

/** A link as `ip -j link` reports it. */
export interface LabLink {
  name: string;
  mac: string;
  /** Kernel operstate: UP, DOWN, LOWERLAYERDOWN, UNKNOWN ... */
  state: string;
  /** True when administratively up (IFF_UP). */
  up: boolean;
}

/** Options of Lab.create. */
export interface LabOptions {
  /** Host names: lower-case letters and digits, unique, at most 50. */
  hosts: string[];
  /** Give every host 2001:db8::(10+i)/64 and wait until IPv6 multicast routes exist. */
  ipv6?: boolean;
  /** Name prefix for every namespace and interface (default `cl` + 6 random hex digits). */
  prefix?: string;
}

/** A running packet capture. */
export interface LabCapture {
  /** The pcap file tcpdump writes. */
  path: string;
  /** Stops tcpdump (SIGINT, then SIGKILL) and resolves with the pcap path. */
  stop(): Promise<string>;
}

const HOST_NAME = /^[a-z0-9]{1,20}$/;
const PREFIX = /^[a-z][a-z0-9]{1,9}$/;
const MAX_HOSTS = 50;

/** A lab: one bridge namespace and one namespace per host. Always destroy() it in a finally. */
export class Lab {
  /** The per-run prefix of every namespace and interface name. */
  readonly prefix: string;
  /** The namespace holding the bridge. */
  readonly bridgeNetns: string;
  /** The bridge's name. */
  readonly bridge: string;
  private readonly hosts = new Map<string, LabHost>();
  private readonly ports = new Map<string, string>();
  private readonly processes = new Set<LabProcess>();
  private readonly createdNetns: string[] = [];
  private lossPercent = 0;
  private groups: string[][] = [];
  private blockedProtocols: { family: 4 | 6; protocol: number }[] = [];
  private captureDir: string | undefined;
  private destroyed = false;
  private readonly onExit = (): void => this.destroySync();
  private forgetSignals: (() => void) | undefined;

  private constructor(prefix: string) {
    this.prefix = prefix;
    this.bridgeNetns = `${prefix}br`;
    this.bridge = `${prefix}b0`;
  }

  /**
   * Why the lab cannot run here (not root, no netns support, a tool missing), or undefined when it
   * can. Tests call `t.skip(reason)` on a reason.
   */
  static async available(): Promise<string | undefined> {
    if (process.platform !== 'linux') return 'network namespaces need Linux';
    if (process.getuid?.() !== 0) return 'the netns lab needs root';
    for (const [tool, argv] of [
      ['ip (iproute2)', ['ip', '-V']],
      ['nft (nftables)', ['nft', '--version']],
      ['ping (iputils-ping)', ['ping', '-V']],
    ] as const) {
      const result = await run(argv, { timeoutMs: 5000 });
      if (result.code !== 0) return `${tool} is not usable: ${result.stderr.trim()}`;
    }
    const probe = `clp${randomBytes(3).toString('hex')}`;
    const added = await run(['ip', 'netns', 'add', probe], { timeoutMs: 5000 });
    if (added.code !== 0) return `ip netns add fails: ${added.stderr.trim()}`;
    try {
      const nft = await run(['ip', 'netns', 'exec', probe, 'nft', 'list', 'ruleset'], { timeoutMs: 5000 });
      if (nft.code !== 0) return `nft does not work in a namespace: ${nft.stderr.trim()}`;
    } finally {
      await run(['ip', 'netns', 'del', probe], { timeoutMs: 5000 });
    }
    return undefined;
  }

  /** Builds the lab; on any failure it tears down what it built and rethrows. */
  static async create(options: LabOptions): Promise<Lab> {
    const prefix = options.prefix ?? `cl${randomBytes(3).toString('hex')}`;
    if (!PREFIX.test(prefix)) throw new Error(`lab: prefix ${JSON.stringify(prefix)} must match ${PREFIX}`);
    if (options.hosts.length === 0 || options.hosts.length > MAX_HOSTS) {
      throw new Error(`lab: between 1 and ${MAX_HOSTS} hosts, got ${options.hosts.length}`);
    }
    for (const name of options.hosts) {
      if (!HOST_NAME.test(name) || name === 'bridge') {
        throw new Error(`lab: host name ${JSON.stringify(name)} must match ${HOST_NAME} and not be "bridge"`);
      }
    }
    if (new Set(options.hosts).size !== options.hosts.length) throw new Error('lab: host names must be unique');

    const conflicts = labRangeConflicts(await hostNamespaceAddresses());
    if (conflicts.length > 0) {
      throw new Error(
        `lab: refusing to run: the host namespace holds lab-range address(es) ${conflicts.join(', ')}; ` +
          'the lab uses 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32 and must not overlap the host',
      );
    }
    const existing = (await namespaces()).filter((name) => name.startsWith(prefix));
    if (existing.length > 0) throw new Error(`lab: namespaces with prefix ${prefix} already exist: ${existing.join(', ')}`);

    const lab = new Lab(prefix);
    process.on('exit', lab.onExit);
    lab.forgetSignals = tearDownOnSignal(lab.onExit);
    try {
      await lab.build(options.hosts, options.ipv6 === true);
    } catch (error) {
      await lab.destroy().catch(() => undefined);
      throw error;
    }
    return lab;
  }

  private async addNetns(name: string, sysctls: string[]): Promise<void> {
    await must(['ip', 'netns', 'add', name]);
    this.createdNetns.push(name);
    await must(['ip', 'netns', 'exec', name, 'sysctl', '-q', '-w', ...sysctls]);
    await must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  }

  private async build(names: string[], ipv6: boolean): Promise<void> {
    const br = this.bridgeNetns;
    // The bridge namespace has no IP at all: no link-locals, no MLD or RS from the bridge itself.
    await this.addNetns(br, ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    // mcast_snooping 0: flood all multicast (CARP/VRRP groups) to every port, no querier needed.
    await must(['ip', '-n', br, 'link', 'add', this.bridge, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
    await must(['ip', '-n', br, 'link', 'set', this.bridge, 'up']);

    for (const [i, name] of names.entries()) {
      const netns = `${this.prefix}-${name}`;
      // Set before eth0 exists so that `default` applies to it: no DAD delay for any address.
      await this.addNetns(netns, [
        'net.ipv6.conf.all.accept_dad=0',
        'net.ipv6.conf.default.accept_dad=0',
        // Lets `ping 224.0.0.1` reach every host (a multicast smoke test).
        'net.ipv4.icmp_echo_ignore_broadcasts=0',
      ]);
      const host: LabHost = { name, netns, ifname: 'eth0', ipv4: `198.51.100.${10 + i}`, mac: '', ...(ipv6 ? { ipv6: `2001:db8::${10 + i}` } : {}) };
      this.ports.set(name, `${this.prefix}${i}`);
      this.hosts.set(name, host);
      await this.attachHost(host);
    }
    await this.waitReady(ipv6);
  }

  /** Creates the host's veth pair (eth0 in the host, its port on the bridge) with its addresses, up. */
  private async attachHost(host: LabHost): Promise<void> {
    const br = this.bridgeNetns;
    const port = this.port(host.name);
    await must(['ip', '-n', br, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns]);
    await must(['ip', '-n', br, 'link', 'set', port, 'master', this.bridge, 'up']);
    await must(['ip', '-n', host.netns, 'addr', 'add', `${host.ipv4}/24`, 'dev', 'eth0']);
    if (host.ipv6 !== undefined) await must(['ip', '-n', host.netns, 'addr', 'add', `${host.ipv6}/64`, 'dev', 'eth0', 'nodad']);
    await must(['ip', '-n', host.netns, 'link', 'set', 'eth0', 'up']);
    const link = (await this.links(host)).find((l) => l.name === 'eth0');
    host.mac = link?.mac ?? '';
  }

  /** Deletes the host's eth0 (and with it its bridge port and any macvlan on it), as a removed NIC. */
  async deleteHostLink(name: string): Promise<void> {
    await must(['ip', '-n', this.host(name).netns, 'link', 'del', 'eth0']);
  }

  /** Creates the host's eth0 again: same name, addresses and bridge port, a new ifindex and MAC. */
  async recreateHostLink(name: string): Promise<void> {
    await this.attachHost(this.host(name));
  }

  /** Bounded wait: every eth0 operationally up and, with IPv6, the ff00::/8 route present. */
  private async waitReady(ipv6: boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    for (const host of this.hosts.values()) {
      for (let attempt = 0; ; attempt += 1) {
        const up = (await this.links(host)).some((l) => l.name === 'eth0' && l.state === 'UP');
        const mcast =
          !ipv6 ||
          / ff00::\/8 dev eth0 /.test(` ${await must(['ip', '-n', host.netns, '-6', 'route', 'show', 'table', 'local'])}`);
        if (up && mcast) break;
        if (attempt >= 100 || Date.now() > deadline) {
          throw new Error(`lab: host ${host.name} not ready after 5 s (eth0 up: ${up}, ff00::/8 route: ${mcast})`);
        }
        await sleep(50);
      }
    }
  }

  /** The named host; throws for an unknown name. */
  host(name: string): LabHost {
    const host = this.hosts.get(name);
    if (host === undefined) throw new Error(`lab: no host ${JSON.stringify(name)} (hosts: ${[...this.hosts.keys()].join(', ')})`);
    return host;
  }

  /** All hosts in creation order. */
  allHosts(): LabHost[] {
    return [...this.hosts.values()];
  }

  /** The bridge-side veth of a host (in the bridge namespace). */
  port(name: string): string {
    const port = this.ports.get(name);
    if (port === undefined) throw new Error(`lab: no host ${JSON.stringify(name)}`);
    return port;
  }

  private netnsOf(target: LabHost | string): string {
    if (target === 'bridge') return this.bridgeNetns;
    return typeof target === 'string' ? this.host(target).netns : target.netns;
  }

  /**
   * Runs argv in the host's namespace ('bridge' for the bridge's) without a shell; SIGKILLed after
   * timeoutMs (default 10 s), which yields code null.
   */
  exec(host: LabHost | string, argv: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
    this.assertLive();
    return run(['ip', 'netns', 'exec', this.netnsOf(host), ...argv], options);
  }

  /** Starts a long-running process in the host's namespace ('bridge' allowed); destroy() kills it. */
  spawn(host: LabHost | string, argv: string[], options: { env?: Record<string, string> } = {}): LabProcess {
    this.assertLive();
    const child = new LabProcess(['ip', 'netns', 'exec', this.netnsOf(host), ...argv], options.env);
    this.processes.add(child);
    void child.exited.then(() => this.processes.delete(child));
    return child;
  }

  /**
   * Sets the host's bridge port down. The host's eth0 loses carrier (operstate DOWN, NO-CARRIER)
   * but stays administratively up, so its addresses, IPv6 globals included, remain.
   */
  async cutLink(name: string): Promise<void> {
    await must(['ip', '-n', this.bridgeNetns, 'link', 'set', this.port(name), 'down']);
  }

  /** Sets the host's bridge port up again. */
  async restoreLink(name: string): Promise<void> {
    await must(['ip', '-n', this.bridgeNetns, 'link', 'set', this.port(name), 'up']);
  }

  /** Drops `percent` % of forwarded frames at random (per frame, each direction); 0 removes it. */
  async setLoss(percent: number): Promise<void> {
    if (!(percent >= 0 && percent <= 100)) throw new Error(`lab: loss ${percent} must be between 0 and 100`);
    this.lossPercent = percent;
    await this.applyFilter();
  }

  /** Drops frames between hosts of different groups (hosts in no group are unaffected). */
  async partition(groups: string[][]): Promise<void> {
    for (const name of groups.flat()) this.port(name);
    this.groups = groups.map((group) => [...group]);
    await this.applyFilter();
  }

  /** Drops (or stops dropping) every frame carrying IP `protocol` in one family, between all hosts. */
  async blockProtocol(family: 4 | 6, protocol: number, blocked: boolean): Promise<void> {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) throw new Error(`lab: protocol ${protocol} must be 0..255`);
    this.blockedProtocols = this.blockedProtocols.filter((b) => b.family !== family || b.protocol !== protocol);
    if (blocked) this.blockedProtocols.push({ family, protocol });
    await this.applyFilter();
  }

  /** Removes the partition (loss stays as set). */
  async heal(): Promise<void> {
    this.groups = [];
    await this.applyFilter();
  }

  private async applyFilter(): Promise<void> {
    const script = labRuleset({
      lossPercent: this.lossPercent,
      partition: this.groups.map((group) => group.map((name) => this.port(name))),
      blockedProtocols: this.blockedProtocols,
    });
    await must(['ip', 'netns', 'exec', this.bridgeNetns, 'nft', '-f', '-'], { input: script });
  }

  /** Every address in the host's namespace as `addr/prefix` (all interfaces, lo included). */
  async addresses(host: LabHost | string): Promise<string[]> {
    return parseAddresses(await must(['ip', '-n', this.netnsOf(host), '-j', 'addr', 'show']));
  }

  /** Every link in the host's namespace. */
  async links(host: LabHost | string): Promise<LabLink[]> {
    const links = JSON.parse(await must(['ip', '-n', this.netnsOf(host), '-j', 'link', 'show'])) as IpAddrJson[];
    return links.map((link) => ({
      name: link.ifname ?? '',
      mac: link.address ?? '',
      state: link.operstate ?? 'UNKNOWN',
      up: (link.flags ?? []).includes('UP'),
    }));
  }

  /**
   * Pings `to` (a host name, or an address such as a VIP) from `from` every intervalMs for about
   * durationMs, and returns every reply with its timestamp. A host name resolves to its IPv4
   * address unless family is 6.
   */
  async ping(
    from: LabHost | string,
    to: string,
    options: { intervalMs: number; durationMs: number; family?: 4 | 6 },
  ): Promise<PingResult> {
    const { intervalMs, durationMs } = options;
    if (!(intervalMs >= 2)) throw new Error('lab: ping interval must be at least 2 ms');
    let target = to;
    const named = this.hosts.get(to);
    if (named !== undefined) {
      const address = options.family === 6 ? named.ipv6 : named.ipv4;
      if (address === undefined) throw new Error(`lab: host ${to} has no IPv${options.family ?? 4} address`);
      target = address;
    }
    const count = Math.max(1, Math.round(durationMs / intervalMs));
    // No -w: with a deadline, iputils keeps sending until it has `count` *replies*, so a lossy run
    // would send more than asked. -c alone sends exactly `count`, then waits -W (1 s) for the last.
    const argv = ['ping', '-D', '-n', '-c', String(count), '-i', (intervalMs / 1000).toFixed(3), '-W', '1', target];
    const result = await this.exec(from, argv, { timeoutMs: durationMs * 2 + 5000 });
    return parsePingOutput(result.stdout, durationMs);
  }

  /**
   * Starts tcpdump on the host's eth0 (or on the bridge, which in promiscuous mode sees every
   * frame) writing a pcap; resolves once tcpdump is listening. destroy() deletes the files.
   */
  async startCapture(target: LabHost | string, filter: string, options: { readonly buffered?: boolean } = {}): Promise<LabCapture> {
    this.captureDir ??= mkdtempSync(join(tmpdir(), `${this.prefix}-pcap-`));
    const ifname = target === 'bridge' ? this.bridge : 'eth0';
    const label = target === 'bridge' ? 'bridge' : typeof target === 'string' ? target : target.name;
    const path = join(this.captureDir, `${label}-${Date.now()}.pcap`);
    // --immediate-mode: otherwise packets still in the kernel's TPACKET_V3 block are lost on
    // SIGINT (a short capture came out empty).
    // -B 8192 (KiB): a master sending 255 groups' adverts in one burst overflowed the default
    // 2 MiB capture buffer in immediate mode (the 255-group benchmark saw 2 s "gaps").
    // buffered: tcpdump wakes once per filled kernel block (or each second) instead of once per
    // frame, so it does not compete with what it measures for the CPU (the timestamps are the
    // kernel's either way); the price is the last second of frames, lost on SIGINT.
    const immediate = options.buffered === true ? [] : ['-U', '--immediate-mode'];
    const argv = ['tcpdump', '-n', ...immediate, '-B', '8192', '-i', ifname, '-w', path, ...(filter === '' ? [] : [filter])];
    const child = this.spawn(target, argv);
    await child.waitForLine(/listening on/, 5000);
    return {
      path,
      stop: async () => {
        child.signal('SIGINT');
        const exited = await Promise.race([child.exited, sleep(2000).then(() => undefined)]);
        if (exited === undefined) await child.kill();
        return path;
      },
    };
  }

  /** Captures for durationMs and resolves with the pcap path, or undefined without tcpdump. */
  async capture(target: LabHost | string, filter: string, durationMs: number): Promise<string | undefined> {
    if ((await run(['tcpdump', '--version'], { timeoutMs: 5000 })).code !== 0) return undefined;
    const capture = await this.startCapture(target, filter);
    await sleep(durationMs);
    return capture.stop();
  }

  /**
   * Kills every spawned process, deletes every namespace (which deletes the veths and the
   * bridge), deletes capture files, and checks that no namespace with the prefix remains.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener('exit', this.onExit);
    this.forgetSignals?.();
    await Promise.all([...this.processes].map((child) => child.kill()));
    this.processes.clear();
    const errors: string[] = [];
    for (const netns of [...this.createdNetns].reverse()) {
      const result = await run(['ip', 'netns', 'del', netns], { timeoutMs: 10_000 });
      if (result.code !== 0) errors.push(`${netns}: ${result.stderr.trim()}`);
    }
    if (this.captureDir !== undefined) rmSync(this.captureDir, { recursive: true, force: true });
    const left = (await namespaces()).filter((name) => name.startsWith(this.prefix));
    if (left.length > 0) {
      throw new Error(`lab: namespaces left after destroy: ${left.join(', ')} (${errors.join('; ')})`);
    }
  }

  /** Best-effort synchronous teardown for process 'exit' and fatal signals. */
  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.forgetSignals?.();
    for (const child of this.processes) child.killSync();
    for (const netns of [...this.createdNetns].reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore', timeout: 5000 });
      } catch {
        // Best effort: nothing more can be done while the process exits.
      }
    }
    if (this.captureDir !== undefined) rmSync(this.captureDir, { recursive: true, force: true });
  }

  private assertLive(): void {
    if (this.destroyed) throw new Error('lab: already destroyed');
  }
}
