/**
 * A `protocol: vrrp` group's config defaults: RFC 5798 §6.1's (preempt on, unlike CARP's,
 * vrrp-machine-types.ts VRRP_DEFAULTS), and every IPv4 checksum variant accepted. A leaf of
 * constants: the config layer's CONFIG_DEFAULTS shows it (protocols/protocol-setting-defaults.ts)
 * while the registry's modules are still loading.
 */
import type { VrrpChecksumMode } from './vrrp-checksum.ts';
import { VRRP_DEFAULTS } from './vrrp-machine-types.ts';

export const VRRP_CONFIG_DEFAULTS = {
  priority: VRRP_DEFAULTS.priority,
  advertIntervalCentis: VRRP_DEFAULTS.advertIntervalCentis,
  preempt: VRRP_DEFAULTS.preempt,
  acceptMode: VRRP_DEFAULTS.acceptMode,
  checksumMode: 'compatible' as VrrpChecksumMode,
} as const;
