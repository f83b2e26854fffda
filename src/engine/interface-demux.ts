/**
 * Every group of one interface, whatever their protocols: one transport (one raw socket per
 * family: CARP and VRRP are both IP protocol 112 to the same groups, docs/protocol-vrrp.md "CARP
 * and VRRP on one segment"), and a demultiplexer that hands each datagram to one protocol's node
 * (protocol-node.ts). The protocols come as a list (ProtocolNodeSpec, from the registry through
 * protocols/interface-node.ts), the first being the default judge; with CARP first and VRRP
 * judging VRRPv3 payloads first, the rule is the table below:
 *
 *   payload                       owner of its byte 1           goes to
 *   VRRPv3 (version 3)            a VRRP group (family, VRID)   VRRP acceptance
 *                                 else a CARP group (vhid)      CARP acceptance: dropped 'vrrp'
 *                                 else nobody                   VRRP if VRRP groups run here, else CARP
 *   anything else (CARP, VRRPv2,  a CARP group (vhid)           CARP acceptance
 *   short, other versions)        else a VRRP group             VRRP acceptance: dropped 'carp', 'vrrp-v2' ...
 *                                 else nobody                   CARP if CARP groups run here (or none do), else VRRP
 *
 * In general: the protocols that judge this payload first, then the others in list order; the
 * first of them that has a group with the payload's id, else the first that has any group, else
 * the default judge. So a packet is always judged by the group whose number it carries, and its
 * drop counted there under the reason that acceptance gives, as a CARP-only node always did; a
 * CARP-only node behaves exactly as before. Unattributed drops are the sum of every node's and
 * the malformed IP packets counted here.
 */
import { emptyDropCounts, type DropReason } from '../wire/drop-reason.ts';
import type { Datagram } from '../wire/ip-packet.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { PacketTransport } from '../ports/packet-transport.ts';
import { PacketWarningLog } from './packet-warning-log.ts';
import type { AddGroupOptions, ProtocolNode, ProtocolNodeSpec } from './protocol-node.ts';
import type { ProtocolRunner } from './runner-core.ts';

interface Side {
  readonly spec: ProtocolNodeSpec;
  readonly node: ProtocolNode;
}

/** The groups of one interface, each protocol's in its node. */
export class InterfaceDemux {
  private readonly sides: readonly Side[];
  /** Packets that did not parse as IP (counted before any protocol could be told). */
  private readonly malformed: Record<DropReason, number>;

  constructor(
    private readonly transport: PacketTransport,
    logger: Logger,
    clock: Pick<Clock, 'nowMicros' | 'setTimer' | 'clearTimer'>,
    /** The daemon-wide budget for packet-caused warnings (packet-warning-log.ts); else one of its own. */
    packetLog: PacketWarningLog | undefined,
    /** The protocols, the default judge first. */
    protocols: readonly ProtocolNodeSpec[],
    /** Every drop reason, in metric order: the keys of unattributedDrops. */
    private readonly dropReasons: readonly DropReason[],
  ) {
    if (protocols.length === 0) throw new Error('an interface needs at least one protocol');
    const context = { transport, logger, clock, packetLog: packetLog ?? new PacketWarningLog(logger, clock) };
    this.sides = protocols.map((spec) => ({ spec, node: spec.createNode(context) }));
    this.malformed = emptyDropCounts(dropReasons);
    transport.onDatagram((datagram) => this.receive(datagram));
    transport.onMalformed(() => this.malformed['bad-ip']++);
  }

  /** The node of a protocol (undefined for a protocol not in the list). */
  nodeOf(protocol: string): ProtocolNode | undefined {
    return this.sides.find((side) => side.spec.protocol === protocol)?.node;
  }

  /** Adds a group to its protocol's node. */
  addGroup(runner: ProtocolRunner, options: AddGroupOptions = {}): void {
    this.sideOf(runner).node.addGroup(runner, options);
  }

  /** Removes a group (after shutting it down). */
  removeGroup(runner: ProtocolRunner): void {
    this.sideOf(runner).node.removeGroup(runner);
  }

  /** Drops no group could claim, summed over every protocol. */
  get unattributedDrops(): Record<DropReason, number> {
    const sum = emptyDropCounts(this.dropReasons);
    for (const reason of this.dropReasons) {
      sum[reason] = this.malformed[reason] + this.sides.reduce((total, side) => total + (side.node.unattributedDrops[reason] ?? 0), 0);
    }
    return sum;
  }

  /** Routes one datagram to one protocol's node (see the table above). Never throws. */
  receive(datagram: Datagram): void {
    this.choose(datagram).node.receive(datagram);
  }

  /** The side that judges a datagram: see the header (one shape test per protocol, no allocation: a flood passes here). */
  private choose(datagram: Datagram): Side {
    const id = datagram.payload[1];
    let firstOwner: Side | undefined;
    let otherOwner: Side | undefined;
    let firstBusy: Side | undefined;
    let otherBusy: Side | undefined;
    for (const side of this.sides) {
      const first = side.spec.judgesFirst(datagram.payload);
      if (id !== undefined && side.node.has(datagram.family, id)) {
        if (first) firstOwner ??= side;
        else otherOwner ??= side;
      }
      if (side.node.size > 0) {
        if (first) firstBusy ??= side;
        else otherBusy ??= side;
      }
    }
    return firstOwner ?? otherOwner ?? firstBusy ?? otherBusy ?? (this.sides[0] as Side);
  }

  /** Closes the transport. */
  close(): void {
    this.transport.close();
  }

  private sideOf(runner: ProtocolRunner): Side {
    const side = this.sides.find((candidate) => candidate.spec.protocol === runner.protocol);
    if (side === undefined) throw new Error(`no ${runner.protocol} node on this interface`);
    return side;
  }
}
