/**
 * How a protocol describes its own keys of a group for the config layer's schema, without zod
 * (protocols/ import no schema library, test/architecture/layer-rules.ts): config/schema-keys.ts
 * turns each description into its zod schema, every key optional, with the same codes as the
 * common keys (an integer out of range: CARPD_CONFIG_RANGE, a fraction: CARPD_CONFIG_TYPE).
 */
import type { ValueProblem } from './protocol-config-part.ts';

/** One key: an integer in a range, a number a check judges, a boolean, or one of some values. */
export type SchemaKey =
  | { readonly kind: 'integer'; readonly range: readonly [number, number] }
  | { readonly kind: 'number'; readonly check: (value: number) => ValueProblem | undefined }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'oneOf'; readonly values: readonly [string, ...string[]] | readonly [number, ...number[]] };

/** A protocol's keys, by file key. */
export type SchemaKeys = Readonly<Record<string, SchemaKey>>;
