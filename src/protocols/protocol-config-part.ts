/**
 * A protocol's part of the configuration (protocols/protocol-module.ts `config`): the group
 * config type it adds to the GroupConfig union, the settings (file keys and flags) only it has
 * with the advice for a group of another protocol that is given one, its defaults and default
 * names, and how long its secret may be. The generic config layer (config/) asks the registry for
 * these instead of naming a protocol (docs/development.md "Protocol modules").
 */
import type { GroupConfigCommon, PassphraseSource, VirtualAddressConfig } from '../config/config-types.ts';
import type { RawGroup } from '../config/config-schema.ts';
import type { ConfigErrorCode, ConfigProblem, PathSegment } from '../config/error-codes.ts';
import type { IpAddress, IpFamily } from '../wire/ip-address.ts';
import type { ProtocolName } from './protocol-module.ts';

/** How a front end names a setting and a protocol choice in its messages. */
export interface SettingNames {
  /** A file key as this front end spells it: `advskew`, or `--advskew`. */
  key(fileKey: string): string;
  /** Choosing a protocol: `protocol: vrrp`, or `--protocol vrrp`. */
  protocol(protocol: ProtocolName): string;
}

/** A group of some protocol, as the part's type parameter. */
export type ProtocolGroup = GroupConfigCommon & { readonly protocol?: ProtocolName; readonly passphrase: PassphraseSource };

/** How long a secret may be, and the code for a longer one: CARP's passphrase, or VRRPv2's simple password. */
export interface SecretLimit {
  readonly maxBytes: number;
  readonly code: ConfigErrorCode;
  readonly what: string;
  /** The command line's words for a longer one, when they are not "the password is N bytes; <what> 1..<max>". */
  readonly flagDetail?: (bytes: number) => string;
}

/** A value's problem, as the file and the flags both word it. */
export interface ValueProblem {
  readonly code: ConfigErrorCode;
  readonly detail: string;
}

/**
 * What parsing a protocol's flags needs from the one-group command line (config/daemon-options.ts);
 * each reader adds its problem, naming the flag, to `errors`.
 */
export interface FlagParseContext {
  str(name: string): string | undefined;
  given(name: string): boolean;
  /** An integer flag in min..max, else `fallback`. */
  int(name: string, min: number, max: number, fallback: number): number;
  /** A flag with one of `allowed`, else `fallback`. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T;
  /** A decimal number flag that is an integer in min..max, worded as the file's (config-schema.ts); undefined when absent or refused. */
  integerIn(name: string, min: number, max: number): number | undefined;
  /** A decimal number flag that `check` accepts; undefined when absent or refused. */
  number(name: string, check: (value: number) => ValueProblem | undefined): number | undefined;
  /** --pass / --passfile with this limit; undefined after an error (or when neither is given and `required` is false). */
  passphrase(limit: SecretLimit): PassphraseSource | undefined;
  /** The --addr addresses that parsed. */
  readonly addresses: readonly IpAddress[];
  readonly errors: string[];
}

/** A setting (file key) that this protocol owns, and what a group of another protocol is told to do instead. */
export interface OwnedSetting {
  /** The flag (long name, without dashes) of the daemon's one-group command line, if it has one. */
  readonly flag?: string;
  /** What a group of another protocol does instead: "uses priority (1..255, the higher wins)". */
  readonly instead: (n: SettingNames) => string;
}

/** What a part's build and warnings see of one group (config/build-group.ts). */
export interface GroupBuildContext {
  /** The group as written, shape-checked, defaults merged, other protocols' keys left out. */
  readonly raw: RawGroup;
  /** The group's own keys, without defaults (for warnings about what it wrote itself). */
  readonly own: Readonly<Record<string, unknown>>;
  /** The addresses that parsed. */
  readonly addresses: readonly VirtualAddressConfig[];
  /** The family of the first address (IPv4 when none). */
  readonly family: IpFamily;
  /** The path of one of the group's keys, for a problem. */
  at(...rest: PathSegment[]): PathSegment[];
  readonly sink: { readonly errors: ConfigProblem[]; readonly warnings: ConfigProblem[] };
  /** Reads the group's passphrase keys (exactly one of them) with this limit; undefined after an error. */
  readPassphrase(limit: SecretLimit): PassphraseSource | undefined;
}

