/**
 * `carpctl handover GROUP [--timeout S]`: make-before-break for planned maintenance. Puts the
 * group into maintenance on this node (full demotion), then waits until this node is BACKUP and
 * hears another node as master; that is success (exit 0), and the node stays in maintenance
 * until `carpctl maintenance off GROUP`. If no other node takes over within the timeout, the
 * maintenance is ended again, so the node stays (or becomes again) the master: exit 1. Runs in
 * carpctl against the control API (status, maintenance), so the daemon needs nothing new.
 */
import { request } from '../control/control-client.ts';
import type { CommandResult, GroupStatus, StatusReport } from '../control/control-types.ts';

/** What runHandover needs from carpctl. */
export interface HandoverIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly nowMs: () => number;
  /** Ctrl-C / SIGTERM: stop waiting and end the maintenance again, as on a timeout. */
  readonly interrupt?: AbortSignal;
}

/** Default --timeout, seconds. */
export const HANDOVER_DEFAULT_TIMEOUT_SECONDS = 30;
const POLL_MS = 100;
const REQUEST_TIMEOUT_MS = 10_000;

/** Runs the handover; returns carpctl's exit status (0 handed over, 1 not, errors thrown to carpctl). */
export async function runHandover(path: string, group: string, timeoutMs: number, io: HandoverIo): Promise<number> {
  const before = await groupStatus(path, group);
  if (before === undefined) {
    io.stderr(`carpctl: no group ${JSON.stringify(group)} (CARPD_NO_GROUP)\n`);
    return 1;
  }
  const startedAt = io.nowMs();
  const on = (await request(path, { command: 'maintenance', group, on: true }, REQUEST_TIMEOUT_MS)) as CommandResult;
  if (!on.ok) {
    io.stderr(`carpctl: ${on.message} (${on.code})\n`);
    return 1;
  }
  const deadline = startedAt + timeoutMs;
  for (let i = 0; i < 100_000 && io.nowMs() < deadline && io.interrupt?.aborted !== true; i++) {
    const now = await groupStatus(path, group);
    const master = now?.master;
    // Heard after the demotion: an older "master" entry (ourselves earlier, or a stale peer) does not count.
    if (now?.state === 'BACKUP' && master !== null && master !== undefined && Date.parse(master.heardAt) >= startedAt - 1) {
      io.stdout(`${group}: handed over to ${peerName(now)} in ${io.nowMs() - startedAt} ms; this node stays in maintenance (carpctl maintenance off ${group} ends it)\n`);
      return 0;
    }
    await io.sleep(POLL_MS);
  }
  const off = (await request(path, { command: 'maintenance', group, on: false }, REQUEST_TIMEOUT_MS)) as CommandResult;
  const undone = off.ok ? 'maintenance ended again' : `and ending the maintenance failed: ${off.message} (${off.code})`;
  const why = io.interrupt?.aborted === true ? 'interrupted before another node took over' : `no other node took over within ${Math.round(timeoutMs / 1000)} s`;
  io.stderr(`carpctl: ${group}: ${why}; ${undone}\n`);
  return 1;
}

/**
 * The new master as the operator knows it: by its address of the family of the group's first
 * VIP. A dual-stack master sends an IPv4 and an IPv6 advert; `master.address` is the source of
 * whichever came last, so an IPv4 group could be "handed over to fe80::..." (issue 18).
 */
export function peerName(status: Pick<GroupStatus, 'addresses' | 'master'>): string {
  const master = status.master;
  if (master === null) return 'another node';
  const first = status.addresses[0];
  if (first === undefined) return master.address;
  const wanted = first.includes(':') ? master.addresses?.ipv6 : master.addresses?.ipv4;
  return wanted ?? master.address;
}

async function groupStatus(path: string, group: string): Promise<GroupStatus | undefined> {
  const answer = (await request(path, { command: 'status' }, REQUEST_TIMEOUT_MS)) as { ok?: boolean; status?: StatusReport };
  return answer.status?.groups.find((g) => g.name === group);
}
