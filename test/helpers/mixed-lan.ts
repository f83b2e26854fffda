/**
 * Simulated hosts running CARP and VRRPv3 groups side by side on one SimLan, each host with one
 * SimTransport behind one InterfaceNode, as the daemon runs an interface: the real runners, the
 * real demultiplexer and acceptance, packets encoded and decoded with the daemon's codecs. Effects
 * are recorded (who holds which group's addresses), logs kept per host.
 */
import { GroupRunner } from '../../src/protocols/carp/carp-group-runner.ts';
import { makeGroupSettings, type GroupSettingsInput } from '../../src/protocols/carp/carp-group-settings.ts';
import { InterfaceNode } from '../../src/protocols/interface-node.ts';
import type { TransitionEvent } from '../../src/engine/runner-core.ts';
import { VrrpGroupRunner } from '../../src/protocols/vrrp/vrrp-group-runner.ts';
import { makeVrrpGroupSettings, type VrrpGroupSettingsInput } from '../../src/protocols/vrrp/vrrp-group-settings.ts';
import type { GroupEffects } from '../../src/ports/group-effects.ts';
import { MemoryGroupStateStore } from '../../src/ports/group-state-store.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { seededRandom } from '../../src/sim/random.ts';
import { SimLan, type LanOptions, type TappedPacket } from '../../src/sim/sim-lan.ts';
import { SimTransport } from '../../src/sim/sim-transport.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

/** A VRRP group on a host: the settings input, addresses as text. */
export type VrrpSpec = Omit<VrrpGroupSettingsInput, 'addresses' | 'unicastPeers'> & { readonly addresses: readonly string[]; readonly peers?: readonly string[] };
/** A CARP group on a host. */
export type CarpSpec = Omit<GroupSettingsInput, 'addresses' | 'key'> & { readonly addresses: readonly string[] };

/** One simulated host. */
export class MixedHost {
  transport: SimTransport | undefined;
  node: InterfaceNode | undefined;
  readonly logger = new MemoryLogger();
  /** Group names whose addresses this host holds now. */
  readonly holding = new Set<string>();
  readonly transitions: (TransitionEvent & { readonly host: string })[] = [];
  /** When (virtual µs) and for which group the host announced its addresses. */
  readonly announces: { readonly group: string; readonly at: number }[] = [];
  readonly vrrp = new Map<string, VrrpGroupRunner>();
  readonly carp = new Map<string, GroupRunner>();
  private readonly vrrpSpecs: VrrpSpec[] = [];
  private readonly carpSpecs: CarpSpec[] = [];
  private readonly store = new MemoryGroupStateStore();
  /** Wraps a group's recording effects (e.g. in the daemon's LinuxGroupEffects, to see its scripts). */
  effectsFor: ((group: string, protocol: 'carp' | 'vrrp', recording: GroupEffects) => GroupEffects) | undefined;

  constructor(
    private readonly lan: MixedLan,
    readonly name: string,
    /** The host's own addresses; the first of each family is its advert source. */
    readonly addresses: readonly string[],
  ) {}

  /** Adds a VRRP group (started with the host). */
  withVrrp(spec: VrrpSpec): this {
    this.vrrpSpecs.push(spec);
    return this;
  }

  /** Adds a CARP group (started with the host). */
  withCarp(spec: CarpSpec): this {
    this.carpSpecs.push(spec);
    return this;
  }

