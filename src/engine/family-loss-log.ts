/**
 * Names the cause when a dual-stack group's master is heard in one family only (fsm/silent-family.ts,
 * docs/state-machine.md "Dual-stack groups"): one warning when a family's adverts stop while the
 * other family's arrive, one info line when they come back. Per episode, not per advert, and at
 * most one warning per family every FAMILY_LOSS_WARNING_INTERVAL_MICROS (an intermittent loss
 * starts an episode every few seconds): later episodes are counted into the next warning and
 * their "back" lines are not logged. The status shows the current episode either way.
 */
import type { FamilyAction } from '../fsm/machine-types.ts';
import type { IpAddress, IpFamily } from '../wire/ip-address.ts';
import type { Logger } from '../ports/logger.ts';
import { WarningLimiter } from './warning-limiter.ts';

/** A family's silence is warned about at most this often per group (µs). */
export const FAMILY_LOSS_WARNING_INTERVAL_MICROS = 600_000_000;

/** Who the lines are about. */
export interface FamilyLossContext {
  readonly group: string;
  readonly vhid: number;
  readonly now: number;
  /** The master as last heard (in a family still heard). */
  readonly master: IpAddress | undefined;
}

/** One group's family-loss log. */
export class FamilyLossLog {
  private readonly limiter = new WarningLimiter(FAMILY_LOSS_WARNING_INTERVAL_MICROS, 2);
  /** Families whose current episode was warned about, so their end is logged too. */
  private readonly warned = new Set<IpFamily>();

  constructor(private readonly logger: Logger) {}

  /** Logs one family action. */
  note(action: FamilyAction, context: FamilyLossContext): void {
    if (action.type === 'family-silent') this.silent(action.family, action.heardIn, action.silentForMicros, context);
    else this.heardAgain(action.family, action.silentForMicros, context);
  }

  /** A transition ends every episode (the machine forgets them too). */
  reset(): void {
    this.warned.clear();
  }

  private silent(family: IpFamily, heardIn: readonly IpFamily[], silentForMicros: number, context: FamilyLossContext): void {
    const decision = this.limiter.note(String(family), context.now);
    if (!decision.report) return;
    this.warned.add(family);
    const master = context.master?.text ?? 'the master';
    const others = heardIn.map((f) => `IPv${f}`).join(' and ');
    const episodes = decision.count > 1 ? ` (${decision.count} such episodes since the last warning)` : '';
    this.logger.warn(
      `${context.group}: no IPv${family} adverts from the master for ${(silentForMicros / 1e6).toFixed(1)} s while its ${others} adverts from ${master} arrive${episodes}: ` +
        `staying BACKUP, the master is alive. Something drops IPv${family} CARP (protocol 112) between the nodes` +
        (family === 6 ? ' (an MLD-snooping switch without a querier does, or a firewall)' : ' (a firewall)'),
      { group: context.group, vhid: context.vhid, family, heardIn: [...heardIn], master: context.master?.text, episodes: decision.count },
    );
  }

  private heardAgain(family: IpFamily, silentForMicros: number, context: FamilyLossContext): void {
    if (!this.warned.delete(family)) return;
    this.logger.info(`${context.group}: IPv${family} adverts from the master arrive again (silent for ${(silentForMicros / 1e6).toFixed(1)} s)`, {
      group: context.group,
      vhid: context.vhid,
      family,
      silentForMs: Math.round(silentForMicros / 1000),
    });
  }
}
