/**
 * carpd's YAML configuration file: raw text in, a validated CarpdConfig (or every problem found,
 * each with a stable code, a path and a line) out. The file's shape is in docs/configuration.md.
 *
 * Order: YAML syntax → shape of the top level and `defaults` (config-schema.ts) → each group
 * with the defaults merged in, keys of the other protocol (CARP / VRRP) refused from the group
 * and left out from the defaults (protocol-keys.ts) → its meaning (build-group.ts) → checks
 * across groups. Parsing the
 * text is pure; loadConfigFile also looks at passphrase files, which the daemon reads again at
 * start.
 */
import { readFile, stat } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { CarpdConfig, GroupConfig } from './config-types.ts';
import { CONFIG_DEFAULTS } from './config-types.ts';
import { configProblem, formatConfigProblem, type ConfigProblem, type PathSegment } from './error-codes.ts';
import { defaultsSchema, describeInput, groupSchema, topSchema, validate, type RawTop } from './config-schema.ts';
import { buildGroup, DEFAULT_SECRET_LIMIT, groupFamily, ID_KEYS, parseHostPort, passphraseProblem, PASSPHRASE_KEYS, type ProblemSink } from './build-group.ts';
import { DEFAULT_PROTOCOL, FILE_NAMES, groupProtocol, keysNotFor, notForCode, notForDetail, withoutKeysNotFor } from './protocol-keys.ts';
import { protocolModule, type SecretLimit } from '../protocols/index.ts';
import { attachScriptUsers, type UserLookup } from './script-user.ts';
import { scriptPolicyProblems } from './script-security.ts';
import type { DaemonIdentity } from './script-user.ts';
import { lookupUser } from '../linux/user-database.ts';
import { processCredentials } from '../linux/credentials.ts';

export type { ConfigProblem } from './error-codes.ts';

/** The outcome of reading a configuration: the config and its warnings, or every error. */
export type ConfigResult =
  | { readonly ok: true; readonly config: CarpdConfig; readonly warnings: ConfigProblem[] }
  | { readonly ok: false; readonly errors: ConfigProblem[] };

/** Where the text came from, and the environment that passphrase_env reads. */
export interface ConfigSource {
  readonly path?: string;
  readonly env: Record<string, string | undefined>;
  /** Resolves script_user names (default: the system's user database). */
  readonly users?: UserLookup;
}

/** Parses and validates configuration text. Never throws on any input. */
export function parseConfigText(text: string, source: ConfigSource): ConfigResult {
  return analyse(text, source.env, source.users ?? lookupUser).result;
}

/**
 * Checks of the groups against this host (interfaces, addresses: `carpd --check`). `groups` is
 * sparse: each group that could be built sits at its index in the file, so the problems' paths
 * (`groups[2].interface`) are the file's, and they run even when other groups have errors.
 */
export type HostChecks = (groups: readonly GroupConfig[]) => Promise<{ readonly errors: readonly ConfigProblem[]; readonly warnings: readonly ConfigProblem[] }>;

