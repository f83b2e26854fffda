/**
 * A protocol carpd speaks (CARP; VRRP with its versions), as one module: everything that differs
 * between protocols lives in the protocol's folder (protocols/carp/, protocols/vrrp/) behind this
 * interface, and the layers above (config, daemon, control, metrics, simulator) reach a protocol
 * only through the registry (protocols/index.ts) without knowing which one it is
 * (docs/development.md "Protocol modules").
 */

import type { ProtocolConfigPart } from './protocol-config-part.ts';

/** The protocols, as the file's `protocol:` and `--protocol` spell them. */
export type ProtocolName = 'carp' | 'vrrp';

/** One protocol. */
export interface ProtocolModule {
  readonly name: ProtocolName;
  readonly config: ProtocolConfigPart;
}
