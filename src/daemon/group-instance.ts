/**
 * One configured group on a Linux host: its engine (the runner, planned by its protocol's runtime
 * part through protocol-runner.ts; this class never asks which protocol a group speaks), its Linux side (group-effects-wiring.ts),
 * its macvlan (virtual-interface.ts), its demotion parts (group-demotion.ts) and fault hold-down
 * (fault-hold-down.ts), what netlink events mean for it (address-drift.ts), and its status for
 * carpctl and metrics (group-status-report.ts). This class ties them together and is the face
 * the daemon's parts use.
 *
 * Fault policy (docs/fail-safe.md): when the addresses cannot be configured after the effects'
 * retries, the group raises its demotion to 255 and resigns (a bow-out, so the best backup takes
 * over at once). It stays fully demoted for a hold-down (10 s, doubling to 5 min while claims
 * keep failing); a node alone on the segment takes over again after its master-down interval
 * and so keeps retrying. A successful claim clears the fault.
 *
 * A VRRP group's macvlan has the VRRP virtual MAC of its family (RFC 5798 §7.3); an address
 * owner (priority 255) never adds or removes its addresses, which are its interface's own.
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { CheckStatus, GroupStatus } from '../control/control-types.ts';
import type { TransitionEvent } from '../engine/runner-core.ts';
import { runtimeOf } from '../protocols/index.ts';
import { GRACEFUL_STOP_HOLD_MAX_MICROS } from '../fsm/intervals.ts';
import type { StartMode } from '../fsm/machine-types.ts';
import type { MacAddress } from '../wire/mac-address.ts';
import type { Clock } from '../ports/clock.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';
import type { HostNetlink, InterfaceAddress } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import type { ScriptRunner } from '../linux/script-runner.ts';
import type { InterfaceHost } from './interface-host.ts';
import type { LinuxGroupEffects, ResolvedAddress } from './linux-group-effects.ts';
import { wireGroupEffects } from './group-effects-wiring.ts';
import { planRunner, reconfigureRunner, type ProtocolRunner } from './protocol-runner.ts';
import { settlesWithin } from './clock-time.ts';
import { FaultHoldDown } from './fault-hold-down.ts';
import { GroupDemotion } from './group-demotion.ts';
import { VirtualInterface } from './virtual-interface.ts';
import { renderGroupStatus, type StatusNow } from './group-status-report.ts';
import { driftVerdict, stillPresent, type HostEvent } from './address-drift.ts';

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

export { FAULT_HOLD_DOWNS_MS } from './fault-hold-down.ts';

/** A running group. */
export class GroupInstance {
  private runner: ProtocolRunner | undefined;
  private effects: LinuxGroupEffects | undefined;
  private readonly vif: VirtualInterface;
  private currentConfig: GroupConfig;
  private key: Uint8Array;
  private readonly fault: FaultHoldDown;
  private readonly demotion: GroupDemotion;
  private readonly counts = { claimFailures: 0, repairs: 0, conflicts: 0 };
  private readonly transitionListeners: ((event: TransitionEvent) => void)[] = [];

  constructor(
    config: GroupConfig,
    private readonly deps: GroupDependencies,
  ) {
    this.currentConfig = config;
    this.key = deps.key;
    this.fault = new FaultHoldDown({
      clock: deps.clock,
      logger: deps.logger,
      group: () => this.name,
      ...(deps.faultHoldDownsMs === undefined ? {} : { holdDownsMs: deps.faultHoldDownsMs }),
      onOver: () => this.applyDemotion(),
    });
    this.demotion = new GroupDemotion(() => this.fault.active);
    this.vif = new VirtualInterface({
      netlink: deps.netlink,
      host: deps.host,
      logger: deps.logger,
      group: () => this.name,
      name: () => this.currentConfig.virtualInterface,
      mac: () => this.virtualMac,
      ...(deps.onInterfaceChanged === undefined ? {} : { onChanged: deps.onInterfaceChanged }),
    });
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
    const index = this.vif.index;
    return index === undefined ? undefined : { name: this.currentConfig.virtualInterface, index };
  }

