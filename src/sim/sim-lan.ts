/**
 * An in-memory Ethernet segment carrying whole IP packets between simulated hosts, with delay,
 * jitter, random loss, partitions, the loss of one IP version and per-host link state. Multicast goes to every other
 * reachable host; a packet to a unicast address goes only to the host that owns it.
 */
import type { Clock } from '../ports/clock.ts';

/** Segment behaviour. */
export interface LanOptions {
  /** One-way delay in µs. */
  readonly delayMicros: number;
  /** Extra uniform random delay in µs. */
  readonly jitterMicros: number;
  /** Drop probability per delivery, 0..1. */
  readonly lossRate: number;
}

/** A frame as seen by a tap: who sent it, when, and the IP packet. */
export interface TappedPacket {
  readonly id: number;
  readonly from: string;
  readonly at: number;
  readonly bytes: Uint8Array;
}

interface Attachment {
  readonly receive: (bytes: Uint8Array, packetId: number) => void;
  readonly owns: (destination: Uint8Array) => boolean;
  linkUp: boolean;
}

/** The simulated segment. */
export class SimLan {
  private readonly hosts = new Map<string, Attachment>();
  private partitionOf: Map<string, number> | undefined;
  /** IP versions whose every packet is lost (a filter on IPv6 protocol 112, say). */
  private readonly blockedVersions = new Set<4 | 6>();
  private options: LanOptions;
  private nextPacketId = 1;
  private readonly taps: ((packet: TappedPacket) => void)[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
    options: Partial<LanOptions> = {},
  ) {
    this.options = { delayMicros: 200, jitterMicros: 100, lossRate: 0, ...options };
  }

  /** Connects a host. `owns` tells whether a unicast destination address belongs to it. */
  attach(host: string, receive: (bytes: Uint8Array, packetId: number) => void, owns: (destination: Uint8Array) => boolean): void {
    this.hosts.set(host, { receive, owns, linkUp: true });
  }

  /** Disconnects a host (crash); packets in flight to it are lost. */
  detach(host: string): void {
    this.hosts.delete(host);
  }

  /** Sets a host's link state; a down link neither sends nor receives. */
  setLinkUp(host: string, up: boolean): void {
    const attachment = this.hosts.get(host);
    if (attachment !== undefined) attachment.linkUp = up;
  }

  /** Splits the segment: hosts in the same inner list reach each other; unlisted hosts reach nobody. */
  partition(sides: readonly (readonly string[])[]): void {
    this.partitionOf = new Map();
    sides.forEach((side, index) => side.forEach((host) => this.partitionOf?.set(host, index)));
  }

  /** Removes every partition. */
  heal(): void {
    this.partitionOf = undefined;
  }

  /** Loses (or stops losing) every packet of one IP version, as a filter in the switch would. */
  blockFamily(family: 4 | 6, blocked: boolean): void {
    if (blocked) this.blockedVersions.add(family);
    else this.blockedVersions.delete(family);
  }

  /** Changes the loss rate. */
  setLossRate(lossRate: number): void {
    this.options = { ...this.options, lossRate };
  }

  /** Observes every packet sent on the segment (an attacker's or a test's capture). */
  tap(listener: (packet: TappedPacket) => void): void {
    this.taps.push(listener);
  }

  /** Sends an IP packet from a host. */
  send(from: string, bytes: Uint8Array): void {
    const sender = this.hosts.get(from);
    if (sender === undefined || !sender.linkUp) return;
    const packet: TappedPacket = { id: this.nextPacketId++, from, at: this.clock.nowMicros(), bytes: Uint8Array.from(bytes) };
    for (const tap of this.taps) tap(packet);
    this.deliver(packet, (host) => host !== from && this.reachable(from, host));
  }

  /** Puts a packet on the wire as if from outside any host (an attacker), to chosen hosts or all. */
  inject(bytes: Uint8Array, to?: readonly string[]): void {
    const packet: TappedPacket = { id: this.nextPacketId++, from: 'attacker', at: this.clock.nowMicros(), bytes: Uint8Array.from(bytes) };
    this.deliver(packet, (host) => to === undefined || to.includes(host));
  }

  /** When the last packet on each sender>receiver path is delivered (order per path). */
  private readonly lastDeliveryOnPath = new Map<string, number>();

  private reachable(a: string, b: string): boolean {
    if (this.partitionOf === undefined) return true;
    const sideA = this.partitionOf.get(a);
    return sideA !== undefined && sideA === this.partitionOf.get(b);
  }

  private deliver(packet: TappedPacket, eligible: (host: string) => boolean): void {
    const destination = destinationOf(packet.bytes);
    const multicast = destination === undefined || isMulticastBytes(destination);
    const version = (packet.bytes[0] ?? 0) >> 4;
    if ((version === 4 || version === 6) && this.blockedVersions.has(version)) return;
    for (const [host, attachment] of this.hosts) {
      if (!eligible(host) || !attachment.linkUp) continue;
      if (!multicast && !attachment.owns(destination as Uint8Array)) continue;
      if (this.options.lossRate > 0 && this.random() < this.options.lossRate) continue;
      const delay = this.options.delayMicros + this.random() * this.options.jitterMicros;
      // One path keeps its order, as a switched segment does: jitter never delivers a host's
      // later packet to a receiver before its earlier one (packets of different senders still
      // interleave freely).
      const path = `${packet.from}>${host}`;
      const at = Math.max(this.clock.nowMicros() + delay, this.lastDeliveryOnPath.get(path) ?? -Infinity);
      this.lastDeliveryOnPath.set(path, at);
      this.clock.setTimer(at, () => {
        const current = this.hosts.get(host);
        if (current === attachment && current.linkUp) current.receive(packet.bytes, packet.id);
      });
    }
  }
}

function destinationOf(bytes: Uint8Array): Uint8Array | undefined {
  const version = (bytes[0] ?? 0) >> 4;
  if (version === 4 && bytes.length >= 20) return bytes.subarray(16, 20);
  if (version === 6 && bytes.length >= 40) return bytes.subarray(24, 40);
  return undefined;
}

function isMulticastBytes(address: Uint8Array): boolean {
  const first = address[0] ?? 0;
  return address.length === 4 ? (first & 0xf0) === 0xe0 : first === 0xff;
}
