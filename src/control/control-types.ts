/**
 * The control API's vocabulary: what `carpctl` asks, what the daemon answers, and the events it
 * streams. JSON on the wire (one object per line); the daemon implements DaemonControl.
 * Secrets never appear here.
 */
import type { DropReason } from '../protocol/drop-reason.ts';

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
}

/** One group in `carpctl status`. */
export interface GroupStatus {
  readonly name: string;
  readonly interface: string;
  readonly vhid: number;
  readonly state: StateName;
  /** When the current state began (ISO 8601). */
  readonly since: string;
  /** Why (a TransitionReason). */
  readonly reason: string;
  readonly addresses: readonly string[];
  readonly advbase: number;
  readonly advskew: number;
  /** advskew as advertised, demotion included. */
  readonly advertisedAdvskew: number;
  readonly demoteByte: number;
  readonly demotion: DemotionStatus;
  readonly preempt: boolean;
  readonly vmac?: string;
  readonly replayMode: 'strict' | 'compat';
  readonly peers: readonly string[];
  /** The master as last heard (null when never heard or we are it). */
  readonly master: {
    readonly address: string;
    readonly advbase: number;
    readonly advskew: number;
    readonly demote: number;
    readonly heardAt: string;
    /** The master's source address per family (a dual-stack master: its IPv4 and its IPv6 link-local). */
    readonly addresses?: { readonly ipv4?: string; readonly ipv6?: string };
  } | null;
  /**
   * Every node heard for this vhid (at most 32, most recent first): what its last authentic advert
   * carried, whether its last advert authenticated, and its accepted / bad-auth / replay counts.
   */
  readonly heard: readonly {
    readonly address: string;
    readonly advbase: number | null;
    readonly advskew: number | null;
    readonly demote: number | null;
    readonly authenticates: boolean;
    readonly ok: number;
    readonly badAuth: number;
    readonly replay: number;
    readonly lastHeard: string;
  }[];
  readonly counters: {
    readonly advertsSent: number;
    readonly advertsReceived: number;
    readonly sendErrors: number;
    readonly transitions: number;
    readonly drops: Readonly<Record<DropReason, number>>;
  };
  readonly scripts: { readonly runs: number; readonly failures: number; readonly timeouts: number; readonly lastDurationMs?: number };
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
