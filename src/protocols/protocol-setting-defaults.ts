/**
 * Each protocol's block of config defaults, under its setting block's key (config/config-types.ts
 * CONFIG_DEFAULTS shows them beside the common ones, and names no protocol). Read from leaves of
 * constants, not through the modules (protocols/index.ts): the config parts read CONFIG_DEFAULTS
 * as they load, so the registry cannot be loaded first. CARP's defaults are the common top-level
 * ones (advbase, advskew, replay), as they have always been.
 */
import { VRRP_CONFIG_DEFAULTS } from './vrrp/vrrp-config-defaults.ts';

export const PROTOCOL_SETTING_DEFAULTS = {
  vrrp: VRRP_CONFIG_DEFAULTS,
} as const;
