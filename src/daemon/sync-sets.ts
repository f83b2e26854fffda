/**
 * Shared fate (docs/health-checks.md, sync sets): every member of a sync set advertises at least
 * the highest own demotion of any member, so a set fails over whole instead of splitting across
 * nodes.
 */

/** A group as sync sets see it (GroupInstance). */
export interface SyncSetMember {
  readonly name: string;
  readonly config: { readonly syncSet?: string | undefined };
  readonly ownDemotion: number;
  readonly totalDemotion: number;
  setSyncSetDemotion(value: { name: string; demotion: number } | undefined): void;
}

/**
 * Gives every member its set's demotion, and calls `changed` for each group whose advertised
 * demotion moved: against `previous` when given (taken before a change that already moved some),
 * else against its demotion before this call.
 */
export function shareSyncSetDemotions(groups: Iterable<SyncSetMember>, changed: (group: string, demotion: number) => void, previous?: ReadonlyMap<string, number>): void {
  const members = [...groups];
  const highest = new Map<string, number>();
  for (const g of members) {
    if (g.config.syncSet !== undefined) highest.set(g.config.syncSet, Math.max(highest.get(g.config.syncSet) ?? 0, g.ownDemotion));
  }
  for (const g of members) {
    const set = g.config.syncSet;
    const demotion = set === undefined ? undefined : highest.get(set);
    const before = previous?.get(g.name) ?? g.totalDemotion;
    g.setSyncSetDemotion(set === undefined || demotion === undefined ? undefined : { name: set, demotion });
    if (g.totalDemotion !== before) changed(g.name, g.totalDemotion);
  }
}
