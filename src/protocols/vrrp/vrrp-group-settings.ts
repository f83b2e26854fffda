/** Everything the engine needs to run one VRRP virtual router (one VRID in one address family). */
import { VRRP_DEFAULTS } from './vrrp-machine-types.ts';
import { DEFAULT_VRRP_VERSION, VRRP_NO_AUTH, vrrpProfile, type VrrpAuth, type VrrpVersion } from './vrrp-version.ts';
import type { IpAddress, IpFamily } from '../../wire/ip-address.ts';
import type { VrrpChecksumMode } from './vrrp-checksum.ts';

/** Settings of one VRRP group, validated. */
export interface VrrpGroupSettings {
  /** A name for logs and status. */
  readonly name: string;
  /** 1..255. */
  readonly vrid: number;
  /** The family of every address: RFC 5798 runs IPv4 and IPv6 as separate virtual routers. */
  readonly family: IpFamily;
  /** VRRPv3 (default) or VRRPv2 (RFC 3768, IPv4 only): protocols/vrrp/vrrp-version.ts. */
  readonly version: VrrpVersion;
  /** VRRPv2's authentication (none or a simple text password); always none for VRRPv3. */
  readonly auth: VrrpAuth;
  /** 1..255; 255 = the address owner. */
  readonly priority: number;
  /** Advertisement_Interval, centiseconds 1..4095. */
  readonly advertIntervalCentis: number;
  readonly preempt: boolean;
  readonly preemptDelayMicros: number;
  /** RFC 5798 Accept_Mode: recorded and reported; the election does not depend on it. */
  readonly acceptMode: boolean;
  /** Which IPv4 checksum variants are accepted on receive. */
  readonly checksumMode: VrrpChecksumMode;
  /** The virtual addresses, all of `family`, carried in every advert. */
  readonly addresses: readonly IpAddress[];
  /** Unicast peers (keepalived's unicast_peer): one copy of each advert to each, only they are accepted. */
  readonly unicastPeers?: readonly IpAddress[];
  /** source_address, when configured: it must be the source the interface's socket sends from. */
  readonly sourceAddress?: IpAddress;
  /** For unicast peers: require TTL 255 (default) or take any TTL, as keepalived does for unicast. */
  readonly requireTtl255ForUnicast: boolean;
}

/** Inputs for makeVrrpGroupSettings; everything but the VRID and addresses has the RFC 5798 defaults. */
export interface VrrpGroupSettingsInput {
  readonly name?: string;
  readonly vrid: number;
  readonly addresses: readonly IpAddress[];
  readonly version?: VrrpVersion;
  readonly auth?: VrrpAuth;
  readonly priority?: number;
  readonly advertIntervalCentis?: number;
  readonly preempt?: boolean;
  readonly preemptDelayMicros?: number;
  readonly acceptMode?: boolean;
  readonly checksumMode?: VrrpChecksumMode;
  readonly unicastPeers?: readonly IpAddress[];
  readonly sourceAddress?: IpAddress;
  readonly requireTtl255ForUnicast?: boolean;
}

/**
 * Builds settings with RFC 5798 §6.1 defaults (priority 100, 1 s, preempt on, accept off, VRRPv3)
 * and the 'compatible' checksum mode. Throws RangeError when the addresses are not all of one
 * family, or the version has no such family or authentication.
 */
export function makeVrrpGroupSettings(input: VrrpGroupSettingsInput): VrrpGroupSettings {
  const families = [...new Set(input.addresses.map((a) => a.family))];
  const family = families[0];
  if (family === undefined || families.length !== 1) throw new RangeError(`a VRRP group needs addresses of exactly one family, got ${input.addresses.map((a) => a.text).join(' ') || 'none'}`);
  const version = input.version ?? DEFAULT_VRRP_VERSION;
  const profile = vrrpProfile(version);
  const auth = input.auth ?? VRRP_NO_AUTH;
  if (!profile.families.includes(family)) throw new RangeError(`VRRPv${version} has no IPv${family} virtual routers`);
  if (!profile.authTypes.includes(auth.type)) throw new RangeError(`VRRPv${version} has no ${auth.type} authentication`);
  return {
    name: input.name ?? `vrid${input.vrid}`,
    vrid: input.vrid,
    family,
    version,
    auth,
    priority: input.priority ?? VRRP_DEFAULTS.priority,
    advertIntervalCentis: input.advertIntervalCentis ?? VRRP_DEFAULTS.advertIntervalCentis,
    preempt: input.preempt ?? VRRP_DEFAULTS.preempt,
    preemptDelayMicros: input.preemptDelayMicros ?? 0,
    acceptMode: input.acceptMode ?? VRRP_DEFAULTS.acceptMode,
    checksumMode: input.checksumMode ?? 'compatible',
    addresses: input.addresses,
    ...(input.unicastPeers === undefined ? {} : { unicastPeers: input.unicastPeers }),
    ...(input.sourceAddress === undefined ? {} : { sourceAddress: input.sourceAddress }),
    requireTtl255ForUnicast: input.requireTtl255ForUnicast ?? true,
  };
}
