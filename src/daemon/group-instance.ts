/**
 * One configured group on a Linux host: its virtual interface, effects and engine, its demotion
 * parts (manual, maintenance, health, sync set, fault), and its status for carpctl and metrics.
 *
 * Fault policy (docs/fail-safe.md): when the addresses cannot be configured after the effects'
 * retries, the group raises its demotion to 255 and resigns (a bow-out, so the best backup takes
 * over at once). It stays fully demoted for a hold-down (10 s, doubling to 5 min while claims
 * keep failing); a node alone on the segment takes over again after its master-down interval
 * and so keeps retrying. A successful claim clears the fault.
 *
 * A group speaks CARP (GroupRunner) or VRRPv3 (VrrpGroupRunner, `protocol: vrrp`); everything
 * here but the runner, the virtual MAC and the protocol's part of the status is the same for
 * both. A VRRP group's macvlan has the VRRP virtual MAC of its family (RFC 5798 §7.3); an address
 * owner (priority 255) never adds or removes its addresses, which are its interface's own.
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { CheckStatus, DemotionStatus, GroupStatus, StateName } from '../control/control-types.ts';
import { GroupRunner, type TransitionEvent } from '../engine/group-runner.ts';
import { VrrpGroupRunner, vrrpSourceAddress } from '../engine/vrrp-group-runner.ts';
import type { VrrpGroupSettings } from '../engine/vrrp-group-settings.ts';
import { GRACEFUL_STOP_HOLD_MAX_MICROS } from '../fsm/intervals.ts';
import { ipAddressEquals, isIpv6LinkLocal } from '../protocol/ip-address.ts';
import type { MacAddress } from '../protocol/mac-address.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';
import type { AddressEvent, HostNetlink, InterfaceAddress, LinkEvent } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import { Announcer } from '../linux/announcer.ts';
import type { ScriptRunner } from '../linux/script-runner.ts';
import { VirtualMacAdvertTransport } from '../linux/virtual-mac-advert-transport.ts';
import { carpStatus, foreignStatus, vrrpStatus } from './group-status.ts';
import type { InterfaceHost } from './interface-host.ts';
import { LinuxGroupEffects, type ResolvedAddress } from './linux-group-effects.ts';
import { carpSettingsFor, isAddressOwner, isVrrpGroup, virtualMacOf, vrrpSettingsFor } from './protocol-settings.ts';
import { StartupError } from './startup-error.ts';
import { settlesWithin } from './clock-time.ts';

/** What a group needs from the daemon. */
export interface GroupDependencies {
  readonly host: InterfaceHost;
  readonly netlink: HostNetlink;
  readonly clock: Clock;
  readonly store: GroupStateStore;
  readonly scripts: Pick<ScriptRunner, 'run'>;
  readonly logger: Logger;
  readonly key: Uint8Array;
  readonly addresses: readonly ResolvedAddress[];
  /** carp<vhid> was created or re-created (the cleanup guard must learn its ifindex). */
  readonly onInterfaceChanged?: () => void;
  /** Delays between claim attempts (tests use zeros). */
  readonly claimRetryDelaysMs?: readonly number[];
  /** Hold-downs after failed claims, ms (tests use short ones). */
  readonly faultHoldDownsMs?: readonly number[];
}

/** Hold-down after the 1st, 2nd, ... failed claim in a row; the last repeats. */
export const FAULT_HOLD_DOWNS_MS: readonly number[] = [10_000, 20_000, 40_000, 80_000, 160_000, 300_000];

/** The fault demotion: the worst a node can advertise. */
const FAULT_DEMOTION = 255;

/** How long a reload's old key or address list stays valid (signed and accepted). */
export const DEFAULT_KEY_CHANGE_WINDOW_SECONDS = 600;

