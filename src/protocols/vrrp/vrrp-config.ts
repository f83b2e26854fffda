/**
 * A VRRP group's configuration: the `vrrp` block (priority, advert interval, accept mode,
 * checksum mode, version, auth type) and the password source, beside the common fields of
 * config/config-types.ts. A VRRP group has no CARP setting.
 */
import type { GroupConfigCommon, PassphraseSource } from '../../config/config-types.ts';
import type { VrrpChecksumMode } from './vrrp-checksum.ts';
import type { VrrpVersion } from './vrrp-version.ts';

/**
 * The VRRP settings of a `protocol: vrrp` group. Preempt, peers (keepalived's unicast_peer),
 * scripts, checks and the rest are common. The vhid is the VRID.
 */
export interface VrrpSettings {
  /** 1..255, default 100; 255 only for the address owner (the addresses are its own). */
  readonly priority: number;
  /** Advertisement interval in centiseconds, 1..4095 (advert_interval 0.01..40.95 s, default 1 s). */
  readonly advertIntervalCentis: number;
  /** RFC 5798 Accept_Mode: a master that is not the owner accepts packets for the addresses (default false). */
  readonly acceptMode: boolean;
  /** Which IPv4 checksum variants are accepted on receive (vrrp-checksum.ts; default compatible). */
  readonly checksumMode: VrrpChecksumMode;
  /** `vrrp_version: 2` (RFC 3768); absent: VRRPv3. Only a VRRPv2 group has the key, so VRRPv3 configs read as before. */
  readonly version?: VrrpVersion;
  /** VRRPv2 only: none, or 'pass' (the simple password, from the group's `passphrase` source, sent in clear). */
  readonly authType?: 'none' | 'pass';
}

/**
 * A VRRP group (one address family). `passphrase` is the VRRPv2 simple password's source, kind
 * 'none' without one (VRRPv3, or VRRPv2 with auth_type none): both protocols have a secret source
 * under the same name, so the daemon reads it without asking which protocol it is.
 */
export interface VrrpGroupConfig extends GroupConfigCommon {
  readonly protocol: 'vrrp';
  readonly vrrp: VrrpSettings;
  readonly passphrase: PassphraseSource;
}
