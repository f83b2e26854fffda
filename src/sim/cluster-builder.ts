/**
 * Builds a simulated cluster from a compact description: one group id shared by N hosts on
 * 198.51.100.0/24 (documentation range), each with its own rank/interval/preemption, in any
 * protocol the registry knows (protocols/index.ts; default CARP).
 */
import type { ProtocolName } from '../protocols/index.ts';
import { parseIpAddress, type IpAddress } from '../wire/ip-address.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import { seededRandom } from './random.ts';
import { SimCluster, type SimHostSpec } from './sim-cluster.ts';
import { SimLan, type LanOptions } from './sim-lan.ts';

/** One host of a simulated cluster. */
export interface SimNodeDescription {
  readonly name: string;
  /** The host's own address (also its advert source). */
  readonly address: string;
  /** A second own address of the other family, for a dual-stack group (its advert source there). */
  readonly address2?: string;
  /** Advert interval in seconds (CARP's advbase, the name kept from the CARP-only simulator); default 1. */
  readonly advbase?: number;
  /** Rank, lower wins (CARP's advskew; VRRP priority 254 - rank: protocols/protocol-sim-part.ts); default 0. */
  readonly advskew?: number;
  readonly preempt?: boolean;
  /** This node's own passphrase (a misconfigured node); default the cluster's. */
  readonly passphrase?: string;
}

/** A whole simulated cluster. */
export interface SimClusterDescription {
  /** The protocol of the group (default CARP). */
  readonly protocol?: ProtocolName;
  /** Its version where it has several (VRRP: 3, the default, or 2). */
  readonly version?: number;
  /** The group's id: CARP's vhid, VRRP's VRID. */
  readonly vhid: number;
  readonly passphrase: string;
  readonly virtualAddresses: readonly string[];
  readonly nodes: readonly SimNodeDescription[];
  readonly seed?: number;
  readonly lan?: Partial<LanOptions>;
}

/** The hosts a description stands for (the protocol-neutral group specs of protocols/protocol-sim-part.ts). */
export function simHostSpecs(description: SimClusterDescription): SimHostSpec[] {
  const virtualAddresses: IpAddress[] = description.virtualAddresses.map(parseIpAddress);
  return description.nodes.map((node) => {
    const address = parseIpAddress(node.address);
    const second = node.address2 === undefined ? undefined : parseIpAddress(node.address2);
    return {
      name: node.name,
      addresses: second === undefined ? [address] : [address, second],
      groups: [
        {
          ...(description.protocol === undefined ? {} : { protocol: description.protocol }),
          ...(description.version === undefined ? {} : { version: description.version }),
          name: `${node.name}/vhid${description.vhid}`,
          id: description.vhid,
          passphrase: node.passphrase ?? description.passphrase,
          virtualAddresses,
          intervalSeconds: node.advbase ?? 1,
          rank: node.advskew ?? 0,
          preempt: node.preempt ?? false,
          sourceAddresses: { [address.family]: address, ...(second === undefined ? {} : { [second.family]: second }) },
        },
      ],
    };
  });
}

/** Builds the LAN and cluster on the given clock (virtual for tests, real for the demo). */
export function buildSimCluster(description: SimClusterDescription, clock: Clock, logger?: Logger): SimCluster {
  const lan = new SimLan(clock, seededRandom(description.seed ?? 1), description.lan);
  return new SimCluster(clock, lan, simHostSpecs(description), logger);
}

/**
 * Several groups on the same hosts (CARP and VRRP groups side by side on one LAN, as one
 * interface runs them): each description names the same nodes, in the same order, with that
 * group's rank and interval; the LAN and seed are the first description's. Ids must differ.
 */
export function buildMultiGroupCluster(descriptions: readonly SimClusterDescription[], clock: Clock, logger?: Logger): SimCluster {
  const [first, ...rest] = descriptions.map(simHostSpecs);
  const head = descriptions[0];
  if (first === undefined || head === undefined) throw new RangeError('no group described');
  const hosts = first.map((host, i) => {
    const groups = [...host.groups];
    for (const other of rest) {
      const same = other[i];
      if (same === undefined || same.name !== host.name) throw new RangeError(`every group must describe the same nodes in the same order (${host.name})`);
      groups.push(...same.groups);
    }
    return { ...host, groups };
  });
  const lan = new SimLan(clock, seededRandom(head.seed ?? 1), head.lan);
  return new SimCluster(clock, lan, hosts, logger);
}
