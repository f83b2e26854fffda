/**
 * One protocol's groups on one interface, as the interface's demultiplexer (interface-demux.ts)
 * sees them: whichever protocol it is (CARP's CarpNode, VRRP's VrrpNode), it takes and gives up
 * group runners, says whether a group carries an id, judges the datagrams routed to it and counts
 * the drops no group could claim. Each protocol's wire part (protocols/protocol-wire-part.ts)
 * makes its node; the engine knows only this contract.
 */
import type { DropReason } from '../wire/drop-reason.ts';
import type { IpFamily } from '../wire/ip-address.ts';
import type { Datagram } from '../wire/ip-packet.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { PacketTransport } from '../ports/packet-transport.ts';
import type { PacketWarningLog } from './packet-warning-log.ts';
import type { ProtocolRunner } from './runner-core.ts';

/** How a group is added (CARP reads requireTtl255ForUnicast; a protocol ignores what it has no use for). */
export interface AddGroupOptions {
  readonly requireTtl255ForUnicast?: boolean;
}

/** One protocol's groups on one interface. */
export interface ProtocolNode {
  /** True when a group here carries this id (byte 1 of the payload: vhid, VRID) in this family. */
  has(family: IpFamily, id: number): boolean;
  /** How many groups run here. */
  readonly size: number;
  /** Adds a group runner of this protocol (a runner of another protocol is refused with an Error). */
  addGroup(runner: ProtocolRunner, options: AddGroupOptions): void;
  /** Removes a group (after shutting it down). */
  removeGroup(runner: ProtocolRunner): void;
  /** Judges one datagram routed here. Never throws: a bad packet is a counted drop. */
  receive(datagram: Datagram): void;
  /** Drops no group of this node could claim. */
  readonly unattributedDrops: Readonly<Record<DropReason, number>>;
}

/** What a node is made with: the interface's transport (not subscribed: the demultiplexer is), logger, clock and warning budget. */
export interface ProtocolNodeContext {
  readonly transport: PacketTransport;
  readonly logger: Logger;
  readonly clock: Pick<Clock, 'nowMicros' | 'setTimer' | 'clearTimer'>;
  readonly packetLog: PacketWarningLog;
}

/** One protocol as the demultiplexer needs it: its name, which payloads it judges first, and its node. */
export interface ProtocolNodeSpec {
  readonly protocol: string;
  /**
   * True for a payload whose shape makes this protocol its first judge when a group of this
   * protocol carries the id (interface-demux.ts's table: VRRP for a VRRPv3 payload). The first
   * spec of the list is the default judge, for every other shape.
   */
  judgesFirst(payload: Uint8Array): boolean;
  createNode(context: ProtocolNodeContext): ProtocolNode;
}
