/**
 * Tells the link that the virtual addresses moved here: one gratuitous ARP per IPv4 address and
 * one unsolicited Neighbor Advertisement per IPv6 address (docs/protocol-carp.md "Gratuitous ARP and unsolicited NA"), sent as whole
 * Ethernet frames through an AF_PACKET socket so that the Ethernet source is `sourceMac` (the
 * virtual MAC with --vmac). Best effort: failures are logged and counted, never thrown.
 */
import { gratuitousArpFrame } from '../wire/arp-packet.ts';
import type { IpAddress } from '../wire/ip-address.ts';
import type { MacAddress } from '../wire/mac-address.ts';
import { unsolicitedNeighborAdvertisementFrame } from '../wire/neighbor-advertisement.ts';
import type { Logger } from '../ports/logger.ts';
import type { PacketSocket } from './native-binding.ts';
import { loadNativeBinding } from './native-binding.ts';

/** Options of Announcer. */
export interface AnnouncerOptions {
  /** The interface to send on (the macvlan with --vmac, else the parent). */
  readonly ifname: string;
  /** Ethernet source, ARP sender MAC and NA target link-layer address. */
  readonly sourceMac: MacAddress;
  /** Set the NA Router flag (when the host forwards IPv6). */
  readonly router: boolean;
  /** Opens the packet socket; the native addon's by default, a fake in tests. */
  readonly openPacketSocket?: (ifname: string) => PacketSocket;
  readonly logger: Logger;
}

/** Counters of an Announcer. */
export interface AnnouncerStats {
  /** Frames handed to the kernel. */
  readonly sent: number;
  /** Frames given up on (after one reopen-and-retry), and failed opens. */
  readonly errors: number;
}

/** Sends gratuitous ARPs and unsolicited NAs for the virtual addresses. */
export class Announcer {
  private readonly options: AnnouncerOptions;
  private readonly open: (ifname: string) => PacketSocket;
  private socket: PacketSocket | undefined;
  private sent = 0;
  private errors = 0;

  constructor(options: AnnouncerOptions) {
    this.options = options;
    this.open = options.openPacketSocket ?? ((ifname) => loadNativeBinding().openPacketSocket(ifname));
  }

  /** The counters so far. */
  get stats(): AnnouncerStats {
    return { sent: this.sent, errors: this.errors };
  }

  /** One gratuitous ARP per IPv4 address, one unsolicited NA per IPv6 address, in the given order. */
  announce(addresses: readonly IpAddress[]): void {
    const { sourceMac: mac, router } = this.options;
    for (const address of addresses) {
      const frame =
        address.family === 4 ? gratuitousArpFrame(mac, address) : unsolicitedNeighborAdvertisementFrame({ mac, target: address, router });
      this.send(frame, address);
    }
  }

  /** Closes the packet socket; a later announce() opens it again. */
  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return;
    try {
      socket.close();
    } catch (error) {
      this.options.logger.debug('packet socket close failed', { ifname: this.options.ifname, error: describe(error) });
    }
  }

  /** Sends one frame; on failure reopens the socket once (the interface may have been recreated) and retries. */
  private send(frame: Uint8Array, address: IpAddress): void {
    const kind = address.family === 4 ? 'gratuitous ARP' : 'unsolicited NA';
    let lastError: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const socket = (this.socket ??= this.open(this.options.ifname));
        socket.sendFrame(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
        this.sent++;
        this.options.logger.debug(`sent ${kind}`, { ifname: this.options.ifname, address: address.text, mac: this.options.sourceMac.text });
        return;
      } catch (error) {
        lastError = error;
        this.close();
      }
    }
    this.errors++;
    this.options.logger.warn(`could not send ${kind}`, { ifname: this.options.ifname, address: address.text, error: describe(lastError) });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