/** What rendering a group needs from the config layer, so both render alike. */
export interface GroupRenderTools {
  /** The addresses as written (`IP` or `IP/PREFIX`). */
  readonly addresses: readonly string[];
  /** The passphrase key with its source described, never its value; nothing for 'none'. */
  passphrase(source: PassphraseSource): Record<string, string>;
}

/** A group's keys as rendered: `keys` after `interface`, `lateKeys` after `virtual_interface`. */
export interface RenderedProtocolKeys {
  readonly keys: Record<string, unknown>;
  readonly lateKeys: Record<string, unknown>;
}

/** The fields a protocol adds to the common ones. */
export type ProtocolFields<Group> = Group extends unknown ? Omit<Group, keyof GroupConfigCommon> : never;

/** One protocol's config part; `Group` is its member of the GroupConfig union. */
export interface ProtocolConfigPart<Group extends ProtocolGroup = ProtocolGroup> {
  /** The protocol's name in messages: "CARP", "VRRP". */
  readonly title: string;
  /** The code for another protocol's setting given to a group of this one. */
  readonly notForCode: ConfigErrorCode;
  /** The settings (file keys) only this protocol has, in the order messages list them. */
  readonly ownSettings: Readonly<Record<string, OwnedSetting>>;
  /**
   * Does a group of this protocol take a key owned by `owner` (this protocol or another)?
   * `variant` is the group's raw keys (own over defaults'), for keys only some versions have.
   */
  takesKey(fileKey: string, owner: ProtocolName, variant: Readonly<Record<string, unknown>>): boolean;
  /** Why a group of this protocol refuses `owner`'s key, with the owner's advice `instead`. */
  refusalDetail(fileKey: string, owner: ProtocolName, ownerTitle: string, instead: (n: SettingNames) => string, n: SettingNames): string;
  /**
   * The keys of its group config that hold several settings a reload compares one by one
   * (`replay.mode`, `vrrp.priority`), so that some of them can change in place
   * (daemon/reload-plan.ts).
   */
  readonly settingBlocks: readonly string[];
  /** The default of `preempt`. */
  readonly defaultPreempt: boolean;
  /** The default name of a group: `eth0/vhid1`, `eth0/vrid1`. */
  defaultName(interfaceName: string, vhid: number, family: IpFamily): string;
  /** The default virtual interface: `carp1`, `vrrp1`, `vrrp6-1`. */
  defaultVirtualInterface(vhid: number, family: IpFamily): string;
  /** What a missing `vhid` is told. */
  readonly idRequiredDetail: string;
  /** The name of the id in messages (CARP's vhid, VRRP's vrid). */
  readonly idWord: string;
  /** May two groups of this protocol on one interface share an id when their families differ (VRRP: one virtual MAC per family)? */
  readonly idPerFamily: boolean;
  /** How long the group's secret may be; undefined when the group (this variant) reads none. */
  secretLimit(variant: Readonly<Record<string, unknown>>): SecretLimit | undefined;
  /** The protocol's fields of a group, with its checks' problems in the sink; undefined after an error. */
  build(context: GroupBuildContext): ProtocolFields<Group> | undefined;
  /** Warnings about the protocol's keys that have no effect as written. */
  warnUnused(context: GroupBuildContext): void;
  /** The protocol's keys of a group for `carpd --check` (config/config-render.ts). */
  render(group: Group, tools: GroupRenderTools): RenderedProtocolKeys;
  /** The protocol's fields from the one-group command line; undefined after an error. */
  fromFlags(flags: FlagParseContext): ProtocolFields<Group> | undefined;
  /** Never set: carries the group type, so the registry can form the union (protocols/index.ts). */
  readonly groupType?: Group;
}
