/**
 * The packet port on Linux: one raw protocol-112 socket per family on one interface (the native
 * addon), decoding what arrives into Datagrams. The interface's addresses come from the caller
 * (the netlink adapter), not from here.
 */
import type { DatagramHandler, PacketTransport, SourceChange } from '../ports/packet-transport.ts';
import { defaultAdvertSource, followAdvertSource } from '../wire/advert-source.ts';
import { CARP_GROUP_V4, CARP_GROUP_V6 } from '../wire/advert-frame.ts';
import { ipAddressEquals, ipAddressFromBytes } from '../wire/ip-address.ts';
import type { IpAddress, IpFamily } from '../wire/ip-address.ts';
import { decodeIpv4Packet, IPPROTO_CARP } from '../wire/ip-packet.ts';
import type { Datagram } from '../wire/ip-packet.ts';
import { loadNativeBinding } from './native-binding.ts';
import type { CarpSocket, CarpSocketBinding, NativePacket } from './native-binding.ts';

/** The CARP multicast groups (carp(4); ip_carp.c INADDR_CARP_GROUP, in6addr_linklocal_carp). */
const CARP_GROUP: Readonly<Record<IpFamily, IpAddress>> = {
  4: CARP_GROUP_V4,
  6: CARP_GROUP_V6,
};

/** Codes passed to onMalformed besides the IPv4 DecodeErrorCodes. */
export type RawMalformedCode = 'truncated' | 'missing-ancillary-data';

/** Options of RawCarpTransport. */
export interface RawCarpTransportOptions {
  /** The interface to bind to, e.g. "eth0". */
  readonly ifname: string;
  /** The families to open a socket for. */
  readonly families: readonly IpFamily[];
  /** Every address of this host on the interface at start (own-advert detection, default sources); setOwnAddresses() replaces them. */
  readonly addresses: readonly IpAddress[];
  /** Explicit advert sources (--srcip, source_address), pinned; otherwise IPv4 uses the first address, IPv6 the link-local one, following renumbering. */
  readonly sources?: Partial<Record<IpFamily, IpAddress>>;
  /** Receives socket errors (recvmsg failures, receive-handler failures); the transport keeps running. Failed sends throw. */
  readonly onError: (error: Error) => void;
  /** The addon; tests may pass a fake. */
  readonly binding?: CarpSocketBinding;
}

/** Raw-socket CARP transport for one interface. */
export class RawCarpTransport implements PacketTransport {
  private readonly sockets = new Map<IpFamily, CarpSocket>();
  private readonly sources = new Map<IpFamily, IpAddress>();
  private handler: DatagramHandler = () => {};
  private malformedHandler: (code: string) => void = () => {};
  private addresses: readonly IpAddress[];

  /** Opens the sockets; throws the addon's error (ENODEV, EPERM ...) when one cannot be opened. */
  constructor(private readonly options: RawCarpTransportOptions) {
    const binding = options.binding ?? loadNativeBinding();
    this.addresses = options.addresses;
    try {
      for (const family of options.families) {
        const socket = binding.openCarpSocket({
          family,
          ifname: options.ifname,
          onPacket: (packet) => this.receive(family, packet),
          onError: (error) => this.report(error),
        });
        this.sockets.set(family, socket);
        const source = options.sources?.[family] ?? defaultAdvertSource(family, options.addresses);
        if (source !== undefined) {
          // Pin the source the kernel uses, so sourceAddress() is what peers see.
          socket.bindSource(source.text);
          this.sources.set(family, source);
        }
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  send(family: IpFamily, payload: Uint8Array, destination: IpAddress = CARP_GROUP[family]): void {
    const socket = this.sockets.get(family);
    if (socket === undefined) throw new Error(`no IPv${family} socket on ${this.options.ifname}`);
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    // A kernel error (ENOBUFS, ENETDOWN while the link is down) propagates: the engine counts
    // it in advert_send_errors_total and tries again with the next advert. Swallowing it here
    // counted failed sends as sent.
    socket.send(bytes, destination.text);
  }

  sourceAddress(family: IpFamily): IpAddress | undefined {
    return this.sources.get(family);
  }

  setOwnAddresses(addresses: readonly IpAddress[]): readonly SourceChange[] {
    this.addresses = [...addresses];
    const changes: SourceChange[] = [];
    for (const [family, socket] of this.sockets) {
      const from = this.sources.get(family);
      const to = followAdvertSource(family, from, this.addresses, this.options.sources?.[family] !== undefined);
      if (to === undefined || (from !== undefined && ipAddressEquals(from, to))) continue;
      // The addon puts the source in each send's IP_PKTINFO / IPV6_PKTINFO: the next advert uses it.
      socket.bindSource(to.text);
      this.sources.set(family, to);
      changes.push({ family, from, to });
    }
    return changes;
  }

  isOwnAddress(address: IpAddress): boolean {
    return this.addresses.some((own) => ipAddressEquals(own, address));
  }

  onDatagram(handler: DatagramHandler): void {
    this.handler = handler;
  }

  onMalformed(handler: (code: string) => void): void {
    this.malformedHandler = handler;
  }

  /** Closes every socket; idempotent. */
  close(): void {
    for (const socket of this.sockets.values()) socket.close();
    this.sockets.clear();
  }

  /** Lets the process exit while the sockets are open (a one-shot tool, a test). */
  unref(): void {
    for (const socket of this.sockets.values()) socket.unref();
  }

  /** The receive path: never throws back into the addon; handler failures go to onError. */
  private receive(family: IpFamily, packet: NativePacket): void {
    try {
      const datagram = family === 4 ? this.fromIpv4(packet) : this.fromIpv6(packet);
      if (datagram !== undefined) this.handler(datagram);
    } catch (error) {
      this.report(error);
    }
  }

  private fromIpv4(packet: NativePacket): Datagram | undefined {
    if (packet.truncated) return this.malformed('truncated');
    const result = decodeIpv4Packet(packet.data);
    if (!result.ok) return this.malformed(result.error.code);
    return result.value;
  }

  /** IPv6 raw sockets deliver only the payload: the rest comes from the ancillary data. */
  private fromIpv6(packet: NativePacket): Datagram | undefined {
    if (packet.truncated) return this.malformed('truncated');
    const { source, destination, hopLimit } = packet;
    if (source?.length !== 16 || destination?.length !== 16 || hopLimit === undefined) {
      return this.malformed('missing-ancillary-data');
    }
    return {
      family: 6,
      source: ipAddressFromBytes(source),
      destination: ipAddressFromBytes(destination),
      ttl: hopLimit,
      protocol: IPPROTO_CARP, // the socket only receives protocol 112
      payload: packet.data,
    };
  }

  private malformed(code: string): undefined {
    this.malformedHandler(code);
    return undefined;
  }

  private report(error: unknown): void {
    try {
      this.options.onError(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // An error handler that throws has nowhere left to report to.
    }
  }
}
