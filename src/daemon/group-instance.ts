/**
 * One configured group on a Linux host: its virtual interface, effects and engine, its demotion
 * parts (manual, maintenance, health, sync set), and its status for carpctl and metrics.
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { CheckStatus, DemotionStatus, GroupStatus, StateName } from '../control/control-types.ts';
import { GroupRunner, type TransitionEvent } from '../engine/group-runner.ts';
import { makeGroupSettings } from '../engine/group-settings.ts';
import { advertFields } from '../fsm/step.ts';
import { carpVirtualMac } from '../protocol/mac-address.ts';
import type { Clock } from '../ports/clock.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';
import type { Logger } from '../ports/logger.ts';
import { Announcer } from '../linux/announcer.ts';
import type { RouteNetlink } from '../linux/netlink/route-netlink.ts';
import type { ScriptRunner } from '../linux/script-runner.ts';
import { VirtualMacAdvertTransport } from '../linux/virtual-mac-advert-transport.ts';
import type { InterfaceHost } from './interface-host.ts';
import { LinuxGroupEffects, type ResolvedAddress } from './linux-group-effects.ts';

/** What a group needs from the daemon. */
export interface GroupDependencies {
  readonly host: InterfaceHost;
  readonly netlink: RouteNetlink;
  readonly clock: Clock;
  readonly store: GroupStateStore;
  readonly scripts: ScriptRunner;
  readonly logger: Logger;
  readonly key: Uint8Array;
  readonly addresses: readonly ResolvedAddress[];
}

/** A running group. */
export class GroupInstance {
  private runner: GroupRunner | undefined;
  private effects: LinuxGroupEffects | undefined;
  private announcer: Announcer | undefined;
  private virtualInterfaceIndex: number | undefined;
  private manual = 0;
  private maintenanceOn = false;
  private health = 0;
  private checks: readonly CheckStatus[] = [];
  private syncSetDemotion: { name: string; demotion: number } | undefined;
  private readonly transitionListeners: ((event: TransitionEvent) => void)[] = [];

  constructor(
    readonly config: GroupConfig,
    private readonly deps: GroupDependencies,
  ) {}

  /** The group's name. */
  get name(): string {
    return this.config.name;
  }

  /** The ifindex of our carp<vhid>, when we made one. */
  get virtualInterface(): { name: string; index: number } | undefined {
    return this.virtualInterfaceIndex === undefined ? undefined : { name: this.config.virtualInterface, index: this.virtualInterfaceIndex };
  }

  /** Subscribes to transitions. */
  onTransition(listener: (event: TransitionEvent) => void): void {
    this.transitionListeners.push(listener);
  }

