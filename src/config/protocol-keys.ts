/**
 * Which group settings belong to which protocol, in the file (keys) and on the command line
 * (flags), and what to say when one is given to a group of the other protocol. One table serves
 * both front ends, so `advskew` in a VRRP group and `--advskew` with `--protocol vrrp` are refused
 * with the same advice.
 *
 * The rule for the file: a group's OWN key of the other protocol is an error; a key of the other
 * protocol that comes from `defaults` is left out for that group, so one defaults block can serve
 * CARP and VRRP groups alike.
 */
import type { GroupProtocol } from './config-types.ts';
import type { ConfigErrorCode } from './error-codes.ts';

/** The protocols, as the file and --protocol spell them. */
export const GROUP_PROTOCOLS = ['carp', 'vrrp'] as const satisfies readonly GroupProtocol[];

/** How a front end names a setting and a protocol choice in its messages. */
export interface SettingNames {
  /** A file key as this front end spells it: `advskew`, or `--advskew`. */
  key(fileKey: string): string;
  /** Choosing a protocol: `protocol: vrrp`, or `--protocol vrrp`. */
  protocol(protocol: GroupProtocol): string;
}

/** The file's names. */
export const FILE_NAMES: SettingNames = { key: (k) => k, protocol: (p) => `protocol: ${p}` };

/** The flag of each file key that has one (daemon-options.ts). */
const FLAG_OF: Readonly<Record<string, string>> = {
  protocol: 'protocol',
  vhid: 'vhid',
  vrid: 'vrid',
  passphrase: 'pass',
  passphrase_file: 'passfile',
  advbase: 'advbase',
  advskew: 'advskew',
  replay: 'replay',
  master_down: 'master-down',
  priority: 'priority',
  advert_interval: 'advert-interval',
  accept_mode: 'accept-mode',
  checksum_mode: 'checksum-mode',
};

/** The command line's names. */
export const FLAG_NAMES: SettingNames = { key: (k) => `--${FLAG_OF[k] ?? k}`, protocol: (p) => `--protocol ${p}` };

/** A protocol-specific setting: whose it is, and what a group of the other protocol does instead. */
interface ProtocolSetting {
  readonly protocol: GroupProtocol;
  readonly instead: (n: SettingNames) => string;
}

const PASSPHRASE_ADVICE = () => 'has none (VRRPv3 has no authentication, RFC 5798 §9); remove it';
const MASTER_DOWN_ADVICE = (n: SettingNames) => `uses RFC 5798's master-down interval (3 × ${n.key('advert_interval')} + a skew from ${n.key('priority')}); remove it`;

/** Every setting only one protocol has. Keys not listed apply to both. */
const PROTOCOL_SETTINGS: Readonly<Record<string, ProtocolSetting>> = {
  passphrase: { protocol: 'carp', instead: PASSPHRASE_ADVICE },
  passphrase_file: { protocol: 'carp', instead: PASSPHRASE_ADVICE },
  passphrase_env: { protocol: 'carp', instead: PASSPHRASE_ADVICE },
  advbase: { protocol: 'carp', instead: (n) => `uses ${n.key('advert_interval')} (seconds, 0.01..40.95)` },
  advskew: { protocol: 'carp', instead: (n) => `uses ${n.key('priority')} (1..255, the higher wins)` },
  replay: { protocol: 'carp', instead: () => 'has no replay protection to set (VRRPv3 adverts carry no counter); remove it' },
  master_down: { protocol: 'carp', instead: MASTER_DOWN_ADVICE },
  dead_ratio: { protocol: 'carp', instead: MASTER_DOWN_ADVICE },
  key_change_window: { protocol: 'carp', instead: () => 'has no key, and takes a changed address list at once; remove it' },
  vrid: { protocol: 'vrrp', instead: (n) => `uses ${n.key('vhid')}` },
  priority: { protocol: 'vrrp', instead: (n) => `uses ${n.key('advskew')} (0..254, the lower wins)` },
  advert_interval: { protocol: 'vrrp', instead: (n) => `uses ${n.key('advbase')} (whole seconds) and ${n.key('advskew')} (1/256 s)` },
  accept_mode: { protocol: 'vrrp', instead: () => 'has none (its master always accepts packets for its addresses)' },
  checksum_mode: { protocol: 'vrrp', instead: () => 'has one checksum (over the CARP header)' },
};

/** Does this file key apply to a group of this protocol? */
export function appliesTo(fileKey: string, protocol: GroupProtocol): boolean {
  const setting = PROTOCOL_SETTINGS[fileKey];
  return setting === undefined || setting.protocol === protocol;
}

/** The code for a setting given to a group of `protocol` that it does not apply to. */
export function notForCode(protocol: GroupProtocol): ConfigErrorCode {
  return protocol === 'vrrp' ? 'CARPD_CONFIG_NOT_FOR_VRRP' : 'CARPD_CONFIG_NOT_FOR_CARP';
}

/**
 * Why `fileKey` cannot be given to a group of `protocol`, and what to use instead:
 * "advskew is CARP's; a VRRP group (protocol: vrrp) uses priority (1..255, the higher wins)".
 */
export function notForDetail(fileKey: string, protocol: GroupProtocol, n: SettingNames): string {
  const instead = PROTOCOL_SETTINGS[fileKey]?.instead(n) ?? 'does not have it';
  if (protocol === 'vrrp') return `${n.key(fileKey)} is CARP's; a VRRP group (${n.protocol('vrrp')}) ${instead}`;
  return `${n.key(fileKey)} is VRRP's; a CARP group (${n.protocol('carp')}, the default) ${instead}; to make it a VRRP group, set ${n.protocol('vrrp')}`;
}

/** Both names of the id given: "give only one of vhid, vrid (vrid is VRRP's name for vhid)". */
export function aliasConflictDetail(n: SettingNames): string {
  return `give only one of ${n.key('vhid')}, ${n.key('vrid')} (${n.key('vrid')} is VRRP's name for ${n.key('vhid')})`;
}

/** The keys of `group` that do not apply to `protocol`, in the group's order. */
export function keysNotFor(protocol: GroupProtocol, group: Record<string, unknown>): string[] {
  return Object.keys(group).filter((key) => group[key] !== undefined && !appliesTo(key, protocol));
}

/** `group` without the keys that do not apply to `protocol`. */
export function withoutKeysNotFor(protocol: GroupProtocol, group: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(group).filter(([key]) => appliesTo(key, protocol)));
}

/**
 * A group's protocol: its own `protocol`, else the defaults', else CARP. Undefined when the value
 * written is not a protocol (the schema reports it; nothing is judged by protocol until then).
 */
export function groupProtocol(defaults: Record<string, unknown>, group: Record<string, unknown>): GroupProtocol | undefined {
  const written = group['protocol'] ?? defaults['protocol'] ?? 'carp';
  return (GROUP_PROTOCOLS as readonly unknown[]).includes(written) ? (written as GroupProtocol) : undefined;
}

/** The flags (long names, without dashes) of settings that do not apply to `protocol`, among those given. */
export function flagsNotFor(protocol: GroupProtocol, given: ReadonlySet<string>): { flag: string; detail: string }[] {
  return Object.keys(PROTOCOL_SETTINGS)
    .filter((key) => !appliesTo(key, protocol) && FLAG_OF[key] !== undefined && given.has(FLAG_OF[key]))
    .map((key) => ({ flag: FLAG_OF[key] as string, detail: notForDetail(key, protocol, FLAG_NAMES) }));
}
