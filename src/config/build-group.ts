/**
 * Turns one group, as written in YAML and already shape-checked by config-schema.ts, into a
 * GroupConfig with every default filled in: addresses parsed, the passphrase source chosen,
 * names defaulted. Checks here need the meaning of a value (is it an address, is the passphrase
 * at most 19 bytes); checks across groups live in config-file.ts.
 */
import { isMulticast, tryParseIpAddress, type IpAddress, type IpFamily } from '../wire/ip-address.ts';
import { CONFIG_DEFAULTS, type GroupConfig, type GroupConfigCommon, type HealthCheckConfig, type PassphraseSource, type TrackedInterfaceConfig, type VirtualAddressConfig } from './config-types.ts';
import { configProblem, type ConfigErrorCode, type ConfigProblem, type PathSegment } from './error-codes.ts';
import { STOP_SCRIPT_BUDGET_SECONDS } from './stop-budget.ts';
import { RANGES, type RawCheck, type RawGroup } from './config-schema.ts';
import { aliasConflictDetail, DEFAULT_PROTOCOL, FILE_NAMES } from './protocol-keys.ts';
import { protocolModule, type ProtocolConfigPart, type SecretLimit } from '../protocols/index.ts';

/** The secret limit of a group of the default protocol (CARP's passphrase), for callers that give none. */
export const DEFAULT_SECRET_LIMIT: SecretLimit = protocolModule(DEFAULT_PROTOCOL).config.secretLimit({}) as SecretLimit;

/** The family of a group: that of its first address (IPv4 when none parsed). */
export function groupFamily(addresses: readonly VirtualAddressConfig[]): IpFamily {
  return addresses[0]?.address.family ?? 4;
}

/** Where problems go while building. */
export interface ProblemSink {
  readonly errors: ConfigProblem[];
  readonly warnings: ConfigProblem[];
}

/** Status codes an http check accepts when expect_status is not given. */
export const DEFAULT_EXPECT_STATUS: readonly number[] = [200];

/** Linux's IFNAMSIZ is 16 including the NUL. */
export const MAX_INTERFACE_NAME_BYTES = 15;

/** The three ways to give a passphrase; a group has exactly one. */
export const PASSPHRASE_KEYS = ['passphrase', 'passphrase_file', 'passphrase_env'] as const;

/**
 * Builds a group, or undefined after adding errors to the sink. `own` is the group without
 * defaults merged, for warnings. `raw` has no keys of the other protocol (config-file.ts has
 * reported a group's own ones and left out those from `defaults`).
 */
