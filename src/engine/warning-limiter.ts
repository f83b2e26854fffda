/**
 * Rate limiting of a warning per key (a peer's address): the first occurrence is reported at
 * once, later ones at most once per interval, each report carrying how many occurred since the
 * last. Pure: the caller passes the time. The number of keys is bounded, so a sender that forges
 * many source addresses cannot grow it without end (the oldest key is forgotten first).
 */

/** What to do with one occurrence. */
export type WarningDecision = { readonly report: true; readonly count: number } | { readonly report: false };

/** Per-key limiter. */
export class WarningLimiter {
  private readonly keys = new Map<string, { reportedAt: number; pending: number }>();

  constructor(
    private readonly intervalMicros: number,
    private readonly maxKeys = 256,
  ) {}

  /** Notes one occurrence for `key` at `now` (µs); `count` is the occurrences this report covers. */
  note(key: string, now: number): WarningDecision {
    const entry = this.keys.get(key);
    if (entry !== undefined && now - entry.reportedAt < this.intervalMicros) {
      entry.pending++;
      return { report: false };
    }
    const count = (entry?.pending ?? 0) + 1;
    this.keys.delete(key);
    if (this.keys.size >= this.maxKeys) {
      const oldest = this.keys.keys().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
    this.keys.set(key, { reportedAt: now, pending: 0 });
    return { report: true, count };
  }
}
