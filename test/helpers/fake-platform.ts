/**
 * A fake DaemonPlatform and a test rig for the Daemon's composition: start-up, rollback, drift
 * repair and reload run on FakeHostNetlink (an in-memory kernel), a VirtualClock for the
 * protocol's timers and a SimLan for the wire, with no root and no namespace.
 *
 * What the daemon sends reaches the SimLan: IP packets through the interface's SimTransport,
 * and with --vmac the framed adverts and announcements through the fake packet socket (frames
 * are recorded; IP frames are also put on the segment), so a test can decode every advert, or
 * attach a simulated peer to the same segment.
 *
 * The daemon also uses real timers in a few places (the claim retries' sleeps, the fault
 * hold-down, stop()'s timeouts): the rig passes zero retry delays and short hold-downs, and
 * settle() waits for the queued work and the fake kernel's events to run out.
 */
import type { CarpdConfig, CarpGroupConfig, GroupConfig, GroupConfigCommon, PassphraseSource, VrrpGroupConfig } from '../../src/config/config-types.ts';
import { CONFIG_DEFAULTS } from '../../src/config/config-types.ts';
import type { ControlEvent } from '../../src/control/control-types.ts';
import type { GuardSpec } from '../../src/daemon/cleanup-guard.ts';
import { Daemon, type DaemonDependencies } from '../../src/daemon/daemon.ts';
import { CarpNode } from '../../src/protocols/carp/carp-node.ts';
import { GroupRunner } from '../../src/protocols/carp/carp-group-runner.ts';
import { makeGroupSettings } from '../../src/protocols/carp/carp-group-settings.ts';
import { InterfaceNode } from '../../src/protocols/interface-node.ts';
import { VrrpGroupRunner } from '../../src/protocols/vrrp/vrrp-group-runner.ts';
import { makeVrrpGroupSettings } from '../../src/protocols/vrrp/vrrp-group-settings.ts';
import { classifyProtocol112 } from '../../src/protocols/protocol-112.ts';
import { decodeVrrpHeader, type VrrpHeader } from '../../src/protocols/vrrp/vrrp-header.ts';
import type { Datagram } from '../../src/wire/ip-packet.ts';
import type { DaemonPlatform, GuardHandle, InterfaceSockets } from '../../src/daemon/daemon-platform.ts';
import type { ScriptJob } from '../../src/ports/script-job.ts';
import type { PacketSocket } from '../../src/linux/native-binding.ts';
import { FakeHostNetlink } from '../../src/linux/netlink/fake-host-netlink.ts';
import type { SysctlChange } from '../../src/linux/sysctl.ts';
import type { LinkInfo } from '../../src/ports/host-netlink.ts';
import { noGroupEffects } from '../../src/ports/group-effects.ts';
import { MemoryGroupStateStore } from '../../src/ports/group-state-store.ts';
import type { Logger } from '../../src/ports/logger.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { decodeCarpHeader, type CarpHeader } from '../../src/protocols/carp/carp-header.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { decodeEthernetFrame, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../../src/wire/ethernet-frame.ts';
import { parseIpAddress, type IpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import { decodeIpPacket, IPPROTO_CARP } from '../../src/wire/ip-packet.ts';
import { SimLan, type TappedPacket } from '../../src/sim/sim-lan.ts';
import { SimTransport } from '../../src/sim/sim-transport.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

/** One openInterface call. */
export interface OpenedInterface {
  readonly link: LinkInfo;
  readonly families: readonly IpFamily[];
  readonly ownAddresses: readonly IpAddress[];
  /** The segment host name of its transport. */
  readonly lanHost: string;
}

/** A frame written to a fake AF_PACKET socket. */
export interface SentFrame {
  readonly interface: string;
  readonly bytes: Uint8Array;
}

/** A cleanup guard as the daemon drove it. */
export class FakeGuard implements GuardHandle {
  /** Every spec, the one it was started with first. */
  readonly specs: GuardSpec[];
  released = false;

  constructor(spec: GuardSpec) {
    this.specs = [spec];
  }

  /** The spec in force. */
  get spec(): GuardSpec {
    return this.specs[this.specs.length - 1] as GuardSpec;
  }

  update(spec: GuardSpec): void {
    this.specs.push(spec);
  }

  release(): void {
    this.released = true;
  }
}

/** The fake platform: sockets on a SimLan, recorded sysctls and guards, passphrases in memory. */
export class FakePlatform implements DaemonPlatform {
  /** Passphrase files by path (first line is the passphrase); absent means ENOENT. */
  readonly files = new Map<string, string>();
  /** Environment variables for passphrase_env. */
  readonly env = new Map<string, string>();
  readonly opened: OpenedInterface[] = [];
  readonly frames: SentFrame[] = [];
  /** Every IP packet on the segment, from any host. */
  readonly packets: TappedPacket[] = [];
  readonly sysctlsPrepared: { parent: string; virtualInterface: string; changes: SysctlChange[] }[] = [];
  readonly sysctlsRestored: SysctlChange[][] = [];
  /** Kernel settings carpd changed, by path; unset ones read '0'. */
  readonly sysctls = new Map<string, string>();
  readonly guards: FakeGuard[] = [];
  private opens = 0;

  constructor(readonly lan: SimLan) {
    lan.tap((packet) => this.packets.push(packet));
  }

  openInterface(spec: { link: LinkInfo; families: readonly IpFamily[]; ownAddresses: readonly IpAddress[]; sources?: Partial<Record<IpFamily, IpAddress>> }): InterfaceSockets {
    const lanHost = `carpd:${spec.link.name}#${++this.opens}`;
    const transport = new SimTransport(this.lan, lanHost, spec.ownAddresses, undefined, spec.sources);
    this.opened.push({ link: spec.link, families: spec.families, ownAddresses: spec.ownAddresses, lanHost });
    const ifname = spec.link.name;
    return { transport, openPacketSocket: (name = ifname) => this.packetSocket(name, lanHost) };
  }

  /**
   * As prepareVirtualMacSysctls: sets arp_ignore=1 and arp_announce=2 on the parent and the
   * macvlan, and returns only what it changed (a setting already at its value is not returned).
   */
  prepareSysctls(parent: string, virtualInterface: string, _logger: Logger): SysctlChange[] {
    const wanted: [string, string][] = [
      [`net/ipv4/conf/${parent}/arp_ignore`, '1'],
      [`net/ipv4/conf/${parent}/arp_announce`, '2'],
      [`net/ipv4/conf/${virtualInterface}/arp_ignore`, '1'],
      [`net/ipv4/conf/${virtualInterface}/arp_announce`, '2'],
    ];
    const changes: SysctlChange[] = [];
    for (const [path, value] of wanted) {
      const previous = this.sysctl(path);
      if (previous === value) continue;
      this.sysctls.set(path, value);
      changes.push({ path, previous, value });
    }
    this.sysctlsPrepared.push({ parent, virtualInterface, changes });
    return changes;
  }

  /** As restoreSysctls: puts the previous values back, last change first. */
  restoreSysctls(changes: readonly SysctlChange[], _logger: Logger): void {
    this.sysctlsRestored.push([...changes]);
    for (const { path, previous } of [...changes].reverse()) if (previous !== undefined) this.sysctls.set(path, previous);
  }

  /** A link was deleted: the kernel drops its /proc/sys/net/ipv4/conf/<name>/ settings with it. */
  forgetInterface(name: string): void {
    for (const path of [...this.sysctls.keys()]) if (path.startsWith(`net/ipv4/conf/${name}/`)) this.sysctls.delete(path);
  }

  /** A link was renamed: its /proc/sys/net/ipv4/conf/<name>/ settings move with it. */
  renameInterface(from: string, to: string): void {
    for (const [path, value] of [...this.sysctls]) {
      if (!path.startsWith(`net/ipv4/conf/${from}/`)) continue;
      this.sysctls.delete(path);
      this.sysctls.set(path.replace(`/conf/${from}/`, `/conf/${to}/`), value);
    }
  }

  /** A kernel setting's value: as set, else the default '0'. */
  sysctl(path: string): string {
    return this.sysctls.get(path) ?? '0';
  }

  startGuard(spec: GuardSpec, _logger: Logger): GuardHandle {
    const guard = new FakeGuard(spec);
    this.guards.push(guard);
    return guard;
  }

  readKey(source: PassphraseSource, _logger: Logger, purpose: 'carp-key' | 'vrrp2-password' = 'carp-key'): Uint8Array {
    if (purpose === 'vrrp2-password') {
      const text = source.kind === 'inline' ? source.value : source.kind === 'env' ? this.env.get(source.variable) : source.kind === 'file' ? this.files.get(source.path)?.split(/\r?\n/, 1)[0] : undefined;
      if (text === undefined) throw new Error('no VRRPv2 password');
      return new TextEncoder().encode(text);
    }
    if (source.kind === 'inline') return carpKeyFromPassphrase(source.value);
    if (source.kind === 'none') throw new Error('this group has no passphrase (VRRPv3 is not authenticated)');
    if (source.kind === 'env') {
      const value = this.env.get(source.variable);
      if (value === undefined) throw new Error(`passphrase_env ${source.variable}: the variable is not set`);
      return carpKeyFromPassphrase(value);
    }
    const text = this.files.get(source.path);
    if (text === undefined) throw Object.assign(new Error(`passphrase_file ${source.path}: ENOENT`), { code: 'ENOENT' });
    return carpKeyFromPassphrase(text.split(/\r?\n/, 1)[0] ?? '');
  }

  /** The sysctl paths restored so far, in order. */
  get restoredPaths(): string[] {
    return this.sysctlsRestored.flat().map((c) => c.path);
  }

  /** Every CARP advert on the segment (IPv4 and IPv6), decoded, oldest first. */
  adverts(): (CarpHeader & { readonly from: string })[] {
    const out: (CarpHeader & { readonly from: string })[] = [];
    for (const packet of this.packets) {
      const ip = decodeIpPacket(packet.bytes);
      if (!ip.ok || ip.value.protocol !== IPPROTO_CARP) continue;
      const header = decodeCarpHeader(ip.value.payload);
      if (header.ok) out.push({ ...header.value, from: packet.from });
    }
    return out;
  }

  /** Every VRRPv3 advert on the segment, decoded with its IP datagram, oldest first. */
  vrrpAdverts(): (VrrpHeader & { readonly from: string; readonly datagram: Datagram })[] {
    const out: (VrrpHeader & { readonly from: string; readonly datagram: Datagram })[] = [];
    for (const packet of this.packets) {
      const ip = decodeIpPacket(packet.bytes);
      if (!ip.ok || ip.value.protocol !== IPPROTO_CARP || classifyProtocol112(ip.value.payload) !== 'vrrp-v3') continue;
      const header = decodeVrrpHeader(ip.value.payload, ip.value.family);
      if (header.ok) out.push({ ...header.value, from: packet.from, datagram: ip.value });
    }
    return out;
  }

  private packetSocket(ifname: string, lanHost: string): PacketSocket {
    return {
      sendFrame: (frame) => {
        const bytes = Uint8Array.from(frame);
        this.frames.push({ interface: ifname, bytes });
        const ethernet = decodeEthernetFrame(bytes);
        // Framed adverts (--vmac) go on the wire like the kernel's; ARP and NA are only recorded.
        if (ethernet.ok && (ethernet.value.etherType === ETHERTYPE_IPV4 || ethernet.value.etherType === ETHERTYPE_IPV6)) {
          const ip = decodeIpPacket(ethernet.value.payload);
          if (ip.ok && ip.value.protocol === IPPROTO_CARP) this.lan.send(lanHost, ethernet.value.payload);
        }
      },
      close: () => {},
    };
  }
}

/** Parent interface and address every rig starts with. */
export const PARENT = { name: 'eth0', mac: '52:54:00:12:34:56', address: '198.51.100.10', prefixLength: 24 } as const;

/** The options of vrrpGroupConfig: any common field, addresses as text, and the VRRP block's fields. */
export type VrrpGroupOptions = Partial<Omit<GroupConfigCommon, 'addresses'>> & {
  readonly addresses?: readonly string[];
  readonly passphrase?: PassphraseSource;
  readonly priority?: number;
  readonly advertIntervalCentis?: number;
  readonly acceptMode?: boolean;
  readonly checksumMode?: 'strict' | 'compatible';
};

/**
 * A `protocol: vrrp` GroupConfig as the config layer builds one: passphrase none, preempt on,
 * the VRRP block at RFC 5798's defaults (priority 100, 1 s), `vrrp<vhid>` (IPv4) or
 * `vrrp6-<vhid>` (IPv6), name `<interface>/vrrp<vhid>`. Default VRID 9, VIP 198.51.100.9.
 */
export function vrrpGroupConfig(options: VrrpGroupOptions = {}): VrrpGroupConfig {
  const { priority, advertIntervalCentis, acceptMode, checksumMode, addresses: texts, passphrase, ...rest } = options;
  const vhid = rest.vhid ?? 9;
  const iface = rest.interface ?? PARENT.name;
  const addressTexts = texts ?? [`198.51.100.${vhid}`];
  const v6 = addressTexts[0]?.includes(':') === true;
  const { addresses: _none, ...common } = commonGroupConfig(vhid, iface, { passphrase: passphrase ?? { kind: 'none' } });
  return {
    ...common,
    name: `${iface}/vrrp${vhid}`,
    virtualInterface: v6 ? `vrrp6-${vhid}` : `vrrp${vhid}`,
    preempt: true,
    ...rest,
    vhid,
    addresses: parseAddresses(addressTexts),
    protocol: 'vrrp',
    passphrase: passphrase ?? { kind: 'none' },
    vrrp: { priority: priority ?? 100, advertIntervalCentis: advertIntervalCentis ?? 100, acceptMode: acceptMode ?? false, checksumMode: checksumMode ?? 'compatible' },
  };
}

/** The options of groupConfig: any CARP group field, addresses as text ("IP" or "IP/PREFIX"). */
export type GroupOptions = Partial<Omit<CarpGroupConfig, 'addresses'>> & { readonly addresses?: readonly string[] };

/** Addresses as text ("IP" or "IP/PREFIX") parsed. */
function parseAddresses(texts: readonly string[]): GroupConfigCommon['addresses'] {
  return texts.map((text) => {
    const [ip, prefix] = text.split('/');
    return prefix === undefined ? { address: parseIpAddress(ip as string) } : { address: parseIpAddress(ip as string), prefixLength: Number(prefix) };
  });
}

/**
 * The fields every group has, at build-group.ts's defaults, in a CARP group's key order, with the
 * CARP fields given (`carp`) where they have always been (reload-plan lists changed fields in key
 * order); the result holds them too, beyond its type.
 */
function commonGroupConfig(vhid: number, iface: string, carp: Partial<CarpGroupConfig>): GroupConfigCommon {
  const { passphrase, advbase, advskew, masterDown, deadRatio, replay } = carp;
  return {
    name: `${iface}/vhid${vhid}`,
    interface: iface,
    vhid,
    ...(passphrase === undefined ? {} : { passphrase }),
    ...(advbase === undefined ? {} : { advbase, advskew }),
    preempt: CONFIG_DEFAULTS.preempt,
    ...(masterDown === undefined ? {} : { masterDown, deadRatio }),
    vmac: CONFIG_DEFAULTS.vmac,
    manageAddresses: CONFIG_DEFAULTS.manageAddresses,
    virtualInterface: `carp${vhid}`,
    ...(replay === undefined ? {} : { replay }),
    scripts: { timeoutSeconds: CONFIG_DEFAULTS.scriptTimeoutSeconds, style: 'carpd', neutral: false },
    announce: { intervalSeconds: CONFIG_DEFAULTS.announceIntervalSeconds, router: false },
    peers: [],
    unicastTtl: CONFIG_DEFAULTS.unicastTtl,
    track: { interfaces: [], checks: [] },
    addresses: [],
  };
}

/**
 * A CARP GroupConfig with every default filled in as build-group.ts fills it: eth0, vhid 7, VIP
 * 198.51.100.7, inline passphrase, --vmac with carp<vhid>, name `<interface>/vhid<vhid>`.
 */
export function groupConfig(options: GroupOptions = {}): CarpGroupConfig {
  const { addresses: texts, ...rest } = options;
  const vhid = rest.vhid ?? 7;
  const iface = rest.interface ?? PARENT.name;
  const carp = {
    passphrase: { kind: 'inline', value: 'secret' },
    advbase: CONFIG_DEFAULTS.advbase,
    advskew: CONFIG_DEFAULTS.advskew,
    masterDown: CONFIG_DEFAULTS.masterDown,
    deadRatio: CONFIG_DEFAULTS.deadRatio,
    replay: { mode: CONFIG_DEFAULTS.replayMode, windowSeconds: CONFIG_DEFAULTS.replayWindowSeconds },
  } as const;
  const { addresses: _none, ...common } = commonGroupConfig(vhid, iface, carp);
  return { ...(common as GroupConfigCommon & typeof carp), ...rest, addresses: parseAddresses(texts ?? [`198.51.100.${vhid}`]) };
}

/** A whole configuration holding these groups, the global settings at their defaults. */
export function carpdConfig(groups: readonly GroupConfig[]): CarpdConfig {
  return { logLevel: CONFIG_DEFAULTS.logLevel, stateDirectory: CONFIG_DEFAULTS.stateDirectory, controlSocket: CONFIG_DEFAULTS.controlSocket, groups };
}

/** The scripts fake: records jobs, always idle. */
export interface FakeScripts {
  readonly jobs: ScriptJob[];
  run(job: ScriptJob): void;
  whenIdle(): Promise<void>;
  cutShort(budgetMs: number): void;
  /** Each cutShort() call: its budget and how many jobs had been queued by then. */
  readonly cutShorts: Array<{ readonly budgetMs: number; readonly jobsQueued: number }>;
  stats(group: string): { runs: number; failures: number; timeouts: number; lastDurationMs: number | undefined; superseded: number };
}

/** Everything a daemon test works with. */
export interface DaemonRig {
  readonly daemon: Daemon;
  readonly netlink: FakeHostNetlink;
  readonly platform: FakePlatform;
  readonly clock: VirtualClock;
  readonly lan: SimLan;
  readonly logger: MemoryLogger;
  readonly store: MemoryGroupStateStore;
  readonly scripts: FakeScripts;
  /** eth0 as created (re-read it with netlink.linkByName after re-creating it). */
  readonly eth0: LinkInfo;
  /** Every control event the daemon emitted. */
  readonly events: ControlEvent[];
  /** What the next reload() loads; tests replace it. */
  next: CarpdConfig | { readonly errors: readonly string[] };
  /** Waits until queued address work, retries and the kernel's events have all run. */
  settle(): Promise<void>;
  /** Advances the virtual clock (µs), then settles. */
  advance(micros: number): Promise<void>;
  /** Advances past the master-down interval of a lone node (3 s at advbase 1) and settles. */
  becomeMaster(): Promise<void>;
  /** Addresses in the kernel as "ifname ip/prefix", sorted, eth0's own left out: the VIPs wherever they are. */
  vips(): string[];
  /** A link of the fake kernel by name. */
  link(name: string): LinkInfo | undefined;
}

/** Options of makeDaemon. */
export interface RigOptions {
  readonly groups: readonly GroupConfig[];
  /** Passphrase files present at start. */
  readonly files?: Readonly<Record<string, string>>;
  readonly guard?: boolean;
  readonly faultHoldDownsMs?: readonly number[];
  readonly claimRetryDelaysMs?: readonly number[];
  /** More addresses of eth0's own, as "IP/PREFIX" (vips() leaves them out like 198.51.100.10). */
  readonly parentAddresses?: readonly string[];
  /** Called with the fake kernel before the daemon is built (extra links, injected failures). */
  readonly prepare?: (netlink: FakeHostNetlink) => void;
  /** What reload() reads instead of `next` (e.g. the real configFileLoader on a temporary file). */
  readonly loadConfig?: DaemonDependencies['loadConfig'];
  /** Started from flags (no file to reload), with this reason (e.g. ucarp mode's). */
  readonly reloadUnsupported?: string;
}

/**
 * A Daemon on fakes: FakeHostNetlink with eth0 (up, running, 198.51.100.10/24), a VirtualClock,
 * a SimLan, MemoryLogger, MemoryGroupStateStore, recorded scripts, no claim retry delays and a
 * 200 ms fault hold-down (long enough that settle() never outlasts it). Not started: call
 * daemon.start().
 */
export function makeDaemon(options: RigOptions): DaemonRig {
  const netlink = new FakeHostNetlink();
  const eth0 = netlink.addLink({ name: PARENT.name, mac: PARENT.mac, up: true, running: true });
  netlink.addHostAddress(eth0.index, PARENT.address, PARENT.prefixLength);
  const own = new Set<string>([PARENT.address]);
  for (const text of options.parentAddresses ?? []) {
    const [ip, prefix] = text.split('/');
    netlink.addHostAddress(eth0.index, ip as string, Number(prefix));
    own.add(parseIpAddress(ip as string).text);
  }
  options.prepare?.(netlink);
  const clock = new VirtualClock();
  const lan = new SimLan(clock, () => 0, { delayMicros: 100, jitterMicros: 0 });
  const platform = new FakePlatform(lan);
  // As the kernel: a deleted link's per-interface settings go with it (a re-created carp<vhid>
  // starts at the defaults), a renamed link's move with it.
  const names = new Map(netlink.links().map((l) => [l.index, l.name]));
  netlink.watchLinks((event) => {
    const previous = names.get(event.link.index);
    if (event.type === 'del') {
      platform.forgetInterface(event.link.name);
      names.delete(event.link.index);
      return;
    }
    if (previous !== undefined && previous !== event.link.name) platform.renameInterface(previous, event.link.name);
    names.set(event.link.index, event.link.name);
  });
  for (const [path, text] of Object.entries(options.files ?? {})) platform.files.set(path, text);
  const logger = new MemoryLogger();
  const store = new MemoryGroupStateStore();
  const jobs: ScriptJob[] = [];
  const cutShorts: FakeScripts['cutShorts'] = [];
  const scripts: FakeScripts = {
    jobs,
    run: (job) => void jobs.push(job),
    whenIdle: () => Promise.resolve(),
    cutShort: (budgetMs) => void cutShorts.push({ budgetMs, jobsQueued: jobs.length }),
    cutShorts,
    stats: () => ({ runs: 0, failures: 0, timeouts: 0, lastDurationMs: undefined, superseded: 0 }),
  };
  const config = carpdConfig(options.groups);
  let next: DaemonRig['next'] = config;
  const deps: DaemonDependencies = {
    logger,
    netlink,
    platform,
    clock,
    store,
    scripts,
    ...(options.reloadUnsupported !== undefined
      ? { reloadUnsupported: options.reloadUnsupported }
      : { loadConfig: options.loadConfig ?? (async () => ('errors' in next ? { ok: false, errors: next.errors } : { ok: true, config: next })), configFile: '/etc/carpd/carpd.yaml' }),
    ...(options.guard === undefined ? {} : { guard: options.guard }),
    claimRetryDelaysMs: options.claimRetryDelaysMs ?? [0, 0],
    faultHoldDownsMs: options.faultHoldDownsMs ?? [200],
  };
  const daemon = new VirtualTimeDaemon(config, deps, (micros) => advance(micros), () => settle());
  const events: ControlEvent[] = [];
  daemon.onEvent((event) => events.push(event));
  const settle = async (): Promise<void> => {
    // Quiet means: nothing called the kernel and no event was pending over two rounds, each
    // round letting timers (retry sleeps of 0 ms) and immediates (event delivery) run.
    let quiet = 0;
    for (let round = 0; round < 200 && quiet < 2; round++) {
      const before = netlink.calls.length;
      await netlink.settled();
      await new Promise((resolve) => setTimeout(resolve, 0));
      await netlink.settled();
      quiet = netlink.calls.length === before ? quiet + 1 : 0;
    }
  };
  const advance = async (micros: number): Promise<void> => {
    await settle();
    clock.advanceBy(micros);
    await settle();
  };
  return {
    daemon,
    netlink,
    platform,
    clock,
    lan,
    logger,
    store,
    scripts,
    eth0,
    events,
    get next() {
      return next;
    },
    set next(value) {
      next = value;
    },
    settle,
    advance,
    becomeMaster: () => advance(3_100_000),
    vips: () => {
      const names = new Map(netlink.links().map((l) => [l.index, l.name]));
      return netlink
        .addresses()
        .filter((a) => !own.has(a.address.text))
        .map((a) => `${names.get(a.ifindex) ?? `#${a.ifindex}`} ${a.address.text}/${a.prefixLength}`)
        .sort();
    },
    link: (name: string) => netlink.links().find((l) => l.name === name),
  };
}

/**
 * The real Daemon, whose stop() also moves the rig's virtual clock on while it runs: a stopping
 * MASTER keeps its addresses until it hears its successor or its hold (at most 4 s of the
 * group's clock) ends (fsm/lifecycle.ts, the graceful stop), and nothing else would advance that clock.
 */
class VirtualTimeDaemon extends Daemon {
  constructor(
    config: CarpdConfig,
    deps: DaemonDependencies,
    private readonly advance: (micros: number) => Promise<void>,
    private readonly settle: () => Promise<void>,
  ) {
    super(config, deps);
  }

  override async stop(): Promise<void> {
    let done = false;
    const stopping = super.stop().finally(() => (done = true));
    await this.settle();
    // 24 steps of 250 ms: past the longest hold (GRACEFUL_STOP_HOLD_MAX_MICROS) and the daemon's guard on it.
    for (let step = 0; step < 24 && !done; step++) await this.advance(250_000);
    await stopping;
  }
}

/**
 * Another CARP node on the rig's segment: one group's engine (the same code as carpd's) on a
 * SimTransport, without host effects. Same passphrase and vhid as groupConfig()'s by default.
 */
export function simPeer(rig: Pick<DaemonRig, 'lan' | 'clock'>, options: { address: string; advskew: number; vhid?: number; addresses?: readonly string[]; passphrase?: string }): GroupRunner {
  const logger = new MemoryLogger();
  const transport = new SimTransport(rig.lan, `peer:${options.address}`, [parseIpAddress(options.address)]);
  const vhid = options.vhid ?? 7;
  const settings = makeGroupSettings({
    name: `peer/vhid${vhid}`,
    vhid,
    key: carpKeyFromPassphrase(options.passphrase ?? 'secret'),
    addresses: (options.addresses ?? [`198.51.100.${vhid}`]).map((a) => parseIpAddress(a)),
    advskew: options.advskew,
  });
  const runner = new GroupRunner(settings, { clock: rig.clock, transport, effects: noGroupEffects, logger, stateStore: new MemoryGroupStateStore() });
  new CarpNode(transport, logger, rig.clock).addGroup(runner);
  runner.start();
  return runner;
}

/**
 * A VRRPv3 router on the rig's segment: one VrrpGroupRunner (the same code as carpd's) on a
 * SimTransport behind an InterfaceNode, without host effects. VRID and VIP as vrrpGroupConfig()'s
 * by default. `address` is its primary address (for IPv6, give its link-local one).
 */
export function simVrrpPeer(
  rig: Pick<DaemonRig, 'lan' | 'clock'>,
  options: { address: string; priority: number; vrid?: number; addresses?: readonly string[]; advertIntervalCentis?: number; start?: boolean },
): VrrpGroupRunner {
  const logger = new MemoryLogger();
  const transport = new SimTransport(rig.lan, `vrrp-peer:${options.address}`, [parseIpAddress(options.address)]);
  const vrid = options.vrid ?? 9;
  const settings = makeVrrpGroupSettings({
    name: `peer/vrrp${vrid}`,
    vrid,
    addresses: (options.addresses ?? [`198.51.100.${vrid}`]).map((a) => parseIpAddress(a)),
    priority: options.priority,
    ...(options.advertIntervalCentis === undefined ? {} : { advertIntervalCentis: options.advertIntervalCentis }),
  });
  const runner = new VrrpGroupRunner(settings, { clock: rig.clock, transport, effects: noGroupEffects, logger });
  new InterfaceNode(transport, logger, rig.clock).addGroup(runner);
  if (options.start !== false) runner.start();
  return runner;
}
