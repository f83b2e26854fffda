/**
 * The native addon (native/carp_socket.cc, built by `npm ci` into build/Release) and its types.
 * Loaded lazily so that modules importing the Linux adapters still load where it is not built.
 */
import { createRequire } from 'node:module';

/** What the addon hands to onPacket for each datagram. */
export interface NativePacket {
  /** IPv4: the whole IP packet, header included. IPv6: the payload only (the kernel strips the header). */
  readonly data: Buffer;
  /** True when the datagram was larger than the receive buffer (never for a real advert). */
  readonly truncated: boolean;
  /** The receiving interface (IP_PKTINFO / IPV6_PKTINFO). */
  readonly ifindex?: number;
  /** IPv4 TTL (IP_RECVTTL). */
  readonly ttl?: number;
  /** IPv6 source address, 16 bytes. */
  readonly source?: Buffer;
  /** IPv6 destination address from IPV6_PKTINFO, 16 bytes. */
  readonly destination?: Buffer;
  /** IPv6 hop limit (IPV6_RECVHOPLIMIT). */
  readonly hopLimit?: number;
}

/** An Error from a system call, with Node's usual fields. */
export interface NativeError extends Error {
  readonly code?: string;
  readonly errno?: number;
  readonly syscall?: string;
}

/** Options of openCarpSocket. */
export interface CarpSocketOptions {
  readonly family: 4 | 6;
  readonly ifname: string;
  /** Called once per received datagram, with a fresh Buffer. */
  readonly onPacket: (packet: NativePacket) => void;
  /** Called for receive errors other than EAGAIN; the socket stays open. */
  readonly onError: (error: NativeError) => void;
}

/** A raw protocol-112 socket bound to one interface and joined to the CARP group. */
export interface CarpSocket {
  /** Sends a CARP payload; the kernel adds the IP header (TTL/hop limit 255). Throws NativeError. */
  send(payload: Buffer, destination: string): void;
  /** Uses this local address as the source of later sends (per-send PKTINFO, not bind()). */
  bindSource(address: string): void;
  /** Stops receiving and closes the socket; idempotent, allowed inside onPacket. */
  close(): void;
  /** Keeps the event loop alive while open (the default). */
  ref(): void;
  /** Lets the process exit even though the socket is open. */
  unref(): void;
}

/** An AF_PACKET socket for sending raw Ethernet frames on one interface. */
export interface PacketSocket {
  /** Sends one frame, Ethernet header included. Throws NativeError. */
  sendFrame(frame: Buffer): void;
  close(): void;
}

/** The addon's exports. */
export interface CarpSocketBinding {
  openCarpSocket(options: CarpSocketOptions): CarpSocket;
  openPacketSocket(ifname: string): PacketSocket;
}

let binding: CarpSocketBinding | undefined;

/** Loads the addon once; throws if it was not built (run `npm ci` or `npm run install`). */
export function loadNativeBinding(): CarpSocketBinding {
  binding ??= createRequire(import.meta.url)('../../build/Release/carp_socket.node') as CarpSocketBinding;
  return binding;
}
