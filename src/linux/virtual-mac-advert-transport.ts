/**
 * With --vmac, adverts leave with the virtual MAC 00:00:5e:00:01:<vhid> as their Ethernet source,
 * as OpenBSD and FreeBSD send them (docs/protocol-carp.md "Virtual MAC and Ethernet sources"), so switches keep the virtual MAC on the
 * master's port. The kernel's raw IP socket would use the parent's real MAC, so multicast
 * adverts are framed here (advert-frame.ts) and sent through an AF_PACKET socket on the parent.
 * Unicast adverts (to listed peers) still go through the kernel, which resolves the peer's MAC.
 * Receiving is the wrapped transport's.
 */
import { advertFrame } from '../wire/advert-frame.ts';
import { isMulticast, type IpAddress, type IpFamily } from '../wire/ip-address.ts';
import type { MacAddress } from '../wire/mac-address.ts';
import type { DatagramHandler, PacketTransport, SourceChange } from '../ports/packet-transport.ts';
import type { PacketSocket } from './native-binding.ts';
import { loadNativeBinding } from './native-binding.ts';

/** Options of VirtualMacAdvertTransport. */
export interface VirtualMacAdvertTransportOptions {
  /** The parent interface the frames go out on. */
  readonly ifname: string;
  readonly sourceMac: MacAddress;
  /** The addon's packet socket; tests may pass a fake. */
  readonly openPacketSocket?: (ifname: string) => PacketSocket;
  /** IPv4 identification values (random, as every peer sends). */
  readonly randomId?: () => number;
}

/** A transport that frames multicast adverts itself. */
export class VirtualMacAdvertTransport implements PacketTransport {
  private socket: PacketSocket | undefined;

  constructor(
    private readonly inner: PacketTransport,
    private readonly options: VirtualMacAdvertTransportOptions,
  ) {}

  send(family: IpFamily, payload: Uint8Array, destination?: IpAddress): void {
    const sourceIp = this.inner.sourceAddress(family);
    if ((destination !== undefined && !isMulticast(destination)) || sourceIp === undefined) {
      this.inner.send(family, payload, destination);
      return;
    }
    const frame = advertFrame({
      family,
      sourceMac: this.options.sourceMac,
      sourceIp,
      ...(destination === undefined ? {} : { destination }),
      payload,
      ipId: (this.options.randomId ?? (() => Math.floor(Math.random() * 0x10000)))(),
    });
    // A view, not a copy: the frame is ours and the addon copies it into the kernel.
    this.sendFrame(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  }

  sourceAddress(family: IpFamily): IpAddress | undefined {
    return this.inner.sourceAddress(family);
  }

  /** The frames' source IP is read from the inner transport at each send: it follows. */
  setOwnAddresses(addresses: readonly IpAddress[]): readonly SourceChange[] {
    return this.inner.setOwnAddresses(addresses);
  }

  isOwnAddress(address: IpAddress): boolean {
    return this.inner.isOwnAddress(address);
  }

  onDatagram(handler: DatagramHandler): void {
    this.inner.onDatagram(handler);
  }

  onMalformed(handler: (code: string) => void): void {
    this.inner.onMalformed(handler);
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
    this.inner.close();
  }

  private sendFrame(frame: Buffer): void {
    try {
      this.open().sendFrame(frame);
    } catch {
      // One retry on a fresh socket (the interface may have been re-created); a second failure
      // propagates to the engine, which counts it as a send error.
      this.socket?.close();
      this.socket = undefined;
      this.open().sendFrame(frame);
    }
  }

  private open(): PacketSocket {
    this.socket ??= (this.options.openPacketSocket ?? ((ifname) => loadNativeBinding().openPacketSocket(ifname)))(this.options.ifname);
    return this.socket;
  }
}