export function buildGroup(raw: RawGroup, own: Record<string, unknown>, index: number, env: Record<string, string | undefined>, sink: ProblemSink): GroupConfig | undefined {
  const before = sink.errors.length;
  const at = (...rest: PathSegment[]): PathSegment[] => ['groups', index, ...rest];
  const error = (code: ConfigErrorCode, path: PathSegment[], detail: string) => sink.errors.push(configProblem(code, path, detail));
  const part: ProtocolConfigPart = protocolModule(raw.protocol ?? DEFAULT_PROTOCOL).config;
  checkInterfaceName(raw.interface, at('interface'), sink);
  const vhid = groupId(raw, part, at, sink) ?? 0;
  const addresses = buildAddresses(raw.addresses, at('addresses'), sink);
  const family = groupFamily(addresses);
  const context = { raw, own, addresses, family, at, sink, readPassphrase: (limit: SecretLimit) => buildPassphrase(raw, at(), env, sink, limit) };
  const protocolFields = part.build(context);
  const sourceAddress = raw.source_address === undefined ? undefined : parseAddressAt(raw.source_address, at('source_address'), sink);
  if (sourceAddress !== undefined && addresses.length > 0 && !addresses.some((a) => a.address.family === sourceAddress.family)) {
    error('CARPD_CONFIG_SOURCE_FAMILY', at('source_address'), `${sourceAddress.text} is IPv${sourceAddress.family} but the group has no IPv${sourceAddress.family} address`);
  }
  const peers = buildPeers(raw, addresses, at, sink);
  const vmac = raw.vmac ?? CONFIG_DEFAULTS.vmac;
  const virtualInterface = raw.virtual_interface ?? part.defaultVirtualInterface(vhid, family);
  if (vmac || raw.virtual_interface !== undefined) checkInterfaceName(virtualInterface, at('virtual_interface'), sink);
  const name = raw.name ?? part.defaultName(raw.interface, vhid, family);
  checkName(name, at('name'), sink);
  const scripts = raw.scripts ?? {};
  for (const key of ['master', 'backup', 'stop'] as const) {
    const path = scripts[key];
    if (path !== undefined && !path.startsWith('/')) error('CARPD_CONFIG_RELATIVE_PATH', at('scripts', key), `${JSON.stringify(path)} is not an absolute path`);
  }
  const track = buildTrack(raw, at, sink);
  if (raw.sync_set !== undefined) checkName(raw.sync_set, at('sync_set'), sink);
  warnUnused(raw, own, at, sink);
  part.warnUnused(context);
  warnStopBudget(scripts.timeout_seconds, at('scripts', 'timeout_seconds'), sink);
  if (sink.errors.length > before || protocolFields === undefined) return undefined;
  const common: GroupConfigCommon = {
    name,
    interface: raw.interface,
    vhid,
    addresses,
    preempt: raw.preempt ?? part.defaultPreempt,
    ...(sourceAddress === undefined ? {} : { sourceAddress }),
    vmac,
    // ucarp drop-in mode sets false (ucarp-flags.ts); from YAML it is opt-out.
    manageAddresses: raw.manage_addresses ?? true,
    virtualInterface,
    scripts: {
      ...(scripts.master === undefined ? {} : { master: scripts.master }),
      ...(scripts.backup === undefined ? {} : { backup: scripts.backup }),
      ...(scripts.stop === undefined ? {} : { stop: scripts.stop }),
      timeoutSeconds: scripts.timeout_seconds ?? CONFIG_DEFAULTS.scriptTimeoutSeconds,
      style: scripts.style ?? 'carpd',
      ...(scripts.extra_parameter === undefined ? {} : { extraParameter: scripts.extra_parameter }),
      neutral: scripts.neutral ?? false,
    },
    announce: { intervalSeconds: raw.announce?.interval_seconds ?? CONFIG_DEFAULTS.announceIntervalSeconds, router: raw.announce?.router ?? false },
    peers,
    unicastTtl: raw.unicast_ttl ?? CONFIG_DEFAULTS.unicastTtl,
    track,
    ...(raw.sync_set === undefined ? {} : { syncSet: raw.sync_set }),
    ...(raw.preempt_delay === undefined ? {} : { preemptDelaySeconds: raw.preempt_delay }),
  };
  // The part built the fields of the protocol `raw` names, so the two make that protocol's group.
  return { ...common, ...protocolFields } as GroupConfig;
}

/** The two names of a group's id: CARP's vhid, and VRRP's VRID (the same field). */
export const ID_KEYS = ['vhid', 'vrid'] as const;

/** The vhid (VRRP: the VRID, written `vhid` or `vrid`), or undefined after an error. */
function groupId(raw: RawGroup, part: ProtocolConfigPart, at: (...rest: PathSegment[]) => PathSegment[], sink: ProblemSink): number | undefined {
  if (raw.vhid !== undefined && raw.vrid !== undefined) {
    sink.errors.push(configProblem('CARPD_CONFIG_ALIAS_CONFLICT', at('vrid'), aliasConflictDetail(FILE_NAMES)));
    return undefined;
  }
  const id = raw.vhid ?? raw.vrid;
  if (id === undefined) sink.errors.push(configProblem('CARPD_CONFIG_REQUIRED', at('vhid'), part.idRequiredDetail));
  return id;
}

/** Unicast peers; every address family of the group needs one. */
function buildPeers(raw: RawGroup, addresses: readonly VirtualAddressConfig[], at: (...rest: PathSegment[]) => PathSegment[], sink: ProblemSink): IpAddress[] {
  const peers = (raw.peers ?? []).map((text, i) => parseAddressAt(text, at('peers', i), sink, 'peer'));
  const valid = peers.filter((p): p is IpAddress => p !== undefined);
  const peerFamilies = new Set(valid.map((p) => p.family));
  if (peers.length > 0 && valid.length === peers.length) {
    addresses.forEach((a, i) => {
      if (!peerFamilies.has(a.address.family)) sink.errors.push(configProblem('CARPD_CONFIG_PEER_FAMILY', at('addresses', i), `${a.address.text} is IPv${a.address.family} but every peer is IPv${a.address.family === 4 ? 6 : 4}; add an IPv${a.address.family} peer`));
    });
  }
  return valid;
}

