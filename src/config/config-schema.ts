/**
 * The shape of carpd's YAML file as zod schemas, in the file's own snake_case names. This layer
 * checks structure only: strict mappings (an unknown key is an error), types, enums and numeric
 * ranges. Meaning (addresses, passphrase sources, duplicates across groups) is checked by
 * config-file.ts once the shape is known to be right. Each zod issue becomes a ConfigProblem
 * with a stable code; messages never echo a value that could be a secret.
 */
import * as z from 'zod';
import { configProblem, type ConfigErrorCode, type ConfigProblem, type PathSegment } from './error-codes.ts';
import { GROUP_PROTOCOLS } from './protocol-keys.ts';
import { PROTOCOL_SCHEMA_KEYS } from '../protocols/protocol-schema-shapes.ts';
import { intIn, zodShapeOfKeys } from './schema-numbers.ts';

export { integerProblem } from './schema-numbers.ts';

/** A number (fractions allowed) in min..max. */
function numberIn(min: number, max: number) {
  return z.number().superRefine((value, ctx) => {
    if (value < min || value > max) ctx.addIssue({ code: 'custom', message: `${value} is outside ${min}..${max}`, params: { code: 'CARPD_CONFIG_RANGE' } });
  });
}

/** Ranges in one place, so docs/configuration.md and the messages agree. */
export const RANGES = {
  vhid: [1, 255],
  advbase: [0, 254],
  advskew: [0, 254],
  deadRatio: [1, 100],
  weight: [0, 255],
  replayWindowSeconds: [1, 86_400],
  keyChangeWindowSeconds: [0, 86_400],
  preemptDelaySeconds: [0, 3_600],
  scriptTimeoutSeconds: [1, 3_600],
  announceIntervalSeconds: [0, 86_400],
  checkIntervalSeconds: [0.1, 3_600],
  checkTimeoutSeconds: [0.1, 3_600],
  riseFall: [1, 100],
  httpStatus: [100, 599],
  port: [1, 65_535],
} as const;

const r = (range: readonly [number, number]) => intIn(range[0], range[1]);

const replaySchema = z.strictObject({
  mode: z.enum(['strict', 'compat']).optional(),
  window_seconds: r(RANGES.replayWindowSeconds).optional(),
});

const scriptsSchema = z.strictObject({
  master: z.string().optional(),
  backup: z.string().optional(),
  stop: z.string().optional(),
  timeout_seconds: r(RANGES.scriptTimeoutSeconds).optional(),
  style: z.enum(['carpd', 'ucarp']).optional(),
  extra_parameter: z.string().optional(),
  neutral: z.boolean().optional(),
});

const announceSchema = z.strictObject({
  interval_seconds: r(RANGES.announceIntervalSeconds).optional(),
  router: z.boolean().optional(),
});

const trackedInterfaceSchema = z.strictObject({
  interface: z.string(),
  weight: r(RANGES.weight).optional(),
});

const checkSchema = z.strictObject({
  name: z.string(),
  command: z.array(z.string()).optional(),
  tcp: z.string().optional(),
  http: z.string().optional(),
  interval_seconds: numberIn(...RANGES.checkIntervalSeconds).optional(),
  timeout_seconds: numberIn(...RANGES.checkTimeoutSeconds).optional(),
  rise: r(RANGES.riseFall).optional(),
  fall: r(RANGES.riseFall).optional(),
  weight: r(RANGES.weight).optional(),
  expect_status: z.array(r(RANGES.httpStatus)).optional(),
});

const trackSchema = z.strictObject({
  interfaces: z.array(trackedInterfaceSchema).optional(),
  checks: z.array(checkSchema).optional(),
});

/**
 * One group as written (after the `defaults` section has been merged in, and the keys of the
 * other protocol set aside: protocol-keys.ts). `vhid` (or its VRRP alias `vrid`) is required;
 * build-group.ts says so, since either name will do.
 */
