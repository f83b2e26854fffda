/**
 * Runs fsm/foreign-master.ts for one group on the Clock port: it takes the foreign adverts the
 * group's node attributes to it (another protocol or version on its id, a failed authentication,
 * its passphrase and addresses under another vhid), re-announces the addresses through the
 * group's effects when the decision says so, and keeps what status shows: how many foreign
 * adverts, from whom last, and how many re-announcements.
 */
import { FOREIGN_MASTER_IDLE, foreignMasterHeard, foreignMasterWake, type ForeignMasterState, type ForeignMasterStep } from '../fsm/foreign-master.ts';
import type { ForeignAdvertKind, ForeignAdvertSummary } from '../protocols/foreign-advert.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';

/** What status shows about foreign masters. */
export interface ForeignMasterStats {
  /** Foreign adverts heard for this group's id (every kind). */
  readonly adverts: number;
  /** Re-announcements made because of them. */
  readonly reannouncements: number;
  /** The last one: who, what, when (monotonic µs). */
  readonly last?: { readonly peer: string; readonly kind: ForeignAdvertKind; readonly at: number };
}

/** The watch of one group. */
export class ForeignMasterWatch {
  private state: ForeignMasterState = FOREIGN_MASTER_IDLE;
  private timer: TimerHandle | undefined;
  private armedFor: number | undefined;
  private counts: { adverts: number; reannouncements: number; last?: ForeignMasterStats['last'] } = { adverts: 0, reannouncements: 0 };

  constructor(
    private readonly clock: Pick<Clock, 'nowMicros' | 'setTimer' | 'clearTimer'>,
    /** Gratuitous ARP / unsolicited NA for the group's addresses (GroupEffects.announce). */
    private readonly announce: () => void,
    /** True while the group is MASTER. */
    private readonly isMaster: () => boolean,
    /** The group's own advert interval now (µs). */
    private readonly intervalMicros: () => number,
  ) {}

  /** The counters for status. */
  get stats(): ForeignMasterStats {
    return { ...this.counts };
  }

  /** One foreign advert from `peer`, already counted as a drop by its reason. */
  heard(peer: string, kind: ForeignAdvertKind, summary: ForeignAdvertSummary | undefined): void {
    const now = this.clock.nowMicros();
    this.counts.adverts++;
    this.counts.last = { peer, kind, at: now };
    const heard = { master: this.isMaster(), farewell: summary?.farewell ?? false, ...(summary?.intervalMicros === undefined ? {} : { foreignIntervalMicros: summary.intervalMicros }) };
    this.apply(foreignMasterHeard(this.state, heard, this.intervalMicros(), now));
  }

  /** The group left MASTER (or stopped): nothing to announce any more. */
  reset(): void {
    this.state = FOREIGN_MASTER_IDLE;
    this.disarm();
  }

  private apply(step: ForeignMasterStep): void {
    this.state = step.state;
    if (step.announce && this.isMaster()) {
      this.counts.reannouncements++;
      this.announce();
    }
    const wakeAt = this.state.active ? this.state.wakeAt : undefined;
    if (wakeAt === this.armedFor) return;
    this.disarm();
    if (wakeAt === undefined) return;
    this.armedFor = wakeAt;
    this.timer = this.clock.setTimer(wakeAt, () => {
      this.timer = undefined;
      this.armedFor = undefined;
      this.apply(foreignMasterWake(this.state, this.intervalMicros(), this.clock.nowMicros()));
    });
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
  }
}
