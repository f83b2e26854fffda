/**
 * The validated, normalised configuration of a carpd process: what the YAML file (or the
 * command line, or ucarp's command line) turns into. Every default is filled in; the daemon
 * never sees raw input. Secrets stay as sources until the daemon reads them.
 */
import type { IpAddress } from '../wire/ip-address.ts';
import type { MasterDownFormula } from '../protocols/carp/carp-intervals.ts';
import type { ReplayMode } from '../protocols/carp/replay-guard.ts';
import type { VrrpChecksumMode } from '../protocols/vrrp/vrrp-checksum.ts';
import { VRRP_DEFAULTS } from '../protocols/vrrp/vrrp-machine-types.ts';
import type { VrrpVersion } from '../protocols/vrrp/vrrp-version.ts';

/** Log levels. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where a passphrase comes from. Only the daemon reads it; it is never logged or reported. */
export type PassphraseSource =
  | { readonly kind: 'inline'; readonly value: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'env'; readonly variable: string }
  /** A VRRP group without a password (VRRPv3 has no authentication, RFC 5798 §9): nothing to read. */
  | { readonly kind: 'none' };

/** A virtual address; without a prefix the parent subnet's prefix is used (else /32, /128). */
export interface VirtualAddressConfig {
  readonly address: IpAddress;
  readonly prefixLength?: number;
}

/** How scripts are called: carpd's `<interface> <vhid> <state>` or ucarp's `<interface> <first address> [xparam]`. */
export type ScriptStyle = 'carpd' | 'ucarp';

/**
 * The account scripts and command checks run as (`script_user`, docs/scripts.md): resolved from
 * the user database when the file is read. Absent: the daemon's own user.
 */
export interface ScriptUser {
  readonly name: string;
  readonly uid: number;
  /** The user's primary group; supplementary groups are dropped. */
  readonly gid: number;
}

/** Transition scripts of a group. */
export interface ScriptsConfig {
  readonly master?: string;
  readonly backup?: string;
  /** Run when the group stops (carpd stops, or a reload removes or restarts it); without it the backup script runs then, if MASTER. */
  readonly stop?: string;
  readonly timeoutSeconds: number;
  readonly style: ScriptStyle;
  /** ucarp's --xparam, passed as the third argument in the ucarp style. */
  readonly extraParameter?: string;
  /** ucarp's --neutral: no backup script on the first INIT → BACKUP. */
  readonly neutral: boolean;
  /** `script_user`: scripts and the group's command checks run as this user; absent: as the daemon. */
  readonly user?: ScriptUser;
}

/** Gratuitous ARP / unsolicited NA. */
export interface AnnounceConfig {
  /** Refresh while MASTER, seconds; 0 = off. */
  readonly intervalSeconds: number;
  /** Set the Router flag in NAs (the host forwards). */
  readonly router: boolean;
}

/** A tracked interface: link down adds `weight` to the group's demotion. */
export interface TrackedInterfaceConfig {
  readonly interface: string;
  readonly weight: number;
}

/** Fields every health check has. */
interface HealthCheckCommon {
  readonly name: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  /** Consecutive successes before a failed check counts as healthy again. */
  readonly rise: number;
  /** Consecutive failures before a healthy check counts as failed. */
  readonly fall: number;
  /** Demotion added while the check is failed. */
  readonly weight: number;
}

/** A health check: a command (exit 0 = healthy, run without a shell), a TCP connect, or an HTTP GET. */
export type HealthCheckConfig =
  | (HealthCheckCommon & { readonly kind: 'command'; readonly command: readonly string[] })
  | (HealthCheckCommon & { readonly kind: 'tcp'; readonly host: string; readonly port: number })
  | (HealthCheckCommon & { readonly kind: 'http'; readonly url: string; readonly expectStatus: readonly number[] });

/** The protocol of a group: CARP (the default) or VRRPv3 (RFC 5798 / RFC 9568). */
export type GroupProtocol = 'carp' | 'vrrp';

/**
 * The VRRPv3 settings of a `protocol: vrrp` group. CARP's advbase, advskew, passphrase and
 * replay do not apply to it; preempt, peers (keepalived's unicast_peer), scripts, checks and the
 * rest of GroupConfig do. The vhid is the VRID.
 */
export interface VrrpGroupConfig {
  /** 1..255, default 100; 255 only for the address owner (the addresses are its own). */
  readonly priority: number;
  /** Advertisement interval in centiseconds, 1..4095 (advert_interval 0.01..40.95 s, default 1 s). */
  readonly advertIntervalCentis: number;
  /** RFC 5798 Accept_Mode: a master that is not the owner accepts packets for the addresses (default false). */
  readonly acceptMode: boolean;
  /** Which IPv4 checksum variants are accepted on receive (vrrp-checksum.ts; default compatible). */
  readonly checksumMode: VrrpChecksumMode;
  /** `vrrp_version: 2` (RFC 3768); absent: VRRPv3. Only a VRRPv2 group has the key, so VRRPv3 configs read as before. */
  readonly version?: VrrpVersion;
  /** VRRPv2 only: none, or 'pass' (the simple password, from the group's `passphrase` source, sent in clear). */
  readonly authType?: 'none' | 'pass';
}