  /** Boots the host: a fresh transport, node and runners, every group started. */
  start(): void {
    if (this.node !== undefined) return;
    const transport = new SimTransport(this.lan.lan, this.name, this.addresses.map(parseIpAddress));
    const node = new InterfaceNode(transport, this.logger, this.lan.clock);
    this.transport = transport;
    this.node = node;
    this.vrrp.clear();
    this.carp.clear();
    for (const spec of this.vrrpSpecs) {
      const { addresses, peers, ...rest } = spec;
      const settings = makeVrrpGroupSettings({ ...rest, addresses: addresses.map(parseIpAddress), ...(peers === undefined ? {} : { unicastPeers: peers.map(parseIpAddress) }) });
      const runner = new VrrpGroupRunner(settings, { clock: this.lan.clock, transport, effects: this.effects(settings.name, 'vrrp'), logger: this.logger });
      runner.onTransition((event) => this.transitions.push({ ...event, host: this.name }));
      node.addGroup(runner, { requireTtl255ForUnicast: settings.requireTtl255ForUnicast });
      this.vrrp.set(settings.name, runner);
    }
    for (const spec of this.carpSpecs) {
      const { addresses, ...rest } = spec;
      const settings = makeGroupSettings({ ...rest, key: new Uint8Array(20).fill(7), addresses: addresses.map(parseIpAddress) });
      const runner = new GroupRunner(settings, { clock: this.lan.clock, transport, effects: this.effects(settings.name, 'carp'), logger: this.logger, stateStore: this.store });
      runner.onTransition((event) => this.transitions.push({ ...event, host: this.name }));
      node.addGroup(runner);
      this.carp.set(settings.name, runner);
    }
    for (const runner of [...this.vrrp.values(), ...this.carp.values()]) runner.start();
  }

  /** Power cut: nothing sent, timers and addresses gone. */
  crash(): void {
    for (const runner of [...this.vrrp.values(), ...this.carp.values()]) runner.halt();
    this.node?.close();
    this.node = undefined;
    this.holding.clear();
  }

  /**
   * Graceful stop: every group shuts down (bow-out / priority 0 when MASTER; a CARP MASTER keeps
   * its addresses until it hears its successor, bounded: protocols/carp/carp-step.ts), then the host leaves.
   */
  stop(): void {
    const node = this.node;
    const stops = [...this.vrrp.values(), ...this.carp.values()].map((runner) => runner.shutdown());
    void Promise.all(stops).then(() => {
      node?.close();
      if (this.node === node) this.node = undefined;
    });
  }

  /** The VRRP runner of a group. */
  vrrpGroup(name: string): VrrpGroupRunner {
    const runner = this.vrrp.get(name);
    if (runner === undefined) throw new Error(`${this.name} has no VRRP group ${name}`);
    return runner;
  }

  /** The CARP runner of a group. */
  carpGroup(name: string): GroupRunner {
    const runner = this.carp.get(name);
    if (runner === undefined) throw new Error(`${this.name} has no CARP group ${name}`);
    return runner;
  }

  private effects(group: string, protocol: 'carp' | 'vrrp'): GroupEffects {
    const recording: GroupEffects = {
      addAddresses: () => void this.holding.add(group),
      removeAddresses: () => void this.holding.delete(group),
      announce: () => void this.announces.push({ group, at: this.lan.clock.nowMicros() }),
      runScript: () => {},
    };
    return this.effectsFor?.(group, protocol, recording) ?? recording;
  }
}

/** The segment and its hosts. */
export class MixedLan {
  readonly clock = new VirtualClock();
  readonly lan: SimLan;
  readonly hosts = new Map<string, MixedHost>();
  /** Every packet sent on the segment. */
  readonly packets: TappedPacket[] = [];

  constructor(seed = 1, options: Partial<LanOptions> = { delayMicros: 200, jitterMicros: 300 }) {
    this.lan = new SimLan(this.clock, seededRandom(seed), options);
    this.lan.tap((packet) => this.packets.push(packet));
  }

  /** Adds a host (not started). */
  host(name: string, addresses: readonly string[]): MixedHost {
    const host = new MixedHost(this, name, addresses);
    this.hosts.set(name, host);
    return host;
  }

  /** Starts every host. */
  startAll(): void {
    for (const host of this.hosts.values()) host.start();
  }

  /** Lets virtual time pass. */
  advance(micros: number): void {
    this.clock.advanceBy(micros);
  }

  /** The hosts holding a group's addresses. */
  holders(group: string): string[] {
    return [...this.hosts.values()].filter((h) => h.holding.has(group)).map((h) => h.name);
  }

  /** The hosts whose runner of a group is MASTER. */
  masters(group: string): string[] {
    return [...this.hosts.values()].filter((h) => h.node !== undefined && (h.vrrp.get(group) ?? h.carp.get(group))?.state.phase === 'master').map((h) => h.name);
  }
}