/** Reads, parses and validates a file; passphrase files that are readable now are checked too. */
export async function loadConfigFile(
  path: string,
  env: Record<string, string | undefined>,
  /**
   * `carpd --check`: a passphrase file that does not exist (ENOENT, ENOTDIR, EISDIR) is an error,
   * since the daemon could not start with it; one this user may not read (EACCES) stays a warning.
   * At start the daemon's own read decides (CARPD_PASSPHRASE). `hostChecks` adds the checks
   * against this host, so that one run reports the problems of every stage, in file order.
   */
  options: {
    readonly missingPassphraseFileIsError?: boolean;
    readonly users?: UserLookup;
    /** Whose scripts: the daemon's credentials (default: this process's). */
    readonly daemon?: DaemonIdentity;
    /** `carpd cleanup` reads the file to remove leftovers and skips the script checks (default true). */
    readonly checkScripts?: boolean;
    readonly hostChecks?: HostChecks;
  } = {},
): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    return { ok: false, errors: [configProblem('CARPD_CONFIG_READ', [], `${path}: cannot read (${reason})`)] };
  }
  const { result, lineOf, passphraseFiles, built } = analyse(text, env, options.users ?? lookupUser);
  // Passphrase files and the host are checked even when the rest has errors, so one run names every problem.
  const sink: ProblemSink = { errors: result.ok ? [] : [...result.errors], warnings: result.ok ? [...result.warnings] : [] };
  await Promise.all(passphraseFiles.map(({ file, index, limit }) => checkPassphraseFile(file, index, sink, options.missingPassphraseFileIsError === true, limit)));
  // Scripts and command checks that others could change are refused (docs/scripts.md, "Script security").
  if (result.ok && options.checkScripts !== false) sink.errors.push(...scriptPolicyProblems(result.config, options.daemon ?? processCredentials()));
  if (options.hostChecks !== undefined && built.some(() => true)) {
    const host = await options.hostChecks(result.ok ? result.config.groups : built);
    sink.errors.push(...host.errors);
    sink.warnings.push(...host.warnings);
  }
  const withLines = (p: ConfigProblem) => withLine(p, lineOf);
  if (!result.ok || sink.errors.length > 0) return { ok: false, errors: sink.errors.map(withLines).sort(byPosition) };
  return { ok: true, config: result.config, warnings: sink.warnings.map(withLines).sort(byPosition) };
}

/** Problems in file order; those without a position keep their order, after the others. */
function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  const line = (a.line ?? Infinity) - (b.line ?? Infinity);
  if (line !== 0 && !Number.isNaN(line)) return line;
  return (a.column ?? 0) - (b.column ?? 0);
}

/**
 * What the daemon re-reads on reload: the file validated as at start (a missing passphrase file
 * is left to the daemon's own read), its problems formatted as --check prints them.
 */
export function configFileLoader(
  path: string,
  env: Record<string, string | undefined>,
  adjust: (config: CarpdConfig) => CarpdConfig = (config) => config,
): () => Promise<{ ok: true; config: CarpdConfig } | { ok: false; errors: readonly string[] }> {
  return async () => {
    const next = await loadConfigFile(path, env);
    return next.ok ? { ok: true, config: adjust(next.config) } : { ok: false, errors: next.errors.map((e) => formatConfigProblem(e, path)) };
  };
}

/** Reads the passphrase file the way the daemon will (first line) to catch problems early. */
async function checkPassphraseFile(file: string, index: number, sink: ProblemSink, missingIsError: boolean, limit: SecretLimit = DEFAULT_SECRET_LIMIT): Promise<void> {
  const path: PathSegment[] = ['groups', index, 'passphrase_file'];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    if (missingIsError && ['ENOENT', 'ENOTDIR', 'EISDIR'].includes(reason)) {
      sink.errors.push(configProblem('CARPD_CONFIG_PASSPHRASE_FILE_UNREADABLE', path, `${file} cannot be read (${reason}): the daemon could not start`));
      return;
    }
    sink.warnings.push(configProblem('CARPD_CONFIG_PASSPHRASE_FILE_UNREADABLE', path, `${file} cannot be read now (${reason}); the daemon reads it at start`));
    return;
  }
  const problem = passphraseProblem(text.split(/\r?\n/, 1)[0] ?? '', limit);
  if (problem !== undefined) sink.errors.push(configProblem(problem.code, path, `the first line of ${file} ${problem.detail}`));
  try {
    if (((await stat(file)).mode & 0o077) !== 0) sink.warnings.push(configProblem('CARPD_CONFIG_PASSPHRASE_FILE_MODE', path, `${file} is readable by group or others; chmod 600 it`));
  } catch {
    // The read succeeded; a failing stat changes nothing.
  }
}

/** Where in the file a problem's path is: 1-based line and column. */
type LineOf = (path: string) => { readonly line: number; readonly column: number } | undefined;

