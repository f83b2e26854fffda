/**
 * Builds a simulated cluster from a compact description: one vhid shared by N hosts on
 * 198.51.100.0/24 (documentation range), each with its own advskew/advbase/preemption.
 */
import { makeGroupSettings } from '../protocols/carp/carp-group-settings.ts';
import { carpKeyFromPassphrase } from '../protocols/carp/carp-key.ts';
import { parseIpAddress, type IpAddress } from '../wire/ip-address.ts';
import type { ReplayMode } from '../protocols/carp/replay-guard.ts';
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
  readonly advbase?: number;
  readonly advskew?: number;
  readonly preempt?: boolean;
  /** This node's own passphrase (a misconfigured node); default the cluster's. */
  readonly passphrase?: string;
}

/** A whole simulated cluster. */
export interface SimClusterDescription {
  readonly vhid: number;
  readonly passphrase: string;
  readonly virtualAddresses: readonly string[];
  readonly nodes: readonly SimNodeDescription[];
  readonly replayMode?: ReplayMode;
  readonly seed?: number;
  readonly lan?: Partial<LanOptions>;
}

/** Builds the LAN and cluster on the given clock (virtual for tests, real for the demo). */
export function buildSimCluster(description: SimClusterDescription, clock: Clock, logger?: Logger): SimCluster {
  const lan = new SimLan(clock, seededRandom(description.seed ?? 1), description.lan);
  const key = carpKeyFromPassphrase(description.passphrase);
  const virtualAddresses: IpAddress[] = description.virtualAddresses.map(parseIpAddress);
  const specs: SimHostSpec[] = description.nodes.map((node) => {
    const address = parseIpAddress(node.address);
    const second = node.address2 === undefined ? undefined : parseIpAddress(node.address2);
    return {
      name: node.name,
      addresses: second === undefined ? [address] : [address, second],
      groups: [
        makeGroupSettings({
          name: `${node.name}/vhid${description.vhid}`,
          vhid: description.vhid,
          key: node.passphrase === undefined ? key : carpKeyFromPassphrase(node.passphrase),
          addresses: virtualAddresses,
          advbase: node.advbase ?? 1,
          advskew: node.advskew ?? 0,
          preempt: node.preempt ?? false,
          sourceAddresses: { [address.family]: address, ...(second === undefined ? {} : { [second.family]: second }) },
          replayMode: description.replayMode ?? 'strict',
        }),
      ],
    };
  });
  return new SimCluster(clock, lan, specs, logger);
}
