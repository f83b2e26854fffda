/**
 * Every group of one interface, CARP and VRRPv3 alike: one transport (one raw socket per family,
 * both protocols are IP protocol 112 to the same groups, docs/protocol-vrrp.md "CARP and VRRP on one segment"), and a demultiplexer
 * that tells each datagram's protocol by its shape (protocol-112.ts) and hands it to the CARP
 * groups (CarpNode, by vhid) or the VRRP groups (VrrpNode, by VRID and family):
 *
 *   payload                       owner of its byte 1           goes to
 *   VRRPv3 (version 3)            a VRRP group (family, VRID)   VRRP acceptance
 *                                 else a CARP group (vhid)      CARP acceptance: dropped 'vrrp'
 *                                 else nobody                   VRRP if VRRP groups run here, else CARP
 *   anything else (CARP, VRRPv2,  a CARP group (vhid)           CARP acceptance
 *   short, other versions)        else a VRRP group             VRRP acceptance: dropped 'carp', 'vrrp-v2' ...
 *                                 else nobody                   CARP if CARP groups run here (or none do), else VRRP
 *
 * So a packet is always judged by the group whose number it carries, and its drop counted there
 * under the reason that acceptance gives, as a CARP-only node always did; a CARP-only node
 * behaves exactly as before. Unattributed drops are the sum of both sides' and the malformed IP
 * packets counted here.
 */
import { emptyDropCounts, DROP_REASONS, type DropReason } from '../wire/drop-reason.ts';
import type { Datagram } from '../wire/ip-packet.ts';
import { classifyProtocol112 } from '../protocols/protocol-112.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { PacketTransport } from '../ports/packet-transport.ts';
import { CarpNode } from '../protocols/carp/carp-node.ts';
import { PacketWarningLog } from './packet-warning-log.ts';
import type { GroupRunner } from '../protocols/carp/carp-group-runner.ts';
import type { VrrpGroupRunner } from '../protocols/vrrp/vrrp-group-runner.ts';
import { VrrpNode } from '../protocols/vrrp/vrrp-node.ts';

/** The groups of one interface. */
export class InterfaceNode {
  readonly carp: CarpNode;
  readonly vrrp: VrrpNode;
  /** Packets that did not parse as IP (counted before any protocol could be told). */
  private readonly malformed: Record<DropReason, number> = emptyDropCounts();

  constructor(
    private readonly transport: PacketTransport,
    logger: Logger,
    clock: Pick<Clock, 'nowMicros' | 'setTimer' | 'clearTimer'>,
    /** The daemon-wide budget for packet-caused warnings (packet-warning-log.ts). */
    packetLog?: PacketWarningLog,
  ) {
    const log = packetLog ?? new PacketWarningLog(logger, clock);
    this.carp = new CarpNode(transport, logger, clock, { attach: false, packetLog: log });
    this.vrrp = new VrrpNode((address) => transport.isOwnAddress(address), log);
    transport.onDatagram((datagram) => this.receive(datagram));
    transport.onMalformed(() => this.malformed['bad-ip']++);
  }

  /** Adds a group of either protocol. */
  addGroup(runner: GroupRunner | VrrpGroupRunner, options: { requireTtl255ForUnicast?: boolean } = {}): void {
    if (runner.protocol === 'vrrp') this.vrrp.addGroup(runner);
    else this.carp.addGroup(runner, options);
  }

  /** Removes a group (after shutting it down). */
  removeGroup(runner: GroupRunner | VrrpGroupRunner): void {
    if (runner.protocol === 'vrrp') this.vrrp.removeGroup(runner);
    else this.carp.removeGroup(runner.vhid);
  }

  /** Drops no group could claim, summed over both protocols. */
  get unattributedDrops(): Record<DropReason, number> {
    const sum = emptyDropCounts();
    for (const reason of DROP_REASONS) sum[reason] = this.malformed[reason] + this.carp.unattributedDrops[reason] + this.vrrp.unattributedDrops[reason];
    return sum;
  }

  /** Routes one datagram to the CARP or the VRRP side (see the table above). Never throws. */
  receive(datagram: Datagram): void {
    const id = datagram.payload[1];
    const vrrpOwns = id !== undefined && this.vrrp.has(datagram.family, id);
    const carpOwns = id !== undefined && this.carp.has(id);
    const toVrrp =
      classifyProtocol112(datagram.payload) === 'vrrp-v3'
        ? vrrpOwns || (!carpOwns && this.vrrp.size > 0)
        : !carpOwns && (vrrpOwns || (this.carp.size === 0 && this.vrrp.size > 0));
    if (toVrrp) this.vrrp.receive(datagram);
    else this.carp.receive(datagram);
  }

  /** Closes the transport. */
  close(): void {
    this.transport.close();
  }
}