/** A group's passphrase_file as written (absolute paths only; a relative one is an error already). */
interface PassphraseFileRef {
  readonly index: number;
  readonly file: string;
  /** CARP's 19 bytes, or VRRPv2's 8. */
  readonly limit: SecretLimit;
}

interface Analysis {
  readonly result: ConfigResult;
  readonly lineOf: LineOf;
  readonly passphraseFiles: readonly PassphraseFileRef[];
  /** The groups that could be built, each at its index in the file (sparse when others failed). */
  readonly built: readonly GroupConfig[];
}

function analyse(text: string, env: Record<string, string | undefined>, users: UserLookup): Analysis {
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  } catch (error) {
    // The yaml package reports problems in doc.errors; this is a belt for the unexpected.
    return { result: { ok: false, errors: [configProblem('CARPD_CONFIG_YAML', [], `not valid YAML: ${String(error)}`)] }, lineOf: () => undefined, passphraseFiles: [], built: [] };
  }
  const lineOf: LineOf = (path) => lineOfPath(doc, lineCounter, path);
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e) => {
      const position = e.linePos?.[0];
      const line = position?.line;
      const code = e.code === 'DUPLICATE_KEY' ? 'CARPD_CONFIG_DUPLICATE_KEY' : 'CARPD_CONFIG_YAML';
      const where = position === undefined ? '' : `line ${position.line}, column ${position.col}: `;
      const detail = (e.message.split('\n', 1)[0] ?? e.code).replace(/\s*at line \d+, column \d+:?$/, '');
      return configProblem(code, [], `${where}${detail}`, line, position?.col);
    });
    return { result: { ok: false, errors }, lineOf, passphraseFiles: [], built: [] };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { result: { ok: false, errors: [configProblem('CARPD_CONFIG_YAML', [], `not valid YAML: ${error instanceof Error ? error.message : String(error)}`)] }, lineOf, passphraseFiles: [], built: [] };
  }
  const passphraseFiles = passphraseFilesOf(value);
  const sink: ProblemSink = { errors: [], warnings: [] };
  const built: GroupConfig[] = [];
  const base = buildConfig(value, env, sink, built);
  const config = base === undefined || !isPlainObject(value) ? base : attachScriptUsers(value, base, users, sink);
  const withLines = (p: ConfigProblem) => withLine(p, lineOf);
  if (config === undefined || sink.errors.length > 0) {
    return { result: { ok: false, errors: sink.errors.map(withLines) }, lineOf, passphraseFiles, built };
  }
  return { result: { ok: true, config, warnings: sink.warnings.map(withLines) }, lineOf, passphraseFiles, built };
}

/**
 * The passphrase file each group would read, from the raw document (defaults merged as for the
 * group itself), so that they can be checked even when other keys have errors.
 */
function passphraseFilesOf(value: unknown): PassphraseFileRef[] {
  if (!isPlainObject(value) || !Array.isArray(value['groups'])) return [];
  const defaults = isPlainObject(value['defaults']) ? value['defaults'] : {};
  const refs: PassphraseFileRef[] = [];
  value['groups'].forEach((entry: unknown, index) => {
    if (!isPlainObject(entry)) return;
    // The group's protocol says whether it reads a secret and how long it may be (a VRRPv3 group
    // reads none; a VRRPv2 group's simple password is at most 8 bytes); the defaults' keys apply
    // as effectiveGroup merges them (a VRRPv2 group takes no passphrase from defaults).
    const protocol = groupProtocol(defaults, entry) ?? DEFAULT_PROTOCOL;
    const limit = protocolModule(protocol).config.secretLimit({ ...defaults, ...entry });
    if (limit === undefined) return;
    const file = mergeDefaults(withoutKeysNotFor(protocol, defaults), entry)['passphrase_file'];
    if (typeof file === 'string' && file.startsWith('/')) refs.push({ index, file, limit });
  });
  return refs;
}

