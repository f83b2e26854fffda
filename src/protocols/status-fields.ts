/**
 * Status pieces every protocol's status part shares (protocols/carp/carp-status.ts,
 * protocols/vrrp/vrrp-status.ts): a heard node's counters, the master's source per family, and
 * how carpctl prints the master's addresses and an interval. Field names are a contract
 * (control/control-types.ts GroupStatus, docs/control-api.md).
 */
import type { GroupStatus } from '../control/control-types.ts';
import type { HeardPeer } from '../engine/peer-table.ts';
import type { IpFamily } from '../wire/ip-address.ts';
import type { ToIso } from './protocol-runtime-part.ts';

/** The counters of a heard node, the same for every protocol. */
export function heardCounters(p: HeardPeer, toIso: ToIso): { authenticates: boolean; ok: number; badAuth: number; replay: number; keyChangeTwins: number; lastKeyChangeTwin: string | null; lastHeard: string } {
  return {
    authenticates: p.authenticates,
    ok: p.ok,
    badAuth: p.badAuth,
    replay: p.replay,
    keyChangeTwins: p.keyChangeTwins,
    lastKeyChangeTwin: p.lastKeyChangeTwinAt === undefined ? null : toIso(p.lastKeyChangeTwinAt),
    lastHeard: toIso(p.lastHeardAt),
  };
}

/** The master's source address per family, as status shows it. */
export function masterSources(sources: Partial<Record<IpFamily, string>>): { ipv4?: string; ipv6?: string } {
  return { ...(sources[4] === undefined ? {} : { ipv4: sources[4] }), ...(sources[6] === undefined ? {} : { ipv6: sources[6] }) };
}

/** The master's address, with its other family's in brackets: "198.51.100.2 (IPv6 fe80::2)". */
export function masterAddresses(master: NonNullable<GroupStatus['master']>): string {
  const { ipv4, ipv6 } = master.addresses ?? {};
  if (ipv4 !== undefined && ipv6 !== undefined) return `${ipv4} (IPv6 ${ipv6})`;
  return ipv4 ?? ipv6 ?? master.address;
}

/** carpctl's master line: "this node", "not heard", or the master's addresses, details and when heard. */
export function masterLine(g: GroupStatus, details: string, ago: (iso: string) => string): string {
  return g.master === null ? (g.state === 'MASTER' ? 'this node' : 'not heard') : `${masterAddresses(g.master)} ${details}, heard ${ago(g.master.heardAt)}`;
}

/** Seconds as carpctl prints an interval: "1 s", "0.5 s". */
export function intervalText(seconds: number): string {
  return `${seconds} s`;
}
