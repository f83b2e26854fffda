/**
 * What a group's transitions do to a Linux host: virtual addresses through netlink (on the
 * carp<vhid> macvlan with --vmac, else on the parent), gratuitous ARP / unsolicited NA, the
 * periodic announcement refresh while MASTER, and the operator's scripts. Address changes run
 * one after another on a promise chain, so an add and the following remove can never race;
 * the protocol never waits for any of it.
 *
 * Effects are confirmed (issue 9): a claim (addresses up when becoming MASTER) that still fails
 * after CLAIM_RETRY_DELAYS_MS is reported through onClaimFailed, and the group leaves
 * mastership rather than advertise as a master without its addresses. While MASTER, repair()
 * (called on netlink events: an address deleted, carp<vhid> downed or deleted) puts back what
 * is missing and reports what it fixed; a repair that fails is a failed claim.
 *
 * A VRRP address owner (priority 255, RFC 5798 §1) holds the addresses as its own interface
 * addresses (`ownedAddresses`): they are never added or removed here, only announced; the
 * macvlan, if any, is still brought up as MASTER and down as BACKUP.
 */
import type { ScriptsConfig } from '../config/config-types.ts';
import { carpdScriptArgs, chooseScript, scriptEnvironment, ucarpScriptArgs, type ScriptPhase, type ScriptProtocol } from '../ports/script-job.ts';
import type { Phase, TransitionReason } from '../fsm/machine-types.ts';
import type { IpAddress } from '../wire/ip-address.ts';
import type { GroupEffects } from '../ports/group-effects.ts';
import { isCarpdAddress, type InterfaceAddress } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import { realDelay } from './clock-time.ts';

/** A virtual address with its resolved prefix length. */
export interface ResolvedAddress {
  readonly address: IpAddress;
  readonly prefixLength: number;
}

/** The netlink operations the effects need (RouteNetlink and FakeHostNetlink implement them). */
export interface AddressNetlink {
  addAddress(ifindex: number, address: IpAddress, prefixLength: number, options?: { nodad?: boolean }): Promise<void>;
  removeAddress(ifindex: number, address: IpAddress, prefixLength: number): Promise<void>;
  setLinkUp(ifindex: number, up: boolean): Promise<void>;
  listAddresses(ifindex?: number): Promise<InterfaceAddress[]>;
}

/** Sends the announcements (Announcer implements it). */
export interface AddressAnnouncer {
  announce(addresses: readonly IpAddress[]): void;
}

/** Runs scripts without blocking (ScriptRunner implements it). */
export interface ScriptStarter {
  run(job: { group: string; path: string; args: readonly string[]; env: Record<string, string>; phase: ScriptPhase; timeoutMs?: number; user?: { uid: number; gid: number } }): void;
}

/** Where the addresses go: the macvlan (which may have to be re-created) or the parent. */
export interface AddressTarget {
  readonly name: string;
  /** The current ifindex (changes when the macvlan is re-created). */
  index(): number;
  /** Makes sure the interface exists (re-creates a deleted carp<vhid>); resolves true when it had to. */
  ensure(): Promise<boolean>;
  /** Whether the interface is administratively up now (drift repair reports a downed one). */
  isUp(): Promise<boolean>;
}

/** Settings of LinuxGroupEffects. */
export interface LinuxGroupEffectsOptions {
  readonly group: string;
  readonly vhid: number;
  /** The group's protocol, for the scripts (CARP_PROTOCOL). */
  readonly protocol: ScriptProtocol;
  readonly interfaceName: string;
  readonly target: AddressTarget;
  /** True when the target is our macvlan: it is brought up with the addresses and down without them. */
  readonly ownsInterface: boolean;
  readonly addresses: readonly ResolvedAddress[];
  readonly netlink: AddressNetlink;
  readonly announcer: AddressAnnouncer;
  readonly scripts: ScriptStarter;
  readonly scriptsConfig: Pick<ScriptsConfig, 'master' | 'backup' | 'stop' | 'style' | 'extraParameter' | 'neutral' | 'timeoutSeconds' | 'user'>;
  /** False in ucarp drop-in mode: the scripts configure the addresses, carpd only announces. */
  readonly manageAddresses: boolean;
  /** A VRRP address owner: the addresses are the interface's own and are never added or removed. */
  readonly ownedAddresses?: boolean;
  readonly announceIntervalMs: number;
  readonly logger: Logger;
  /** The announcement refresh runs on its timers; a claim's retries wait real time on it (the kernel's time). */
  readonly clock: Clock;
  /** The addresses could not be configured after every retry: leave mastership. */
  readonly onClaimFailed?: (error: Error) => void;
  /** The addresses are configured (a claim or a repair succeeded). */
  readonly onClaimed?: () => void;
  /** A repair found something missing and put it back (what, for the counters). */
  readonly onRepaired?: (fixed: readonly string[]) => void;
  /** Delays between claim attempts (default CLAIM_RETRY_DELAYS_MS). */
  readonly retryDelaysMs?: readonly number[];
}

