/**
 * A group's configuration as the engine's settings, per protocol: CARP's GroupSettings for
 * GroupRunner, VrrpGroupSettings for VrrpGroupRunner. Pure mappings; the config layer has
 * validated everything (a VRRP group has a `vrrp` block and addresses of one family).
 */
import type { CarpGroupConfig, GroupConfig, VrrpGroupConfig } from '../config/config-types.ts';
import { makeGroupSettings, type GroupSettings } from '../protocols/carp/carp-group-settings.ts';
import { makeVrrpGroupSettings, type VrrpGroupSettings } from '../protocols/vrrp/vrrp-group-settings.ts';
import { OWNER_PRIORITY } from '../protocols/vrrp/vrrp-election.ts';
import { VRRP_DEFAULTS } from '../protocols/vrrp/vrrp-machine-types.ts';
import { carpVirtualMac, vrrpVirtualMac, type MacAddress } from '../wire/mac-address.ts';
import type { ResolvedAddress } from './linux-group-effects.ts';
import { DEFAULT_VRRP_VERSION, VRRP_NO_AUTH } from '../protocols/vrrp/vrrp-version.ts';
import type { KeyPurpose } from './read-passphrase.ts';

/** True for a `protocol: vrrp` group. */
export function isVrrpGroup<G extends Pick<GroupConfig, 'protocol'>>(config: G): config is G & { readonly protocol: 'vrrp' } {
  return config.protocol === 'vrrp';
}

/** True for a VRRP group configured as the address owner (priority 255, RFC 5798 §1). */
export function isAddressOwner(config: GroupConfig): boolean {
  return isVrrpGroup(config) && config.vrrp.priority === OWNER_PRIORITY;
}

/** A group's virtual MAC: CARP's 00:00:5e:00:01:vhid, or VRRP's per family (RFC 5798 §7.3; VRRPv2's is the IPv4 one). */
export function virtualMacOf(config: Pick<GroupConfig, 'protocol' | 'vhid' | 'addresses'>): MacAddress {
  if (!isVrrpGroup(config)) return carpVirtualMac(config.vhid);
  return vrrpVirtualMac(config.vhid, config.addresses[0]?.address.family ?? 4);
}

/**
 * What a group's passphrase source is read as: CARP's key, a VRRPv2 group's simple password, or
 * nothing (VRRPv3, or VRRPv2 without authentication).
 */
export function keyPurposeOf(config: GroupConfig): KeyPurpose | undefined {
  if (!isVrrpGroup(config)) return 'carp-key';
  return config.vrrp.authType === 'pass' ? 'vrrp2-password' : undefined;
}

/** The CARP engine's settings. */
export function carpSettingsFor(config: CarpGroupConfig, key: Uint8Array, addresses: readonly ResolvedAddress[]): GroupSettings {
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

/** The VRRP engine's settings; the VRID is the group's vhid, `key` a VRRPv2 group's password (keyPurposeOf). */
export function vrrpSettingsFor(config: VrrpGroupConfig, addresses: readonly ResolvedAddress[], key: Uint8Array = new Uint8Array(0)): VrrpGroupSettings {
  const vrrp = config.vrrp;
  return makeVrrpGroupSettings({
    name: config.name,
    vrid: config.vhid,
    addresses: addresses.map((a) => a.address),
    version: vrrp?.version ?? DEFAULT_VRRP_VERSION,
    auth: keyPurposeOf(config) === 'vrrp2-password' ? { type: 'pass', password: key } : VRRP_NO_AUTH,
    priority: vrrp?.priority ?? VRRP_DEFAULTS.priority,
    advertIntervalCentis: vrrp?.advertIntervalCentis ?? VRRP_DEFAULTS.advertIntervalCentis,
    preempt: config.preempt,
    preemptDelayMicros: Math.round((config.preemptDelaySeconds ?? 0) * 1_000_000),
    acceptMode: vrrp?.acceptMode ?? VRRP_DEFAULTS.acceptMode,
    checksumMode: vrrp?.checksumMode ?? 'compatible',
    requireTtl255ForUnicast: config.unicastTtl === 'require-255',
    ...(config.peers.length > 0 ? { unicastPeers: config.peers } : {}),
    ...(config.sourceAddress === undefined ? {} : { sourceAddress: config.sourceAddress }),
  });
}
