/**
 * A group's demotion (pure): what it advertises, from manual demotion, maintenance, failed health
 * checks and down tracked interfaces, and the shared fate of sync sets.
 *
 * The number is a demotion counter as OpenBSD keeps it (0..255, carp_group_demote_count,
 * docs/protocol-carp.md "Demotion"). The state machine turns it into the demote byte (capped at
 * 255) and a raised advskew for FreeBSD and ucarp peers (advskew + demotion capped at 240,
 * FreeBSD's DEMOTE_ADVSKEW, same section):
 * see fsm/intervals.ts demoteByte and demotedAdvskew.
 */

/** The largest demotion: the demote byte is one octet. Maintenance advertises this. */
export const MAX_DEMOTION = 255;

/** What a group's own demotion is made of. */
export interface DemotionInputs {
  /** carpctl demote/promote (never negative; a negative value counts as 0). */
  readonly manual: number;
  /** carpctl maintenance: yield to any peer. */
  readonly maintenance: boolean;
  /** Weights of the group's checks that are failed after rise/fall. */
  readonly failedCheckWeights: readonly number[];
  /** Weights of the group's tracked interfaces whose link is down. */
  readonly downInterfaceWeights: readonly number[];
}

/** Sums weights, ignoring negative ones, capped at MAX_DEMOTION. */
export function sumWeights(weights: readonly number[]): number {
  let total = 0;
  for (const weight of weights) total += Math.max(0, weight);
  return Math.min(total, MAX_DEMOTION);
}

/** A group's own demotion: 255 in maintenance, else manual + failed weights, capped at 255. */
export function groupDemotion(inputs: DemotionInputs): number {
  if (inputs.maintenance) return MAX_DEMOTION;
  return sumWeights([inputs.manual, ...inputs.failedCheckWeights, ...inputs.downInterfaceWeights]);
}

/** A group's own demotion, and the sync set it belongs to. */
export interface SyncSetMember {
  readonly name: string;
  readonly syncSet?: string;
  readonly own: number;
}

/** What a group advertises after shared fate. */
export interface SharedDemotion {
  /** max(own, the highest own demotion in the group's sync set). */
  readonly total: number;
  /** Present when the sync set raised the group above its own demotion: the set, its demotion, and the member it comes from. */
  readonly fromSyncSet?: { readonly name: string; readonly demotion: number; readonly group: string };
}

/**
 * Shared fate: every member of a sync set advertises at least the highest demotion of any
 * member, so when one group must yield (its service failed, its link went down), every group of
 * the set yields with it and the set's addresses stay on one node. Groups without a set keep
 * their own demotion. On equal highest demotions the first member in input order is named.
 */
export function syncSetDemotions(groups: readonly SyncSetMember[]): Map<string, SharedDemotion> {
  const highest = new Map<string, { demotion: number; group: string }>();
  for (const group of groups) {
    if (group.syncSet === undefined) continue;
    const own = clampDemotion(group.own);
    const current = highest.get(group.syncSet);
    if (current === undefined || own > current.demotion) highest.set(group.syncSet, { demotion: own, group: group.name });
  }
  const result = new Map<string, SharedDemotion>();
  for (const group of groups) {
    const own = clampDemotion(group.own);
    const set = group.syncSet === undefined ? undefined : highest.get(group.syncSet);
    if (group.syncSet === undefined || set === undefined || set.demotion <= own) {
      result.set(group.name, { total: own });
    } else {
      result.set(group.name, { total: set.demotion, fromSyncSet: { name: group.syncSet, demotion: set.demotion, group: set.group } });
    }
  }
  return result;
}

function clampDemotion(value: number): number {
  return Math.max(0, Math.min(MAX_DEMOTION, value));
}
