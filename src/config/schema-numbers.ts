/**
 * Numbers in the config's zod schemas: an integer or a checked number in a range, each problem
 * with its stable code (src/config/error-codes.ts). Shared by the group schema
 * (config-schema.ts) and the protocols' own keys (protocols/protocol-schema-shapes.ts), made zod here.
 */
import * as z from 'zod';
import type { ValueProblem } from '../protocols/index.ts';
import type { SchemaKey, SchemaKeys } from '../protocols/protocol-schema-shapes.ts';

/** Why a number is not an integer in min..max (a fraction is a type error), or undefined; the flags word it the same. */
export function integerProblem(value: number, min: number, max: number): ValueProblem | undefined {
  if (!Number.isInteger(value)) return { code: 'CARPD_CONFIG_TYPE', detail: `${value} is not an integer (allowed ${min}..${max})` };
  if (value < min || value > max) return { code: 'CARPD_CONFIG_RANGE', detail: `${value} is outside ${min}..${max}` };
  return undefined;
}

/** A number whose problem `check` finds, as a zod schema. */
export function checked(check: (value: number) => ValueProblem | undefined) {
  return z.number().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem.detail, params: { code: problem.code } });
  });
}

/** An integer in min..max; a fraction is a type error, anything else outside a range error. */
export function intIn(min: number, max: number) {
  return checked((value) => integerProblem(value, min, max));
}

/** A key of a protocol as its zod schema (optional, as every protocol key is). */
type ZodOfKey<K extends SchemaKey> = K extends { kind: 'integer' | 'number' }
  ? z.ZodOptional<z.ZodNumber>
  : K extends { kind: 'boolean' }
    ? z.ZodOptional<z.ZodBoolean>
    : K extends { kind: 'oneOf'; values: readonly (infer V)[] }
      ? z.ZodOptional<z.ZodType<V>>
      : never;

function zodOfKey(key: SchemaKey): z.ZodOptional<z.ZodType> {
  switch (key.kind) {
    case 'integer':
      return intIn(key.range[0], key.range[1]).optional();
    case 'number':
      return checked(key.check).optional();
    case 'boolean':
      return z.boolean().optional();
    case 'oneOf':
      // Strings as an enum, numbers as literals: the messages the file's keys have always had.
      return (typeof key.values[0] === 'string' ? z.enum(key.values as readonly [string, ...string[]]) : z.literal(key.values as readonly number[])).optional();
  }
}

/** The zod shape of protocols' keys (protocols/protocol-schema-shapes.ts), typed key by key so RawGroup stays inferred. */
export function zodShapeOfKeys<Keys extends SchemaKeys>(keys: Keys): { -readonly [Name in keyof Keys]: ZodOfKey<Keys[Name]> } {
  return Object.fromEntries(Object.entries(keys).map(([name, key]) => [name, zodOfKey(key)])) as { -readonly [Name in keyof Keys]: ZodOfKey<Keys[Name]> };
}
