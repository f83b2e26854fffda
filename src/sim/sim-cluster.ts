/**
 * A cluster of simulated hosts on one SimLan, each group of any protocol: the protocol's own
 * runner (built by its module's sim part, protocols/protocol-sim-part.ts) on an InterfaceNode
 * with sim ports, as the daemon runs them. Hosts can crash (everything lost but the state store,
 * as after a power cut), restart, lose their link, and be partitioned. Tracks who holds each group's virtual addresses.
 */
import { InterfaceNode } from '../protocols/interface-node.ts';
import type { TransitionEvent } from '../engine/runner-core.ts';
import { moduleOf, type ProtocolName } from '../protocols/index.ts';
import type { SimGroupRunner, SimGroupSpec } from '../protocols/protocol-sim-part.ts';
import type { Phase } from '../fsm/machine-types.ts';
import type { IpAddress, IpFamily } from '../wire/ip-address.ts';
import type { Clock } from '../ports/clock.ts';
import type { GroupEffects } from '../ports/group-effects.ts';
import { MemoryGroupStateStore } from '../ports/group-state-store.ts';
import { silentLogger, type Logger } from '../ports/logger.ts';
import type { SimLan } from './sim-lan.ts';
import { SimTransport } from './sim-transport.ts';

/** One group of a simulated host: the neutral spec and its protocol (default CARP). */
export type SimHostGroup = SimGroupSpec & { readonly protocol?: ProtocolName };

/** How to build one simulated host. */
export interface SimHostSpec {
  readonly name: string;
  readonly addresses: readonly IpAddress[];
  /** The host's groups; each must have a distinct id (vhid / VRID), whatever its protocol. */
  readonly groups: readonly SimHostGroup[];
}

/** A script run or address change as the host saw it. */
export interface SimHostEffect {
  readonly at: number;
  readonly vhid: number;
  readonly effect: 'add-addresses' | 'remove-addresses' | 'announce' | 'script-master' | 'script-backup' | 'script-stop';
}

/** Something that happened in the cluster, for timelines and invariants. */
export type ClusterEvent =
  | ({ readonly kind: 'transition'; readonly host: string } & TransitionEvent)
  | { readonly kind: 'advert-sent'; readonly host: string; readonly vhid: number; readonly family: IpFamily; readonly at: number; readonly bowOut: boolean };

/** One simulated host. */
export class SimHost {
  node: InterfaceNode | undefined;
  transport: SimTransport | undefined;
  /** The running groups by id (vhid / VRID). */
  readonly runners = new Map<number, SimGroupRunner>();
  /** vhids whose addresses this host currently has configured. */
  readonly holding = new Set<number>();
  readonly effects: SimHostEffect[] = [];
  /** The store survives crashes: it stands for the host's disk. */
  readonly store = new MemoryGroupStateStore();
  readonly lastAdvertAt = new Map<number, number>();
  /** Ids of every packet delivered to this host, across restarts (replay properties). */
  readonly receivedPacketIds = new Set<number>();

  constructor(readonly spec: SimHostSpec) {
    const ids = spec.groups.map((group) => group.id);
    // The host's groups, phases and holdings are keyed by id, whatever the protocol.
    if (new Set(ids).size !== ids.length) throw new RangeError(`${spec.name}: two groups with one id (${ids.join(', ')})`);
  }

  /** Stopped gracefully, its groups still leaving (SimCluster.stop). */
  stopping = false;

  /** True while the host runs (and is not stopping). */
  get alive(): boolean {
    return this.node !== undefined && !this.stopping;
  }

  /** The phase of a group on this host ('init' when down). */
  phase(vhid: number): Phase {
    return this.runners.get(vhid)?.state.phase ?? 'init';
  }
}

/** The cluster. */
export class SimCluster {
  readonly hosts = new Map<string, SimHost>();
  private readonly listeners: ((event: ClusterEvent) => void)[] = [];

  constructor(
    readonly clock: Clock,
    readonly lan: SimLan,
    specs: readonly SimHostSpec[],
    private readonly logger: Logger = silentLogger,
  ) {
    for (const spec of specs) this.hosts.set(spec.name, new SimHost(spec));
  }

  /** Observes transitions and adverts of every host. */
  onEvent(listener: (event: ClusterEvent) => void): void {
    this.listeners.push(listener);
  }