function buildConfig(value: unknown, env: Record<string, string | undefined>, sink: ProblemSink, built: GroupConfig[]): CarpdConfig | undefined {
  if (value === null || value === undefined) {
    sink.errors.push(configProblem('CARPD_CONFIG_EMPTY', [], 'the file is empty; `carpd --init` prints a starter file'));
    return undefined;
  }
  if (!isPlainObject(value)) {
    sink.errors.push(configProblem('CARPD_CONFIG_TYPE', [], `the file must be a mapping (log_level, groups, ...), not ${describeInput(value)}`));
    return undefined;
  }
  const top = validate(topSchema, value, []);
  if (!top.ok) sink.errors.push(...top.problems);
  const topValue: RawTop = top.ok ? top.value : {};
  const defaults = readDefaults(value['defaults'], sink);
  const groups = readGroups(value['groups'], defaults, env, sink, built);
  const metricsListen = topValue.metrics?.listen;
  if (metricsListen !== undefined) parseHostPort(metricsListen, ['metrics', 'listen'], sink, true);
  for (const key of ['state_directory', 'control_socket'] as const) {
    const path = topValue[key];
    if (path !== undefined && !path.startsWith('/')) sink.errors.push(configProblem('CARPD_CONFIG_RELATIVE_PATH', [key], `${JSON.stringify(path)} is not an absolute path`));
  }
  if (groups === undefined || !top.ok) return undefined;
  checkAcrossGroups(groups, sink);
  return {
    logLevel: topValue.log_level ?? CONFIG_DEFAULTS.logLevel,
    stateDirectory: topValue.state_directory ?? CONFIG_DEFAULTS.stateDirectory,
    controlSocket: topValue.control_socket ?? CONFIG_DEFAULTS.controlSocket,
    ...(metricsListen === undefined ? {} : { metricsListen }),
    groups: groups.map((g) => g.config),
  };
}

/** The defaults section, shape-checked; undefined (and errors) when it is wrong. */
function readDefaults(value: unknown, sink: ProblemSink): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) {
    sink.errors.push(configProblem('CARPD_CONFIG_TYPE', ['defaults'], `expected a mapping of group keys, got ${describeInput(value)}`));
    return undefined;
  }
  const expanded = expandShorthands(value);
  const checked = validate(defaultsSchema, expanded, ['defaults']);
  if (!checked.ok) {
    sink.errors.push(...checked.problems);
    return undefined;
  }
  return expanded;
}

/**
 * Every group, built; undefined when any has errors (those that could be built are still put in
 * `built`, at their index). With a broken `defaults` section the groups are not checked at all:
 * their errors would mostly be echoes of it.
 */
function readGroups(value: unknown, defaults: Record<string, unknown> | undefined, env: Record<string, string | undefined>, sink: ProblemSink, built: GroupConfig[]): BuiltGroup[] | undefined {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    sink.errors.push(configProblem('CARPD_CONFIG_NO_GROUPS', ['groups'], 'the file defines no groups; add a list under groups:'));
    return undefined;
  }
  if (!Array.isArray(value)) {
    sink.errors.push(configProblem('CARPD_CONFIG_TYPE', ['groups'], `expected a list of groups, got ${describeInput(value)}`));
    return undefined;
  }
  if (defaults === undefined) return undefined;
  const before = sink.errors.length;
  const groups: BuiltGroup[] = [];
  value.forEach((entry: unknown, i) => {
    if (!isPlainObject(entry)) {
      sink.errors.push(configProblem('CARPD_CONFIG_TYPE', ['groups', i], `expected a mapping (interface, vhid, ...), got ${describeInput(entry)}`));
      return;
    }
    const { own, merged } = effectiveGroup(defaults, expandShorthands(entry), i, sink);
    const checked = validate(groupSchema, merged, ['groups', i]);
    if (!checked.ok) {
      sink.errors.push(...checked.problems);
      return;
    }
    const group = buildGroup(checked.value, own, i, env, sink);
    if (group !== undefined) {
      groups.push({ config: group, idKey: own['vrid'] !== undefined ? 'vrid' : 'vhid' });
      built[i] = group;
    }
  });
  return sink.errors.length > before ? undefined : groups;
}

