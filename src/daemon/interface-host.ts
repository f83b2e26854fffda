/**
 * One parent interface and what its groups share: the raw protocol-112 sockets (one per family),
 * the demultiplexing InterfaceNode (CARP and VRRP groups), one AF_PACKET socket for framed adverts and announcements, and the
 * interface's own addresses (advert sources, own-advert detection).
 */
import { InterfaceNode } from '../protocols/interface-node.ts';
import type { PacketWarningLog } from '../engine/packet-warning-log.ts';
import { ipAddressEquals, type IpAddress, type IpFamily } from '../wire/ip-address.ts';
import { parseMacAddress, type MacAddress } from '../wire/mac-address.ts';
import type { Logger } from '../ports/logger.ts';
import type { Clock } from '../ports/clock.ts';
import type { PacketTransport, SourceChange } from '../ports/packet-transport.ts';
import { isCarpdAddress, type AddressEvent, type InterfaceAddress, type LinkInfo } from '../ports/host-netlink.ts';
import type { PacketSocket } from '../linux/native-binding.ts';
import type { InterfaceSockets } from './daemon-platform.ts';

/** The shared resources of one interface. */
export class InterfaceHost {
  readonly node: InterfaceNode;
  readonly transport: PacketTransport;
  readonly mac: MacAddress;
  private packetSocket: PacketSocket | undefined;
  /** The link's name in the kernel now: the configured one until the link is renamed (same ifindex). */
  kernelName: string;
  private own: readonly IpAddress[];

  constructor(
    readonly link: LinkInfo,
    /** The interface's own addresses at start (virtual addresses excluded). */
    ownAddresses: readonly IpAddress[],
    readonly families: readonly IpFamily[],
    private readonly sockets: InterfaceSockets,
    private readonly logger: Logger,
    clock: Clock,
    /** The daemon-wide budget for warnings caused by received packets; its groups use it too. */
    readonly packetLog?: PacketWarningLog,
  ) {
    this.kernelName = link.name;
    this.own = ownAddresses;
    this.mac = parseMacAddress(link.mac);
    this.transport = sockets.transport;
    this.node = new InterfaceNode(this.transport, logger, clock, packetLog);
  }

  /** The interface's name. */
  get name(): string {
    return this.link.name;
  }

  /** The interface's own addresses now (virtual addresses excluded), as the address events left them. */
  get ownAddresses(): readonly IpAddress[] {
    return this.own;
  }

  /**
   * An address event: an own address of this interface added or removed (not one carpd added,
   * not a virtual address of its groups). The transport's own-advert detection and advert
   * sources follow (issue 19 item 2: the source was pinned at start, so a renumbered host's
   * adverts failed, or left with the stale source). Returns the sources that moved.
   */
  noteAddress(event: AddressEvent, isVirtual: (address: IpAddress) => boolean): readonly SourceChange[] {
    const { address } = event;
    if (address.ifindex !== this.link.index || isCarpdAddress(address) || isVirtual(address.address)) return [];
    const others = this.own.filter((a) => !ipAddressEquals(a, address.address));
    return this.replaceOwnAddresses(event.type === 'new' ? [...others, address.address] : others);
  }

  /** The own addresses as re-read after lost address events (ownAddressesOf). */
  replaceOwnAddresses(addresses: readonly IpAddress[]): readonly SourceChange[] {
    this.own = addresses;
    return this.transport.setOwnAddresses(addresses);
  }

  /** One AF_PACKET socket shared by every group of the interface; groups must not close it. */
  sharedPacketSocket(): PacketSocket {
    const open = (): PacketSocket => {
      // By the kernel's name now: AF_PACKET sockets are opened by name, and the parent may have been renamed.
      this.packetSocket ??= this.sockets.openPacketSocket(this.kernelName);
      return this.packetSocket;
    };
    return {
      sendFrame: (frame) => {
        try {
          open().sendFrame(frame);
        } catch (error) {
          // The interface may have been re-created: one retry on a fresh socket.
          this.packetSocket?.close();
          this.packetSocket = undefined;
          this.logger.debug('packet socket reopened', { interface: this.link.name, error: String(error) });
          open().sendFrame(frame);
        }
      },
      close: () => {},
    };
  }

  /** Closes the sockets. */
  close(): void {
    this.packetSocket?.close();
    this.packetSocket = undefined;
    this.node.close();
  }
}

/** Addresses of an interface minus the virtual ones. */
export function ownAddressesOf(addresses: readonly InterfaceAddress[], virtual: readonly IpAddress[]): IpAddress[] {
  return addresses.filter((a) => !virtual.some((v) => v.family === a.address.family && v.text === a.address.text)).map((a) => a.address);
}
