/**
 * The group state store on disk: one small JSON file per group under a state directory
 * (default /var/lib/carpd), written atomically (temporary file + rename). Saves are coalesced
 * (once a second) and written asynchronously, so the event loop that runs the advert and
 * master-down timers never waits for the disk (a synchronous write stalled by a busy disk could
 * make a fast-mode backup miss its master-down deadline): the send reservation is stored 30 s before it
 * is needed (send-counter.ts), and a replay mark lost in the last coalescing window only
 * re-admits adverts younger than that window after a crash.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GroupStateStore, PersistedGroupState } from '../ports/group-state-store.ts';
import type { Logger } from '../ports/logger.ts';

/** Default state directory (systemd StateDirectory=carpd). */
export const DEFAULT_STATE_DIRECTORY = '/var/lib/carpd';

/** A file-backed store. */
export class FileGroupStateStore implements GroupStateStore {
  private readonly cache = new Map<string, PersistedGroupState>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly directory: string,
    private readonly logger: Logger,
    private readonly coalesceMs = 1_000,
  ) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  }

  load(key: string): PersistedGroupState {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const state = this.read(key);
    this.cache.set(key, state);
    return state;
  }

  saveSendReservation(key: string, value: bigint): void {
    const current = this.load(key);
    if (value > current.sendReservation) this.update(key, { ...current, sendReservation: value });
  }

  saveReplayHighWater(key: string, value: bigint): void {
    const current = this.load(key);
    if (value > current.replayHighWater) this.update(key, { ...current, replayHighWater: value });
  }

  replace(key: string, state: PersistedGroupState): void {
    this.update(key, state);
  }

  describe(key: string): string {
    return this.path(key);
  }

  /** Writes everything pending now, synchronously (shutdown). */
  flush(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const key of [...this.dirty]) {
      this.dirty.delete(key);
      this.write(key, this.cache.get(key) as PersistedGroupState);
    }
  }

  private update(key: string, state: PersistedGroupState): void {
    this.cache.set(key, state);
    this.dirty.add(key);
    this.schedule();
  }

  private schedule(): void {
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      // One write pass at a time; values changed meanwhile go in the next pass.
      if (this.writing !== undefined) return this.schedule();
      this.writing = this.flushInBackground().finally(() => (this.writing = undefined));
    }, this.coalesceMs);
    this.flushTimer.unref();
  }

  private async flushInBackground(): Promise<void> {
    for (const key of [...this.dirty]) {
      this.dirty.delete(key);
      const state = this.cache.get(key) as PersistedGroupState;
      const file = this.path(key);
      try {
        await writeFile(`${file}.tmp`, serialise(state), { mode: 0o600 });
        await rename(`${file}.tmp`, file);
      } catch (error) {
        this.logger.error('could not write state file', { file, error: String(error) });
      }
    }
  }

  private path(key: string): string {
    return join(this.directory, `${key.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  }

  private read(key: string): PersistedGroupState {
    let text: string;
    try {
      text = readFileSync(this.path(key), 'utf8');
    } catch {
      return { sendReservation: 0n, replayHighWater: 0n };
    }
    try {
      const parsed = JSON.parse(text) as { sendReservation?: unknown; replayHighWater?: unknown };
      return { sendReservation: toBigInt(parsed.sendReservation), replayHighWater: toBigInt(parsed.replayHighWater) };
    } catch (error) {
      // A damaged file must not stop the group: start from the clock-based values and say so.
      this.logger.warn('state file unreadable; starting from the clock', { file: this.path(key), error: String(error) });
      return { sendReservation: 0n, replayHighWater: 0n };
    }
  }

  private write(key: string, state: PersistedGroupState): void {
    const file = this.path(key);
    const temporary = `${file}.tmp`;
    try {
      writeFileSync(temporary, serialise(state), { mode: 0o600 });
      renameSync(temporary, file);
    } catch (error) {
      this.logger.error('could not write state file', { file, error: String(error) });
    }
  }
}

function serialise(state: PersistedGroupState): string {
  return JSON.stringify({ sendReservation: state.sendReservation.toString(), replayHighWater: state.replayHighWater.toString() }) + '\n';
}

function toBigInt(value: unknown): bigint {
  if (typeof value !== 'string' || !/^[0-9]{1,20}$/.test(value)) return 0n;
  const parsed = BigInt(value);
  return parsed < 1n << 64n ? parsed : 0n;
}