/** A built group, and the name its id was written under (for the line of an error about it). */
interface BuiltGroup {
  readonly config: GroupConfig;
  readonly idKey: (typeof ID_KEYS)[number];
}

/**
 * A group as its protocol sees it: its own keys of the other protocol are errors (and set aside,
 * so the rest is still checked), the defaults' keys of the other protocol are left out, and the
 * remaining defaults merged in. With a protocol that is not one, the schema says so.
 */
function effectiveGroup(defaults: Record<string, unknown>, own: Record<string, unknown>, index: number, sink: ProblemSink): { own: Record<string, unknown>; merged: Record<string, unknown> } {
  const protocol = groupProtocol(defaults, own);
  if (protocol === undefined) return { own, merged: mergeDefaults(defaults, own) };
  // The group's variant (VRRP's version) is its own keys' over the defaults'.
  const variant = { ...defaults, ...own };
  for (const key of keysNotFor(protocol, own, variant)) sink.errors.push(configProblem(notForCode(protocol), ['groups', index, key], notForDetail(key, protocol, FILE_NAMES)));
  const applicable = withoutKeysNotFor(protocol, own, variant);
  // The defaults are judged as for the protocol's plain variant: a group's authentication is its
  // own, so a passphrase from defaults (CARP's secret) never becomes a VRRPv2 password that every
  // advert would carry in clear.
  return { own: applicable, merged: mergeDefaults(withoutKeysNotFor(protocol, defaults), applicable) };
}

/** `replay: compat` means `replay: {mode: compat}`; a tracked interface may be a plain name. */
function expandShorthands(group: Record<string, unknown>): Record<string, unknown> {
  const out = { ...group };
  if (typeof out['replay'] === 'string') out['replay'] = { mode: out['replay'] };
  const track = out['track'];
  if (isPlainObject(track) && Array.isArray(track['interfaces'])) {
    out['track'] = { ...track, interfaces: track['interfaces'].map((t: unknown) => (typeof t === 'string' ? { interface: t } : t)) };
  }
  return out;
}

/**
 * A group's own keys win over `defaults`. Mappings (scripts, announce, replay, track) merge one
 * level deep; lists replace. A group that names any passphrase source drops the defaults' one;
 * one that gives its id as vhid or vrid drops the defaults' id under either name.
 */
export function mergeDefaults(defaults: Record<string, unknown>, group: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const keys of [PASSPHRASE_KEYS, ID_KEYS]) if (keys.some((key) => group[key] !== undefined)) for (const key of keys) delete out[key];
  for (const [key, value] of Object.entries(group)) {
    const base = out[key];
    out[key] = isPlainObject(value) && isPlainObject(base) ? { ...base, ...value } : value;
  }
  return out;
}