  /** Creates the virtual interface, wires the engine and starts in BACKUP. */
  async start(): Promise<void> {
    const { host, netlink, logger, addresses } = this.deps;
    const config = this.config;
    const virtualMac = carpVirtualMac(config.vhid);
    const manageAddresses = config.manageAddresses !== false;
    let addressInterface = { index: host.link.index, name: host.name };
    if (config.vmac && manageAddresses) {
      const leftover = await netlink.linkByName(config.virtualInterface);
      if (leftover !== undefined) {
        logger.warn('deleting a virtual interface left by a previous run', { group: config.name, interface: leftover.name });
        await netlink.deleteLink(leftover.index);
      }
      const index = await netlink.createMacvlan({ name: config.virtualInterface, parentIndex: host.link.index, mac: virtualMac.text });
      this.virtualInterfaceIndex = index;
      addressInterface = { index, name: config.virtualInterface };
    }
    const useVirtualMac = config.vmac && manageAddresses;
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
      interfaceName: host.name,
      addressInterface,
      ownsInterface: useVirtualMac,
      addresses,
      netlink,
      announcer: this.announcer,
      scripts: this.deps.scripts,
      scriptsConfig: config.scripts,
      manageAddresses,
      announceIntervalMs: config.announce.intervalSeconds * 1000,
      logger,
    });
    const transport = useVirtualMac
      ? new VirtualMacAdvertTransport(host.transport, { ifname: host.name, sourceMac: virtualMac, openPacketSocket: () => host.sharedPacketSocket() })
      : host.transport;
    const settings = makeGroupSettings({
      name: config.name,
      vhid: config.vhid,
      key: this.deps.key,
      addresses: addresses.map((a) => a.address),
      advbase: config.advbase,
      advskew: config.advskew,
      preempt: config.preempt,
      masterDownFormula: config.masterDown,
      deadRatio: config.deadRatio,
      replayMode: config.replay.mode,
      replayWindowSeconds: config.replay.windowSeconds,
      ...(config.peers.length > 0 ? { unicastPeers: config.peers } : {}),
      ...(config.sourceAddress === undefined ? {} : { sourceAddresses: { [config.sourceAddress.family]: config.sourceAddress } }),
    });
    const runner = new GroupRunner(settings, { clock: this.deps.clock, transport, effects: this.effects, logger, stateStore: this.deps.store });
    runner.onTransition((event) => {
      for (const listener of this.transitionListeners) listener(event);
    });
    host.node.addGroup(runner, { requireTtl255ForUnicast: config.unicastTtl === 'require-255' });
    this.runner = runner;
    if (!(host.link.up && host.link.running)) runner.linkChanged(false);
    this.applyDemotion();
    runner.start();
  }

  /** Graceful stop: bow-out when master, addresses removed, scripts queued, virtual interface deleted. */
  async stop(): Promise<void> {
    const { netlink, logger, host } = this.deps;
    this.runner?.shutdown();
    this.effects?.close();
    await withTimeout(this.effects?.idle() ?? Promise.resolve(), 5_000);
    if (this.runner !== undefined) host.node.removeGroup(this.runner.vhid);
    if (this.virtualInterfaceIndex !== undefined) {
      await netlink.deleteLink(this.virtualInterfaceIndex).catch((error: unknown) => logger.warn('could not delete the virtual interface', { group: this.name, error: String(error) }));
      this.virtualInterfaceIndex = undefined;
    }
  }

  /** The parent's link state changed. */
  linkChanged(up: boolean): void {
    this.runner?.linkChanged(up);
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

  /** The group's own demotion before sync-set sharing. */
  get ownDemotion(): number {
    return this.maintenanceOn ? 255 : Math.min(255, this.manual + this.health);
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
    const state = runner?.state;
    const toIso = (micros: number) => new Date(now.wallclockMs - (now.monotonicMicros - micros) / 1000).toISOString();
    const fields = runner === undefined ? { advbase: this.config.advbase, advskew: this.config.advskew, demote: 0 } : advertFields(runner.settings.machine, runner.state);
    const heard = state?.lastHeardMaster;
    const demotion: DemotionStatus = {
      total: this.totalDemotion,
      manual: this.manual,
      maintenance: this.maintenanceOn,
      health: this.health,
      ...(this.syncSetDemotion !== undefined && this.syncSetDemotion.demotion > this.ownDemotion ? { syncSet: this.syncSetDemotion } : {}),
    };
    return {
      name: this.name,
      interface: this.deps.host.name,
      vhid: this.config.vhid,
      state: (state?.phase.toUpperCase() ?? 'INIT') as StateName,
      since: toIso(state?.since ?? now.monotonicMicros),
      reason: state?.reason ?? 'started',
      addresses: this.deps.addresses.map((a) => `${a.address.text}/${a.prefixLength}`),
      advbase: this.config.advbase,
      advskew: this.config.advskew,
      advertisedAdvskew: fields.advskew,
      demoteByte: fields.demote,
      demotion,
      preempt: this.config.preempt,
      ...(this.virtualInterfaceIndex === undefined ? {} : { vmac: `${this.config.virtualInterface} ${carpVirtualMac(this.config.vhid).text}` }),
      replayMode: this.config.replay.mode,
      peers: this.config.peers.map((p) => p.text),
      master:
        heard === undefined || state?.phase === 'master'
          ? null
          : { address: heard.address.text, advbase: heard.advbase, advskew: heard.advskew, demote: heard.demote, heardAt: toIso(heard.at) },
      counters: {
        advertsSent: runner?.stats.advertsSent ?? 0,
        advertsReceived: runner?.stats.advertsReceived ?? 0,
        sendErrors: runner?.stats.sendErrors ?? 0,
        transitions: runner?.stats.transitions ?? 0,
        drops: { ...(runner?.stats.drops ?? {}) } as GroupStatus['counters']['drops'],
      },
      scripts: scriptStats,
      checks: this.checks,
    };
  }
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  if (timer !== undefined) clearTimeout(timer);
}