/** A running group. */
export class GroupInstance {
  private runner: GroupRunner | VrrpGroupRunner | undefined;
  private effects: LinuxGroupEffects | undefined;
  private announcer: Announcer | undefined;
  private virtualInterfaceIndex: number | undefined;
  private currentConfig: GroupConfig;
  private key: Uint8Array;
  private manual = 0;
  private maintenanceOn = false;
  /** The parent's link is down: the group is in INIT, and its sync set must not stay behind (docs/health-checks.md). */
  private linkDown = false;
  private health = 0;
  private checks: readonly CheckStatus[] = [];
  private syncSetDemotion: { name: string; demotion: number } | undefined;
  private fault: { reason: string; since: number; until: number; failures: number; timer: TimerHandle } | undefined;
  /** Failed claims in a row (the hold-down doubles with each); reset by a successful claim. */
  private failuresInARow = 0;
  private readonly counts = { claimFailures: 0, repairs: 0, conflicts: 0 };
  private readonly transitionListeners: ((event: TransitionEvent) => void)[] = [];

  constructor(
    config: GroupConfig,
    private readonly deps: GroupDependencies,
  ) {
    this.currentConfig = config;
    this.key = deps.key;
  }

  /** The configuration in force (reconfigure() replaces it). */
  get config(): GroupConfig {
    return this.currentConfig;
  }

  /** The key in force. */
  get currentKey(): Uint8Array {
    return this.key;
  }

  /** The group's name. */
  get name(): string {
    return this.currentConfig.name;
  }

  /** The ifindex of our carp<vhid>, when we made one. */
  get virtualInterface(): { name: string; index: number } | undefined {
    return this.virtualInterfaceIndex === undefined ? undefined : { name: this.currentConfig.virtualInterface, index: this.virtualInterfaceIndex };
  }

  /** The virtual addresses in force. */
  get addresses(): readonly ResolvedAddress[] {
    return this.effects?.currentAddresses ?? this.deps.addresses;
  }

  /** True while MASTER. */
  get isMaster(): boolean {
    return this.runner?.state.phase === 'master';
  }

  /** Subscribes to transitions. */
  onTransition(listener: (event: TransitionEvent) => void): void {
    this.transitionListeners.push(listener);
  }

  /** The group's virtual MAC: CARP's 00:00:5e:00:01:vhid, or VRRP's per family (RFC 5798 §7.3). */
  get virtualMac(): MacAddress {
    return virtualMacOf(this.currentConfig);
  }

