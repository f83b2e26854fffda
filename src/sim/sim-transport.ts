/**
 * The packet port of a simulated host: wraps CARP payloads in real IPv4/IPv6 packets (the same
 * codecs the daemon uses) and decodes what the segment delivers, so the sim exercises the whole
 * receive path.
 */
import { CARP_GROUP_V4, CARP_GROUP_V6 } from '../wire/advert-frame.ts';
import { ipAddressEquals, type IpAddress, type IpFamily } from '../wire/ip-address.ts';
import { decodeIpPacket, encodeIpv4Packet, encodeIpv6Packet } from '../wire/ip-packet.ts';
import type { DatagramHandler, PacketTransport, SourceChange } from '../ports/packet-transport.ts';
import { followAdvertSource } from '../wire/advert-source.ts';
import type { SimLan } from './sim-lan.ts';


/** A simulated host's transport. */
export class SimTransport implements PacketTransport {
  private handler: DatagramHandler = () => {};
  private malformedHandler: (code: string) => void = () => {};
  private addresses: readonly IpAddress[];
  /** The source per family: the first address of the family, then as setOwnAddresses() moves it. */
  private readonly sources = new Map<IpFamily, IpAddress>();
  constructor(
    private readonly lan: SimLan,
    readonly host: string,
    addresses: readonly IpAddress[],
    /** Ids of every packet the segment delivered to this host; owned by the host, so it outlives restarts. */
    private readonly receivedIds: Set<number> = new Set(),
    /** Sources pinned by configuration (source_address, --srcip): they never move. */
    private readonly pinned: Partial<Record<IpFamily, IpAddress>> = {},
  ) {
    this.addresses = addresses;
    for (const family of [4, 6] as const) {
      const first = pinned[family] ?? addresses.find((a) => a.family === family);
      if (first !== undefined) this.sources.set(family, first);
    }
    lan.attach(host, (bytes, id) => this.receive(bytes, id), (destination) => this.addresses.some((a) => a.bytes.length === destination.length && a.bytes.every((b, i) => b === destination[i])));
  }

  /** Set: every send fails with it (a host firewall dropping outgoing protocol 112: EPERM). */
  sendError: Error | undefined;

  send(family: IpFamily, payload: Uint8Array, destination?: IpAddress): void {
    if (this.sendError !== undefined) throw this.sendError;
    const source = this.sourceAddress(family);
    if (source === undefined) throw new Error(`host ${this.host} has no IPv${family} address`);
    const bytes =
      family === 4
        ? encodeIpv4Packet({ source, destination: destination ?? CARP_GROUP_V4, payload })
        : encodeIpv6Packet({ source, destination: destination ?? CARP_GROUP_V6, payload });
    this.lan.send(this.host, bytes);
  }

  sourceAddress(family: IpFamily): IpAddress | undefined {
    return this.sources.get(family);
  }

  /** The host renumbered: unicast delivery and the sources not pinned follow. */
  setOwnAddresses(addresses: readonly IpAddress[]): readonly SourceChange[] {
    this.addresses = [...addresses];
    const changes: SourceChange[] = [];
    for (const family of [4, 6] as const) {
      const from = this.sources.get(family);
      const to = followAdvertSource(family, from, this.addresses, this.pinned[family] !== undefined);
      if (to === undefined || (from !== undefined && ipAddressEquals(from, to))) continue;
      this.sources.set(family, to);
      changes.push({ family, from, to });
    }
    return changes;
  }

  isOwnAddress(address: IpAddress): boolean {
    return this.addresses.some((a) => ipAddressEquals(a, address));
  }

  onDatagram(handler: DatagramHandler): void {
    this.handler = handler;
  }

  onMalformed(handler: (code: string) => void): void {
    this.malformedHandler = handler;
  }

  close(): void {
    this.lan.detach(this.host);
  }

  /** True when the segment delivered the packet with this id to this host (replay properties). */
  hasReceived(packetId: number): boolean {
    return this.receivedIds.has(packetId);
  }

  /** Delivers raw IP bytes as if they came from the wire (attacker injection in tests). */
  receive(bytes: Uint8Array, packetId?: number): void {
    if (packetId !== undefined) this.receivedIds.add(packetId);
    const decoded = decodeIpPacket(bytes);
    if (!decoded.ok) {
      this.malformedHandler(decoded.error.code);
      return;
    }
    this.handler(decoded.value);
  }
}