/** Retries of a failed claim: three more attempts within about half a second. */
export const CLAIM_RETRY_DELAYS_MS: readonly number[] = [50, 150, 300];

/** The Linux implementation of a group's effects. */
export class LinuxGroupEffects implements GroupEffects {
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private refreshTimer: TimerHandle | undefined;
  /** Whether the addresses are (being) configured, as last requested. */
  private holding = false;
  private repairQueued = false;
  private closed = false;
  private addresses: readonly ResolvedAddress[];
  private settings: Pick<LinuxGroupEffectsOptions, 'scriptsConfig' | 'announceIntervalMs'>;

  constructor(private readonly options: LinuxGroupEffectsOptions) {
    this.addresses = options.addresses;
    this.settings = { scriptsConfig: options.scriptsConfig, announceIntervalMs: options.announceIntervalMs };
  }

  /** True while MASTER (the addresses are, or are being, configured). */
  get holdingAddresses(): boolean {
    return this.holding;
  }

  /** True while address work is queued or running (its netlink events are our own). */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** The virtual addresses. */
  get currentAddresses(): readonly ResolvedAddress[] {
    return this.addresses;
  }

  addAddresses(): void {
    this.holding = true;
    if (this.options.manageAddresses) this.enqueue('add addresses', () => this.claim('claim'));
    this.startRefresh();
  }

  removeAddresses(): void {
    this.holding = false;
    this.stopRefresh();
    const { netlink, target, ownsInterface } = this.options;
    if (this.options.manageAddresses)
      this.enqueue('remove addresses', () => this.release(netlink, target, ownsInterface));
  }

  /**
   * Leaving MASTER: every address removed and carp<vhid> set down, each step tried even when an
   * earlier one failed (a down macvlan no longer answers ARP for an address that stayed on it),
   * and the failed ones retried like a claim. A VIP left behind would be on two hosts once a
   * backup takes over; if it still fails the error is thrown and logged.
   */
  private async release(netlink: AddressNetlink, target: AddressTarget, ownsInterface: boolean): Promise<void> {
    const delays = this.options.retryDelaysMs ?? CLAIM_RETRY_DELAYS_MS;
    let pending: (() => Promise<void>)[] = [
      ...(this.options.ownedAddresses === true ? [] : this.addresses).map((a) => () => this.removeOurs(a)),
      ...(ownsInterface ? [() => netlink.setLinkUp(target.index(), false).catch((error: unknown) => ignoreGone(error))] : []),
    ];
    for (let attempt = 0; pending.length > 0; attempt++) {
      const failed: (() => Promise<void>)[] = [];
      let lastError: unknown;
      for (const step of pending) {
        try {
          await step();
        } catch (error) {
          failed.push(step);
          lastError = error;
        }
      }
      pending = failed;
      // Mastership regained meanwhile: the claim queued behind us configures everything again.
      if (pending.length === 0 || this.holding) return;
      const delay = delays[attempt];
      if (delay === undefined) throw lastError;
      this.options.logger.warn(`${this.options.group}: could not remove the virtual addresses (attempt ${attempt + 1} of ${delays.length + 1})`, { group: this.options.group, error: String(lastError) });
      await realDelay(this.options.clock, delay);
    }
  }

