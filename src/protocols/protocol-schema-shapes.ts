/**
 * The keys each protocol adds to a group's schema (config/config-schema.ts groupSchema is the
 * common keys and these, config/schema-keys.ts makes them zod). Read from the folders' schema
 * files, not through the modules (protocols/index.ts): the config parts load the config layer,
 * so the registry cannot be loaded first. CARP's keys (advbase, advskew, replay, ...) are still
 * the common schema's.
 */
import { VRRP_SCHEMA_KEYS } from './vrrp/vrrp-config-schema.ts';

export type { SchemaKey, SchemaKeys } from './protocol-schema-keys.ts';

export const PROTOCOL_SCHEMA_KEYS = {
  ...VRRP_SCHEMA_KEYS,
} as const;
