/**
 * The control API's vocabulary: what `carpctl` asks, what the daemon answers, and the events it
 * streams. JSON on the wire (one object per line); the daemon implements DaemonControl.
 * Secrets never appear here.
 */
import type { DropReason } from '../wire/drop-reason.ts';
import type { ProtocolName } from '../protocols/index.ts';

/** State names as the BSDs print them. */
export type StateName = 'INIT' | 'BACKUP' | 'MASTER';

/** One health check as status shows it. */
export interface CheckStatus {
  readonly name: string;
  readonly kind: 'command' | 'tcp' | 'http' | 'interface';
  /** After rise/fall: does it count as healthy? */
  readonly healthy: boolean;
  readonly weight: number;
  /** The last probe's outcome in words (e.g. "exit 1", "ECONNREFUSED", "HTTP 503", "link down"). */
  readonly lastResult: string;
  readonly lastChangeAt?: string;
}

/** Where a group's demotion comes from. */
export interface DemotionStatus {
  /** What is advertised: the sum below (capped at 255), or the sync set's when higher. */
  readonly total: number;
  /** carpctl demote/promote. */
  readonly manual: number;
  readonly maintenance: boolean;
  /** Failed checks and down tracked interfaces, summed by weight. */
  readonly health: number;
  /** The demotion taken from the group's sync set (shared fate), when it is higher than ours. */
  readonly syncSet?: { readonly name: string; readonly demotion: number };
  /** True while the group is held fully demoted after a failed claim (see GroupStatus.fault). */
  readonly fault?: boolean;
  /** Present (true) while the group's link is down: it counts as fully demoted, for its sync set. */
  readonly linkDown?: boolean;
}

/** A VRRPv3 group's own settings and election state (GroupStatus.vrrp). */
export interface VrrpStatus {
  /** As configured, 1..255. */
  readonly priority: number;
  /** As advertised now: the configured priority lowered by the demotion, never below 1. */
  readonly effectivePriority: number;
  /** Configured priority 255: the addresses are this router's own interface addresses. */
  readonly owner: boolean;
  /** Our Advertisement_Interval, seconds (0.01 steps). */
  readonly advertInterval: number;
  /** Master_Adver_Interval, seconds: learned from the master while BACKUP, our own otherwise. */
  readonly masterAdvertInterval: number;
  /** The priority of the master as last heard (null when none heard or we are it; 0: it resigned). */
  readonly masterPriority: number | null;
  readonly acceptMode: boolean;
  readonly checksumMode: 'strict' | 'compatible';
  /** Accepted adverts that differ from this group's configuration (counted and logged, not dropped). */
  readonly mismatches: { readonly interval: number; readonly addresses: number; readonly legacyChecksum: number };
  /** VRRPv2 groups only: 2 (RFC 3768). Absent: the group speaks VRRPv3 (RFC 5798). */
  readonly version?: 2 | 3;
  /** VRRPv2 groups only: none, or pass (a simple text password, sent in clear). Absent: none (VRRPv3). */
  readonly authType?: 'none' | 'pass';
}

/**
 * One group in `carpctl status`. Fields marked "CARP groups only" are absent for a VRRP group,
 * which has its `vrrp` block instead; every other field means the same for both protocols (the
 * vhid of a VRRP group is its VRID).
 */