  /** Creates the virtual interface, wires the engine and starts in BACKUP (MASTER for a VRRP owner). */
  async start(): Promise<void> {
    const { host, netlink, logger, addresses } = this.deps;
    const config = this.currentConfig;
    const vrrp = isVrrpGroup(config);
    const vrrpSettings = vrrp ? vrrpSettingsFor(config, addresses, this.key) : undefined;
    if (vrrpSettings !== undefined) checkVrrpSource(config, vrrpSettings, host);
    const virtualMac = this.virtualMac;
    const manageAddresses = config.manageAddresses !== false;
    const useVirtualMac = config.vmac && manageAddresses;
    if (useVirtualMac) {
      const leftover = await netlink.linkByName(config.virtualInterface);
      if (leftover !== undefined) {
        // Only what carpd makes (a macvlan with the group's virtual MAC on this parent) is a
        // leftover of a killed run: any other link of that name is someone else's, never deleted.
        if (leftover.kind !== 'macvlan' || leftover.parentIndex !== host.link.index || leftover.mac !== virtualMac.text) {
          throw new StartupError(
            `group ${config.name}: an interface named ${leftover.name} exists and carpd did not create it (not a macvlan on ${host.name} with MAC ${virtualMac.text}): left in place; set virtual_interface to a free name, or remove it`,
            'CARPD_VIRTUAL_INTERFACE_TAKEN',
          );
        }
        logger.warn('deleting a virtual interface left by a previous run', { group: config.name, interface: leftover.name });
        await netlink.deleteLink(leftover.index);
      }
      this.virtualInterfaceIndex = await netlink.createMacvlan({ name: config.virtualInterface, parentIndex: host.link.index, mac: virtualMac.text });
      this.deps.onInterfaceChanged?.();
    }
    this.announcer = new Announcer({
      ifname: host.name,
      sourceMac: useVirtualMac ? virtualMac : host.mac,
      router: config.announce.router,
      openPacketSocket: () => host.sharedPacketSocket(),
      logger,
    });
    this.effects = new LinuxGroupEffects({
      group: config.name,
      vhid: config.vhid,
      protocol: vrrp ? 'vrrp' : 'carp',
      interfaceName: host.name,
      target: useVirtualMac
        ? {
            name: config.virtualInterface,
            index: () => this.virtualInterfaceIndex ?? -1,
            ensure: () => this.ensureVirtualInterface(),
            isUp: async () => (await netlink.linkByName(config.virtualInterface))?.up === true,
          }
        : { name: host.name, index: () => host.link.index, ensure: async () => false, isUp: async () => true },
      ownsInterface: useVirtualMac,
      ownedAddresses: isAddressOwner(config),
      addresses,
      netlink,
      announcer: this.announcer,
      scripts: this.deps.scripts,
      scriptsConfig: config.scripts,
      manageAddresses,
      announceIntervalMs: config.announce.intervalSeconds * 1000,
      logger,
      clock: this.deps.clock,
      onClaimFailed: (error) => this.claimFailed(error),
      onClaimed: () => this.claimSucceeded(),
      onRepaired: () => this.counts.repairs++,
      ...(this.deps.claimRetryDelaysMs === undefined ? {} : { retryDelaysMs: this.deps.claimRetryDelaysMs }),
    });
    const transport = useVirtualMac
      ? new VirtualMacAdvertTransport(host.transport, { ifname: host.name, sourceMac: virtualMac, openPacketSocket: () => host.sharedPacketSocket() })
      : host.transport;
    const ports = { clock: this.deps.clock, transport, effects: this.effects, logger, ...(host.packetLog === undefined ? {} : { packetLog: host.packetLog }) };
    const runner =
      vrrpSettings === undefined ? new GroupRunner(carpSettingsFor(config, this.key, addresses), { ...ports, stateStore: this.deps.store }) : new VrrpGroupRunner(vrrpSettings, ports);
    runner.onTransition((event) => {
      for (const listener of this.transitionListeners) listener(event);
    });
    host.node.addGroup(runner, { requireTtl255ForUnicast: config.unicastTtl === 'require-255' });
    this.runner = runner;
    if (vrrpSettings !== undefined && !vrrpSettings.acceptMode && !isAddressOwner(config)) {
      // Said once, so nobody relies on it: carpd installs no packet filter (docs/vrrp.md, Accept_Mode).
      logger.info(`${config.name}: accept_mode false is not enforced: as MASTER this host accepts packets for the virtual addresses (carpd installs no packet filter)`, { group: config.name });
    }
    if (!(host.link.up && host.link.running)) {
      this.linkDown = true;
      runner.linkChanged(false);
    }
    this.applyDemotion();
    runner.start();
  }

  /**
   * Applies a reload's changes that need no restart: addresses, key, advbase, advskew, preempt,
   * scripts, announcements, replay window; for VRRP, priority, interval, accept and checksum
   * mode (reload-plan.ts). The phase is kept; a MASTER adds and removes the
   * changed addresses without a transition.
   */
  reconfigure(config: GroupConfig, key: Uint8Array, addresses: readonly ResolvedAddress[]): void {
    this.currentConfig = config;
    this.key = key;
    this.effects?.updateSettings({ scriptsConfig: config.scripts, announceIntervalMs: config.announce.intervalSeconds * 1000 });
    this.effects?.setAddresses(addresses);
    if (this.runner?.protocol === 'vrrp') this.runner.reconfigure(vrrpSettingsFor(config, addresses, key));
    else this.runner?.reconfigure(carpSettingsFor(config, key, addresses), (config.keyChangeWindowSeconds ?? DEFAULT_KEY_CHANGE_WINDOW_SECONDS) * 1_000_000);
    this.applyDemotion();
  }

  /**
   * Graceful stop: bow-out when master, the addresses kept until the successor is heard (at most
   * GRACEFUL_STOP_HOLD_MAX_MICROS, fsm/intervals.ts; docs/state-machine.md "Graceful stop"), then
   * removed, scripts queued, virtual interface deleted.
   */
  async stop(): Promise<void> {
    const { netlink, logger, host } = this.deps;
    this.clearFault();
    const runner = this.runner;
    if (runner !== undefined) {
      // The machine's own stop-hold timer ends the wait; this bound only guards against a clock that
      // never fires it, so it is real time on purpose (ports/clock.ts setRealTimeout).
      const left = await settlesWithin(this.deps.clock, runner.shutdown(), GRACEFUL_STOP_HOLD_MAX_MICROS / 1000 + 1_000);
      if (!left) await runner.shutdown();
    }
    this.effects?.close();
    // A bound on the kernel's address work: real time too.
    await settlesWithin(this.deps.clock, this.effects?.idle() ?? Promise.resolve(), 5_000);
    if (this.runner !== undefined) host.node.removeGroup(this.runner);
    if (this.virtualInterfaceIndex !== undefined) {
      await netlink.deleteLink(this.virtualInterfaceIndex).catch((error: unknown) => {
        if ((error as { code?: string }).code !== 'ENODEV') logger.warn('could not delete the virtual interface', { group: this.name, error: String(error) });
      });
      this.virtualInterfaceIndex = undefined;
    }
  }