export const groupSchema = z.strictObject({
  name: z.string().optional(),
  protocol: z.enum(GROUP_PROTOCOLS).optional(),
  interface: z.string(),
  vhid: r(RANGES.vhid).optional(),
  vrid: r(RANGES.vhid).optional(),
  addresses: z.array(z.string()),
  passphrase: z.string().optional(),
  passphrase_file: z.string().optional(),
  passphrase_env: z.string().optional(),
  advbase: r(RANGES.advbase).optional(),
  advskew: r(RANGES.advskew).optional(),
  preempt: z.boolean().optional(),
  master_down: z.enum(['openbsd', 'freebsd', 'ucarp']).optional(),
  dead_ratio: r(RANGES.deadRatio).optional(),
  source_address: z.string().optional(),
  vmac: z.boolean().optional(),
  manage_addresses: z.boolean().optional(),
  virtual_interface: z.string().optional(),
  replay: replaySchema.optional(),
  scripts: scriptsSchema.optional(),
  announce: announceSchema.optional(),
  peers: z.array(z.string()).optional(),
  unicast_ttl: z.enum(['require-255', 'any']).optional(),
  track: trackSchema.optional(),
  sync_set: z.string().optional(),
  key_change_window: r(RANGES.keyChangeWindowSeconds).optional(),
  preempt_delay: r(RANGES.preemptDelaySeconds).optional(),
  // Each protocol's own keys (protocols/protocol-schema-shapes.ts).
  ...zodShapeOfKeys(PROTOCOL_SCHEMA_KEYS),
  script_user: z.string().optional(),
});

/** The `defaults` section: any group key, none required. */
export const defaultsSchema = groupSchema.partial();

/** The top level; groups are validated one by one after merging defaults. */
export const topSchema = z.strictObject({
  log_level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  state_directory: z.string().optional(),
  control_socket: z.string().optional(),
  metrics: z.strictObject({ listen: z.string() }).optional(),
  script_user: z.string().optional(),
  defaults: z.unknown().optional(),
  groups: z.unknown().optional(),
});

/** A group as written. */
export type RawGroup = z.infer<typeof groupSchema>;
/** The defaults section as written. */
export type RawDefaults = z.infer<typeof defaultsSchema>;
/** The top level as written. */
export type RawTop = z.infer<typeof topSchema>;
/** A health check as written. */
export type RawCheck = z.infer<typeof checkSchema>;

/** Every key the file may contain at any level, for "did you mean" hints. */
const KNOWN_KEYS: readonly string[] = [
  ...new Set([
    ...Object.keys(topSchema.shape),
    ...Object.keys(groupSchema.shape),
    ...Object.keys(replaySchema.shape),
    ...Object.keys(scriptsSchema.shape),
    ...Object.keys(announceSchema.shape),
    ...Object.keys(trackedInterfaceSchema.shape),
    ...Object.keys(checkSchema.shape),
    ...Object.keys(trackSchema.shape),
    'listen',
  ]),
];

/** Validates `input` against `schema`; problems carry paths under `prefix`. */
export function validate<T>(schema: z.ZodType<T>, input: unknown, prefix: readonly PathSegment[]): { ok: true; value: T } | { ok: false; problems: ConfigProblem[] } {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap((issue) => issueToProblems(issue, prefix)) };
}

function issueToProblems(issue: z.core.$ZodIssue, prefix: readonly PathSegment[]): ConfigProblem[] {
  const path: PathSegment[] = [...prefix, ...issue.path.filter((s): s is PathSegment => typeof s !== 'symbol')];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => configProblem('CARPD_CONFIG_UNKNOWN_KEY', [...path, key], `unknown key${suggest(key)}`));
    case 'invalid_type':
      if (issue.input === undefined) return [configProblem('CARPD_CONFIG_REQUIRED', path, `is required (${describeExpected(issue.expected)})`)];
      // Never echo the value: it may be a passphrase.
      return [configProblem('CARPD_CONFIG_TYPE', path, `expected ${describeExpected(issue.expected)}, got ${describeInput(issue.input)}${issue.expected === 'string' ? ' (quote it)' : ''}`)];
    case 'invalid_value':
      return [configProblem('CARPD_CONFIG_ENUM', path, `${JSON.stringify(issue.input)} is not one of ${issue.values.map(String).join(', ')}`)];
    case 'custom': {
      const code = (issue.params?.['code'] ?? 'CARPD_CONFIG_TYPE') as ConfigErrorCode;
      return [configProblem(code, path, issue.message)];
    }
    default:
      return [configProblem('CARPD_CONFIG_TYPE', path, issue.message)];
  }
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'boolean':
      return 'true or false';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    default:
      return expected;
  }
}

/** The kind of a YAML value, in the file's terms. */
export function describeInput(input: unknown): string {
  if (input === null) return 'null (an empty value)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'number') return Number.isFinite(input) ? 'a number' : 'a non-finite number';
  if (typeof input === 'boolean') return 'true/false';
  if (typeof input === 'string') return 'a string';
  return typeof input;
}

function suggest(key: string): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of KNOWN_KEYS) {
    const d = editDistance(key.toLowerCase().replaceAll('-', '_'), known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3 || a.length > 64) return 99;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
