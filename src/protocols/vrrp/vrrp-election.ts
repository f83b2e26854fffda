/**
 * Who should be master in VRRPv3 (RFC 5798 §6.4): the higher priority wins; at equal priority
 * the higher primary address (§6.4.3 (735)). Addresses compare as unsigned numbers, i.e.
 * bytewise in network order, as FRR (ipaddr_cmp) and keepalived (vrrp_saddr_cmp) do; there is
 * no byte-reversed rule as for ucarp in CARP (carp-election.ts). For IPv6 the primary address is the
 * link-local source of the adverts (§5.1.2.1).
 *
 * Priority comes from configuration lowered by carpd's demotion counter (effectivePriority).
 */
import { compareBytes, type IpAddress } from '../../wire/ip-address.ts';
import { MAX_DEMOTION } from '../../fsm/lifecycle.ts';

/** The address owner's priority (§5.2.4): it owns the addresses and always preempts. */
export const OWNER_PRIORITY = 255;
/** The priority a stopping master advertises (§5.2.4): backups take over after Skew_Time. */
export const RESIGN_PRIORITY = 0;
/** The lowest priority a backup may use (§5.2.4) and the floor of demotion. */
export const MIN_BACKUP_PRIORITY = 1;

/** What an advertiser offers: its priority and primary address. */
export interface VrrpOffer {
  readonly priority: number;
  readonly address: IpAddress;
}

/**
 * The priority we run with: the configured one lowered by the demotion counter, never below 1
 * (0 would mean "resigning"). A demoted owner therefore advertises at most 254 and stops being
 * the owner: it no longer starts as master or preempts regardless of preempt mode.
 */
export function effectivePriority(priority: number, demotion: number): number {
  const d = Math.max(0, Math.min(MAX_DEMOTION, Math.trunc(demotion)));
  return Math.max(MIN_BACKUP_PRIORITY, Math.min(OWNER_PRIORITY, priority - d));
}

/** True for the address owner's priority. */
export function isAddressOwner(priority: number): boolean {
  return priority === OWNER_PRIORITY;
}

/** True for a master's farewell advert (§6.4.3 (665)). */
export function isResignation(advertPriority: number): boolean {
  return advertPriority === RESIGN_PRIORITY;
}

/** Total order of offers: negative when `a` is the better master. */
export function compareVrrpOffers(a: VrrpOffer, b: VrrpOffer): number {
  if (a.priority !== b.priority) return a.priority > b.priority ? -1 : 1;
  return -compareBytes(a.address.bytes, b.address.bytes);
}

/** MASTER (§6.4.3 (725)–(735)): the advert's sender is the better master, so we step down. */
export function advertOutranksMaster(own: VrrpOffer, peer: VrrpOffer): boolean {
  return compareVrrpOffers(peer, own) < 0;
}

/**
 * BACKUP (§6.4.2 (445)): we follow the advert (learn its interval, restart Master_Down_Timer)
 * unless we preempt and it comes from a lower priority. Equal priority is followed whatever the
 * addresses: the tie rule is a master's rule only, so a backup never preempts an equal master.
 */
export function backupFollowsAdvert(preemptMode: boolean, ownPriority: number, advertPriority: number): boolean {
  return !preemptMode || advertPriority >= ownPriority;
}
