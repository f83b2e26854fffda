/**
 * Durable per-group protocol state: the send-counter reservation and the replay high-water mark
 * (protocols/carp/send-counter.ts, protocols/carp/replay-guard.ts). Both only ever grow.
 */

/** What is kept for one group. */
export interface PersistedGroupState {
  readonly sendReservation: bigint;
  readonly replayHighWater: bigint;
}

/** The store port. Saves must not block the advert path; adapters may coalesce them. */
export interface GroupStateStore {
  /** Read once at group start; zeros when nothing was stored. */
  load(key: string): PersistedGroupState;
  saveSendReservation(key: string, value: bigint): void;
  saveReplayHighWater(key: string, value: bigint): void;
  /** Overwrites the stored state (a refused, implausible value is replaced: the only way down). */
  replace(key: string, state: PersistedGroupState): void;
  /** Where the state of this key lives, for warnings (the file name); optional. */
  describe?(key: string): string;
}

/** An in-memory store: survives a group's restart inside one process (tests, simulator). */
export class MemoryGroupStateStore implements GroupStateStore {
  private readonly values = new Map<string, PersistedGroupState>();
  load(key: string): PersistedGroupState {
    return this.values.get(key) ?? { sendReservation: 0n, replayHighWater: 0n };
  }
  saveSendReservation(key: string, value: bigint): void {
    const current = this.load(key);
    if (value > current.sendReservation) this.values.set(key, { ...current, sendReservation: value });
  }
  saveReplayHighWater(key: string, value: bigint): void {
    const current = this.load(key);
    if (value > current.replayHighWater) this.values.set(key, { ...current, replayHighWater: value });
  }
  replace(key: string, state: PersistedGroupState): void {
    this.values.set(key, state);
  }
}