function buildAddresses(texts: readonly string[], path: PathSegment[], sink: ProblemSink): VirtualAddressConfig[] {
  if (texts.length === 0) sink.errors.push(configProblem('CARPD_CONFIG_NO_ADDRESSES', path, 'a group needs at least one address (IP or IP/PREFIX)'));
  const out: VirtualAddressConfig[] = [];
  const seen = new Map<string, number>();
  texts.forEach((text, i) => {
    const parsed = parseVirtualAddress(text, [...path, i], sink);
    if (parsed === undefined) return;
    const first = seen.get(parsed.address.text);
    if (first !== undefined) {
      sink.errors.push(configProblem('CARPD_CONFIG_DUPLICATE_ADDRESS', [...path, i], `${parsed.address.text} is already listed at addresses[${first}]`));
      return;
    }
    seen.set(parsed.address.text, i);
    out.push(parsed);
  });
  return out;
}

/** Parses `IP` or `IP/PREFIX`. */
export function parseVirtualAddress(text: string, path: PathSegment[], sink: ProblemSink): VirtualAddressConfig | undefined {
  const slash = text.indexOf('/');
  const address = parseAddressAt(slash < 0 ? text : text.slice(0, slash), path, sink);
  if (address === undefined || slash < 0) return address === undefined ? undefined : { address };
  const prefixText = text.slice(slash + 1);
  const max = address.family === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) < 1 || Number(prefixText) > max) {
    sink.errors.push(configProblem('CARPD_CONFIG_PREFIX', path, `prefix ${JSON.stringify(prefixText)} in ${JSON.stringify(text)} is outside 1..${max}`));
    return undefined;
  }
  return { address, prefixLength: Number(prefixText) };
}

function parseAddressAt(text: string, path: PathSegment[], sink: ProblemSink, role = 'address'): IpAddress | undefined {
  const address = tryParseIpAddress(text);
  let problem: string | undefined;
  if (address === undefined) problem = `${JSON.stringify(text)} is not an IPv4 or IPv6 address`;
  else if (isMulticast(address)) problem = `${address.text} is a multicast address; a ${role} must be unicast`;
  else if (address.bytes.every((b) => b === 0)) problem = `${address.text} is the unspecified address`;
  if (problem === undefined) return address;
  sink.errors.push(configProblem('CARPD_CONFIG_ADDRESS', path, problem));
  return undefined;
}

/** The passphrase source of a group, checked against `limit` (CARP's 19 bytes by default); undefined after an error. */
export function buildPassphrase(raw: RawGroup, path: PathSegment[], env: Record<string, string | undefined>, sink: ProblemSink, limit: SecretLimit = DEFAULT_SECRET_LIMIT): PassphraseSource | undefined {
  const given = PASSPHRASE_KEYS.filter((key) => raw[key] !== undefined);
  const error = (code: ConfigErrorCode, at: PathSegment[], detail: string) => {
    sink.errors.push(configProblem(code, at, detail));
    return undefined;
  };
  const [key, second] = given;
  if (key === undefined) return error('CARPD_CONFIG_PASSPHRASE_MISSING', path, 'needs one of passphrase, passphrase_file, passphrase_env (every node of the group uses the same)');
  if (second !== undefined) return error('CARPD_CONFIG_PASSPHRASE_CONFLICT', [...path, second], `give only one of ${given.join(', ')}`);
  const value = raw[key] as string;
  if (key === 'passphrase_file') {
    if (!value.startsWith('/')) return error('CARPD_CONFIG_RELATIVE_PATH', [...path, key], `${JSON.stringify(value)} is not an absolute path`);
    return { kind: 'file', path: value };
  }
  const secret = key === 'passphrase' ? value : env[value];
  const what = key === 'passphrase' ? 'the passphrase' : `the value of $${value}`;
  if (key === 'passphrase_env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return error('CARPD_CONFIG_TYPE', [...path, key], `${JSON.stringify(value)} is not an environment variable name`);
  if (secret === undefined) return error('CARPD_CONFIG_PASSPHRASE_ENV_UNSET', [...path, key], `environment variable ${value} is not set`);
  const problem = passphraseProblem(secret, limit);
  if (problem !== undefined) return error(problem.code, [...path, key], `${what} ${problem.detail}`);
  return key === 'passphrase' ? { kind: 'inline', value } : { kind: 'env', variable: value };
}

/**
 * Why a passphrase cannot be used (never quoting it), or undefined. docs/protocol-carp.md "Key":
 * at most 19 bytes for CARP; a VRRPv2 simple password at most 8 (vrrp-settings.ts).
 */
export function passphraseProblem(secret: string, limit: SecretLimit = DEFAULT_SECRET_LIMIT): { code: ConfigErrorCode; detail: string } | undefined {
  if (secret === '') return { code: 'CARPD_CONFIG_PASSPHRASE_EMPTY', detail: 'is empty' };
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes > limit.maxBytes) return { code: limit.code, detail: `is ${bytes} bytes; ${limit.what} 1..${limit.maxBytes}` };
  return undefined;
}

