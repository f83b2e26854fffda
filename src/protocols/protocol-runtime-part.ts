/**
 * A protocol's runtime part (protocols/protocol-module.ts `runtime`): what the daemon, the
 * control API and carpctl need from a group's protocol, in the domain's terms, so that none of
 * them asks which protocol a group speaks (docs/development.md "Protocol modules"). Each protocol
 * implements it in its folder (protocols/carp/carp-runtime.ts, protocols/vrrp/vrrp-runtime.ts);
 * the daemon reaches it through the registry (protocols/index.ts runtimeOf).
 *
 * The group's config and status are types of config/ and control/, imported as types only
 * (test/architecture/layer-rules.ts): a part maps its group's config down to its engine's
 * settings and its runner's state up to its status fields, and runs no code of either layer.
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { GroupStatus } from '../control/control-types.ts';
import type { ProtocolRunner as RunnerCoreContract } from '../engine/runner-core.ts';
import type { InterfaceNode } from './interface-node.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';
import type { Logger } from '../ports/logger.ts';
import type { RunnerCorePorts } from '../engine/runner-core.ts';
import type { PacketTransport } from '../ports/packet-transport.ts';
import type { PacketWarningLog } from '../engine/packet-warning-log.ts';
import type { IpAddress } from '../wire/ip-address.ts';
import type { MacAddress } from '../wire/mac-address.ts';
import type { ProtocolName } from './protocol-module.ts';

/**
 * A running group's engine as the daemon drives it, whichever protocol: the lifecycle commands
 * and the state shared by every protocol's runner (engine/runner-core.ts), and the master-down
 * interval (the protocol switch waits it out, daemon/protocol-switch.ts).
 */
export interface ProtocolRunner extends RunnerCoreContract {
  readonly masterDownMicros: number;
}

/** What a runner is built on: the engine's ports and the daemon-wide packet-warning budget. */
export type RunnerPorts = RunnerCorePorts & { readonly packetLog?: PacketWarningLog };

/** A virtual address as the daemon resolved it (its prefix is the daemon's business). */
export interface GroupAddress {
  readonly address: IpAddress;
}

/** What planning a group's runner looks at: its key, its addresses, its interface, the state store. */
export interface RunnerContext {
  /** The group's key (keyPurpose): CARP's 20-byte key, a VRRPv2 password, or empty. */
  readonly key: Uint8Array;
  readonly addresses: readonly GroupAddress[];
  /** The group's interface: its name (messages) and its transport (the advert source it offers). */
  readonly host: { readonly name: string; readonly transport: Pick<PacketTransport, 'sourceAddress'> };
  readonly store: GroupStateStore;
  readonly logger: Logger;
}

/** A refusal before anything on the host changes, with its stable code (src/config/error-codes.ts). */
export interface RunnerRefusal {
  readonly code: string;
  readonly message: string;
}

/** A runner checked and ready to build, once the group's effects and transport exist. */
export interface RunnerPlan<R extends ProtocolRunner = ProtocolRunner> {
  readonly protocol: ProtocolName;
  build(ports: RunnerPorts): R;
}

/** What a group's passphrase source is read as (daemon/read-passphrase.ts). */
export type KeyPurpose = 'carp-key' | 'vrrp2-password';

/** Where a secret's text came from: inline in the config, an environment variable (unset reads as ''), a file's first line. */
export type SecretOrigin = 'inline' | 'env' | 'file';

/**
 * How a protocol turns a secret's text into its key, with its own limits and wording. The daemon
 * reads the text (daemon/read-passphrase.ts: files, environment) and names no protocol.
 */
export interface SecretReader {
  /** The purpose this reader serves (keyPurpose's answer for the groups that use it). */
  readonly purpose: KeyPurpose;
  /** The message when a group of this purpose has no source at all. */
  readonly noneMessage: string;
  /** The key from the text; throws an Error naming `where` (the source) as the protocol words it, never the secret. */
  keyFromText(text: string, origin: SecretOrigin, where: string): Uint8Array;
}

/** The fields of a group's status that depend on its protocol (control/control-types.ts GroupStatus). */
export type ProtocolStatus = Pick<GroupStatus, 'protocol' | 'advbase' | 'advskew' | 'advertisedAdvskew' | 'demoteByte' | 'replayMode' | 'vrrp' | 'master' | 'heard' | 'familyLoss'>;

/** A group's protocol status, and a rolling key change while one is open. */
export interface ProtocolStatusReport {
  readonly protocol: ProtocolStatus;
  readonly keyChange?: GroupStatus['keyChange'];
}

/** Monotonic µs to an ISO time. */
export type ToIso = (micros: number) => string;

/** A group's protocol lines in `carpctl status` (cli/carpctl.ts formatGroup places them). */
export interface StatusLines {
  /** How the group names itself in its heading: "vhid 7", "VRRP VRID 7", "VRRPv2 VRID 7". */
  readonly id: string;
  readonly advertised: string;
  readonly master: string;
  /** Rows after the drops row (label, text). */
  readonly extra: readonly (readonly [string, string])[];
  /** One row per node heard (label on the first). */
  readonly heard: readonly (readonly [string, string])[];
}

/** The interface node a runner joins: the demultiplexer of its interface (protocols/interface-node.ts). */
export type RunnerNode = Pick<InterfaceNode, 'addGroup' | 'removeGroup'>;

/** One protocol's runtime part; `C` is its own group config. */
export interface ProtocolRuntimePart<C = GroupConfig, R extends ProtocolRunner = ProtocolRunner> {
  /** What the group's passphrase source is read as; undefined: nothing is read. */
  keyPurpose(config: C): KeyPurpose | undefined;
  /** How the secret of keyPurpose's answer is read (this part's one purpose). */
  readonly secretReader: SecretReader;
  /** The group's virtual MAC (its macvlan's address). */
  virtualMac(config: C): MacAddress;
  /** True when the group's addresses are its interface's own (never added or removed). */
  isAddressOwner(config: C): boolean;
  /** How log lines name the group's protocol (the protocol switch's lines): 'carp', 'vrrp', 'vrrp2'. */
  label(config: C): string;
  /** What to suggest beside "use a free address" when a virtual address is the host's own ('' for none). */
  hostAddressHint: string;
  /** Why the group cannot run on its interface, checked before anything on the host changes; undefined: it can. */
  preStartCheck(config: C, context: RunnerContext): RunnerRefusal | undefined;
  /** Plans the group's runner (after preStartCheck). */
  planRunner(config: C, context: RunnerContext): RunnerPlan<R>;
  /** A reload's in-place changes, handed to the runner (built by this part) in its own terms. */
  reconfigure(runner: ProtocolRunner, config: C, key: Uint8Array, addresses: readonly GroupAddress[]): void;
  /** The runner (built by this part) joins / leaves its interface's demultiplexer. */
  attach(runner: ProtocolRunner, node: RunnerNode, config: C): void;
  detach(runner: ProtocolRunner, node: RunnerNode): void;
  /** The protocol's status fields; before the runner exists, the configured values. */
  status(config: C, runner: ProtocolRunner | undefined, toIso: ToIso): ProtocolStatusReport;
  /** The protocol's lines of `carpctl status`; `ago` renders an ISO time as carpctl does. */
  statusLines(status: GroupStatus, ago: (iso: string) => string): StatusLines;
}
