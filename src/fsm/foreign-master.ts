/**
 * What a MASTER does while another node may hold its virtual addresses too: a foreign master
 * heard for its id (another protocol or version, a failed authentication, its passphrase and
 * addresses under another vhid; src/protocols/foreign-advert.ts). Neither yields to the other,
 * and the last to announce has the clients: when the foreign master stops, clients that follow
 * its MAC are cut off until their neighbour entry times out (docs/state-machine.md, "Foreign
 * masters"). So the MASTER re-announces its addresses (gratuitous ARP / unsolicited NA): once per
 * advert interval while the foreign master is heard, at once when it says farewell, and once
 * more when it has fallen silent. Clients are then back within one advert interval of the
 * conflict ending, however it ends.
 *
 *   state    input                                   announce                      next
 *   idle     heard, not MASTER                       no                            idle
 *   idle     heard                                   no; wake in interval/4        active
 *   active   heard                                   no                            active (heard now)
 *   active   heard, farewell                         yes, unless one < interval/4  active, silent
 *   active   wake, heard within the silence window   yes; wake in interval         active
 *   active   wake, silent longer (or farewell)       yes                           idle
 *   any      left MASTER                             no                            idle
 *
 * The first announcement waits a quarter interval so that it follows the foreign master's own,
 * which comes right after its first advert. The silence window is three of the foreign master's
 * intervals (its master-down time, as the protocols define a dead master), at least three of
 * ours. Announcements are at least a quarter interval apart, so forged adverts cannot make it
 * announce faster than four times an interval. Pure: the caller passes the time (µs) and owns
 * the timer.
 */

/** The watch over one group. */
export interface ForeignMasterState {
  readonly active: boolean;
  /** The last foreign advert (µs); undefined once it said farewell. */
  readonly heardAt?: number;
  /** How long after heardAt the foreign master counts as gone. */
  readonly silenceMicros: number;
  readonly announcedAt?: number;
  /** When the caller must call foreignMasterWake (undefined: no timer). */
  readonly wakeAt?: number;
}

/** The outcome of one input. */
export interface ForeignMasterStep {
  readonly state: ForeignMasterState;
  readonly announce: boolean;
}

/** No foreign master heard. */
export const FOREIGN_MASTER_IDLE: ForeignMasterState = { active: false, silenceMicros: 0 };

/** A foreign advert as the watch needs it. */
export interface ForeignMasterHeard {
  /** True while this node is MASTER (only a MASTER announces). */
  readonly master: boolean;
  /** The advert is a farewell (bow-out, priority 0). */
  readonly farewell: boolean;
  /** The foreign master's advert interval, when its advert carries one. */
  readonly foreignIntervalMicros?: number;
}

/** One foreign advert heard at `now`; `intervalMicros` is our own advert interval. */
export function foreignMasterHeard(state: ForeignMasterState, heard: ForeignMasterHeard, intervalMicros: number, now: number): ForeignMasterStep {
  if (!heard.master) return { state: FOREIGN_MASTER_IDLE, announce: false };
  const silenceMicros = 3 * Math.max(intervalMicros, heard.foreignIntervalMicros ?? 0);
  const wakeAt = state.active ? state.wakeAt : now + Math.floor(intervalMicros / 4);
  if (!heard.farewell) return { state: { ...state, active: true, heardAt: now, silenceMicros, ...(wakeAt === undefined ? {} : { wakeAt }) }, announce: false };
  const { heardAt: _gone, ...rest } = state;
  const silent: ForeignMasterState = { ...rest, active: true, silenceMicros, ...(wakeAt === undefined ? {} : { wakeAt }) };
  if (!spaced(state, intervalMicros, now)) return { state: silent, announce: false };
  return { state: { ...silent, announcedAt: now }, announce: true };
}

/** The caller's timer fired (at state.wakeAt). */
export function foreignMasterWake(state: ForeignMasterState, intervalMicros: number, now: number): ForeignMasterStep {
  if (!state.active) return { state, announce: false };
  const stillHeard = state.heardAt !== undefined && now - state.heardAt <= state.silenceMicros;
  if (!stillHeard) return { state: FOREIGN_MASTER_IDLE, announce: true };
  return { state: { ...state, announcedAt: now, wakeAt: now + intervalMicros }, announce: true };
}

function spaced(state: ForeignMasterState, intervalMicros: number, now: number): boolean {
  return state.announcedAt === undefined || now - state.announcedAt >= Math.floor(intervalMicros / 4);
}