function buildTrack(raw: RawGroup, at: (...rest: PathSegment[]) => PathSegment[], sink: ProblemSink): GroupConfig['track'] {
  const interfaces: TrackedInterfaceConfig[] = [];
  const seen = new Set<string>();
  (raw.track?.interfaces ?? []).forEach((entry, i) => {
    checkInterfaceName(entry.interface, at('track', 'interfaces', i, 'interface'), sink);
    if (seen.has(entry.interface)) sink.errors.push(configProblem('CARPD_CONFIG_DUPLICATE_TRACK', at('track', 'interfaces', i, 'interface'), `${entry.interface} is already tracked`));
    seen.add(entry.interface);
    interfaces.push({ interface: entry.interface, weight: entry.weight ?? CONFIG_DEFAULTS.trackWeight });
  });
  const names = new Set<string>();
  const checks: HealthCheckConfig[] = [];
  (raw.track?.checks ?? []).forEach((entry, i) => {
    const path = at('track', 'checks', i);
    if (names.has(entry.name)) sink.errors.push(configProblem('CARPD_CONFIG_DUPLICATE_CHECK', [...path, 'name'], `${JSON.stringify(entry.name)} is already the name of another check`));
    names.add(entry.name);
    const check = buildCheck(entry, path, sink);
    if (check !== undefined) checks.push(check);
  });
  return { interfaces, checks };
}

function buildCheck(entry: RawCheck, path: PathSegment[], sink: ProblemSink): HealthCheckConfig | undefined {
  const before = sink.errors.length;
  const error = (code: ConfigErrorCode, at: PathSegment[], detail: string) => sink.errors.push(configProblem(code, at, detail));
  checkName(entry.name, [...path, 'name'], sink);
  const d = CONFIG_DEFAULTS.check;
  const common = {
    name: entry.name,
    intervalSeconds: entry.interval_seconds ?? d.intervalSeconds,
    timeoutSeconds: entry.timeout_seconds ?? d.timeoutSeconds,
    rise: entry.rise ?? d.rise,
    fall: entry.fall ?? d.fall,
    weight: entry.weight ?? d.weight,
  };
  if (common.timeoutSeconds >= common.intervalSeconds) error('CARPD_CONFIG_CHECK_TIMEOUT', [...path, 'timeout_seconds'], `${common.timeoutSeconds} must be less than interval_seconds (${common.intervalSeconds})`);
  const kinds = (['command', 'tcp', 'http'] as const).filter((k) => entry[k] !== undefined);
  if (kinds.length !== 1) {
    error('CARPD_CONFIG_CHECK_KIND', path, kinds.length === 0 ? 'needs one of command, tcp, http' : `give only one of ${kinds.join(', ')}`);
    return undefined;
  }
  if (entry.expect_status !== undefined && entry.http === undefined) sink.warnings.push(configProblem('CARPD_CONFIG_UNUSED_SETTING', [...path, 'expect_status'], 'has no effect without http'));
  let check: HealthCheckConfig | undefined;
  if (entry.command !== undefined) {
    if (entry.command.length === 0 || entry.command[0] === '') error('CARPD_CONFIG_EMPTY_VALUE', [...path, 'command'], 'needs a program and its arguments, e.g. ["/usr/bin/pgrep", "nginx"]');
    check = { ...common, kind: 'command', command: entry.command };
  } else if (entry.tcp !== undefined) {
    const target = parseHostPort(entry.tcp, [...path, 'tcp'], sink, false);
    if (target !== undefined) check = { ...common, kind: 'tcp', host: target.host, port: target.port };
  } else if (entry.http !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(entry.http);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) error('CARPD_CONFIG_URL', [...path, 'http'], `${JSON.stringify(entry.http)} is not an http:// or https:// URL`);
    if (entry.expect_status?.length === 0) error('CARPD_CONFIG_EMPTY_VALUE', [...path, 'expect_status'], 'needs at least one status code, e.g. [200]');
    check = { ...common, kind: 'http', url: entry.http, expectStatus: entry.expect_status ?? DEFAULT_EXPECT_STATUS };
  }
  return sink.errors.length > before ? undefined : check;
}

