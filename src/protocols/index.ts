/**
 * The protocol registry: the one list of the protocols carpd speaks. Code outside protocols/
 * imports a protocol only through here (test/architecture/layer-rules.ts), so adding a protocol
 * is a folder under protocols/ and one line below.
 */
import { carpModule } from './carp/carp-module.ts';
import type { ProtocolConfigPart } from './protocol-config-part.ts';
import type { ProtocolModule, ProtocolName } from './protocol-module.ts';
import { vrrpModule } from './vrrp/vrrp-module.ts';

export type { ProtocolModule, ProtocolName } from './protocol-module.ts';
export type { CarpGroupConfig } from './carp/carp-config.ts';
export type { ReplayMode } from './carp/replay-guard.ts';
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

/** A group's config: the union of every module's group type, discriminated by `protocol` (config/config-types.ts GroupConfig). */
export type ProtocolGroupConfig = (typeof PROTOCOL_MODULES)[number]['config'] extends infer Part ? (Part extends ProtocolConfigPart<infer Group> ? Group : never) : never;

/** The config part of a group's protocol, typed for that group. */
export function configPartOf<Group extends ProtocolGroupConfig>(group: Group): ProtocolConfigPart<Group> {
  return moduleOf(group).config as ProtocolConfigPart<Group>;
}
