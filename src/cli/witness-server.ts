/**
 * `carpd witness` at run time: the witness table (quorum/witness-table.ts) on a UDP socket and a
 * clock. A thin adapter: every decision (grant, refusal, replay, start hold-off, group cap) is the
 * table's; this file only feeds it datagrams with the monotonic time of receipt, sends its replies
 * back to the sender, and logs (docs/partitions.md "Running the witness"). No state on disk: the
 * table starts empty at every start, and the hold-off covers every lease an earlier run granted.
 */
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { WitnessDrop, WitnessTable } from '../quorum/witness-table.ts';

/** Where a datagram came from (and where its reply goes). */
export interface DatagramPeer {
  readonly address: string;
  readonly port: number;
}

/** The witness's port for its one UDP socket (linux/udp-datagram-socket.ts; a fake in the tests). */
export interface DatagramSocket {
  /** Calls `handler` for every datagram received from now on. */
  onDatagram(handler: (bytes: Uint8Array, from: DatagramPeer) => void): void;
  send(bytes: Uint8Array, to: DatagramPeer): void;
  close(): Promise<void>;
}

/** At most one summary line of drops per this interval, however many datagrams are dropped. */
export const DROP_LOG_INTERVAL_US = 10_000_000;

export interface WitnessServerOptions {
  readonly socket: DatagramSocket;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly table: WitnessTable;
  /** The time the table was started with (its `startedAt`). */
  readonly startedAt: number;
  /** How long after the start nothing is granted (quorum-timing.ts startHoldOffUs). */
  readonly holdOffUs: number;
  /** What the log says the witness listens on. */
  readonly listen: string;
}

export class WitnessServer {
  private holdOffTimer: TimerHandle | undefined;
  private dropTimer: TimerHandle | undefined;
  /** Drops since the last summary line, by reason. */
  private readonly pendingDrops = new Map<WitnessDrop, number>();
  private stopped = false;
  /** Datagrams answered with a grant or a refusal (for the stop line). */
  replies = 0;

  constructor(private readonly options: WitnessServerOptions) {}

  start(): void {
    const { clock, logger, startedAt, holdOffUs, listen } = this.options;
    logger.info('witness started', { listen, hold_off_ms: Math.round(holdOffUs / 1000) });
    this.holdOffTimer = clock.setTimer(startedAt + holdOffUs, () => {
      this.holdOffTimer = undefined;
      logger.info('witness hold-off over: granting leases', { groups: this.options.table.groupCount });
    });
    this.options.socket.onDatagram((bytes, from) => this.receive(bytes, from));
  }

  private receive(bytes: Uint8Array, from: DatagramPeer): void {
    if (this.stopped) return;
    const outcome = this.options.table.receive(bytes, this.options.clock.nowMicros());
    if ('drop' in outcome) {
      this.noteDrop(outcome.drop);
      return;
    }
    if (outcome.reply === undefined) return;
    this.replies += 1;
    this.options.socket.send(outcome.reply, from);
    if (outcome.grant?.newHolder === true) {
      this.options.logger.info('witness granted a lease to a new holder', { group: outcome.grant.group.slice(0, 16), holder: outcome.grant.to, from: from.address });
    }
  }

  /** Counts a drop; the first one arms the summary, so the log grows by at most one line per interval. */
  private noteDrop(reason: WitnessDrop): void {
    this.pendingDrops.set(reason, (this.pendingDrops.get(reason) ?? 0) + 1);
    if (this.dropTimer !== undefined) return;
    this.dropTimer = this.options.clock.setTimer(this.options.clock.nowMicros() + DROP_LOG_INTERVAL_US, () => {
      this.dropTimer = undefined;
      this.flushDrops();
    });
  }

  private flushDrops(): void {
    if (this.pendingDrops.size === 0) return;
    this.options.logger.warn('witness dropped datagrams', { drops: Object.fromEntries(this.pendingDrops) });
    this.pendingDrops.clear();
  }

  /** Stops answering, logs what was dropped since the last summary, and closes the socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of [this.holdOffTimer, this.dropTimer]) if (timer !== undefined) this.options.clock.clearTimer(timer);
    this.holdOffTimer = undefined;
    this.dropTimer = undefined;
    this.flushDrops();
    await this.options.socket.close();
    this.options.logger.info('witness stopped', { groups: this.options.table.groupCount, replies: this.replies });
  }
}