  /**
   * The parent's link state changed; while down the group counts as fully demoted (its sync set
   * follows). Going down: INIT first (a MASTER raising its demotion would advertise it at once).
   * Coming up: the demotion withdrawn first, since the master-down timer started on leaving
   * INIT counts the demotion (the Daemon withdraws the set's share first too, markLinkUp()).
   */
  linkChanged(up: boolean): void {
    this.linkDown = !up;
    if (up) this.applyDemotion();
    this.runner?.linkChanged(up);
    if (!up) this.applyDemotion();
  }

  /** The interface's advert source moved (advert-source-follower.ts): the runner's own address follows. */
  sourceChanged(): void {
    this.runner?.sourceChanged();
  }

  /** Withdraws the link-down demotion before linkChanged(true), so the sync set can be updated first. */
  markLinkUp(): void {
    this.linkDown = false;
  }

  /**
   * A netlink event about one of our interfaces or addresses: while MASTER, anything missing is
   * put back; a virtual address appearing while not MASTER is a conflict (someone else put it
   * here, or another daemon runs), logged and counted.
   */
  hostChanged(event: { kind: 'address'; event: AddressEvent } | { kind: 'link'; event: LinkEvent }): void {
    const effects = this.effects;
    if (effects === undefined || this.currentConfig.manageAddresses === false) return;
    if (event.kind === 'address') {
      // An owner's addresses are its interface's own: always present, and the operator's to change.
      if (isAddressOwner(this.currentConfig)) return;
      if (!this.addresses.some((a) => a.address.text === event.event.address.address.text)) return;
      if (event.event.type === 'del' && effects.holdingAddresses) return this.requestRepair();
      if (event.event.type === 'new' && !effects.holdingAddresses && !effects.busy) void this.checkConflict(event.event.address);
      return;
    }
    const link = event.event.link;
    const ours = this.virtualInterfaceIndex !== undefined && (link.index === this.virtualInterfaceIndex || link.name === this.currentConfig.virtualInterface);
    if (!ours || !effects.holdingAddresses) return;
    if (event.event.type === 'del' || !link.up) this.requestRepair();
  }

  /**
   * A virtual address was reported added while not MASTER. The report may be late: after a
   * MASTER spell shorter than the netlink event delay carpd has already removed the address it
   * added when the 'new' event arrives (issue 19 item 11: 13 false warnings in 30 s). So the
   * kernel is asked whether the address is there now; only an address still present while carpd
   * does not hold its addresses is a conflict (someone else's, or another daemon's).
   */
  private async checkConflict(address: InterfaceAddress): Promise<void> {
    const present = await this.deps.netlink.listAddresses(address.ifindex).then(
      (list) => list.some((a) => ipAddressEquals(a.address, address.address)),
      (error: unknown) => (error as { code?: string }).code !== 'ENODEV', // its interface is gone: so is the address
    );
    const effects = this.effects;
    if (!present || effects === undefined || effects.holdingAddresses || effects.busy) return;
    this.counts.conflicts++;
    this.deps.logger.warn(`${this.name}: conflict: virtual address ${address.address.text} appeared on this host while ${this.runner?.state.phase.toUpperCase() ?? 'INIT'}; carpd did not put it there`, {
      group: this.name,
      address: address.address.text,
      ifindex: address.ifindex,
    });
  }

  /** After lost netlink events: check everything while MASTER. */
  resync(): void {
    if (this.effects?.holdingAddresses === true) this.requestRepair();
  }

  private requestRepair(): void {
    this.effects?.repair();
  }