export interface GroupStatus {
  readonly name: string;
  readonly interface: string;
  /** The protocol the group speaks. */
  readonly protocol: ProtocolName;
  readonly vhid: number;
  readonly state: StateName;
  /** When the current state began (ISO 8601). */
  readonly since: string;
  /** Why (a TransitionReason). */
  readonly reason: string;
  readonly addresses: readonly string[];
  /** CARP groups only. */
  readonly advbase?: number;
  /** CARP groups only. */
  readonly advskew?: number;
  /** advskew as advertised, demotion included (CARP groups only). */
  readonly advertisedAdvskew?: number;
  /** CARP groups only. */
  readonly demoteByte?: number;
  readonly demotion: DemotionStatus;
  readonly preempt: boolean;
  readonly vmac?: string;
  /** CARP groups only. */
  readonly replayMode?: 'strict' | 'compat';
  readonly peers: readonly string[];
  /** VRRP groups only. */
  readonly vrrp?: VrrpStatus;
  /** The master as last heard (null when never heard or we are it). */
  readonly master: {
    readonly address: string;
    /** CARP groups only (a VRRP master's priority and interval are in `vrrp`). */
    readonly advbase?: number;
    readonly advskew?: number;
    readonly demote?: number;
    readonly heardAt: string;
    /** The master's source address per family (a dual-stack master: its IPv4 and its IPv6 link-local). */
    readonly addresses?: { readonly ipv4?: string; readonly ipv6?: string };
  } | null;
  /**
   * CARP groups only: while BACKUP, a family in which the master's adverts stopped arriving while
   * they still arrive in `heardIn` (no takeover for it: docs/state-machine.md "Dual-stack groups"),
   * and since when (its last advert); null otherwise.
   */
  readonly familyLoss?: { readonly family: 'ipv4' | 'ipv6'; readonly since: string; readonly heardIn: readonly ('ipv4' | 'ipv6')[] } | null;
  /**
   * Every node heard for this vhid (at most 32, most recent first): what its last authentic advert
   * carried, whether its last advert authenticated, and its accepted / bad-auth / replay counts.
   * A VRRP group's entries carry priority and advertInterval (seconds) instead of the CARP fields;
   * VRRPv3 has no authentication, so they always authenticate and count no bad-auth or replay.
   */
  readonly heard: readonly {
    readonly address: string;
    readonly advbase?: number | null;
    readonly advskew?: number | null;
    readonly demote?: number | null;
    readonly priority?: number;
    readonly advertInterval?: number;
    readonly authenticates: boolean;
    readonly ok: number;
    readonly badAuth: number;
    readonly replay: number;
    /** Copies signed with the other key of a rolling key change (`key-change-twin` drops): expected, not a failure. */
    readonly keyChangeTwins?: number;
    /** When the last of them arrived (null while none): a key change is in progress while it is recent. */
    readonly lastKeyChangeTwin?: string | null;
    readonly lastHeard: string;
  }[];
  /**
   * Foreign masters: adverts for this group's id that it cannot hear (kind `vrrp-v2`: a VRRPv2
   * router; `carp`: a CARP node on a VRRP group's VRID; `vrrp`: a VRRP router on a CARP group's
   * vhid; `other-vhid`: this group's passphrase and addresses under another vhid; `bad-auth`: a
   * failed authentication), each logged at warn level; and the re-announcements a MASTER made
   * because of them (docs/state-machine.md, "Foreign masters").
   */
  readonly foreign?: {
    readonly adverts: number;
    readonly reannouncements: number;
    readonly last: { readonly peer: string; readonly kind: string; readonly heardAt: string } | null;
  };
  readonly counters: {
    readonly advertsSent: number;
    readonly advertsReceived: number;
    readonly sendErrors: number;
    readonly transitions: number;
    readonly drops: Readonly<Record<DropReason, number>>;
  };
  readonly scripts: { readonly runs: number; readonly failures: number; readonly timeouts: number; readonly superseded: number; readonly lastDurationMs?: number };
  readonly checks: readonly CheckStatus[];
  /**
   * Set while the group could not configure its addresses and left mastership: it advertises
   * fully demoted until `until`, then competes again (docs/fail-safe.md).
   */
  readonly fault?: { readonly reason: string; readonly since: string; readonly until: string; readonly failures: number } | null;
  /** Claims that failed after every retry, and drift repairs (addresses or carp<vhid> put back). */
  readonly effects?: { readonly claimFailures: number; readonly repairs: number; readonly conflicts: number };
  /** While a reload's key or address-list change is rolled out: the old list is still signed and accepted until `until`. */
  readonly keyChange?: { readonly previousAddresses: readonly string[]; readonly until: string };
}

/** The whole status. */
export interface StatusReport {
  readonly version: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly configFile?: string;
  readonly groups: readonly GroupStatus[];
  /** Drops on an interface that no group could claim (unknown vhid, malformed IP ...), per interface. */
  readonly unattributedDrops: Readonly<Record<string, Readonly<Record<DropReason, number>>>>;
}

/** Events streamed by `carpctl events` (one JSON object per line). */
export type ControlEvent =
  | { readonly type: 'transition'; readonly at: string; readonly group: string; readonly interface: string; readonly vhid: number; readonly from: StateName; readonly to: StateName; readonly reason: string; readonly peer?: string }
  | { readonly type: 'demotion'; readonly at: string; readonly group: string; readonly demotion: number }
  | { readonly type: 'check'; readonly at: string; readonly group: string; readonly check: string; readonly healthy: boolean; readonly result: string }
  | { readonly type: 'reload'; readonly at: string; readonly ok: boolean; readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly string[]; readonly errors?: readonly string[] };

/** The answer to a command. */
export type CommandResult = { readonly ok: true; readonly message: string } | { readonly ok: false; readonly code: string; readonly message: string };

/** What the daemon offers to the control server. */
export interface DaemonControl {
  status(): StatusReport;
  /** Adds to a group's manual demotion (default 1; 'all' for every group). */
  demote(group: string, amount: number): CommandResult;
  /** Subtracts from a group's manual demotion (never below 0). */
  promote(group: string, amount: number): CommandResult;
  maintenance(group: string, on: boolean): CommandResult;
  /** Re-reads the config file and applies the difference (as SIGHUP). */
  reload(): Promise<CommandResult>;
  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (event: ControlEvent) => void): () => void;
}

/** Requests on the control socket. */
export type ControlRequest =
  | { readonly command: 'status' }
  | { readonly command: 'demote' | 'promote'; readonly group: string; readonly amount?: number }
  | { readonly command: 'maintenance'; readonly group: string; readonly on: boolean }
  | { readonly command: 'reload' }
  | { readonly command: 'events' };