  announce(): void {
    // After the queued address change, so neighbours learn the MAC once it can answer.
    this.enqueue('announce', async () => {
      if (this.holding) this.options.announcer.announce(this.addresses.map((a) => a.address));
    });
  }

  /**
   * Drift repair: while MASTER, puts back whatever is missing (the interface, its up flag, an
   * address). Calls coalesce: one check runs after the address work already queued.
   */
  repair(): void {
    if (!this.holding || !this.options.manageAddresses || this.repairQueued || this.closed) return;
    this.repairQueued = true;
    this.enqueue('repair addresses', async () => {
      this.repairQueued = false;
      if (this.holding) await this.claim('repair');
    });
  }

  /**
   * A reload changed the address list in place: while MASTER the new addresses are added and
   * announced and the dropped ones removed, with no transition.
   */
  setAddresses(next: readonly ResolvedAddress[]): void {
    const previous = this.addresses;
    this.addresses = next;
    const key = (a: ResolvedAddress): string => `${a.address.text}/${a.prefixLength}`;
    const dropped = previous.filter((p) => !next.some((n) => key(n) === key(p)));
    const added = next.filter((n) => !previous.some((p) => key(p) === key(n)));
    if (!this.holding || !this.options.manageAddresses) return;
    const { netlink, target } = this.options;
    if (this.options.ownedAddresses === true) {
      if (added.length > 0) this.enqueue('announce', async () => this.options.announcer.announce(added.map((a) => a.address)));
      return;
    }
    this.enqueue('change addresses', async () => {
      for (const a of dropped) await this.removeOurs(a);
      await this.claim('claim');
      if (this.holding && added.length > 0) this.options.announcer.announce(added.map((a) => a.address));
    });
  }

  /** A reload changed the scripts or the announce interval. */
  updateSettings(settings: Pick<LinuxGroupEffectsOptions, 'scriptsConfig' | 'announceIntervalMs'>): void {
    const intervalChanged = settings.announceIntervalMs !== this.settings.announceIntervalMs;
    this.settings = settings;
    if (intervalChanged && this.holding) this.startRefresh();
  }

  runScript(phase: ScriptPhase, previous: Phase, reason: TransitionReason): void {
    const scripts = this.settings.scriptsConfig;
    const choice = chooseScript(scripts, phase, previous);
    if (choice === undefined) return;
    const first = this.addresses[0];
    // The ucarp style keeps ucarp's contract whatever the phase: <interface> <address> [xparam].
    const args =
      scripts.style === 'ucarp' && first !== undefined
        ? ucarpScriptArgs(this.options.interfaceName, first.address, scripts.extraParameter)
        : carpdScriptArgs(this.options.interfaceName, this.options.vhid, choice.state);
    const env = scriptEnvironment({
      interface: this.options.interfaceName,
      vhid: this.options.vhid,
      state: choice.state,
      previousState: previous,
      addresses: this.addresses,
      ...(this.options.ownsInterface ? { virtualInterface: this.options.target.name } : {}),
      group: this.options.group,
      protocol: this.options.protocol,
      reason,
    });
    const user = scripts.user === undefined ? {} : { user: { uid: scripts.user.uid, gid: scripts.user.gid } };
    this.options.scripts.run({ group: this.options.group, path: choice.path, args, env, phase: choice.phase, timeoutMs: scripts.timeoutSeconds * 1000, ...user });
  }

  /** Resolves when every queued address change has been carried out. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Stops the refresh timer and any retries (shutdown). */
  close(): void {
    this.closed = true;
    this.stopRefresh();
  }

