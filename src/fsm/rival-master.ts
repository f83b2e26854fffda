/**
 * What a MASTER does when it hears an authentic advert from another node that also claims
 * mastership of its group and loses to it (a healed partition, advert loss, a peer's clock far
 * ahead): the other node steps down on our advert, but it announced our addresses with its own
 * MAC, and with `vmac: false` clients keep sending there until their neighbour entry times out
 * (docs/state-machine.md, "Another master heard"). So the winner re-announces its addresses
 * (gratuitous ARP / unsolicited NA) at once and once more with its next periodic advert (which
 * comes after the other node's own announcement, whatever the race), at most once per advert
 * interval while the other master goes on; and it re-runs its master script once per MASTER
 * spell, so that external state the other node's master script changed comes back here. The
 * loser sends one last advert as it steps down (lifecycle.ts stepDown), so the winner hears it
 * even when the winner's advert reached the loser first.
 * Unauthenticated foreign masters are foreign-master.ts's concern. Pure: the caller passes
 * the time (µs).
 */
import type { MachineLifecycle } from './machine-types.ts';

/** The lifecycle fields this file owns (dropped on every transition: withoutRivalMaster). */
export type RivalMasterFields = Pick<MachineLifecycle, 'rivalAnnouncedAt' | 'rivalAnnouncePending' | 'rivalScriptRerun'>;

/** What to do on hearing another master while MASTER. */
export interface RivalMasterAnswer<State> {
  readonly state: State;
  /** Announce the addresses now. */
  readonly announce: boolean;
  /** Run the master script again (the first other master of this MASTER spell). */
  readonly rerunScript: boolean;
}

/**
 * Another master heard at `now`; `intervalMicros` is our own advert interval, `masterSince` when
 * this MASTER spell began. Within its first interval the other master is the one we just
 * preempted or outranked, stepping down (its last advert): our master script has just run after
 * it, so it is not re-run for that.
 */
export function rivalMasterHeard<State extends RivalMasterFields>(state: State, intervalMicros: number, now: number, masterSince: number): RivalMasterAnswer<State> {
  const announce = state.rivalAnnouncedAt === undefined || now - state.rivalAnnouncedAt >= intervalMicros;
  const rerunScript = state.rivalScriptRerun !== true && now - masterSince >= intervalMicros;
  const next: State = { ...state, rivalAnnouncePending: true, ...(rerunScript ? { rivalScriptRerun: true } : {}), ...(announce ? { rivalAnnouncedAt: now } : {}) };
  return { state: next, announce, rerunScript };
}

/** A periodic advert goes out at `now`: whether it carries the repeated announcement. */
export function rivalAnnounceWithAdvert<State extends RivalMasterFields>(state: State, now: number): { readonly state: State; readonly announce: boolean } {
  if (state.rivalAnnouncePending !== true) return { state, announce: false };
  return { state: { ...state, rivalAnnouncePending: false, rivalAnnouncedAt: now }, announce: true };
}

/** The state without this file's fields, for a new phase. */
export function withoutRivalMaster<State extends RivalMasterFields>(state: State): State {
  const { rivalAnnouncedAt: _a, rivalAnnouncePending: _p, rivalScriptRerun: _s, ...rest } = state;
  return rest as State;
}
