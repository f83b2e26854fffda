/** Per-group counters for status, metrics and tests. */
import { emptyDropCounts, type DropReason } from '../wire/drop-reason.ts';

/** Counters of one group. */
export interface GroupStats {
  advertsSent: number;
  advertsReceived: number;
  sendErrors: number;
  transitions: number;
  drops: Record<DropReason, number>;
}

/** Zeroed counters. */
/** `dropReasons`: the reasons the group's protocol gives (its wire part's list), each counted from 0. */
export function emptyGroupStats(dropReasons?: readonly DropReason[]): GroupStats {
  return { advertsSent: 0, advertsReceived: 0, sendErrors: 0, transitions: 0, drops: emptyDropCounts(dropReasons) };
}
