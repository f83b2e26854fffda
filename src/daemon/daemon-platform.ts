/**
 * The host side of the daemon beyond netlink: the per-interface sockets, the sysctls a virtual
 * MAC needs, the cleanup guard and the passphrase reader. The Daemon only sees this port, so
 * its start-up order, drift repair and reload can be unit-tested with a fake platform
 * (test/helpers/fake-platform.ts) and FakeHostNetlink; linuxPlatform() is the real one, built
 * only by the composition root (run-daemon.ts).
 */
import type { PassphraseSource } from '../config/config-types.ts';
import type { IpAddress, IpFamily } from '../wire/ip-address.ts';
import type { Logger } from '../ports/logger.ts';
import type { LinkInfo } from '../ports/host-netlink.ts';
import type { PacketTransport } from '../ports/packet-transport.ts';
import { loadNativeBinding, type PacketSocket } from '../linux/native-binding.ts';
import { RawCarpTransport } from '../linux/raw-carp-transport.ts';
import { prepareVirtualMacSysctls, restoreSysctls, type SysctlChange } from '../linux/sysctl.ts';
import { CleanupGuard, type GuardSpec } from './cleanup-guard.ts';
import { readGroupKey, type KeyPurpose } from './read-passphrase.ts';

/** What one interface's groups share: the CARP transport and a way to send raw frames. */
export interface InterfaceSockets {
  readonly transport: PacketTransport;
  /** Opens an AF_PACKET socket on the interface (announcements, framed adverts); `ifname` when it was renamed. */
  openPacketSocket(ifname?: string): PacketSocket;
}

/** The running cleanup guard, as the daemon drives it. */
export interface GuardHandle {
  /** The guard now removes exactly what this spec names if the daemon dies. */
  update(spec: GuardSpec): void;
  /** A clean stop: the guard leaves without touching anything. */
  release(): void;
}

/** The platform port. */
export interface DaemonPlatform {
  /** Opens the raw CARP sockets of an interface (throws on failure, e.g. EPERM, or no IPv6). */
  openInterface(spec: { link: LinkInfo; families: readonly IpFamily[]; ownAddresses: readonly IpAddress[]; sources: Partial<Record<IpFamily, IpAddress>>; logger: Logger }): InterfaceSockets;
  /** Sets arp_ignore/arp_announce for a virtual MAC; returns what to restore. */
  prepareSysctls(parent: string, virtualInterface: string, logger: Logger): SysctlChange[];
  restoreSysctls(changes: readonly SysctlChange[], logger: Logger): void;
  /** Starts the supervised cleanup guard. */
  startGuard(spec: GuardSpec, logger: Logger): GuardHandle;
  /** Reads a group's 20-byte CARP key, or a VRRPv2 group's simple password (throws with the cause). */
  readKey(source: PassphraseSource, logger: Logger, purpose?: KeyPurpose): Uint8Array;
}

/** The real platform: raw sockets and AF_PACKET through the addon, /proc/sys, the native carpd-guard. */
export function linuxPlatform(): DaemonPlatform {
  return {
    openInterface: ({ link, families, ownAddresses, sources, logger }) => {
      const transport = new RawCarpTransport({
        ifname: link.name,
        families,
        addresses: ownAddresses,
        sources,
        onError: (error) => logger.warn('socket error', { interface: link.name, error: error.message }),
      });
      return { transport, openPacketSocket: (ifname = link.name) => loadNativeBinding().openPacketSocket(ifname) };
    },
    prepareSysctls: prepareVirtualMacSysctls,
    restoreSysctls,
    startGuard: (spec, logger) => CleanupGuard.start(spec, logger),
    readKey: readGroupKey,
  };
}
