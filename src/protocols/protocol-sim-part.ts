/**
 * What the simulator (src/sim/) needs of a protocol: a group described in neutral terms (an id,
 * addresses, a rank, an interval, preemption) built into the protocol's own group runner on a
 * simulated host, so the property tests and `carpd demo --sim` run every protocol through the
 * same cluster code without knowing which one it is (docs/development.md "Protocol modules").
 */
import type { IpAddress, IpFamily } from '../wire/ip-address.ts';
import type { ProtocolRunner, RunnerCorePorts } from '../engine/runner-core.ts';
import type { InterfaceNode } from './interface-node.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';

/** A simulated group, the same for every protocol. */
export interface SimGroupSpec {
  /** The group's name in logs and transitions. */
  readonly name: string;
  /** The group's number: CARP's vhid, VRRP's VRID (1-255). */
  readonly id: number;
  /** The virtual addresses. */
  readonly virtualAddresses: readonly IpAddress[];
  /** The host's own address per family (the advert source there). */
  readonly sourceAddresses: Partial<Record<IpFamily, IpAddress>>;
  /**
   * Preference, lower wins, 0-253: CARP's advskew, VRRP's priority counted down from 254 (rank 0
   * is priority 254). Equal ranks are broken by each protocol's own rule.
   */
  readonly rank: number;
  /** The advert interval in whole seconds (CARP's advbase; VRRP's advert interval). */
  readonly intervalSeconds: number;
  readonly preempt: boolean;
  /** A shared secret where the protocol has one (CARP's HMAC key; VRRPv2's PASS at most 8 bytes); absent: the protocol's default. */
  readonly passphrase?: string;
  /** The protocol version where it has several (VRRP: 3 or 2); absent: the protocol's default. */
  readonly version?: number;
}

/** The ports a simulated group runs on (the simulated host's; its store outlives crashes). */
export type SimGroupPorts = RunnerCorePorts & { readonly stateStore: GroupStateStore };

/** What the simulator drives and reads on a group, whatever its protocol. */
export type SimGroupRunner = ProtocolRunner & {
  /** A dual-stack CARP BACKUP's families whose master went silent there only (fsm/silent-family.ts); absent elsewhere. */
  readonly state: ProtocolRunner['state'] & { readonly silentFamilies?: Partial<Record<IpFamily, number>> };
  /** True during the hold-down after the group's adverts could not be sent (engine/send-fault.ts). */
  readonly advertSendHoldDown: boolean;
};

/** A group built on a simulated host. */
export interface SimGroup {
  readonly runner: SimGroupRunner;
  /** Subscribes to every advert the group sends; `farewell`: the one a leaving MASTER sends (CARP's bow-out, VRRP's priority 0). */
  onAdvertSent(listener: (family: IpFamily, farewell: boolean) => void): void;
}

/** One protocol's simulator part. */
export interface ProtocolSimPart {
  /**
   * Builds the group's runner on a host's ports and adds it to the host's interface node (the
   * protocol knows its runner's type; the simulator does not). Throws on a spec the protocol
   * cannot run (e.g. VRRP with virtual addresses of two families).
   */
  addSimGroup(spec: SimGroupSpec, ports: SimGroupPorts, node: Pick<InterfaceNode, 'addGroup'>): SimGroup;
  /** How long a BACKUP of this spec waits for a silent master of the same interval (µs): the failover bound. */
  masterDownMicros(spec: SimGroupSpec): number;
  /** The protocol versions a spec may name, default first (absent: one version, named by no spec). */
  readonly versions?: readonly number[];
  /** The group in the protocol's own words, for the demo ("vhid 1", "VRRPv3 VRID 1"). */
  groupLabel(spec: SimGroupSpec): string;
  /** The node's settings in the protocol's own words, for the demo ("advbase 1  advskew  50"). */
  describe(spec: SimGroupSpec): string;
  /** What the rank is called in the protocol ("advskew", "priority"), for the demo. */
  readonly rankName: string;
  /** The leaving MASTER's farewell advert in the protocol's words, for the demo. */
  readonly farewell: string;
}
