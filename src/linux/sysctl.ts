/**
 * Kernel settings through /proc/sys (never by running sysctl(8)). Paths are relative, with '/'
 * separators as in /proc: `net/ipv4/conf/eth0/arp_ignore`. /proc/sys/net is per network
 * namespace, so a daemon in a namespace only touches that namespace's settings.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from '../ports/logger.ts';

const ROOT = '/proc/sys';

/** A sysctl that could not be written (or a path that is not a sysctl). */
export class SysctlError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    detail: string,
  ) {
    super(`sysctl ${path.replaceAll('/', '.')}: ${detail}`);
    this.name = 'SysctlError';
  }
}

/** Interface names may contain '.', which the dotted form cannot express: only '/' paths here. */
function fullPath(path: string): string {
  const parts = path.split('/');
  if (parts.length === 0 || parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new SysctlError(path, 'EINVAL', 'not a sysctl path (expected e.g. net/ipv4/conf/eth0/arp_ignore)');
  }
  return `${ROOT}/${path}`;
}

/** The current value, trimmed; undefined when the sysctl does not exist (or cannot be read). */
export function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(fullPath(path), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Writes a value; throws SysctlError with the errno code (ENOENT, EACCES, EINVAL ...). */
export function writeSysctl(path: string, value: string): void {
  const file = fullPath(path);
  try {
    writeFileSync(file, `${value}\n`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    const reason = code === 'ENOENT' ? 'no such setting (is the interface there?)' : code === 'EACCES' || code === 'EPERM' ? 'permission denied (needs CAP_NET_ADMIN)' : code;
    throw new SysctlError(path, code, `cannot set to ${JSON.stringify(value)}: ${reason}`);
  }
}

/** One sysctl's value before carpd changed it (undefined if it could not be read). */
export interface SysctlChange {
  readonly path: string;
  readonly previous: string | undefined;
  readonly value: string;
}

/**
 * Makes ARP follow the virtual MAC (docs/development.md "ARP for an address on a macvlan"). With
 * Linux's default arp_ignore=0 every interface answers ARP for every local address, so a request
 * for the VIP got two replies: the parent's real MAC and the virtual MAC. arp_ignore=1 on both
 * makes only the interface holding the address answer. arp_announce=2 on both makes the host's
 * own ARP requests use an address of the sending interface as source: without it on the parent,
 * a reply to traffic for the VIP leaves through the parent, its ARP request names the VIP as
 * sender with the parent's real MAC, and neighbours re-point the VIP at the real MAC (seen in the
 * lab: the client's entry flipped to the parent's MAC). Only these per-interface
 * settings change (the kernel uses the maximum of `all` and the interface for arp_ignore, so
 * `all` is left alone). Returns what was changed, for restoreSysctls.
 */
export function prepareVirtualMacSysctls(parent: string, vif: string, logger: Logger): SysctlChange[] {
  const wanted: [string, string][] = [
    [`net/ipv4/conf/${parent}/arp_ignore`, '1'],
    [`net/ipv4/conf/${parent}/arp_announce`, '2'],
    [`net/ipv4/conf/${vif}/arp_ignore`, '1'],
    [`net/ipv4/conf/${vif}/arp_announce`, '2'],
  ];
  const changes: SysctlChange[] = [];
  for (const [path, value] of wanted) {
    const previous = readSysctl(path);
    if (previous === value) continue;
    writeSysctl(path, value);
    logger.info('changed a kernel setting for the virtual MAC', { sysctl: path.replaceAll('/', '.'), from: previous, to: value });
    changes.push({ path, previous, value });
  }
  return changes;
}

/** Puts back what prepareVirtualMacSysctls changed; failures are logged (the interface may be gone). */
export function restoreSysctls(changes: readonly SysctlChange[], logger: Logger): void {
  for (const { path, previous } of [...changes].reverse()) {
    if (previous === undefined) continue;
    try {
      writeSysctl(path, previous);
      logger.info('restored a kernel setting', { sysctl: path.replaceAll('/', '.'), to: previous });
    } catch (error) {
      logger.warn('could not restore a kernel setting', { sysctl: path.replaceAll('/', '.'), error: (error as Error).message });
    }
  }
}
