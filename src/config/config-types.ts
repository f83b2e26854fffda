/**
 * The validated, normalised configuration of a carpd process: what the YAML file (or the
 * command line, or ucarp's command line) turns into. Every default is filled in; the daemon
 * never sees raw input. Secrets stay as sources until the daemon reads them.
 */
import type { IpAddress } from '../wire/ip-address.ts';
import type { CarpGroupConfig, MasterDownFormula, ProtocolGroupConfig, ProtocolName, ReplayMode, VrrpGroupConfig } from '../protocols/index.ts';

export type { CarpGroupConfig, VrrpGroupConfig } from '../protocols/index.ts';
// Leaves of constants: the registry's modules read CONFIG_DEFAULTS as they load.
import { PROTOCOL_SETTING_DEFAULTS } from '../protocols/protocol-setting-defaults.ts';

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

/** The protocol of a group: CARP (the default) or VRRP (RFC 5798 / RFC 3768), as the registry names them. */
export type GroupProtocol = ProtocolName;

/**
 * The fields every group has, whatever its protocol; each protocol's own fields are in its
 * module's config type (protocols/<name>/<name>-config.ts), and GroupConfig is their union.
 */
export interface GroupConfigCommon {
  /** Unique name, default `<interface>/vhid<vhid>` (VRRP: `<interface>/vrid<vrid>`); used by carpctl, status and metrics. */
  readonly name: string;
  readonly interface: string;
  /** CARP's vhid, VRRP's VRID. */
  readonly vhid: number;
  readonly addresses: readonly VirtualAddressConfig[];
  readonly preempt: boolean;
  readonly sourceAddress?: IpAddress;
  readonly vmac: boolean;
  /**
   * Does carpd add and remove the virtual addresses itself (default true)? False in ucarp mode
   * (`carpd ucarp ...`): there the up/down scripts put the address on the interface, as with
   * ucarp, and carpd only announces it (gratuitous ARP) and runs the scripts.
   */
  readonly manageAddresses: boolean;
  /** Default `carp<vhid>` (VRRP: `vrrp<vrid>`). */
  readonly virtualInterface: string;
  readonly scripts: ScriptsConfig;
  readonly announce: AnnounceConfig;
  /** Unicast peers: adverts go to each instead of the multicast group, and only they are accepted. */
  readonly peers: readonly IpAddress[];
  /** For unicast peers: require TTL 255 (OpenBSD) or accept any TTL (FreeBSD), docs/protocol-carp.md "Unicast". */
  readonly unicastTtl: 'require-255' | 'any';
  readonly track: { readonly interfaces: readonly TrackedInterfaceConfig[]; readonly checks: readonly HealthCheckConfig[] };
  /** Groups sharing a sync set share fate: if one must yield, all do. */
  readonly syncSet?: string;
  /** keepalived's preempt_delay: no preemption for this long (seconds) after start-up or link-up. */
  readonly preemptDelaySeconds?: number;
}

/**
 * One group (virtual host / virtual router): the union of every protocol module's group config,
 * discriminated by `protocol` (a CARP group may leave it out). A group has its own protocol's
 * settings and none of another's.
 */
export type GroupConfig = ProtocolGroupConfig;

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
  /** Each protocol's setting block's defaults (`vrrp`: protocols/vrrp/vrrp-config-defaults.ts). */
  ...PROTOCOL_SETTING_DEFAULTS,
} as const;