/**
 * One CARP or VRRPv3 group (virtual host / virtual router). A VRRP group (protocol 'vrrp') has
 * one address family, its VRID in `vhid`, passphrase kind 'none', and CARP's defaults in the
 * CARP-only fields (advbase, advskew, masterDown, deadRatio, replay), which nothing reads for it.
 */
export interface GroupConfig {
  /** Absent means 'carp'. */
  readonly protocol?: GroupProtocol;
  /** Present exactly when protocol is 'vrrp'. */
  readonly vrrp?: VrrpGroupConfig;
  /** Unique name, default `<interface>/vhid<vhid>`; used by carpctl, status and metrics. */
  readonly name: string;
  readonly interface: string;
  readonly vhid: number;
  readonly addresses: readonly VirtualAddressConfig[];
  readonly passphrase: PassphraseSource;
  readonly advbase: number;
  readonly advskew: number;
  readonly preempt: boolean;
  readonly masterDown: MasterDownFormula;
  /** ucarp's --deadratio, for masterDown 'ucarp'. */
  readonly deadRatio: number;
  readonly sourceAddress?: IpAddress;
  readonly vmac: boolean;
  /**
   * Does carpd add and remove the virtual addresses itself (default true)? False in ucarp mode
   * (`carpd ucarp ...`): there the up/down scripts put the address on the interface, as with
   * ucarp, and carpd only announces it (gratuitous ARP) and runs the scripts.
   */
  readonly manageAddresses: boolean;
  /** Default `carp<vhid>`. */
  readonly virtualInterface: string;
  readonly replay: { readonly mode: ReplayMode; readonly windowSeconds: number };
  readonly scripts: ScriptsConfig;
  readonly announce: AnnounceConfig;
  /** Unicast peers: adverts go to each instead of the multicast group, and only they are accepted. */
  readonly peers: readonly IpAddress[];
  /** For unicast peers: require TTL 255 (OpenBSD) or accept any TTL (FreeBSD), docs/protocol-carp.md "Unicast". */
  readonly unicastTtl: 'require-255' | 'any';
  readonly track: { readonly interfaces: readonly TrackedInterfaceConfig[]; readonly checks: readonly HealthCheckConfig[] };
  /** Groups sharing a sync set share fate: if one must yield, all do. */
  readonly syncSet?: string;
  /**
   * After a reload changes the address list or the key, how long (seconds) the old ones are still
   * signed with and accepted, so the nodes can be reloaded one by one (default 600; 0 = at once).
   */
  readonly keyChangeWindowSeconds?: number;
  /** keepalived's preempt_delay: no preemption for this long (seconds) after start-up or link-up. */
  readonly preemptDelaySeconds?: number;
}

/** The whole configuration. */
export interface CarpdConfig {
  readonly logLevel: LogLevel;
  readonly stateDirectory: string;
  /** The control socket (Unix, root-only). */
  readonly controlSocket: string;
  /** Prometheus metrics listener `ADDR:PORT`, off when undefined. */
  readonly metricsListen?: string;
  readonly groups: readonly GroupConfig[];
}

/** Defaults used by every front end (YAML, flags, ucarp flags). */
export const CONFIG_DEFAULTS = {
  logLevel: 'info' as LogLevel,
  stateDirectory: '/var/lib/carpd',
  controlSocket: '/run/carpd/carpd.sock',
  advbase: 1,
  advskew: 0,
  preempt: false,
  masterDown: 'openbsd' as MasterDownFormula,
  deadRatio: 3,
  vmac: true,
  manageAddresses: true,
  replayMode: 'strict' as ReplayMode,
  replayWindowSeconds: 300,
  scriptTimeoutSeconds: 30,
  announceIntervalSeconds: 60,
  unicastTtl: 'require-255' as const,
  check: { intervalSeconds: 2, timeoutSeconds: 1, rise: 2, fall: 3, weight: 50 },
  trackWeight: 50,
  /** A `protocol: vrrp` group's: RFC 5798 §6.1 (preempt on, unlike CARP's), and every IPv4 checksum variant accepted. */
  vrrp: {
    priority: VRRP_DEFAULTS.priority,
    advertIntervalCentis: VRRP_DEFAULTS.advertIntervalCentis,
    preempt: VRRP_DEFAULTS.preempt,
    acceptMode: VRRP_DEFAULTS.acceptMode,
    checksumMode: 'compatible' as VrrpChecksumMode,
  },
} as const;
