/**
 * The protocol registry: the one list of the protocols carpd speaks. Code outside protocols/
 * imports a protocol only through here (test/architecture/layer-rules.ts), so adding a protocol
 * is a folder under protocols/ and one line below.
 */
import { carpModule } from './carp/carp-module.ts';
import type { ProtocolConfigPart } from './protocol-config-part.ts';
import type { ProtocolModule, ProtocolName } from './protocol-module.ts';
import type { KeyPurpose, ProtocolRuntimePart, SecretReader } from './protocol-runtime-part.ts';
import { vrrpModule } from './vrrp/vrrp-module.ts';
import { assembleDropReasons } from './protocol-wire-part.ts';

export type { ProtocolModule, ProtocolName } from './protocol-module.ts';
import type { CarpGroupConfig } from './carp/carp-config.ts';
import type { VrrpGroupConfig } from './vrrp/vrrp-config.ts';
export type { CarpGroupConfig } from './carp/carp-config.ts';
export type { ReplayMode } from './carp/replay-guard.ts';
export type { MasterDownFormula } from './carp/carp-intervals.ts';
export type { VrrpChecksumMode } from './vrrp/vrrp-checksum.ts';
export type { VrrpGroupConfig } from './vrrp/vrrp-config.ts';
export type { FlagParseContext, ProtocolConfigPart, ProtocolFields, SecretLimit, SettingNames, ValueProblem } from './protocol-config-part.ts';

/** Every protocol, CARP (the default) first. */
export const PROTOCOL_MODULES = [carpModule, vrrpModule] as const satisfies readonly ProtocolModule[];

/** The module of a protocol name. */
export function protocolModule(name: ProtocolName): (typeof PROTOCOL_MODULES)[number] {
  const found = PROTOCOL_MODULES.find((module) => module.name === name);
  if (found === undefined) throw new Error(`no protocol module ${name}`);
  return found;
}

/** The module of a group (a group without `protocol` speaks CARP). */
export function moduleOf(group: { readonly protocol?: ProtocolName }): (typeof PROTOCOL_MODULES)[number] {
  return protocolModule(group.protocol ?? 'carp');
}

/** A group's runtime part, as the neutral interface (protocol-runtime-part.ts): the daemon's one way to its protocol. */
export function runtimeOf(group: { readonly protocol?: ProtocolName }): ProtocolRuntimePart {
  return moduleOf(group).runtime;
}

/** The protocol a group without `protocol` speaks, and the one a CARP-only status shows no column for. */
export const DEFAULT_PROTOCOL: ProtocolName = PROTOCOL_MODULES[0].name;

/** Any registered protocol's runner, as each module's runtime part builds it (derived from the registry). */
export type RegisteredRunner = ReturnType<ReturnType<(typeof PROTOCOL_MODULES)[number]['runtime']['planRunner']>['build']>;


/** The secret reader of a purpose (the runtime part whose keyPurpose answers it). */
export function secretReaderOf(purpose: KeyPurpose): SecretReader {
  const found = PROTOCOL_MODULES.map((module): SecretReader => module.runtime.secretReader).find((reader) => reader.purpose === purpose);
  if (found === undefined) throw new Error(`no protocol reads a ${purpose}`);
  return found;
}

export type { KeyPurpose, SecretOrigin, SecretReader, ProtocolRunner, ProtocolRuntimePart, ProtocolStatus, ProtocolStatusReport, RunnerPlan, RunnerPorts, StatusLines, ToIso } from './protocol-runtime-part.ts';

/** Every drop reason, in metric order (docs/metrics.md): the IP layer's, then each protocol's (protocol-wire-part.ts). */
export const DROP_REASONS = assembleDropReasons(PROTOCOL_MODULES.map((module) => module.wire));

/**
 * A group's config: the union of every protocol's group type, discriminated by `protocol`
 * (config/config-types.ts GroupConfig). Spelled out rather than derived from PROTOCOL_MODULES:
 * the parts' own types mention GroupConfig, so deriving it would make the type circular.
 */
export type ProtocolGroupConfig = CarpGroupConfig | VrrpGroupConfig;

/** The config part of a group's protocol, typed for that group. */
export function configPartOf<Group extends ProtocolGroupConfig>(group: Group): ProtocolConfigPart<Group> {
  return moduleOf(group).config as ProtocolConfigPart<Group>;
}