  /** The host with this name. */
  host(name: string): SimHost {
    const host = this.hosts.get(name);
    if (host === undefined) throw new Error(`no simulated host ${name}`);
    return host;
  }

  /** Boots a host: new transport, node and runners (fresh state, persisted store), groups started. */
  start(name: string): void {
    const host = this.host(name);
    if (host.alive) return;
    if (host.stopping) {
      // Restarted while its groups were still leaving: the old process is killed now, as by a
      // crash (its groups' timers and addresses go with it), else its leaving groups would keep
      // advertising and holding the addresses beside the new ones.
      host.stopping = false;
      for (const runner of host.runners.values()) runner.halt();
      host.node?.close();
      host.holding.clear();
    }
    const transport = new SimTransport(this.lan, name, host.spec.addresses, host.receivedPacketIds);
    const node = new InterfaceNode(transport, this.logger, this.clock);
    host.transport = transport;
    host.node = node;
    host.runners.clear();
    for (const spec of host.spec.groups) {
      const vhid = spec.id;
      const ports = { clock: this.clock, transport, effects: this.effectsFor(host, vhid), logger: this.logger, stateStore: host.store };
      const group = moduleOf(spec).sim.addSimGroup(spec, ports, node);
      group.runner.onTransition((event) => {
        this.emit({ kind: 'transition', host: name, ...event });
        this.leaveIfStopped(host);
      });
      group.onAdvertSent((family, bowOut) => {
        host.lastAdvertAt.set(vhid, this.clock.nowMicros());
        this.emit({ kind: 'advert-sent', host: name, vhid, family, at: this.clock.nowMicros(), bowOut });
      });
      host.runners.set(vhid, group.runner);
    }
    for (const runner of host.runners.values()) runner.start();
  }

  /** Starts every host. */
  startAll(): void {
    for (const name of this.hosts.keys()) this.start(name);
  }

  /** Kills a host at once: no bow-out, timers gone, addresses gone with the machine. */
  crash(name: string): void {
    const host = this.host(name);
    if (!host.alive) return;
    for (const runner of host.runners.values()) runner.halt();
    host.node?.close();
    host.node = undefined;
    host.transport = undefined;
    host.holding.clear();
  }

  /**
   * Stops a host gracefully: every group shuts down (bow-out when master), then the host leaves.
   * A MASTER keeps its addresses until it hears its successor, bounded (docs/state-machine.md
   * "Graceful stop"), so the host keeps listening until every group has left; it no longer
   * counts as alive from the stop on.
   */
  stop(name: string): void {
    const host = this.host(name);
    if (!host.alive) return;
    host.stopping = true;
    for (const runner of host.runners.values()) void runner.shutdown();
    this.leaveIfStopped(host);
  }

  /** Closes a stopping host's node once none of its groups runs any more. */
  private leaveIfStopped(host: SimHost): void {
    if (!host.stopping || [...host.runners.values()].some((runner) => runner.state.running)) return;
    host.stopping = false;
    host.node?.close();
    host.node = undefined;
    host.transport = undefined;
  }

  /** Sets a host's link state, telling its groups. */
  setLink(name: string, up: boolean): void {
    const host = this.host(name);
    this.lan.setLinkUp(name, up);
    for (const runner of host.runners.values()) runner.linkChanged(up);
  }

  /** The live hosts that are MASTER for a vhid. */
  masters(vhid: number): string[] {
    return [...this.hosts.values()].filter((h) => h.alive && h.phase(vhid) === 'master').map((h) => h.spec.name);
  }

  /** The hosts currently holding a vhid's addresses. */
  holders(vhid: number): string[] {
    return [...this.hosts.values()].filter((h) => h.holding.has(vhid)).map((h) => h.spec.name);
  }

  private emit(event: ClusterEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private effectsFor(host: SimHost, vhid: number): GroupEffects {
    const record = (effect: SimHostEffect['effect']) => host.effects.push({ at: this.clock.nowMicros(), vhid, effect });
    return {
      addAddresses: () => {
        host.holding.add(vhid);
        record('add-addresses');
      },
      removeAddresses: () => {
        host.holding.delete(vhid);
        record('remove-addresses');
      },
      announce: () => record('announce'),
      runScript: (phase) => record(`script-${phase}`),
    };
  }
}
