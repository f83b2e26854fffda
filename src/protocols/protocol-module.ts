/**
 * A protocol carpd speaks (CARP; VRRP with its versions), as one module: everything that differs
 * between protocols lives in the protocol's folder (protocols/carp/, protocols/vrrp/) behind this
 * interface, and the layers above (config, daemon, control, metrics, simulator) reach a protocol
 * only through the registry (protocols/index.ts) without knowing which one it is
 * (docs/development.md "Protocol modules").
 */
import type { ProtocolConfigPart } from './protocol-config-part.ts';
import type { ProtocolRuntimePart } from './protocol-runtime-part.ts';
import type { ProtocolSimPart } from './protocol-sim-part.ts';
import type { ProtocolWirePart } from './protocol-wire-part.ts';

/** The protocols, as the file's `protocol:` and `--protocol` spell them. */
export type ProtocolName = 'carp' | 'vrrp';

/** One protocol. */
export interface ProtocolModule {
  readonly name: ProtocolName;
  /** Its settings: keys and flags, defaults, validation, rendering, its group config type (protocol-config-part.ts). */
  readonly config: ProtocolConfigPart;
  /** What the daemon, control API and carpctl need from a group's protocol (protocol-runtime-part.ts). */
  readonly runtime: ProtocolRuntimePart;
  /** Builds the protocol's groups on the simulated LAN (src/sim/). */
  readonly sim: ProtocolSimPart;
  /** Its payloads, node, foreign-advert summary and drop reasons (protocol-wire-part.ts). */
  readonly wire: ProtocolWirePart;
}
