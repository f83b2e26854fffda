/**
 * Log lines caused by received packets (authentication failures, counters that go backwards,
 * replays of our own adverts, vhid and VRRP mismatches, internal errors while handling one) go
 * through here: one instance for the whole daemon (built by the composition root,
 * src/daemon/daemon.ts), on top of each warning's per-key WarningLimiter. The per-key limiter
 * alone let a LAN host that forges a new source per packet log one line per packet (issue 18).
 * What the budget (a token bucket, token-bucket.ts) leaves out is summarised in one warn line,
 * "N log lines caused by received packets suppressed in the last S s", written one window after
 * the first line left out, so a flood costs at most the budget plus one line per window.
 */
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { LogFields, Logger } from '../ports/logger.ts';
import { TokenBucket } from './token-bucket.ts';

/**
 * Packet-caused warnings allowed per window across every key and group, and at once: 30 a
 * minute. Far above what honest peers cause (each warning is limited per peer to once a minute
 * or less), small enough that a flood adds at most ~31 lines a minute to the journal.
 */
export const PACKET_WARNINGS_PER_WINDOW = 30;
/** The budget's window: one minute. */
export const PACKET_WARNING_WINDOW_MICROS = 60_000_000;

/** The daemon-wide gate for packet-caused warnings. */
export class PacketWarningLog {
  private summaryTimer: TimerHandle | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Pick<Clock, 'nowMicros' | 'setTimer' | 'clearTimer'>,
    private readonly budget: TokenBucket = new TokenBucket(PACKET_WARNINGS_PER_WINDOW, PACKET_WARNING_WINDOW_MICROS),
    /** How long after the first line left out the summary is written. */
    private readonly summaryDelayMicros: number = PACKET_WARNING_WINDOW_MICROS,
  ) {}

  /** Logs `message` at warn level if the budget allows; else counts it for the next summary. */
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }

  /** Logs `message` at `level` if the budget allows (one budget for every level); else counts it. */
  log(level: 'info' | 'warn' | 'error', message: string, fields?: LogFields): void {
    if (this.budget.take(this.clock.nowMicros())) {
      this.logger[level](message, fields);
      return;
    }
    this.summaryTimer ??= this.clock.setTimer(this.clock.nowMicros() + this.summaryDelayMicros, () => {
      this.summaryTimer = undefined;
      this.writeSummary();
    });
  }

  /** Writes the summary now if lines were left out (at a clean stop, say) and cancels the pending one. */
  flush(): void {
    if (this.summaryTimer !== undefined) this.clock.clearTimer(this.summaryTimer);
    this.summaryTimer = undefined;
    this.writeSummary();
  }

  private writeSummary(): void {
    const left = this.budget.takeSuppressed();
    if (left === undefined) return;
    const seconds = Math.max(1, Math.round((this.clock.nowMicros() - left.sinceMicros) / 1e6));
    this.logger.warn(`${left.count} log lines caused by received packets suppressed in the last ${seconds} s (log budget)`, { suppressed: left.count, seconds });
  }
}
