/**
 * Which group settings belong to which protocol, in the file (keys) and on the command line
 * (flags), and what to say when one is given to a group of the other protocol. One table serves
 * both front ends, so `advskew` in a VRRP group and `--advskew` with `--protocol vrrp` are refused
 * with the same advice.
 *
 * Each protocol module owns its keys and the advice (protocols/carp/carp-config-part.ts, protocols/vrrp/vrrp-config-part.ts); this file only
 * asks the registry, naming no protocol itself.
 *
 * The rule for the file: a group's OWN key of the other protocol is an error; a key of the other
 * protocol that comes from `defaults` is left out for that group, so one defaults block can serve
 * CARP and VRRP groups alike.
 */
import type { GroupProtocol } from './config-types.ts';
import type { ConfigErrorCode } from './error-codes.ts';
import { PROTOCOL_MODULES, protocolModule, type ProtocolConfigPart, type ProtocolName, type SettingNames } from '../protocols/index.ts';

export type { SettingNames } from '../protocols/index.ts';

/** The protocols, as the file and --protocol spell them (the registry's order: the default first). */
export const GROUP_PROTOCOLS = PROTOCOL_MODULES.map((module) => module.name) as readonly GroupProtocol[] as readonly [GroupProtocol, ...GroupProtocol[]];

/** The protocol a group has when it names none (the registry's first). */
export const DEFAULT_PROTOCOL: GroupProtocol = GROUP_PROTOCOLS[0];

/** The file's names. */
export const FILE_NAMES: SettingNames = { key: (k) => k, protocol: (p) => `protocol: ${p}` };

/** The flag of each file key that has one (daemon-options.ts): the common ones, then each protocol's. */
const FLAG_OF: Readonly<Record<string, string>> = {
  protocol: 'protocol',
  vhid: 'vhid',
  ...Object.fromEntries(PROTOCOL_MODULES.flatMap((module) => Object.entries(module.config.ownSettings).flatMap(([key, setting]) => (setting.flag === undefined ? [] : [[key, setting.flag]])))),
};

/** The command line's names. */
export const FLAG_NAMES: SettingNames = { key: (k) => `--${FLAG_OF[k] ?? k}`, protocol: (p) => `--protocol ${p}` };

/** The module owning a key, or undefined for a key every protocol has. */
function ownerOf(fileKey: string): { readonly name: ProtocolName; readonly config: ProtocolConfigPart } | undefined {
  return PROTOCOL_MODULES.find((module) => Object.hasOwn(module.config.ownSettings, fileKey));
}

/** Every protocol-owned key, in the registry's order. */
const OWNED_KEYS: readonly string[] = PROTOCOL_MODULES.flatMap((module) => Object.keys(module.config.ownSettings));

/**
 * Does this file key apply to a group of this protocol? `variant` is the group's raw keys (own
 * over defaults'), for keys only some versions of a protocol have (VRRPv2's password).
 */
export function appliesTo(fileKey: string, protocol: GroupProtocol, variant: Readonly<Record<string, unknown>> = {}): boolean {
  const owner = ownerOf(fileKey);
  return owner === undefined || protocolModule(protocol).config.takesKey(fileKey, owner.name, variant);
}

/** The code for a setting given to a group of `protocol` that it does not apply to. */
export function notForCode(protocol: GroupProtocol): ConfigErrorCode {
  return protocolModule(protocol).config.notForCode;
}

/**
 * Why `fileKey` cannot be given to a group of `protocol`, and what to use instead:
 * "advskew is CARP's; a VRRP group (protocol: vrrp) uses priority (1..255, the higher wins)".
 */
export function notForDetail(fileKey: string, protocol: GroupProtocol, n: SettingNames): string {
  const owner = ownerOf(fileKey);
  const instead = owner?.config.ownSettings[fileKey]?.instead ?? (() => 'does not have it');
  return protocolModule(protocol).config.refusalDetail(fileKey, owner?.name ?? protocol, owner?.config.title ?? '', instead, n);
}

/** Both names of the id given: "give only one of vhid, vrid (vrid is VRRP's name for vhid)". */
export function aliasConflictDetail(n: SettingNames): string {
  return `give only one of ${n.key('vhid')}, ${n.key('vrid')} (${n.key('vrid')} is VRRP's name for ${n.key('vhid')})`;
}

/** The keys of `group` that do not apply to `protocol` (and variant), in the group's order. */
export function keysNotFor(protocol: GroupProtocol, group: Record<string, unknown>, variant: Readonly<Record<string, unknown>> = {}): string[] {
  return Object.keys(group).filter((key) => group[key] !== undefined && !appliesTo(key, protocol, variant));
}

/** `group` without the keys that do not apply to `protocol` (and variant). */
export function withoutKeysNotFor(protocol: GroupProtocol, group: Record<string, unknown>, variant: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return Object.fromEntries(Object.entries(group).filter(([key]) => appliesTo(key, protocol, variant)));
}

/**
 * A group's protocol: its own `protocol`, else the defaults', else the default. Undefined when the
 * value written is not a protocol (the schema reports it; nothing is judged by protocol until then).
 */
export function groupProtocol(defaults: Record<string, unknown>, group: Record<string, unknown>): GroupProtocol | undefined {
  const written = group['protocol'] ?? defaults['protocol'] ?? DEFAULT_PROTOCOL;
  return (GROUP_PROTOCOLS as readonly unknown[]).includes(written) ? (written as GroupProtocol) : undefined;
}

/** The flags (long names, without dashes) of settings that do not apply to `protocol` (and variant), among those given. */
export function flagsNotFor(protocol: GroupProtocol, given: ReadonlySet<string>, variant: Readonly<Record<string, unknown>> = {}): { flag: string; detail: string }[] {
  return OWNED_KEYS.filter((key) => !appliesTo(key, protocol, variant) && FLAG_OF[key] !== undefined && given.has(FLAG_OF[key]))
    .map((key) => ({ flag: FLAG_OF[key] as string, detail: notForDetail(key, protocol, FLAG_NAMES) }));
}
