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
import { DEFAULT_VRRP_VERSION, VRRP_VERSIONS, type VrrpVersion } from '../protocols/vrrp/vrrp-version.ts';

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
  vrrp_version: 'vrrp-version',
  auth_type: 'auth-type',
};

/** The command line's names. */
export const FLAG_NAMES: SettingNames = { key: (k) => `--${FLAG_OF[k] ?? k}`, protocol: (p) => `--protocol ${p}` };

/**
 * A protocol-specific setting: whose it is, and what a group of the other protocol does instead.
 * `vrrpVersions` lists the VRRP versions that have it too (a CARP key) or the only ones that
 * have it (a VRRP key); VRRPv3 groups keep refusing VRRPv2's keys with the VRRP code.
 */
interface ProtocolSetting {
  readonly protocol: GroupProtocol;
  readonly instead: (n: SettingNames) => string;
  readonly vrrpVersions?: readonly VrrpVersion[];
}

const PASSPHRASE_ADVICE = (n: SettingNames) =>
  `has none (VRRPv3 has no authentication, RFC 5798 §9); remove it, or set ${n.key('vrrp_version')} 2 for VRRPv2's simple password (sent in clear)`;
const MASTER_DOWN_ADVICE = (n: SettingNames) => `uses RFC 5798's master-down interval (3 × ${n.key('advert_interval')} + a skew from ${n.key('priority')}); remove it`;

/** Every setting only one protocol has. Keys not listed apply to both. */
const PROTOCOL_SETTINGS: Readonly<Record<string, ProtocolSetting>> = {
  passphrase: { protocol: 'carp', instead: PASSPHRASE_ADVICE, vrrpVersions: [2] },
  passphrase_file: { protocol: 'carp', instead: PASSPHRASE_ADVICE, vrrpVersions: [2] },
  passphrase_env: { protocol: 'carp', instead: PASSPHRASE_ADVICE, vrrpVersions: [2] },
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
  vrrp_version: { protocol: 'vrrp', instead: () => 'speaks CARP (its version is 2); remove it' },
  auth_type: {
    protocol: 'vrrp',
    vrrpVersions: [2],
    instead: (n) => `authenticates with ${n.key('passphrase_file')} (HMAC-SHA1); remove it`,
  },
};

/** What a VRRPv3 group says about a VRRPv2-only key (auth_type). */
const VRRP2_ONLY_ADVICE = (n: SettingNames) => `has no authentication (RFC 5798 §9); remove it, or set ${n.key('vrrp_version')} 2 for VRRPv2`;

/** Does this file key apply to a group of this protocol (and, for VRRP, this version)? */
export function appliesTo(fileKey: string, protocol: GroupProtocol, vrrpVersion: VrrpVersion = DEFAULT_VRRP_VERSION): boolean {
  const setting = PROTOCOL_SETTINGS[fileKey];
  if (setting === undefined) return true;
  if (protocol === 'carp') return setting.protocol === 'carp';
  if (setting.protocol === 'carp') return setting.vrrpVersions?.includes(vrrpVersion) === true;
  return setting.vrrpVersions === undefined || setting.vrrpVersions.includes(vrrpVersion);
}

/**
 * A group's VRRP version: its own `vrrp_version`, else the defaults', else 3. A value that is not
 * a version counts as 3 here (the schema reports it).
 */
export function groupVrrpVersion(defaults: Record<string, unknown>, group: Record<string, unknown>): VrrpVersion {
  const written = group['vrrp_version'] ?? defaults['vrrp_version'] ?? DEFAULT_VRRP_VERSION;
  return (VRRP_VERSIONS as readonly unknown[]).includes(written) ? (written as VrrpVersion) : DEFAULT_VRRP_VERSION;
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
  const setting = PROTOCOL_SETTINGS[fileKey];
  if (protocol === 'vrrp' && setting?.protocol === 'vrrp') return `${n.key(fileKey)} is VRRPv2's; a VRRPv3 group ${VRRP2_ONLY_ADVICE(n)}`;
  const instead = setting?.instead(n) ?? 'does not have it';
  if (protocol === 'vrrp') return `${n.key(fileKey)} is CARP's; a VRRP group (${n.protocol('vrrp')}) ${instead}`;
  return `${n.key(fileKey)} is VRRP's; a CARP group (${n.protocol('carp')}, the default) ${instead}; to make it a VRRP group, set ${n.protocol('vrrp')}`;
}

/** Both names of the id given: "give only one of vhid, vrid (vrid is VRRP's name for vhid)". */
export function aliasConflictDetail(n: SettingNames): string {
  return `give only one of ${n.key('vhid')}, ${n.key('vrid')} (${n.key('vrid')} is VRRP's name for ${n.key('vhid')})`;
}

/** The keys of `group` that do not apply to `protocol` (and VRRP version), in the group's order. */
export function keysNotFor(protocol: GroupProtocol, group: Record<string, unknown>, vrrpVersion: VrrpVersion = DEFAULT_VRRP_VERSION): string[] {
  return Object.keys(group).filter((key) => group[key] !== undefined && !appliesTo(key, protocol, vrrpVersion));
}

/** `group` without the keys that do not apply to `protocol` (and VRRP version). */
export function withoutKeysNotFor(protocol: GroupProtocol, group: Record<string, unknown>, vrrpVersion: VrrpVersion = DEFAULT_VRRP_VERSION): Record<string, unknown> {
  return Object.fromEntries(Object.entries(group).filter(([key]) => appliesTo(key, protocol, vrrpVersion)));
}

/**
 * A group's protocol: its own `protocol`, else the defaults', else CARP. Undefined when the value
 * written is not a protocol (the schema reports it; nothing is judged by protocol until then).
 */
export function groupProtocol(defaults: Record<string, unknown>, group: Record<string, unknown>): GroupProtocol | undefined {
  const written = group['protocol'] ?? defaults['protocol'] ?? 'carp';
  return (GROUP_PROTOCOLS as readonly unknown[]).includes(written) ? (written as GroupProtocol) : undefined;
}

/** The flags (long names, without dashes) of settings that do not apply to `protocol` (and VRRP version), among those given. */
export function flagsNotFor(protocol: GroupProtocol, given: ReadonlySet<string>, vrrpVersion: VrrpVersion = DEFAULT_VRRP_VERSION): { flag: string; detail: string }[] {
  return Object.keys(PROTOCOL_SETTINGS)
    .filter((key) => !appliesTo(key, protocol, vrrpVersion) && FLAG_OF[key] !== undefined && given.has(FLAG_OF[key]))
    .map((key) => ({ flag: FLAG_OF[key] as string, detail: notForDetail(key, protocol, FLAG_NAMES) }));
}
