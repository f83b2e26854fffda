/**
 * A tiny simulated LAN for VRRPv3 machines (src/protocols/vrrp/vrrp-step.ts) on a virtual clock: each
 * machine's send-advert is delivered to every other live machine after a random delay, or lost
 * at the current loss rate, and never overtakes an earlier packet on the same path (a segment
 * does not reorder one sender's frames: a stale advert arriving after the master's priority-0
 * one would restart the backups' full Master_Down_Timer); arm-timer / cancel-timer become
 * virtual timers. It plays the engine
 * without the codec: adverts travel as the machine's own plain values, not as bytes, so it
 * tests the election alone (src/sim/ runs the whole CARP engine over encoded packets).
 *
 * While it runs it asserts what must hold at every step: MASTER is entered only with an advert
 * sent at that instant, and the addresses are added and removed alternately, held exactly while
 * MASTER.
 */
import assert from 'node:assert/strict';
import type { TimerId } from '../../src/fsm/machine-types.ts';
import type { VrrpAction, VrrpAdvertReceived, VrrpConfig, VrrpEvent, VrrpState } from '../../src/protocols/vrrp/vrrp-machine-types.ts';
import { initialVrrpState, stepVrrp, vrrpPriority } from '../../src/protocols/vrrp/vrrp-step.ts';
import type { TimerHandle } from '../../src/ports/clock.ts';
import type { VirtualClock } from '../../src/sim/virtual-clock.ts';

/** One-way delay bounds in µs. */
export interface VrrpLanOptions {
  readonly minDelayMicros: number;
  readonly maxDelayMicros: number;
}

/** 50 µs to 2 ms one way: a busy LAN, well under the shortest advert interval. */
export const DEFAULT_LAN_OPTIONS: VrrpLanOptions = { minDelayMicros: 50, maxDelayMicros: 2_000 };

interface LanNode {
  readonly name: string;
  readonly config: VrrpConfig;
  state: VrrpState;
  /** The host is running (not crashed or shut down). */
  alive: boolean;
  /** Bumped on every start, so adverts in flight to an earlier life are lost. */
  incarnation: number;
  /** The host's link on this LAN; a down link neither sends nor receives. */
  linkUp: boolean;
  /** Demotion to apply whenever the machine (re)starts, as the daemon would. */
  demotion: number;
  holding: boolean;
  transitions: number;
  readonly timers: Map<TimerId, TimerHandle>;
}

