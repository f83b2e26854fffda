/**
 * Properties of the election on the simulated LAN, over random clusters and random fault
 * schedules (crashes, restarts, link flaps, partitions, loss) and replay injections:
 * - once the network has been healthy for one master-down interval (plus one advert interval
 *   for the masters to hear each other), each vhid has exactly one master, it alone holds the
 *   virtual address, and it is the best live node (with preemption) or the best of the nodes
 *   that were master since the network healed (without preemption);
 * - no node becomes master without sending an advert at that instant;
 * - re-injecting any advert a node has already received (or sent) never changes its state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareOffers } from '../../src/protocols/carp/carp-election.ts';
import { advertIntervalMicros, masterDownMicros } from '../../src/protocols/carp/carp-intervals.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { buildSimCluster, type SimNodeDescription } from '../../src/sim/cluster-builder.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import type { TappedPacket } from '../../src/sim/sim-lan.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const SECOND = 1_000_000;
const VHID = 42;
const FAULT_WINDOW = 30 * SECOND;

type Fault =
  | { kind: 'crash' | 'restart' | 'link-down' | 'link-up'; node: number; at: number }
  | { kind: 'partition'; mask: number; at: number }
  | { kind: 'heal'; at: number }
  | { kind: 'loss'; rate: number; at: number }
  | { kind: 'replay'; node: number; pick: number; at: number };

const nodeArb = fc.record({ advbase: fc.constantFrom(1, 2), advskew: fc.constantFrom(0, 10, 50, 50, 100, 200) });
const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constantFrom('crash' as const, 'restart' as const, 'link-down' as const, 'link-up' as const), node: fc.nat(7), at: fc.integer({ min: 0, max: FAULT_WINDOW }) }),
  fc.record({ kind: fc.constant('partition' as const), mask: fc.nat(255), at: fc.integer({ min: 0, max: FAULT_WINDOW }) }),
  fc.record({ kind: fc.constant('heal' as const), at: fc.integer({ min: 0, max: FAULT_WINDOW }) }),
  fc.record({ kind: fc.constant('loss' as const), rate: fc.constantFrom(0, 0.1, 0.3, 0.6), at: fc.integer({ min: 0, max: FAULT_WINDOW }) }),
  fc.record({ kind: fc.constant('replay' as const), node: fc.nat(7), pick: fc.nat(), at: fc.integer({ min: 0, max: FAULT_WINDOW + 20 * SECOND }) }),
);
const scenarioArb = fc.record({
  nodes: fc.array(nodeArb, { minLength: 2, maxLength: 5 }),
  preempt: fc.boolean(),
  startOffsets: fc.array(fc.integer({ min: 0, max: 3 * SECOND }), { minLength: 5, maxLength: 5 }),
  faults: fc.array(faultArb, { maxLength: 14 }),
  seed: fc.nat(),
});

function describeNodes(nodes: { advbase: number; advskew: number }[], preempt: boolean): SimNodeDescription[] {
  return nodes.map((n, i) => ({ name: `n${i}`, address: `198.51.100.${i + 1}`, advbase: n.advbase, advskew: n.advskew, preempt }));
}

function offerOf(node: SimNodeDescription) {
  return { advbase: node.advbase ?? 1, advskew: node.advskew ?? 0, demote: 0, address: parseIpAddress(node.address) };
}

function best(nodes: SimNodeDescription[]): string | undefined {
  return [...nodes].sort((a, b) => compareOffers(offerOf(a), offerOf(b)))[0]?.name;
}

class Attacker {
  readonly captured: TappedPacket[] = [];
  constructor(private readonly cluster: SimCluster) {
    cluster.lan.tap((packet) => this.captured.push(packet));
  }
  /** Re-injects a packet the target already received or sent; asserts it changed nothing. */
  replay(target: string, pick: number): void {
    const host = this.cluster.host(target);
    if (!host.alive || host.transport === undefined) return;
    const candidates = this.captured.filter((p) => host.receivedPacketIds.has(p.id) || p.from === target);
    const packet = candidates[pick % Math.max(1, candidates.length)];
    if (packet === undefined) return;
    const runner = host.runners.get(VHID);
    assert.ok(runner !== undefined);
    const before = runner.state;
    const received = runner.stats.advertsReceived;
    host.transport.receive(packet.bytes);
    assert.equal(runner.state, before, `replayed packet ${packet.id} changed ${target}'s state`);
    assert.equal(runner.stats.advertsReceived, received, `replayed packet ${packet.id} reached ${target}'s state machine`);
  }
}

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function runScenario(scenario: Scenario): void {
  const nodes = describeNodes(scenario.nodes, scenario.preempt);
  const clock = new VirtualClock();
  const cluster = buildSimCluster({ vhid: VHID, passphrase: 'property', virtualAddresses: ['198.51.100.200'], nodes, seed: scenario.seed }, clock);
  const attacker = new Attacker(cluster);
  const names = nodes.map((n) => n.name);
  cluster.onEvent((event) => {
    if (event.kind === 'transition' && event.to === 'master') {
      assert.equal(cluster.host(event.host).lastAdvertAt.get(VHID), clock.nowMicros(), `${event.host} became master without an advert`);
    }
  });
  const starts = names.map((name, i) => ({ at: scenario.startOffsets[i] ?? 0, run: () => cluster.start(name) }));
  const faults = scenario.faults.map((fault: Fault) => ({ at: fault.at, run: () => applyFault(cluster, attacker, names, fault) }));
  const timeline = [...starts, ...faults].sort((a, b) => a.at - b.at);
  const replays = timeline.filter((e) => e.at > FAULT_WINDOW);
  for (const entry of timeline.filter((e) => e.at <= FAULT_WINDOW)) {
    clock.advanceTo(entry.at);
    entry.run();
  }
  // The network heals: no partition, no loss, every link up.
  clock.advanceTo(FAULT_WINDOW + 1);
  cluster.lan.heal();
  cluster.lan.setLossRate(0);
  for (const name of names) if (cluster.host(name).alive) cluster.setLink(name, true);
  const healedAt = clock.nowMicros();
  const mastersSinceHeal = new Set(cluster.masters(VHID));
  cluster.onEvent((event) => {
    if (event.kind === 'transition' && event.to === 'master') mastersSinceHeal.add(event.host);
  });
  const maxMasterDown = Math.max(...nodes.map((n) => masterDownMicros('openbsd', n.advbase ?? 1, n.advskew ?? 0)));
  const maxInterval = Math.max(...nodes.map((n) => advertIntervalMicros(n.advbase ?? 1, n.advskew ?? 0)));
  const settle = maxMasterDown + maxInterval + 10_000;
  for (const entry of replays.filter((e) => e.at < healedAt + settle)) {
    clock.advanceTo(Math.max(entry.at, clock.nowMicros()));
    entry.run();
  }
  clock.advanceTo(healedAt + settle);
  const live = nodes.filter((n) => cluster.host(n.name).alive);
  const masters = cluster.masters(VHID);
  if (live.length === 0) {
    assert.deepEqual(masters, []);
    return;
  }
  assert.equal(masters.length, 1, `expected one master, got ${JSON.stringify(masters)}`);
  assert.deepEqual(cluster.holders(VHID), masters, 'only the master holds the address');
  const expected = scenario.preempt ? best(live) : best(nodes.filter((n) => mastersSinceHeal.has(n.name)));
  assert.equal(masters[0], expected, scenario.preempt ? 'best live node is master' : 'best node that was master since the heal stays master');
  const master = cluster.host(masters[0] as string);
  assert.ok(clock.nowMicros() - (master.lastAdvertAt.get(VHID) ?? -Infinity) <= maxInterval, 'the master keeps advertising');
  // Stable: nothing changes for two more master-down intervals, replays included.
  const transitionsBefore = live.map((n) => cluster.host(n.name).runners.get(VHID)?.stats.transitions);
  for (const entry of replays.filter((e) => e.at >= healedAt + settle)) {
    clock.advanceTo(Math.max(entry.at, clock.nowMicros()));
    entry.run();
  }
  clock.advanceTo(clock.nowMicros() + 2 * maxMasterDown);
  assert.deepEqual(live.map((n) => cluster.host(n.name).runners.get(VHID)?.stats.transitions), transitionsBefore, 'no transitions once converged');
}