  /**
   * Configures the interface and every address, retrying; on final failure while still MASTER
   * reports onClaimFailed. In 'repair' mode only what is missing is put back, and logged.
   */
  private async claim(mode: 'claim' | 'repair'): Promise<void> {
    const delays = this.options.retryDelaysMs ?? CLAIM_RETRY_DELAYS_MS;
    let lastError: Error | undefined;
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (!this.holding || this.closed) return;
      try {
        const fixed = await this.configure(mode);
        if (fixed.length > 0) {
          this.options.logger.warn(`${this.options.group}: repaired: ${fixed.join(', ')}`, { group: this.options.group, repaired: fixed });
          this.options.onRepaired?.(fixed);
        }
        this.options.onClaimed?.();
        return;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
        this.options.logger.warn(`${this.options.group}: could not configure the virtual addresses (attempt ${attempt + 1} of ${delays.length + 1})`, {
          group: this.options.group,
          error: lastError.message,
          code: (lastError as { code?: string }).code,
        });
      }
      const delay = delays[attempt];
      if (delay !== undefined) await realDelay(this.options.clock, delay);
    }
    if (this.holding && !this.closed && lastError !== undefined) this.options.onClaimFailed?.(lastError);
  }

  /** One attempt; returns what was missing (repair mode) so the caller can log it. */
  private async configure(mode: 'claim' | 'repair'): Promise<string[]> {
    const { netlink, target, ownsInterface } = this.options;
    const fixed: string[] = [];
    if (ownsInterface) {
      if (await target.ensure()) fixed.push(`${target.name} re-created`);
      else if (mode === 'repair' && !(await target.isUp())) fixed.push(`${target.name} set up again`);
      await netlink.setLinkUp(target.index(), true);
    }
    // An owner's addresses are the interface's own (RFC 5798 §1): not ours to put back.
    const managed = this.options.ownedAddresses === true ? [] : this.addresses;
    const present = mode === 'repair' && managed.length > 0 ? new Set((await netlink.listAddresses(target.index())).map((a) => a.address.text)) : undefined;
    for (const { address, prefixLength } of managed) {
      if (present?.has(address.text) === true) continue;
      // No DAD: every node shares the address; DAD would only delay it and could mark it dadfailed.
      await netlink.addAddress(target.index(), address, prefixLength, { nodad: address.family === 6 });
      if (present !== undefined) fixed.push(`${address.text}/${prefixLength} added back on ${target.name}`);
    }
    // Neighbours may have learnt another MAC meanwhile.
    if (mode === 'repair' && fixed.length > 0) this.options.announcer.announce(this.addresses.map((a) => a.address));
    return fixed;
  }

  /**
   * Removes one virtual address, but only if it is carpd's: on carp<vhid> every address is
   * (carpd made the interface); on a parent only one carrying carpd's mark
   * (CARPD_ADDRESS_PROTOCOL). An unmarked one there is the host's or an operator's, added while
   * carpd held the VIP (carpd's add found it present): it is left, and said so.
   */
  private async removeOurs({ address, prefixLength }: ResolvedAddress): Promise<void> {
    const { netlink, target, ownsInterface } = this.options;
    if (!ownsInterface) {
      const present = (await netlink.listAddresses(target.index())).filter((p) => p.address.family === address.family && p.address.text === address.text);
      if (present.length === 0) return;
      if (!present.some((p) => isCarpdAddress(p))) {
        this.options.logger.warn(`${this.options.group}: not removing ${address.text} from ${target.name}: it is not carpd's (no carpd mark), so the host or an operator added it`, { group: this.options.group, address: address.text });
        return;
      }
    }
    await netlink.removeAddress(target.index(), address, prefixLength);
  }

  private enqueue(what: string, work: () => Promise<void>): void {
    this.pending++;
    this.chain = this.chain
      .then(work)
      .catch((error: unknown) => {
        this.options.logger.error(`${this.options.group}: ${what} failed`, { group: this.options.group, error: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => this.pending--);
  }

  private startRefresh(): void {
    this.stopRefresh();
    const interval = this.settings.announceIntervalMs;
    if (interval <= 0) return;
    // Switches with short MAC tables forget a silent MAC; a periodic announcement keeps the VIP reachable.
    // Each re-armed from when it ran, as setInterval does: after a stall, one announcement, not a burst.
    const { clock } = this.options;
    const arm = (): void => {
      this.refreshTimer = clock.setTimer(clock.nowMicros() + interval * 1000, () => {
        arm();
        this.announce();
      });
    };
    arm();
  }

  private stopRefresh(): void {
    if (this.refreshTimer !== undefined) this.options.clock.clearTimer(this.refreshTimer);
    this.refreshTimer = undefined;
  }
}

/** Setting a deleted interface down is done already. */
function ignoreGone(error: unknown): void {
  if ((error as { code?: string }).code !== 'ENODEV') throw error;
}