/** The simulated LAN. */
export class VrrpLan {
  private readonly nodes = new Map<string, LanNode>();
  private lossRate = 0;
  /** Per path "from>to": when its latest packet arrives. */
  private readonly pathBusyUntil = new Map<string, number>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly random: () => number,
    private readonly options: VrrpLanOptions = DEFAULT_LAN_OPTIONS,
  ) {}

  /** Connects a host (not yet running). */
  add(name: string, config: VrrpConfig): void {
    const state = initialVrrpState(config, this.clock.nowMicros());
    this.nodes.set(name, { name, config, state, alive: false, incarnation: 0, linkUp: true, demotion: 0, holding: false, transitions: 0, timers: new Map() });
  }

  /** Starts (or restarts) a host's machine from its initial state. */
  start(name: string): void {
    const node = this.node(name);
    if (node.alive) return;
    node.alive = true;
    node.incarnation++;
    node.state = initialVrrpState(node.config, this.clock.nowMicros());
    if (!node.linkUp) this.dispatch(node, { type: 'link-down' });
    if (node.demotion !== 0) this.dispatch(node, { type: 'set-demotion', demotion: node.demotion });
    this.dispatch(node, { type: 'start' });
  }

  /** Kills a host: no farewell, its timers and addresses are gone. */
  crash(name: string): void {
    const node = this.node(name);
    if (!node.alive) return;
    this.stopHost(node);
  }

  /** Stops a host cleanly: the machine's shutdown (a priority-0 advert if MASTER), then gone. */
  shutdown(name: string): void {
    const node = this.node(name);
    if (!node.alive) return;
    this.dispatch(node, { type: 'shutdown' });
    this.stopHost(node);
  }

  /** Sets a host's link state. */
  setLink(name: string, up: boolean): void {
    const node = this.node(name);
    if (node.linkUp === up) return;
    node.linkUp = up;
    if (node.alive) this.dispatch(node, { type: up ? 'link-up' : 'link-down' });
  }

  /** Sets a host's demotion counter (kept across restarts). */
  setDemotion(name: string, demotion: number): void {
    const node = this.node(name);
    node.demotion = demotion;
    if (node.alive) this.dispatch(node, { type: 'set-demotion', demotion });
  }

  /** Sets the fraction of deliveries lost, 0..1. */
  setLossRate(rate: number): void {
    this.lossRate = rate;
  }

  /** Lets virtual time pass, running every timer and delivery due. */
  advanceBy(micros: number): void {
    this.clock.advanceBy(micros);
  }

  /** Running hosts with their link up. */
  live(): string[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.linkUp).map((n) => n.name);
  }

  /** Running hosts in MASTER. */
  masters(): string[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.state.phase === 'master').map((n) => n.name);
  }

  /** Hosts holding the virtual addresses. */
  holders(): string[] {
    return [...this.nodes.values()].filter((n) => n.holding).map((n) => n.name);
  }

  /** A host's effective priority now (demotion included). */
  priority(name: string): number {
    const node = this.node(name);
    return vrrpPriority(node.config, { demotion: node.demotion });
  }

  /** A host's config. */
  config(name: string): VrrpConfig {
    return this.node(name).config;
  }

  /** Transitions made by each host so far. */
  transitionCounts(): Record<string, number> {
    return Object.fromEntries([...this.nodes.values()].map((n) => [n.name, n.transitions]));
  }

  private node(name: string): LanNode {
    const node = this.nodes.get(name);
    assert.ok(node !== undefined, `no host ${name}`);
    return node;
  }

  private stopHost(node: LanNode): void {
    node.alive = false;
    for (const handle of node.timers.values()) this.clock.clearTimer(handle);
    node.timers.clear();
    node.holding = false;
  }

  private dispatch(node: LanNode, event: VrrpEvent): void {
    const before = node.state.phase;
    const result = stepVrrp(node.config, node.state, event, this.clock.nowMicros());
    node.state = result.state;
    if (result.state.phase === 'master' && before !== 'master') {
      assert.ok(result.actions.some((a) => a.type === 'send-advert'), `${node.name} became MASTER without an advert`);
    }
    for (const action of result.actions) this.execute(node, action);
    assert.equal(node.holding, node.state.phase === 'master', `${node.name} holds the addresses exactly while MASTER`);
  }

  private execute(node: LanNode, action: VrrpAction): void {
    switch (action.type) {
      case 'send-advert':
        for (const family of action.families) {
          this.broadcast(node, { family, source: node.config.primaryAddress, priority: action.fields.priority, maxAdvertIntervalCentis: action.fields.maxAdvertIntervalCentis });
        }
        return;
      case 'arm-timer': {
        const previous = node.timers.get(action.timer);
        if (previous !== undefined) this.clock.clearTimer(previous);
        const timer = action.timer;
        node.timers.set(timer, this.clock.setTimer(action.at, () => {
          node.timers.delete(timer);
          this.dispatch(node, { type: 'timer', timer });
        }));
        return;
      }
      case 'cancel-timer': {
        const handle = node.timers.get(action.timer);
        if (handle !== undefined) this.clock.clearTimer(handle);
        node.timers.delete(action.timer);
        return;
      }
      case 'add-addresses':
        assert.equal(node.holding, false, `${node.name} adds the addresses twice`);
        node.holding = true;
        return;
      case 'remove-addresses':
        assert.equal(node.holding, true, `${node.name} removes addresses it does not hold`);
        node.holding = false;
        return;
      case 'transition':
        node.transitions++;
        return;
      case 'announce':
      case 'run-script':
      case 'ignored':
        return;
    }
  }

  private broadcast(from: LanNode, advert: VrrpAdvertReceived): void {
    if (!from.linkUp) return;
    const { minDelayMicros, maxDelayMicros } = this.options;
    for (const to of this.nodes.values()) {
      if (to === from || !to.alive || !to.linkUp) continue;
      if (this.random() < this.lossRate) continue;
      const incarnation = to.incarnation;
      const delay = minDelayMicros + Math.floor(this.random() * (maxDelayMicros - minDelayMicros));
      const path = `${from.name}>${to.name}`;
      // Equal times keep their order: the virtual clock runs them in arming order.
      const arrival = Math.max(this.clock.nowMicros() + delay, this.pathBusyUntil.get(path) ?? 0);
      this.pathBusyUntil.set(path, arrival);
      this.clock.setTimer(arrival, () => {
        if (to.alive && to.linkUp && to.incarnation === incarnation) this.dispatch(to, { type: 'advert', advert });
      });
    }
  }
}
