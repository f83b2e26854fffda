/**
 * The VRRPv3 groups of one interface, by (family, VRID): IPv4 and IPv6 virtual routers of one
 * VRID are separate instances (RFC 5798 §1). Runs vrrp-acceptance.ts on each datagram that
 * InterfaceNode routes here, counts drops by reason (per group when the VRID and family are ours,
 * else per node) and hands accepted adverts to their group.
 */
import { emptyDropCounts, type DropReason } from '../../wire/drop-reason.ts';
import type { IpAddress, IpFamily } from '../../wire/ip-address.ts';
import type { Datagram } from '../../wire/ip-packet.ts';
import { acceptVrrpAdvert, type VrrpAcceptanceContext } from './vrrp-acceptance.ts';
import type { PacketWarningLog } from '../../engine/packet-warning-log.ts';
import type { VrrpGroupRunner } from './vrrp-group-runner.ts';
import type { ProtocolNode, ProtocolNodeContext } from '../../engine/protocol-node.ts';
import type { ProtocolRunner } from '../../engine/runner-core.ts';
import { VRRP_WIRE_DROP_REASONS } from './vrrp-wire-reasons.ts';

/** The VRRP side of one interface. */
export class VrrpNode {
  /** Drops that could not be attributed to a configured VRRP group. */
  readonly unattributedDrops: Record<DropReason, number> = emptyDropCounts(VRRP_WIRE_DROP_REASONS);
  private readonly groups = new Map<string, VrrpGroupRunner>();
  /** How many groups speak each VRRP version (a group's version never changes in place). */
  private readonly groupsByVersion = new Map<number, number>();
  private readonly context: VrrpAcceptanceContext;

  constructor(
    isOwnAddress: (address: IpAddress) => boolean,
    /** Where packet-caused log lines go, within the daemon-wide budget (packet-warning-log.ts). */
    private readonly packetLog: PacketWarningLog,
  ) {
    this.context = {
      group: (family, vrid) => this.groups.get(key(family, vrid))?.acceptance,
      isOwnAddress,
      // Counted, not searched: an unclaimed datagram must cost O(1) however many groups run.
      speaks: (version) => (this.groupsByVersion.get(version) ?? 0) > 0,
    };
  }

  /** Adds a group; its (family, VRID) must be unique on this interface. */
  addGroup(runner: VrrpGroupRunner): void {
    const id = key(runner.settings.family, runner.vhid);
    if (this.groups.has(id)) throw new Error(`VRID ${runner.vhid} (IPv${runner.settings.family}) is already configured on this interface`);
    this.groups.set(id, runner);
    this.groupsByVersion.set(runner.settings.version, (this.groupsByVersion.get(runner.settings.version) ?? 0) + 1);
  }

  /** Removes a group (after shutting it down). */
  removeGroup(runner: VrrpGroupRunner): void {
    const id = key(runner.settings.family, runner.vhid);
    if (this.groups.get(id) !== runner) return;
    this.groups.delete(id);
    this.groupsByVersion.set(runner.settings.version, (this.groupsByVersion.get(runner.settings.version) ?? 1) - 1);
  }

  /** True when a group runs this VRID in this family. */
  has(family: IpFamily, vrid: number): boolean {
    return this.groups.has(key(family, vrid));
  }

  /** How many groups run here. */
  get size(): number {
    return this.groups.size;
  }

  /** The groups. */
  get runners(): VrrpGroupRunner[] {
    return [...this.groups.values()];
  }

  /** Handles one datagram. Never throws: a bad packet is a counted drop. */
  receive(datagram: Datagram): void {
    try {
      const result = acceptVrrpAdvert(datagram, this.context);
      if (result.ok) {
        this.groups.get(key(datagram.family, result.advert.header.vrid))?.receive(result.advert);
        return;
      }
      const group = result.vrid === undefined ? undefined : this.groups.get(key(datagram.family, result.vrid));
      if (group === undefined) {
        this.unattributedDrops[result.reason]++;
        return;
      }
      group.countDrop(result.reason);
      if (result.reason === 'vrrp-v2' || result.reason === 'vrrp-v3' || result.reason === 'carp') group.noteForeignAdvert(result.reason, datagram);
      if (result.reason === 'auth-type-mismatch' || result.reason === 'password-mismatch' || result.reason === 'interval-mismatch') group.noteRejectedAdvert(result.reason, datagram);
    } catch (error) {
      // A bug, not an input problem: keep the daemon alive and say so loudly.
      this.packetLog.log('error', 'internal error while handling a VRRP datagram', { error: String(error), source: datagram.source.text });
    }
  }
}

/** VrrpNode as the interface's VRRP node (engine/protocol-node.ts). */
export function vrrpProtocolNode(context: ProtocolNodeContext): ProtocolNode {
  const node = new VrrpNode((address) => context.transport.isOwnAddress(address), context.packetLog);
  const vrrpRunner = (runner: ProtocolRunner): VrrpGroupRunner => {
    // The registry gives each protocol's runners only to its own node; this guards the cast.
    if (runner.protocol !== 'vrrp') throw new Error(`a ${runner.protocol} group cannot join the VRRP node`);
    return runner as VrrpGroupRunner;
  };
  return {
    has: (family, vrid) => node.has(family, vrid),
    get size() {
      return node.size;
    },
    addGroup: (runner) => node.addGroup(vrrpRunner(runner)),
    removeGroup: (runner) => node.removeGroup(vrrpRunner(runner)),
    receive: (datagram) => node.receive(datagram),
    unattributedDrops: node.unattributedDrops,
  };
}

function key(family: IpFamily, vrid: number): string {
  return `${family}/${vrid}`;
}
