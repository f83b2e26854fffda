/** Everything the engine needs to run one virtual host (built from flags or, later, a config file). */
import type { MachineConfig } from './carp-machine-types.ts';
import type { IpAddress } from '../../wire/ip-address.ts';
import type { ReplayMode } from './replay-guard.ts';

/** Settings of one group, validated. */
export interface GroupSettings {
  /** A name for logs and status, e.g. "eth0/vhid7". */
  readonly name: string;
  readonly machine: MachineConfig;
  /** The 20-byte CARP key. Never logged. */
  readonly key: Uint8Array;
  /** The virtual addresses, hashed into the HMAC. */
  readonly addresses: readonly IpAddress[];
  readonly replayMode: ReplayMode;
  /** strict mode: a new receiver refuses counters older than this many seconds (clock-based floor). */
  readonly replayWindowSeconds: number;
  /** Unicast peers; when set, adverts go to each of them instead of the multicast group. */
  readonly unicastPeers?: readonly IpAddress[];
}

/** The default freshness window for strict replay protection. */
export const DEFAULT_REPLAY_WINDOW_SECONDS = 300;

/** Inputs for makeGroupSettings; everything but vhid, key and addresses has the protocol defaults. */
export interface GroupSettingsInput {
  readonly name?: string;
  readonly vhid: number;
  readonly key: Uint8Array;
  readonly addresses: readonly IpAddress[];
  readonly advbase?: number;
  readonly advskew?: number;
  readonly preempt?: boolean;
  readonly preemptDelayMicros?: number;
  readonly masterDownFormula?: MachineConfig['masterDownFormula'];
  readonly deadRatio?: number;
  readonly sourceAddresses?: MachineConfig['sourceAddresses'];
  readonly replayMode?: ReplayMode;
  readonly replayWindowSeconds?: number;
  readonly unicastPeers?: readonly IpAddress[];
}

/** Builds settings with defaults: advbase 1, advskew 0, no preemption, OpenBSD master-down, strict replay. */
export function makeGroupSettings(input: GroupSettingsInput): GroupSettings {
  const families = [...new Set(input.addresses.map((a) => a.family))].sort();
  return {
    name: input.name ?? `vhid${input.vhid}`,
    machine: {
      vhid: input.vhid,
      advbase: input.advbase ?? 1,
      advskew: input.advskew ?? 0,
      preempt: input.preempt ?? false,
      preemptDelayMicros: input.preemptDelayMicros ?? 0,
      masterDownFormula: input.masterDownFormula ?? 'openbsd',
      deadRatio: input.deadRatio ?? 3,
      families,
      sourceAddresses: input.sourceAddresses ?? {},
    },
    key: input.key,
    addresses: input.addresses,
    replayMode: input.replayMode ?? 'strict',
    replayWindowSeconds: input.replayWindowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS,
    ...(input.unicastPeers === undefined ? {} : { unicastPeers: input.unicastPeers }),
  };
}
