/**
 * A MASTER whose adverts cannot leave (its source address renumbered: ENETUNREACH; a host
 * firewall dropping outgoing protocol 112: EPERM) is not heard by its backups, which take over:
 * if it kept the addresses, two hosts would hold them for good (issue 19). So, as after a failed
 * claim (docs/fail-safe.md), once every advert has failed for a whole master-down interval the
 * group leaves mastership (reason `advert-send-failed`, bow-out, backup script, addresses
 * removed) and is fully demoted for a hold-down, so that it does not preempt the backup that
 * took over and lose its adverts again: 10 s after the first such resignation in a row, doubling
 * up to 5 min. A MASTER spell whose adverts go out again ends the row. Fully demoted, it still
 * takes over when no master is heard at all (it may be the only node left), and tries again.
 * After the hold-down it may preempt the master it heard; if that spell's adverts fail too, the
 * other master cannot have heard it and keeps its role, so the group resigns at the first failed
 * advert instead of after a master-down interval: retries then cost no double holding.
 */
import type { Clock, TimerHandle } from '../ports/clock.ts';

/** Hold-downs after the 1st, 2nd, … resignation in a row (µs), as for failed claims. */
export const SEND_FAULT_HOLD_DOWNS_MICROS: readonly number[] = [10e6, 20e6, 40e6, 80e6, 160e6, 300e6];

/** The demotion a group in hold-down advertises (fully demoted, as a failed claim). */
export const SEND_FAULT_DEMOTION = 255;

/** The hold-down state of one group. */
export class SendFault {
  private resignationsInARow = 0;
  private holdDown: { readonly until: number; readonly timer: TimerHandle } | undefined;

  constructor(
    private readonly clock: Clock,
    /** Called when the hold-down ends: the caller re-applies the demotion it was asked for. */
    private readonly onHoldDownOver: () => void,
    private readonly holdDownsMicros: readonly number[] = SEND_FAULT_HOLD_DOWNS_MICROS,
  ) {}

  /** The demotion to advertise on top of the requested one. */
  demotion(requested: number): number {
    return this.holdDown === undefined ? requested : Math.max(requested, SEND_FAULT_DEMOTION);
  }

  /** True after a resignation until a MASTER's advert goes out again. */
  get failingInARow(): boolean {
    return this.resignationsInARow > 0;
  }

  /** True during a hold-down (status, tests). */
  get holdingDown(): boolean {
    return this.holdDown !== undefined;
  }

  /** The group resigned because its adverts failed: starts (or lengthens) the hold-down; returns it (µs). */
  resigned(): number {
    this.resignationsInARow++;
    const list = this.holdDownsMicros;
    const holdDown = list[Math.min(this.resignationsInARow, list.length) - 1] ?? 10e6;
    this.cancel();
    const until = this.clock.nowMicros() + holdDown;
    const timer = this.clock.setTimer(until, () => {
      this.holdDown = undefined;
      this.onHoldDownOver();
    });
    this.holdDown = { until, timer };
    return holdDown;
  }

  /** A MASTER's advert went out: the row of failures ends. */
  sendsWork(): void {
    this.resignationsInARow = 0;
  }

  /** Drops the hold-down (shutdown, crash). */
  cancel(): void {
    if (this.holdDown !== undefined) this.clock.clearTimer(this.holdDown.timer);
    this.holdDown = undefined;
  }
}
