/**
 * The native addon (native/carp_socket.cc, built by `npm ci` into build/Release) and its types:
 * raw CARP sockets, an AF_PACKET sender, a netlink socket, an AF_UNIX datagram sender, a file
 * lock and a microsecond timer.
 * Loaded lazily so that modules importing the Linux adapters still load where it is not built.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../package-root.ts';

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

/** Options of openNetlinkSocket. */
export interface NetlinkSocketOptions {
  /** Netlink protocol family, e.g. NETLINK_ROUTE (0). */
  readonly protocol: number;
  /** nl_groups bitmask to bind, e.g. RTMGRP_LINK (1); 0 for a request-only socket. */
  readonly groups: number;
  /**
   * Called once per received datagram (which may hold several netlink messages), with a fresh
   * Buffer and the sender's port id (nl_pid: 0 for the kernel, else a process's socket). The
   * addon always passes the port; fakes in tests may leave it out, meaning the kernel.
   */
  readonly onMessage: (datagram: Buffer, senderPort?: number) => void;
  /**
   * Called for receive errors; the socket stays open. code 'ENOBUFS' means the kernel dropped
   * messages because the receive queue overflowed: re-read the state. 'EMSGSIZE': a datagram
   * larger than 64 KiB was dropped.
   */
  readonly onError: (error: NativeError) => void;
}

/** An AF_NETLINK raw socket: bytes in, bytes out; encoding lives in src/linux/netlink/. */
export interface NetlinkSocket {
  /** Sends one datagram to the kernel. Throws NativeError. */
  send(message: Buffer): void;
  /** Stops receiving and closes the socket; idempotent, allowed inside onMessage. */
  close(): void;
  /** Keeps the event loop alive while open (the default). */
  ref(): void;
  /** Lets the process exit even though the socket is open. */
  unref(): void;
  /** Sets the receive buffer (SO_RCVBUFFORCE, else SO_RCVBUF capped by rmem_max); default 4 MiB. */
  setReceiveBufferSize(bytes: number): void;
}

/** Options of openPreciseTimer. */
export interface PreciseTimerOptions {
  /** Called from the event loop when an armed timer expires. */
  readonly onFire: () => void;
  /** Called when polling or reading the timer fails; it may not fire again. */
  readonly onError: (error: NativeError) => void;
}

/** A one-shot timerfd on CLOCK_MONOTONIC (the clock of performance.now()), exact to the microsecond. */
export interface PreciseTimer {
  /** Fires once, `delayMicros` from now (at least 1 µs); arming again replaces the last. Throws NativeError. */
  arm(delayMicros: number): void;
  /** Nothing fires until armed again. */
  disarm(): void;
  /** Closes the timerfd; idempotent. */
  close(): void;
  /** Keeps the event loop alive (the default while open). */
  ref(): void;
  /** Lets the process exit even though the timer is open. */
  unref(): void;
}

/** The timer export (what precise-wakeup.ts needs). */
export interface PreciseTimerBinding {
  openPreciseTimer(options: PreciseTimerOptions): PreciseTimer;
}

/** The addon's packet-socket exports (what RawCarpTransport needs, and its fakes implement). */
export interface CarpSocketBinding {
  openCarpSocket(options: CarpSocketOptions): CarpSocket;
  openPacketSocket(ifname: string): PacketSocket;
}

/** The netlink export (what RouteNetlink needs). */
export interface NetlinkBinding {
  openNetlinkSocket(options: NetlinkSocketOptions): NetlinkSocket;
}

/** The AF_UNIX datagram export (what sd-notify.ts needs). */
export interface UnixDatagramBinding {
  /**
   * Sends one AF_UNIX SOCK_DGRAM datagram to `path`; a leading '@' names an abstract socket.
   * Throws NativeError (e.g. code 'ENOENT', 'ECONNREFUSED').
   */
  sendUnixDatagram(path: string, data: Buffer): void;
}

/** The file-lock export (what instance-lock.ts needs). */
export interface FileLockBinding {
  /** flock(fd, LOCK_EX | LOCK_NB): true when taken, false when another holder has it; throws NativeError otherwise. */
  flockExclusive(fd: number): boolean;
}

/** Who listens on an abstract socket (SO_PEERCRED). */
export interface SocketPeer {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/** The peer-credentials export (what the instance lock needs besides flock). */
export interface SocketPeerBinding {
  /**
   * Connects to the abstract stream socket `name` (no leading NUL or '@') and returns its
   * listener's credentials; null when nothing there accepts a stream connection. Throws NativeError.
   */
  abstractSocketPeer(name: string): SocketPeer | null;
}

/** The process-hardening export. */
export interface HardeningBinding {
  /** RLIMIT_CORE 0 and PR_SET_DUMPABLE 0 for this process. Throws NativeError. */
  disableCoreDumps(): void;
}

/** Every export of the addon. */
export interface NativeBinding extends CarpSocketBinding, NetlinkBinding, UnixDatagramBinding, FileLockBinding, PreciseTimerBinding, SocketPeerBinding, HardeningBinding {}

let binding: NativeBinding | undefined;

/** Loads the addon once; throws if it was not built (run `npm ci` or `npm run install`). */
export function loadNativeBinding(): NativeBinding {
  binding ??= createRequire(import.meta.url)(join(packageRoot(), 'build', 'Release', 'carp_socket.node')) as NativeBinding;
  return binding;
}