/** Parses `HOST:PORT` or `[IPv6]:PORT`; with `ipOnly` the host must be an IP address. */
export function parseHostPort(text: string, path: PathSegment[], sink: ProblemSink, ipOnly: boolean): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s[\]]+)):([0-9]{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const portText = match?.[3];
  if (host === undefined || portText === undefined || (ipOnly || match?.[1] !== undefined ? tryParseIpAddress(host) === undefined : false)) {
    sink.errors.push(configProblem('CARPD_CONFIG_HOST_PORT', path, `${JSON.stringify(text)} is not ${ipOnly ? 'ADDRESS:PORT' : 'HOST:PORT'} (IPv6 as [ADDRESS]:PORT)`));
    return undefined;
  }
  const port = Number(portText);
  const [min, max] = RANGES.port;
  if (port < min || port > max) {
    sink.errors.push(configProblem('CARPD_CONFIG_RANGE', path, `port ${port} is outside ${min}..${max}`));
    return undefined;
  }
  return { host, port };
}

/** Linux interface names: 1..15 bytes, no '/', no whitespace, not '.' or '..'. */
export function checkInterfaceName(name: string, path: PathSegment[], sink: ProblemSink): void {
  const bytes = Buffer.byteLength(name, 'utf8');
  let problem: string | undefined;
  if (bytes === 0) problem = 'is empty';
  else if (bytes > MAX_INTERFACE_NAME_BYTES) problem = `${JSON.stringify(name)} is ${bytes} bytes; Linux allows 1..${MAX_INTERFACE_NAME_BYTES}`;
  else if (/[\s/:]/.test(name) || name === '.' || name === '..') problem = `${JSON.stringify(name)} is not an interface name (no '/', ':' or spaces)`;
  if (problem !== undefined) sink.errors.push(configProblem('CARPD_CONFIG_INTERFACE_NAME', path, problem));
}

function checkName(name: string, path: PathSegment[], sink: ProblemSink): void {
  if (name === '') sink.errors.push(configProblem('CARPD_CONFIG_EMPTY_VALUE', path, 'must not be empty'));
  // eslint-disable-next-line no-control-regex
  else if (/[\s\x00-\x1f\x7f"]/.test(name)) sink.errors.push(configProblem('CARPD_CONFIG_NAME', path, `${JSON.stringify(name)} has spaces, quotes or control characters`));
}

/**
 * A script timeout over the stop budget is legal (transition scripts may run an hour) but the final
 * script at shutdown cannot have it (src/config/stop-budget.ts, docs/scripts.md "Shutdown").
 */
export function warnStopBudget(timeoutSeconds: number | undefined, path: PathSegment[], sink: ProblemSink): void {
  if (timeoutSeconds === undefined || timeoutSeconds <= STOP_SCRIPT_BUDGET_SECONDS) return;
  sink.warnings.push(configProblem('CARPD_CONFIG_SCRIPT_STOP_BUDGET', path, `${timeoutSeconds} s is longer than the ${STOP_SCRIPT_BUDGET_SECONDS} s stop budget: at shutdown the final script is cut to at most ${STOP_SCRIPT_BUDGET_SECONDS} s`));
}

/** Warnings about keys every protocol has; each protocol's part warns about its own (ProtocolConfigPart.warnUnused). */
function warnUnused(raw: RawGroup, own: Record<string, unknown>, at: (...rest: PathSegment[]) => PathSegment[], sink: ProblemSink): void {
  const warn = (path: PathSegment[], detail: string) => sink.warnings.push(configProblem('CARPD_CONFIG_UNUSED_SETTING', path, detail));
  const ownScripts = (own['scripts'] ?? {}) as Record<string, unknown>;
  if (own['unicast_ttl'] !== undefined && (raw.peers ?? []).length === 0) warn(at('unicast_ttl'), 'has no effect without peers');
  if (raw.scripts?.style !== 'ucarp') {
    if (ownScripts['extra_parameter'] !== undefined) warn(at('scripts', 'extra_parameter'), 'has no effect unless style is ucarp');
  }
}
