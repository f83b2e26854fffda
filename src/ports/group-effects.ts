/**
 * The effects a group's transitions have on the host: virtual addresses, announcements and
 * scripts. Fire-and-forget from the engine's point of view: the protocol never waits for them;
 * adapters serialise them per group and report failures through the logger.
 */
import type { Phase, TransitionReason } from '../fsm/machine-types.ts';

/** The effects port of one group. */
export interface GroupEffects {
  /** Configure the virtual addresses (and bring the virtual interface up). */
  addAddresses(): void;
  /** Remove the virtual addresses. */
  removeAddresses(): void;
  /** Gratuitous ARP per IPv4 address, unsolicited NA per IPv6 address. */
  announce(): void;
  /**
   * Run the operator's script for the new phase ('stop': the group stops, from `previous`);
   * `reason` is the transition's, as logged (CARP_REASON, docs/scripts.md).
   */
  runScript(phase: 'master' | 'backup' | 'stop', previous: Phase, reason: TransitionReason): void;
}

/** Effects that do nothing, for groups whose host side is handled elsewhere. */
export const noGroupEffects: GroupEffects = {
  addAddresses() {},
  removeAddresses() {},
  announce() {},
  runScript() {},
};