  /** Makes sure carp<vhid> exists; re-creates it (new ifindex) when it was deleted. */
  private async ensureVirtualInterface(): Promise<boolean> {
    const { netlink, host, logger } = this.deps;
    const name = this.currentConfig.virtualInterface;
    const link = await netlink.linkByName(name);
    if (link !== undefined && link.index === this.virtualInterfaceIndex) return false;
    const mac = this.virtualMac.text;
    if (link !== undefined) {
      // Someone made an interface of that name; take it over only if it is exactly ours.
      if (link.kind !== 'macvlan' || link.parentIndex !== host.link.index || link.mac !== mac) {
        throw Object.assign(new Error(`${name} exists and is not carpd's macvlan (${mac} on ${host.name})`), { code: 'EEXIST' });
      }
      this.virtualInterfaceIndex = link.index;
    } else {
      logger.warn(`${this.name}: ${name} was deleted; re-creating it`, { group: this.name, interface: name });
      this.virtualInterfaceIndex = await netlink.createMacvlan({ name, parentIndex: host.link.index, mac });
    }
    this.deps.onInterfaceChanged?.();
    return true;
  }

  private claimFailed(error: Error): void {
    this.counts.claimFailures++;
    this.failuresInARow++;
    const holdDowns = this.deps.faultHoldDownsMs ?? FAULT_HOLD_DOWNS_MS;
    const holdDown = holdDowns[Math.min(this.failuresInARow, holdDowns.length) - 1] ?? 10_000;
    this.clearFault();
    const { clock } = this.deps;
    const now = clock.calendarMillis();
    const timer = clock.setTimer(clock.nowMicros() + holdDown * 1000, () => {
      this.fault = undefined;
      this.deps.logger.info(`${this.name}: fault hold-down over: competing for mastership again`, { group: this.name });
      this.applyDemotion();
    });
    this.fault = { reason: `could not configure the addresses: ${error.message}`, since: now, until: now + holdDown, failures: this.failuresInARow, timer };
    this.deps.logger.error(`${this.name}: could not configure the virtual addresses; leaving mastership (fully demoted for ${Math.round(holdDown / 1000)} s)`, {
      group: this.name,
      error: error.message,
      code: (error as { code?: string }).code,
      failuresInARow: this.failuresInARow,
    });
    this.applyDemotion();
    this.runner?.resign();
  }

  private claimSucceeded(): void {
    if (this.failuresInARow > 0) this.deps.logger.info(`${this.name}: virtual addresses configured again`, { group: this.name });
    this.failuresInARow = 0;
  }

  private clearFault(): void {
    if (this.fault !== undefined) this.deps.clock.clearTimer(this.fault.timer);
    this.fault = undefined;
  }

  /** Manual demotion (carpctl demote/promote). */
  adjustManualDemotion(delta: number): number {
    this.manual = Math.max(0, Math.min(255, this.manual + delta));
    this.applyDemotion();
    return this.manual;
  }

  /** Maintenance: demote fully so every peer takes over. */
  setMaintenance(on: boolean): void {
    this.maintenanceOn = on;
    this.applyDemotion();
  }

  /** Health demotion from checks and tracked interfaces. */
  setHealth(demotion: number, checks: readonly CheckStatus[]): void {
    this.health = demotion;
    this.checks = checks;
    this.applyDemotion();
  }

  /**
   * The group's own demotion before sync-set sharing. A down link counts as full demotion, as
   * OpenBSD demotes the carp group when a carpdev goes down: the set's other members step down
   * with it instead of splitting the set across nodes (issue 19).
   */
  get ownDemotion(): number {
    return this.maintenanceOn || this.fault !== undefined || this.linkDown ? FAULT_DEMOTION : Math.min(255, this.manual + this.health);
  }

  /** The sync set's demotion, when higher than ours (shared fate). */
  setSyncSetDemotion(value: { name: string; demotion: number } | undefined): void {
    this.syncSetDemotion = value;
    this.applyDemotion();
  }

  /** The demotion advertised. */
  get totalDemotion(): number {
    return Math.max(this.ownDemotion, this.syncSetDemotion?.demotion ?? 0);
  }

  private applyDemotion(): void {
    this.runner?.setDemotion(this.totalDemotion);
  }

