/**
 * Runs fsm/foreign-master.ts for one group on the Clock port: it takes the foreign adverts the
 * group's node attributes to it (another protocol or version on its id, a failed authentication,
 * its passphrase and addresses under another vhid), re-announces the addresses through the
 * group's effects when the decision says so, and keeps what status shows: how many foreign
 * adverts, from whom last, and how many re-announcements.
 */
import { FOREIGN_MASTER_IDLE, foreignMasterHeard, foreignMasterWake, type ForeignMasterState, type ForeignMasterStep } from '../fsm/foreign-master.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';

/**
 * The kinds of foreign speaker, as status and metrics name them: a closed set that
 * protocols/foreign-advert.ts fills in (declaration merging), so the engine names no protocol.
 */
export interface ForeignAdvertKinds {}

/** Which kind of speaker a foreign advert comes from (protocols/foreign-advert.ts lists them). */
export type ForeignAdvertKind = keyof ForeignAdvertKinds;

/** What an unheard advert says about its sender (each protocol's wire part reads it: protocols/foreign-advert.ts). */
export interface ForeignAdvertSummary {
  /** 2 or 3 for VRRP, 2 for CARP (as in the version nibble). */
  readonly version: number;
  /** CARP's bow-out (advbase and advskew 255) or VRRP's priority 0: the sender is leaving mastership. */
  readonly farewell: boolean;
  /** Its advertisement interval in µs, when the advert carries a usable one. */
  readonly intervalMicros?: number;
}

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