  /** The virtual addresses in force. */
  /** The parent interface's index (where a group without a vmac interface keeps its addresses). */
  get hostLinkIndex(): number {
    return this.deps.host.link.index;
  }

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
    return runtimeOf(this.currentConfig).virtualMac(this.currentConfig);
  }

  /**
   * Creates the virtual interface, wires the engine and starts in BACKUP (MASTER for a VRRP
   * owner); 'resume-master': MASTER at once, adopting the addresses in place (a protocol switch,
   * protocol-switch.ts).
   */
  async start(mode?: StartMode): Promise<void> {
    const { host, netlink, logger, addresses } = this.deps;
    const config = this.currentConfig;
    const plan = planRunner(config, this.key, addresses, host, this.deps.store, logger);
    const useVirtualMac = config.vmac && config.manageAddresses !== false;
    if (useVirtualMac) await this.vif.create();
    const { effects, transport } = wireGroupEffects({
      config,
      protocol: plan.protocol,
      host,
      netlink,
      clock: this.deps.clock,
      logger,
      scripts: this.deps.scripts,
      addresses,
      virtualInterface: useVirtualMac ? this.vif : undefined,
      virtualMac: this.virtualMac,
      ...(this.deps.claimRetryDelaysMs === undefined ? {} : { claimRetryDelaysMs: this.deps.claimRetryDelaysMs }),
      onClaimFailed: (error) => this.claimFailed(error),
      onClaimed: () => this.claimSucceeded(),
      onRepaired: () => this.counts.repairs++,
    });
    this.effects = effects;
    const ports = { clock: this.deps.clock, transport, effects: this.effects, logger, ...(host.packetLog === undefined ? {} : { packetLog: host.packetLog }) };
    const runner = plan.build(ports);
    runner.onTransition((event) => {
      for (const listener of this.transitionListeners) listener(event);
    });
    runtimeOf(config).attach(runner, host.node, config);
    this.runner = runner;
    if (!(host.link.up && host.link.running)) {
      this.demotion.setLinkDown(true);
      runner.linkChanged(false);
    }
    this.applyDemotion();
    runner.start(mode);
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
    reconfigureRunner(this.runner, config, key, addresses);
    this.applyDemotion();
  }

  /**
   * Graceful stop: bow-out when master, the addresses kept until the successor is heard (at most
   * GRACEFUL_STOP_HOLD_MAX_MICROS, fsm/intervals.ts; docs/state-machine.md "Graceful stop"), then
   * removed, scripts queued, virtual interface deleted.
   */
  async stop(): Promise<void> {
    const { host } = this.deps;
    this.fault.clearFault();
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
    if (this.runner !== undefined) runtimeOf(this.currentConfig).detach(this.runner, host.node);
    await this.vif.delete();
  }

  /**
   * Hands the group over to a new instance of another protocol (protocol-switch.ts): the engine
   * halts with no advert, no transition and no script, the addresses stay where they are (the
   * new instance adopts them as MASTER); only the timers and the engine's registration go.
   * Never called for a group with its own macvlan (protocol-switch.ts refuses it).
   */
  async handOver(): Promise<void> {
    this.fault.clearFault();
    this.runner?.halt();
    this.effects?.close();
    // A bound on the kernel's address work already queued: real time (ports/clock.ts setRealTimeout).
    await settlesWithin(this.deps.clock, this.effects?.idle() ?? Promise.resolve(), 5_000);
    if (this.runner !== undefined) runtimeOf(this.currentConfig).detach(this.runner, this.deps.host.node);
  }

  /** For the protocol switch: when a peer's last advert was heard (µs; authentic or not), and the master-down interval. */
  get peerHearing(): { lastPeerHeardAt: number | undefined; masterDownMicros: number } {
    const times = (this.runner?.peers.entries() ?? []).map((p) => p.lastHeardAt);
    return { lastPeerHeardAt: times.length === 0 ? undefined : Math.max(...times), masterDownMicros: this.runner?.masterDownMicros ?? 0 };
  }

  /**
   * The parent's link state changed; while down the group counts as fully demoted (its sync set
   * follows). Going down: INIT first (a MASTER raising its demotion would advertise it at once).
   * Coming up: the demotion withdrawn first, since the master-down timer started on leaving
   * INIT counts the demotion (the Daemon withdraws the set's share first too, markLinkUp()).
   */
  linkChanged(up: boolean): void {
    this.demotion.setLinkDown(!up);
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
    this.demotion.setLinkDown(false);
  }

  /**
   * A netlink event about one of our interfaces or addresses: while MASTER, anything missing is
   * put back; a virtual address appearing while not MASTER is a conflict (someone else put it
   * here, or another daemon runs), logged and counted.
   */
  hostChanged(event: HostEvent): void {
    const effects = this.effects;
    if (effects === undefined) return;
    const verdict = driftVerdict(event, {
      managing: this.currentConfig.manageAddresses !== false,
      addressOwner: runtimeOf(this.currentConfig).isAddressOwner(this.currentConfig),
      addresses: this.addresses,
      holdingAddresses: effects.holdingAddresses,
      busy: effects.busy,
      isOwnLink: (link) => this.vif.isOurs(link),
    });
    if (verdict.kind === 'repair') this.requestRepair();
    else if (verdict.kind === 'check-conflict') void this.checkConflict(verdict.address);
  }

  /**
   * A virtual address was reported added while not MASTER: only an address still present while
   * carpd does not hold its addresses is a conflict (address-drift.ts stillPresent).
   */
  private async checkConflict(address: InterfaceAddress): Promise<void> {
    const present = await stillPresent(this.deps.netlink, address);
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

  private claimFailed(error: Error): void {
    this.counts.claimFailures++;
    this.fault.claimFailed(error);
    this.applyDemotion();
    this.runner?.resign();
  }

  private claimSucceeded(): void {
    this.fault.claimSucceeded();
  }

  /** Manual demotion (carpctl demote/promote). */
  adjustManualDemotion(delta: number): number {
    const manual = this.demotion.adjustManual(delta);
    this.applyDemotion();
    return manual;
  }

  /** Maintenance: demote fully so every peer takes over. */
  setMaintenance(on: boolean): void {
    this.demotion.setMaintenance(on);
    this.applyDemotion();
  }

  /** Health demotion from checks and tracked interfaces. */
  setHealth(demotion: number, checks: readonly CheckStatus[]): void {
    this.demotion.setHealth(demotion, checks);
    this.applyDemotion();
  }

  /** The group's own demotion before sync-set sharing (group-demotion.ts). */
  get ownDemotion(): number {
    return this.demotion.own;
  }

  /** The sync set's demotion, when higher than ours (shared fate). */
  setSyncSetDemotion(value: { name: string; demotion: number } | undefined): void {
    this.demotion.setSyncSet(value);
    this.applyDemotion();
  }

  /** The demotion advertised. */
  get totalDemotion(): number {
    return this.demotion.total;
  }

  private applyDemotion(): void {
    this.runner?.setDemotion(this.totalDemotion);
  }

  /** Status for carpctl and metrics (group-status-report.ts). */
  status(scriptStats: GroupStatus['scripts'], now: StatusNow): GroupStatus {
    const config = this.currentConfig;
    return renderGroupStatus(
      {
        name: this.name,
        interfaceName: this.deps.host.name,
        config,
        runner: this.runner,
        addresses: this.addresses,
        demotion: this.demotion.status(),
        checks: this.demotion.checks,
        fault: this.fault.status(),
        effects: { ...this.counts },
        vmac: this.vif.index === undefined ? undefined : `${config.virtualInterface} ${this.virtualMac.text}`,
        scripts: scriptStats,
      },
      now,
    );
  }
}