function applyFault(cluster: SimCluster, attacker: Attacker, names: string[], fault: Fault): void {
  const pickName = (index: number) => names[index % names.length] as string;
  switch (fault.kind) {
    case 'crash':
      cluster.crash(pickName(fault.node));
      return;
    case 'restart':
      cluster.start(pickName(fault.node));
      return;
    case 'link-down':
    case 'link-up':
      if (cluster.host(pickName(fault.node)).alive) cluster.setLink(pickName(fault.node), fault.kind === 'link-up');
      return;
    case 'partition': {
      const sideA = names.filter((_, i) => (fault.mask >> i) & 1);
      const sideB = names.filter((_, i) => !((fault.mask >> i) & 1));
      cluster.lan.partition([sideA, sideB]);
      return;
    }
    case 'heal':
      cluster.lan.heal();
      return;
    case 'loss':
      cluster.lan.setLossRate(fault.rate);
      return;
    case 'replay':
      attacker.replay(pickName(fault.node), fault.pick);
      return;
  }
}

test('property: one master per vhid after healing, the right one, adverts first, replays inert', () => {
  fc.assert(fc.property(scenarioArb, (scenario) => runScenario(scenario)), { numRuns: Number(process.env.CARPD_PROPERTY_RUNS ?? 150) });
});
