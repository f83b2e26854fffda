/**
 * CARP's runtime part (protocols/protocol-runtime-part.ts): a CARP group's config as GroupRunner's
 * settings, the runner planned, built (its counters kept in the state store), reconfigured in
 * place with the key-change window (docs/reload.md, rolling changes), and attached to its
 * interface's node; CARP's virtual MAC (00:00:5e:00:01:vhid) and key. Status: carp-status.ts.
 */
import type { CarpGroupConfig } from './carp-config.ts';
import { carpVirtualMac } from '../../wire/mac-address.ts';
import type { GroupAddress, ProtocolRunner, ProtocolRuntimePart, RunnerNode } from '../protocol-runtime-part.ts';
import { GroupRunner } from './carp-group-runner.ts';
import { makeGroupSettings, type GroupSettings } from './carp-group-settings.ts';
import { carpSecretReader } from './carp-secret.ts';
import { carpStatus, carpStatusLines } from './carp-status.ts';

/** How long a reload's old key or address list stays valid (signed and accepted), when the config says nothing. */
export const DEFAULT_KEY_CHANGE_WINDOW_SECONDS = 600;

/** The CARP engine's settings of a group. Pure; the config layer has validated everything. */
export function carpSettingsFor(config: CarpGroupConfig, key: Uint8Array, addresses: readonly GroupAddress[]): GroupSettings {
  return makeGroupSettings({
    name: config.name,
    vhid: config.vhid,
    key,
    addresses: addresses.map((a) => a.address),
    advbase: config.advbase,
    advskew: config.advskew,
    preempt: config.preempt,
    preemptDelayMicros: Math.round((config.preemptDelaySeconds ?? 0) * 1_000_000),
    masterDownFormula: config.masterDown,
    deadRatio: config.deadRatio,
    replayMode: config.replay.mode,
    replayWindowSeconds: config.replay.windowSeconds,
    ...(config.peers.length > 0 ? { unicastPeers: config.peers } : {}),
    ...(config.sourceAddress === undefined ? {} : { sourceAddresses: { [config.sourceAddress.family]: config.sourceAddress } }),
  });
}

/** The key-change window of a group, µs. */
export function keyChangeWindowMicros(config: Pick<CarpGroupConfig, 'keyChangeWindowSeconds'>): number {
  return (config.keyChangeWindowSeconds ?? DEFAULT_KEY_CHANGE_WINDOW_SECONDS) * 1_000_000;
}

/** The runner as CARP built it; anything else is a caller's mistake (a runner reaches only its own protocol's part). */
export function asCarpRunner(runner: ProtocolRunner): GroupRunner {
  if (!(runner instanceof GroupRunner)) throw new Error(`a ${runner.protocol} runner reached CARP's runtime part`);
  return runner;
}

export const carpRuntime: ProtocolRuntimePart<CarpGroupConfig, GroupRunner> = {
  keyPurpose: () => 'carp-key',
  secretReader: carpSecretReader,
  virtualMac: (config) => carpVirtualMac(config.vhid),
  isAddressOwner: () => false,
  label: () => 'carp',
  hostAddressHint: '',
  preStartCheck: () => undefined,
  planRunner: (config, { key, addresses, store }) => ({
    protocol: 'carp',
    build: (ports) => new GroupRunner(carpSettingsFor(config, key, addresses), { ...ports, stateStore: store }),
  }),
  reconfigure: (runner, config, key, addresses) => asCarpRunner(runner).reconfigure(carpSettingsFor(config, key, addresses), keyChangeWindowMicros(config)),
  attach: (runner, node: RunnerNode, config) => node.addGroup(asCarpRunner(runner), { requireTtl255ForUnicast: config.unicastTtl === 'require-255' }),
  detach: (runner, node: RunnerNode) => node.removeGroup(asCarpRunner(runner)),
  status: (config, runner, toIso) => carpStatus(config, runner === undefined ? undefined : asCarpRunner(runner), toIso),
  statusLines: carpStatusLines,
};
