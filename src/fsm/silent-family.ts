/**
 * A dual-stack vhid runs one master-down timer per family (docs/state-machine.md). When one
 * family's adverts are lost on the way (IPv6 protocol 112 filtered by an MLD-snooping switch
 * without a querier, a firewall rule for one family) while the master's adverts in the other
 * still arrive, the master is alive: taking over would only last until its next advert in the
 * other family, then step down again, once per master-down interval for as long as the loss
 * lasts (issue 19 item 8: 15 scripts in 30 s). So a family whose timer expires while another is
 * still armed for later is marked silent, not taken over for; the takeover comes when the master
 * is silent in every family. Pure: the caller passes the time.
 */
import type { IpFamily } from '../wire/ip-address.ts';
import type { FamilyAction } from './machine-types.ts';

/**
 * The state this file reads and writes: a master-down deadline per family and the silent
 * families (CARP's machine, protocols/carp/carp-machine-types.ts MachineState).
 */
export interface FamilyTimers {
  readonly masterDownAt: Partial<Record<IpFamily, number>>;
  readonly silentFamilies?: Partial<Record<IpFamily, number>>;
}

/**
 * The families other than `family` in which the master was heard within the master-down interval.
 * `takeoverPending`: a takeover (after a bow-out or a worse master) re-armed every family to one
 * deadline, so no family is still heard.
 */
export function familiesStillHeard(families: readonly IpFamily[], state: FamilyTimers, family: IpFamily, now: number, takeoverPending: boolean): IpFamily[] {
  if (takeoverPending) return [];
  return families.filter((f) => f !== family && (state.masterDownAt[f] ?? -Infinity) > now);
}

/**
 * Marks `family` silent: its timer is not re-armed until its adverts come back. The time kept is
 * that of its last advert (or of the BACKUP spell's start): one master-down interval ago.
 */
export function markFamilySilent<State extends FamilyTimers>(state: State, family: IpFamily, heardIn: readonly IpFamily[], now: number, masterDownMicros: number): { state: State; action: FamilyAction } {
  const masterDownAt = { ...state.masterDownAt };
  delete masterDownAt[family];
  return {
    state: { ...state, masterDownAt, silentFamilies: { ...state.silentFamilies, [family]: now - masterDownMicros } },
    action: { type: 'family-silent', family, heardIn, silentForMicros: masterDownMicros },
  };
}

/** An advert in `family` arrived: if the family was silent, it is not any more. */
export function familyHeard<State extends FamilyTimers>(state: State, family: IpFamily, now: number): { state: State; actions: FamilyAction[] } {
  const since = state.silentFamilies?.[family];
  if (since === undefined) return { state, actions: [] };
  const silentFamilies = { ...state.silentFamilies };
  delete silentFamilies[family];
  return { state: withSilentFamilies(state, silentFamilies), actions: [{ type: 'family-heard-again', family, silentForMicros: now - since }] };
}

/** The state without silent families (every transition starts afresh). */
export function withoutSilentFamilies<State extends FamilyTimers>(state: State): State {
  return withSilentFamilies(state, {});
}

function withSilentFamilies<State extends FamilyTimers>(state: State, silentFamilies: Partial<Record<IpFamily, number>>): State {
  const { silentFamilies: _, ...rest } = state;
  return (Object.keys(silentFamilies).length === 0 ? rest : { ...rest, silentFamilies }) as State;
}
