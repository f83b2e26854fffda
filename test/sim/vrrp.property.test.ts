/**
 * VRRPv3 and VRRPv2 on the simulated LAN, as election.property.test.ts does for CARP, over random
 * clusters and fault schedules (crashes, restarts, link flaps, partitions, loss):
 * - once the network has been healthy for a Master_Down interval (plus an advert interval for
 *   masters to hear each other), each VRID has exactly one master, it alone holds the virtual
 *   address, and it has the highest live priority (with preemption; a tie goes to a master, the
 *   higher address among masters) or it is the best of the nodes that were master since the
 *   network healed (without preemption); nothing changes afterwards;
 * - no node becomes master without sending an advert at that instant;
 * - a crashed master is replaced within the new master's Master_Down interval
 *   (3 × Master_Adver_Interval + Skew_Time, docs/protocol-vrrp.md) plus one LAN delay, by the
 *   best live node;
 * - while every node hears every other (crashes, restarts and graceful stops only), two nodes hold
 *   the address only while the newest master's first advert is in flight: every overlap ends
 *   within one LAN delay of the last node taking the address (a preempting master, or equal
 *   priorities whose Master_Down timers expire together: the higher address stays).
 * The oracle here is written from the RFC's rules, not taken from the code under test: priority
 * = 254 - rank (protocols/protocol-sim-part.ts), higher priority wins, then the higher address.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildSimCluster, type SimNodeDescription } from '../../src/sim/cluster-builder.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { faultArb, runFaultsThenHeal } from './fault-schedule.ts';

const SECOND = 1_000_000;
const VRID = 42;
/** SimLan's default one-way delay plus its largest jitter (sim-lan.ts). */
const MAX_LAN_DELAY = 200 + 100;
const RUNS = Number(process.env.CARPD_PROPERTY_RUNS ?? 100);

type Version = 2 | 3;

