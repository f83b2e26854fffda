/**
 * What the replay guard remembers per sender address (replay-guard.ts): the last authentic
 * counter it accepted from that source, and whether its backwards counters were already reported.
 *
 * The source address is not authenticated (docs/replay-and-threat-model.md), so a LAN host can
 * make up as many senders as it likes: the ledger is a bounded LRU, like the peer table
 * (src/engine/peer-table.ts), and every operation is O(1). It is mutable on purpose: an earlier
 * version copied a Record and an array per packet, which in `compat` mode grew with every spoofed
 * source and cost 1.7 ms per packet at 10 000 sources and 11 ms at 30 000 (issue 18), enough for
 * a few thousand spoofed packets a second to starve the advert timers. Pure otherwise: no I/O,
 * no time.
 */

/**
 * How many senders one vhid remembers. A vhid's real senders are its cluster's nodes, each with
 * one or two advert sources (IPv4 and an IPv6 link-local): a handful. 256 is far above any real
 * cluster (so honest peers are never pushed out by each other) and costs at most ~40 KiB per
 * group (about 150 bytes an entry); a sender forging more sources only pushes out the least
 * recently written entries. An entry pushed out is forgotten whole: in `strict` mode its
 * "never below this source's last counter" rule lapses (the shared mark H and the window still
 * refuse every exact replay), and a backwards sender may be reported again (the warnings are rate
 * limited and under the daemon-wide budget, src/engine/packet-warning-log.ts).
 */
export const MAX_TRACKED_SENDERS = 256;

interface SenderEntry {
  last: bigint;
  reported: boolean;
}

/** The bounded per-sender memory of one vhid's replay guard. */
export class SenderLedger {
  private readonly entries = new Map<string, SenderEntry>();

  constructor(readonly max: number = MAX_TRACKED_SENDERS) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max ${max} must be a positive integer`);
  }

  /** How many senders are remembered (never more than `max`). */
  get size(): number {
    return this.entries.size;
  }

  /** The last counter accepted from `sender`, if remembered. */
  lastCounter(sender: string): bigint | undefined {
    return this.entries.get(sender)?.last;
  }

  /** Whether `sender` was already reported for counters that go backwards. */
  isReported(sender: string): boolean {
    return this.entries.get(sender)?.reported === true;
  }

  /** Records an accepted counter from `sender` (most recently written now). */
  recordAccepted(sender: string, counter: bigint): void {
    const entry = this.entries.get(sender);
    this.write(sender, { last: counter, reported: entry?.reported ?? false });
  }

  /** Marks a remembered sender as reported; a sender not remembered has nothing to report. */
  markReported(sender: string): void {
    const entry = this.entries.get(sender);
    if (entry !== undefined) this.write(sender, { last: entry.last, reported: true });
  }

  /** The remembered senders, least recently written first (tests, status). */
  senders(): string[] {
    return [...this.entries.keys()];
  }

  private write(sender: string, entry: SenderEntry): void {
    // Map order is insertion order: delete + set makes it the most recently written.
    this.entries.delete(sender);
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(sender, entry);
  }
}
