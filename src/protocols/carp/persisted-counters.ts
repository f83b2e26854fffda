/**
 * Loads a group's persisted counters (send reservation, replay mark) with the sanity bound of
 * protocols/carp/send-counter.ts: a value further ahead of the wall clock than a day
 * (PERSISTED_COUNTER_LEAD_MAX) is refused, warned about with the file, field and value, replaced
 * by 0 (the clock-based value) and overwritten in the store. A saturated reservation made its node
 * repeat one counter and both nodes of the pair master for good (issue 19 item 9;
 * docs/replay-and-threat-model.md, "Sanity bounds on counters").
 */
import type { GroupStateStore, PersistedGroupState } from '../../ports/group-state-store.ts';
import type { Logger } from '../../ports/logger.ts';
import { isPersistedCounterPlausible } from './send-counter.ts';

/** The persisted state of `key`, implausible values refused. */
export function loadPlausibleCounters(store: GroupStateStore, key: string, wallclockMicros: bigint, logger: Logger, group: { name: string; vhid: number }): PersistedGroupState {
  const persisted = store.load(key);
  const refuse = (field: keyof PersistedGroupState): bigint => {
    const value = persisted[field];
    if (isPersistedCounterPlausible(value, wallclockMicros)) return value;
    const file = store.describe?.(key) ?? key;
    logger.warn(`${group.name}: state file ${file}: ${field} ${value} is more than a day ahead of the clock; refused, starting from the clock`, {
      group: group.name,
      vhid: group.vhid,
      file,
      field,
      value: value.toString(),
    });
    return 0n;
  };
  const plausible = { sendReservation: refuse('sendReservation'), replayHighWater: refuse('replayHighWater') };
  // Stores only ever raise a value: without this the refused value would stay and block every later save.
  if (plausible.sendReservation !== persisted.sendReservation || plausible.replayHighWater !== persisted.replayHighWater) store.replace(key, plausible);
  return plausible;
}