  /** Status for carpctl and metrics. */
  status(scriptStats: GroupStatus['scripts'], now: { monotonicMicros: number; wallclockMs: number }): GroupStatus {
    const runner = this.runner;
    const config = this.currentConfig;
    const state = runner?.state;
    const toIso = (micros: number) => new Date(now.wallclockMs - (now.monotonicMicros - micros) / 1000).toISOString();
    const demotion: DemotionStatus = {
      total: this.totalDemotion,
      manual: this.manual,
      maintenance: this.maintenanceOn,
      health: this.health,
      ...(this.syncSetDemotion !== undefined && this.syncSetDemotion.demotion > this.ownDemotion ? { syncSet: this.syncSetDemotion } : {}),
      fault: this.fault !== undefined,
      ...(this.linkDown ? { linkDown: true } : {}),
    };
    const keyChange = runner?.protocol === 'carp' ? runner.keyChange : undefined;
    const protocol = isVrrpGroup(config)
      ? vrrpStatus(config, runner?.protocol === 'vrrp' ? runner : undefined, toIso)
      : carpStatus(config, runner?.protocol === 'carp' ? runner : undefined, toIso);
    return {
      name: this.name,
      interface: this.deps.host.name,
      protocol: protocol.protocol,
      vhid: config.vhid,
      state: (state?.phase.toUpperCase() ?? 'INIT') as StateName,
      since: toIso(state?.since ?? now.monotonicMicros),
      reason: state?.reason ?? 'started',
      addresses: this.addresses.map((a) => `${a.address.text}/${a.prefixLength}`),
      ...(protocol.advbase === undefined ? {} : { advbase: protocol.advbase }),
      ...(protocol.advskew === undefined ? {} : { advskew: protocol.advskew }),
      ...(protocol.advertisedAdvskew === undefined ? {} : { advertisedAdvskew: protocol.advertisedAdvskew }),
      ...(protocol.demoteByte === undefined ? {} : { demoteByte: protocol.demoteByte }),
      demotion,
      preempt: config.preempt,
      ...(this.virtualInterfaceIndex === undefined ? {} : { vmac: `${config.virtualInterface} ${this.virtualMac.text}` }),
      ...(protocol.replayMode === undefined ? {} : { replayMode: protocol.replayMode }),
      peers: config.peers.map((p) => p.text),
      ...(protocol.vrrp === undefined ? {} : { vrrp: protocol.vrrp }),
      master: protocol.master,
      heard: protocol.heard,
      ...(protocol.familyLoss === undefined ? {} : { familyLoss: protocol.familyLoss }),
      foreign: foreignStatus(runner, toIso),
      counters: {
        advertsSent: runner?.stats.advertsSent ?? 0,
        advertsReceived: runner?.stats.advertsReceived ?? 0,
        sendErrors: runner?.stats.sendErrors ?? 0,
        transitions: runner?.stats.transitions ?? 0,
        drops: { ...(runner?.stats.drops ?? {}) } as GroupStatus['counters']['drops'],
      },
      scripts: scriptStats,
      checks: this.checks,
      fault:
        this.fault === undefined
          ? null
          : { reason: this.fault.reason, since: new Date(this.fault.since).toISOString(), until: new Date(this.fault.until).toISOString(), failures: this.fault.failures },
      effects: { ...this.counts },
      ...(keyChange === undefined ? {} : { keyChange: { previousAddresses: keyChange.previousAddresses.map((a) => a.text), until: toIso(keyChange.until) } }),
    };
  }
}

/**
 * Before anything on the host changes: a VRRP advert's checksum covers its real source, which
 * over IPv6 is the link-local address (RFC 5798 §5.1.2.1) unless source_address says otherwise.
 */
function checkVrrpSource(config: GroupConfig, settings: VrrpGroupSettings, host: InterfaceHost): void {
  const source = vrrpSourceAddress(host.transport, settings);
  const usable = source !== undefined && (settings.family === 4 || isIpv6LinkLocal(source) || config.sourceAddress !== undefined);
  if (usable) return;
  throw new StartupError(
    `group ${config.name}: interface ${host.name} has no ${settings.family === 4 ? 'IPv4 address' : 'IPv6 link-local address'} to send VRRP adverts from (RFC 5798 §5.1)`,
    'CARPD_VRRP_NO_SOURCE',
  );
}