const rankArb = fc.constantFrom(0, 10, 50, 50, 100, 200);
const scenarioArb = fc.record({
  ranks: fc.array(rankArb, { minLength: 2, maxLength: 5 }),
  /** Per node for VRRPv3 (a BACKUP follows its master's); VRRPv2 nodes must agree, so the first is everyone's. */
  intervals: fc.array(fc.constantFrom(1, 2), { minLength: 5, maxLength: 5 }),
  preempt: fc.boolean(),
  startOffsets: fc.array(fc.integer({ min: 0, max: 3 * SECOND }), { minLength: 5, maxLength: 5 }),
  faults: fc.array(faultArb, { maxLength: 14 }),
  seed: fc.nat(),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

const priorityOf = (node: SimNodeDescription): number => 254 - (node.advskew ?? 0);
const lastOctet = (node: SimNodeDescription): number => Number(node.address.split('.').at(-1));

/** The better master first: higher priority, then the higher primary address (RFC 5798 §6.4.3). */
function byElection(a: SimNodeDescription, b: SimNodeDescription): number {
  return priorityOf(b) - priorityOf(a) || lastOctet(b) - lastOctet(a);
}

/** Skew_Time and Master_Down_Interval as the RFCs define them (v3: in units of the master's interval; v2: of a second). */
function masterDownOf(version: Version, priority: number, masterIntervalSeconds: number): number {
  const interval = masterIntervalSeconds * SECOND;
  const skew = Math.floor(((256 - priority) * (version === 3 ? interval : SECOND)) / 256);
  return 3 * interval + skew;
}

function describeNodes(scenario: { readonly ranks: readonly number[]; readonly intervals: readonly number[]; readonly preempt: boolean }, version: Version): SimNodeDescription[] {
  return scenario.ranks.map((rank, i) => ({
    name: `n${i}`,
    address: `198.51.100.${i + 1}`,
    advskew: rank,
    advbase: version === 2 ? (scenario.intervals[0] ?? 1) : (scenario.intervals[i] ?? 1),
    preempt: scenario.preempt,
  }));
}

function cluster(version: Version, nodes: SimNodeDescription[], seed: number): { clock: VirtualClock; cluster: SimCluster } {
  const clock = new VirtualClock();
  return { clock, cluster: buildSimCluster({ protocol: 'vrrp', version, vhid: VRID, passphrase: 'pw', virtualAddresses: ['198.51.100.200'], nodes, seed }, clock) };
}

function runConvergence(version: Version, scenario: Scenario): void {
  const nodes = describeNodes(scenario, version);
  const { clock, cluster: c } = cluster(version, nodes, scenario.seed);
  const names = nodes.map((n) => n.name);
  c.onEvent((event) => {
    if (event.kind === 'transition' && event.to === 'master') assert.equal(c.host(event.host).lastAdvertAt.get(VRID), clock.nowMicros(), `${event.host} became master without an advert`);
  });
  runFaultsThenHeal(c, clock, names, scenario.startOffsets, scenario.faults);
  const healedAt = clock.nowMicros();
  const mastersSinceHeal = new Set(c.masters(VRID));
  c.onEvent((event) => {
    if (event.kind === 'transition' && event.to === 'master') mastersSinceHeal.add(event.host);
  });
  const maxInterval = Math.max(...nodes.map((n) => (n.advbase ?? 1) * SECOND));
  // The slowest BACKUP (lowest priority) following the slowest master, then one more advert to be heard.
  const maxMasterDown = Math.max(...nodes.map((n) => masterDownOf(version, priorityOf(n), maxInterval / SECOND)));
  clock.advanceTo(healedAt + maxMasterDown + maxInterval + 10_000);
  const live = nodes.filter((n) => c.host(n.name).alive);
  const masters = c.masters(VRID);
  if (live.length === 0) return assert.deepEqual(masters, []);
  assert.equal(masters.length, 1, `expected one master, got ${JSON.stringify(masters)}`);
  assert.deepEqual(c.holders(VRID), masters, 'only the master holds the address');
  const master = nodes.find((n) => n.name === masters[0]) as SimNodeDescription;
  if (scenario.preempt) {
    const top = Math.max(...live.map(priorityOf));
    assert.equal(priorityOf(master), top, 'with preemption the master has the highest live priority');
    const tops = live.filter((n) => priorityOf(n) === top);
    if (tops.length === 1) assert.equal(master.name, tops[0]?.name);
  } else {
    assert.equal(master.name, nodes.filter((n) => mastersSinceHeal.has(n.name)).sort(byElection)[0]?.name, 'the best node that was master since the heal stays master');
  }
  const transitions = live.map((n) => c.host(n.name).runners.get(VRID)?.stats.transitions);
  clock.advanceTo(clock.nowMicros() + 2 * maxMasterDown);
  assert.deepEqual(live.map((n) => c.host(n.name).runners.get(VRID)?.stats.transitions), transitions, 'no transitions once converged');
}

for (const version of [3, 2] as const) {
  test(`property (VRRPv${version}): one master per VRID after healing, the highest priority with preemption, adverts first, stable`, () => {
    fc.assert(fc.property(scenarioArb, (scenario) => runConvergence(version, scenario)), { numRuns: RUNS });
  });

  test(`property (VRRPv${version}): a crashed master is replaced by the best live node within its Master_Down interval plus one LAN delay`, () => {
    const arb = fc.record({ ranks: fc.uniqueArray(fc.integer({ min: 0, max: 253 }), { minLength: 2, maxLength: 5 }), interval: fc.constantFrom(1, 2, 3), crashAfter: fc.integer({ min: 0, max: 5 * SECOND }), seed: fc.nat() });
    fc.assert(
      fc.property(arb, ({ ranks, interval, crashAfter, seed }) => {
        const nodes = describeNodes({ ranks, intervals: [interval, interval, interval, interval, interval], preempt: true }, version);
        const { clock, cluster: c } = cluster(version, nodes, seed);
        c.startAll();
        clock.advanceTo(masterDownOf(version, 1, interval) + interval * SECOND + crashAfter);
        const [first, second] = [...nodes].sort(byElection) as [SimNodeDescription, SimNodeDescription];
        assert.deepEqual(c.masters(VRID), [first.name]);
        const crashAt = clock.nowMicros();
        c.crash(first.name);
        clock.advanceTo(crashAt + masterDownOf(version, priorityOf(second), interval) + MAX_LAN_DELAY);
        assert.deepEqual(c.masters(VRID), [second.name], 'the next best took over within its Master_Down');
        assert.deepEqual(c.holders(VRID), [second.name]);
        const takeover = c.host(second.name).effects.find((e) => e.effect === 'add-addresses' && e.at > crashAt);
        assert.ok(takeover !== undefined && takeover.at - crashAt > 2 * interval * SECOND, 'not before the master was missed for more than two intervals');
      }),
      { numRuns: RUNS },
    );
  });

  test(`property (VRRPv${version}): while every node hears every other, two nodes hold the address only while the newest master's first advert is in flight`, () => {
    const stepArb = fc.record({ kind: fc.constantFrom('crash' as const, 'restart' as const, 'stop' as const), node: fc.nat(4), after: fc.integer({ min: 0, max: 8 * SECOND }) });
    const arb = fc.record({ ranks: fc.array(rankArb, { minLength: 2, maxLength: 5 }), preempt: fc.boolean(), steps: fc.array(stepArb, { minLength: 1, maxLength: 10 }), seed: fc.nat() });
    let overlaps = 0;
    fc.assert(
      fc.property(arb, ({ ranks, preempt, steps, seed }) => {
        const nodes = describeNodes({ ranks, intervals: [1, 1, 1, 1, 1], preempt }, version);
        const { clock, cluster: c } = cluster(version, nodes, seed);
        // Crashes, and restarts of a host still leaving, take the addresses without an effect: noted here, as removals.
        const crashes: { host: string; at: number }[] = [];
        c.startAll();
        for (const step of steps) {
          clock.advanceTo(clock.nowMicros() + step.after);
          const name = nodes[step.node % nodes.length]?.name as string;
          if ((step.kind === 'crash' && c.host(name).alive) || (step.kind === 'restart' && c.host(name).stopping)) crashes.push({ host: name, at: clock.nowMicros() });
          if (step.kind === 'crash') c.crash(name);
          else if (step.kind === 'stop') c.stop(name);
          else c.start(name);
        }
        clock.advanceTo(clock.nowMicros() + 10 * SECOND);
        const changes = [
          ...nodes.flatMap((n) => c.host(n.name).effects.filter((e) => e.effect === 'add-addresses' || e.effect === 'remove-addresses').map((e) => ({ host: n.name, at: e.at, holds: e.effect === 'add-addresses' }))),
          ...crashes.map((crash) => ({ ...crash, holds: false })),
        ].sort((a, b) => a.at - b.at);
        const holding = new Set<string>();
        /** During an overlap: when the newest holder took the address (its first advert left then). */
        let lastAdd: number | undefined;
        for (const change of changes) {
          if (change.holds) holding.add(change.host);
          else holding.delete(change.host);
          if (holding.size > 1 && change.holds) lastAdd = change.at;
          if (holding.size <= 1 && lastAdd !== undefined) {
            overlaps++;
            assert.ok(change.at - lastAdd <= MAX_LAN_DELAY, `two holders ${change.at - lastAdd} µs after the newest took the address at ${lastAdd}`);
            lastAdd = undefined;
          }
        }
        assert.equal(lastAdd, undefined, 'two holders at the end');
      }),
      { numRuns: RUNS },
    );
    assert.ok(overlaps > 0, 'preemptions happened (each with its brief overlap)');
  });
}
