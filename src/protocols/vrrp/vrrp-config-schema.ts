/**
 * VRRP's keys in a group's schema (config/config-schema.ts groupSchema adds them from
 * protocols/protocol-schema-shapes.ts): their types and ranges. `advert_interval` is judged again
 * per version when the group is built (vrrp2-config-rules.ts: VRRPv2 takes whole seconds 1..255).
 */
import type { SchemaKeys } from '../protocol-schema-keys.ts';
import { advertIntervalProblemAnyVersion, VRRP_PRIORITY_RANGE } from './vrrp-config-rules.ts';
import { VRRP_AUTH_TYPES, VRRP_VERSIONS } from './vrrp-version.ts';

export const VRRP_SCHEMA_KEYS = {
  priority: { kind: 'integer', range: VRRP_PRIORITY_RANGE },
  advert_interval: { kind: 'number', check: advertIntervalProblemAnyVersion },
  accept_mode: { kind: 'boolean' },
  checksum_mode: { kind: 'oneOf', values: ['compatible', 'strict'] },
  vrrp_version: { kind: 'oneOf', values: VRRP_VERSIONS },
  auth_type: { kind: 'oneOf', values: VRRP_AUTH_TYPES },
} as const satisfies SchemaKeys;
