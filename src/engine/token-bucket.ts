/**
 * A token bucket with a count of what it refused: `burst` takes at once, refilled at `perWindow`
 * per `windowMicros`. A refused take is counted; takeSuppressed() hands the count out once (for
 * one summary line, "N warnings suppressed in the last …"). Used for the daemon-wide budget of
 * packet-caused log lines (packet-warning-log.ts) and for the vhid-mismatch probes
 * (carp-node.ts): what a LAN host can trigger at will costs at most the bucket's rate (docs/development.md
 * "Code principles", 11e). Pure: the caller passes the time (monotonic µs).
 */

/** What was refused since the last summary. */
export interface SuppressedLines {
  readonly count: number;
  /** Monotonic µs of the first refusal. */
  readonly sinceMicros: number;
}

/** One token bucket. */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number | undefined;
  private suppressed = 0;
  private suppressedSince = 0;

  constructor(
    private readonly perWindow: number,
    private readonly windowMicros: number,
    private readonly burst: number = perWindow,
  ) {
    if (!(perWindow > 0 && windowMicros > 0 && burst >= 1)) throw new RangeError('a token bucket needs a positive rate and a burst of at least 1');
    this.tokens = burst;
  }

  /** Takes one token at `now`: true when there was one, false when refused (counted). */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    if (this.suppressed === 0) this.suppressedSince = now;
    this.suppressed++;
    return false;
  }

  /** The takes refused since the last call, if any (then forgotten: each is summarised once). */
  takeSuppressed(): SuppressedLines | undefined {
    if (this.suppressed === 0) return undefined;
    const result = { count: this.suppressed, sinceMicros: this.suppressedSince };
    this.suppressed = 0;
    return result;
  }

  /** How many takes were refused and not yet summarised. */
  get pending(): number {
    return this.suppressed;
  }

  private refill(now: number): void {
    if (this.refilledAt !== undefined && now > this.refilledAt) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.perWindow) / this.windowMicros);
    }
    if (this.refilledAt === undefined || now > this.refilledAt) this.refilledAt = now;
  }
}