function checkAcrossGroups(built: readonly BuiltGroup[], sink: ProblemSink): void {
  const firstSeen = <K>(map: Map<K, number>, key: K, index: number): number | undefined => {
    const first = map.get(key);
    if (first === undefined) map.set(key, index);
    return first;
  };
  const names = new Map<string, number>();
  const ids = new Map<string, number[]>();
  const virtualInterfaces = new Map<string, number>();
  const addresses = new Map<string, number>();
  const syncSets = new Map<string, number[]>();
  built.forEach(({ config: group, idKey }, i) => {
    const at = (...rest: PathSegment[]) => ['groups', i, ...rest];
    const name = firstSeen(names, group.name, i);
    if (name !== undefined) sink.errors.push(configProblem('CARPD_CONFIG_DUPLICATE_NAME', at('name'), `${JSON.stringify(group.name)} is also the name of groups[${name}]`));
    const idKeyOnLink = `${group.interface}\u0000${group.vhid}`;
    const sharing = ids.get(idKeyOnLink) ?? [];
    const clash = sharing.map((j) => ({ j, detail: idClash(group, (built[j] as BuiltGroup).config, j) })).find((c) => c.detail !== undefined);
    if (clash?.detail !== undefined) sink.errors.push(configProblem('CARPD_CONFIG_DUPLICATE_VHID', at(idKey), clash.detail));
    ids.set(idKeyOnLink, [...sharing, i]);
    if (group.vmac) {
      const vif = firstSeen(virtualInterfaces, group.virtualInterface, i);
      if (vif !== undefined) sink.errors.push(configProblem('CARPD_CONFIG_DUPLICATE_VIRTUAL_INTERFACE', at('virtual_interface'), `${group.virtualInterface} is also the virtual interface of groups[${vif}]; set virtual_interface`));
    }
    group.addresses.forEach((a, k) => {
      const other = firstSeen(addresses, a.address.text, i);
      if (other !== undefined && other !== i) sink.errors.push(configProblem('CARPD_CONFIG_DUPLICATE_ADDRESS', at('addresses', k), `${a.address.text} is also an address of groups[${other}]`));
    });
    if (group.syncSet !== undefined) syncSets.set(group.syncSet, [...(syncSets.get(group.syncSet) ?? []), i]);
  });
  for (const [set, members] of syncSets) {
    if (members.length === 1) sink.warnings.push(configProblem('CARPD_CONFIG_LONELY_SYNC_SET', ['groups', members[0] as number, 'sync_set'], `${JSON.stringify(set)} has only this group; a sync set ties groups together`));
  }
}

/**
 * Why `group` may not have the id of `other` (groups[j]) on the same interface, or undefined.
 * CARP and VRRP share IP protocol 112 and 224.0.0.18 / ff02::12, and each side reads the other's
 * adverts under the same id (docs/protocol-vrrp.md "CARP and VRRP on one segment"): a CARP vhid must differ from every other id on the
 * link. Two VRRP groups are separate virtual routers when their families differ (RFC 5798 gives
 * each family its own virtual MAC, 00:00:5e:00:01:VRID and 00:00:5e:00:02:VRID).
 */
function idClash(group: GroupConfig, other: GroupConfig, j: number): string | undefined {
  const mine = group.protocol ?? DEFAULT_PROTOCOL;
  const theirs = other.protocol ?? DEFAULT_PROTOCOL;
  const where = `${protocolModule(mine).config.idWord} ${group.vhid} on ${group.interface}`;
  if (mine !== theirs) {
    return (
      `${where} is also the ${protocolModule(theirs).config.idWord} of groups[${j}] (protocol ${theirs}); CARP and VRRP share IP protocol 112 and 224.0.0.18, ` +
      'so ids on one interface must differ to keep their adverts apart'
    );
  }
  const family = groupFamily(group.addresses);
  if (!protocolModule(mine).config.idPerFamily) return `${where} is also used by groups[${j}]`;
  if (family !== groupFamily(other.addresses)) return undefined;
  return `${where} is also used by groups[${j}] for IPv${family}; two ${protocolModule(mine).config.title} groups share a ${protocolModule(mine).config.idWord.toUpperCase()} only when one is IPv4 and the other IPv6`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withLine(problem: ConfigProblem, lineOf: LineOf): ConfigProblem {
  if (problem.line !== undefined) return problem;
  const position = lineOf(problem.path);
  return position === undefined ? problem : { ...problem, line: position.line, column: position.column };
}

/** The line of the deepest node on `path` that exists in the document (keys not written fall back to their parent). */
function lineOfPath(doc: Document.Parsed, lineCounter: LineCounter, path: string): { line: number; column: number } | undefined {
  const segments: PathSegment[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) segments.push(match[2] !== undefined ? Number(match[2]) : (match[1] as string));
  for (let n = segments.length; n > 0; n--) {
    const node = doc.getIn(segments.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    if (offset !== undefined) {
      const { line, col } = lineCounter.linePos(offset);
      return { line, column: col };
    }
  }
  return undefined;
}
