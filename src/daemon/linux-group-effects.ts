/**
 * What a group's transitions do to a Linux host: virtual addresses through netlink (on the
 * carp<vhid> macvlan with --vmac, else on the parent), gratuitous ARP / unsolicited NA, the
 * periodic announcement refresh while MASTER, and the operator's scripts. Address changes run
 * one after another on a promise chain, so an add and the following remove can never race;
 * the protocol never waits for any of it.
 */
import type { ScriptsConfig } from '../config/config-types.ts';
import { carpdScriptArgs, scriptEnvironment, ucarpScriptArgs } from '../engine/script-job.ts';
import type { Phase } from '../fsm/machine-types.ts';
import type { IpAddress } from '../protocol/ip-address.ts';
import type { GroupEffects } from '../ports/group-effects.ts';
import type { Logger } from '../ports/logger.ts';

/** A virtual address with its resolved prefix length. */
export interface ResolvedAddress {
  readonly address: IpAddress;
  readonly prefixLength: number;
}

/** The netlink operations the effects need (RouteNetlink implements them). */
export interface AddressNetlink {
  addAddress(ifindex: number, address: IpAddress, prefixLength: number, options?: { nodad?: boolean }): Promise<void>;
  removeAddress(ifindex: number, address: IpAddress, prefixLength: number): Promise<void>;
  setLinkUp(ifindex: number, up: boolean): Promise<void>;
}

/** Sends the announcements (Announcer implements it). */
export interface AddressAnnouncer {
  announce(addresses: readonly IpAddress[]): void;
}

/** Runs scripts without blocking (ScriptRunner implements it). */
export interface ScriptStarter {
  run(job: { group: string; path: string; args: readonly string[]; env: Record<string, string>; phase: 'master' | 'backup'; timeoutMs?: number }): void;
}

/** Settings of LinuxGroupEffects. */
export interface LinuxGroupEffectsOptions {
  readonly group: string;
  readonly vhid: number;
  readonly interfaceName: string;
  /** Where the addresses go: the macvlan with --vmac, else the parent. */
  readonly addressInterface: { readonly index: number; readonly name: string };
  /** True when addressInterface is our macvlan: it is brought up with the addresses and down without them. */
  readonly ownsInterface: boolean;
  readonly addresses: readonly ResolvedAddress[];
  readonly netlink: AddressNetlink;
  readonly announcer: AddressAnnouncer;
  readonly scripts: ScriptStarter;
  readonly scriptsConfig: Pick<ScriptsConfig, 'master' | 'backup' | 'style' | 'extraParameter' | 'neutral' | 'timeoutSeconds'>;
  /** False in ucarp drop-in mode: the scripts configure the addresses, carpd only announces. */
  readonly manageAddresses: boolean;
  readonly announceIntervalMs: number;
  readonly logger: Logger;
}

/** The Linux implementation of a group's effects. */
export class LinuxGroupEffects implements GroupEffects {
  private chain: Promise<void> = Promise.resolve();
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Whether the addresses are (being) configured, as last requested. */
  private holding = false;

  constructor(private readonly options: LinuxGroupEffectsOptions) {}

  addAddresses(): void {
    this.holding = true;
    const { netlink, addressInterface, addresses, ownsInterface } = this.options;
    if (this.options.manageAddresses) this.enqueue('add addresses', async () => {
      if (ownsInterface) await netlink.setLinkUp(addressInterface.index, true);
      for (const { address, prefixLength } of addresses) {
        // No DAD: every node shares the address; DAD would only delay it and could mark it dadfailed.
        await netlink.addAddress(addressInterface.index, address, prefixLength, { nodad: address.family === 6 });
      }
    });
    this.startRefresh();
  }

  removeAddresses(): void {
    this.holding = false;
    this.stopRefresh();
    const { netlink, addressInterface, addresses, ownsInterface } = this.options;
    if (this.options.manageAddresses) this.enqueue('remove addresses', async () => {
      for (const { address, prefixLength } of addresses) await netlink.removeAddress(addressInterface.index, address, prefixLength);
      if (ownsInterface) await netlink.setLinkUp(addressInterface.index, false);
    });
  }

  announce(): void {
    // After the queued address change, so neighbours learn the MAC once it can answer.
    this.enqueue('announce', async () => {
      if (this.holding) this.options.announcer.announce(this.options.addresses.map((a) => a.address));
    });
  }

  runScript(phase: 'master' | 'backup', previous: Phase): void {
    const scripts = this.options.scriptsConfig;
    const path = phase === 'master' ? scripts.master : scripts.backup;
    if (path === undefined) return;
    // ucarp's --neutral: no down script when a node first settles as backup.
    if (scripts.neutral && phase === 'backup' && previous === 'init') return;
    const first = this.options.addresses[0];
    const args =
      scripts.style === 'ucarp' && first !== undefined
        ? ucarpScriptArgs(this.options.interfaceName, first.address, scripts.extraParameter)
        : carpdScriptArgs(this.options.interfaceName, this.options.vhid, phase);
    const env = scriptEnvironment({
      interface: this.options.interfaceName,
      vhid: this.options.vhid,
      state: phase,
      previousState: previous,
      addresses: this.options.addresses,
      ...(this.options.ownsInterface ? { virtualInterface: this.options.addressInterface.name } : {}),
    });
    this.options.scripts.run({ group: this.options.group, path, args, env, phase, timeoutMs: scripts.timeoutSeconds * 1000 });
  }

  /** Resolves when every queued address change has been carried out. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Stops the refresh timer (shutdown). */
  close(): void {
    this.stopRefresh();
  }

  private enqueue(what: string, work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: unknown) => {
      this.options.logger.error(`${this.options.group}: ${what} failed`, { group: this.options.group, error: error instanceof Error ? error.message : String(error) });
    });
  }

  private startRefresh(): void {
    this.stopRefresh();
    if (this.options.announceIntervalMs <= 0) return;
    // Switches with short MAC tables forget a silent MAC; a periodic announcement keeps the VIP reachable.
    this.refreshTimer = setInterval(() => this.announce(), this.options.announceIntervalMs);
    this.refreshTimer.unref();
  }

  private stopRefresh(): void {
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
  }
}
