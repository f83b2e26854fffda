/**
 * CARP and VRRP groups side by side on one simulated LAN, every host running all of them on one
 * interface (protocols/interface-node.ts and engine/interface-demux.ts tell each datagram's protocol by its shape): a CARP group
 * (vhid 7), a VRRPv3 group (VRID 8) and a VRRPv2 group (VRID 9), each node with its own rank in
 * each group. Over random fault schedules, once the
 * network has healed and settled, each group has exactly one master, alone holding its address,
 * chosen by its own protocol's rules from its own ranks (with preemption: the best live node, or
 * one of the best rank when several share it), and
 * no group counted another protocol's adverts as its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareOffers } from '../../src/protocols/carp/carp-election.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { buildMultiGroupCluster, type SimClusterDescription } from '../../src/sim/cluster-builder.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { faultArb, runFaultsThenHeal } from './fault-schedule.ts';

const SECOND = 1_000_000;
/** Every group advertises each second: Master_Down ≤ 3 s + skew ≤ 4 s, then one advert to be heard. */
const SETTLE = 6 * SECOND;

const GROUPS = [
  { protocol: 'carp', vhid: 7, vip: '198.51.100.207' },
  { protocol: 'vrrp', version: 3, vhid: 8, vip: '198.51.100.208' },
  { protocol: 'vrrp', version: 2, vhid: 9, vip: '198.51.100.209' },
] as const;

const rankArb = fc.constantFrom(0, 10, 50, 100, 200);
const scenarioArb = fc.record({
  /** ranks[node][group] */
  ranks: fc.array(fc.tuple(rankArb, rankArb, rankArb), { minLength: 2, maxLength: 4 }),
  startOffsets: fc.array(fc.integer({ min: 0, max: 3 * SECOND }), { minLength: 4, maxLength: 4 }),
  faults: fc.array(faultArb, { maxLength: 12 }),
  seed: fc.nat(),
});

const address = (node: number) => `198.51.100.${node + 1}`;

/** The better of two nodes for a group by its protocol's rule (negative: a wins). */
function compare(group: (typeof GROUPS)[number], rank: (node: number) => number, a: number, b: number): number {
  if (group.protocol === 'carp') return compareOffers({ advbase: 1, advskew: rank(a), demote: 0, address: parseIpAddress(address(a)) }, { advbase: 1, advskew: rank(b), demote: 0, address: parseIpAddress(address(b)) });
  // VRRP: higher priority (254 - rank) wins, then the higher address (RFC 5798 §6.4.3).
  return rank(a) - rank(b) || b - a;
}

test('property: CARP, VRRPv3 and VRRPv2 groups on one LAN: one master per group after healing, the best by its own rules', () => {
  fc.assert(
    fc.property(scenarioArb, ({ ranks, startOffsets, faults, seed }) => {
      const nodes = ranks.map((_, i) => `n${i}`);
      const descriptions: SimClusterDescription[] = GROUPS.map((group, g) => ({
        protocol: group.protocol,
        ...('version' in group ? { version: group.version } : {}),
        vhid: group.vhid,
        passphrase: 'mixed',
        virtualAddresses: [group.vip],
        nodes: ranks.map((r, i) => ({ name: `n${i}`, address: address(i), advskew: r[g] as number, preempt: true })),
        seed,
      }));
      const clock = new VirtualClock();
      const c = buildMultiGroupCluster(descriptions, clock);
      runFaultsThenHeal(c, clock, nodes, startOffsets, faults);
      clock.advanceTo(clock.nowMicros() + SETTLE);
      const live = nodes.map((_, i) => i).filter((i) => c.host(`n${i}`).alive);
      GROUPS.forEach((group, g) => {
        const label = `${group.protocol}${'version' in group ? `v${group.version}` : ''} ${group.vhid}`;
        const masters = c.masters(group.vhid);
        const rank = (i: number) => ranks[i]?.[g] as number;
        const best = [...live].sort((a, b) => compare(group, rank, a, b))[0];
        assert.equal(masters.length, best === undefined ? 0 : 1, `${label}: one master`);
        // A BACKUP does not preempt a master of its own rank (either protocol): among equals, any may stay.
        const tied = live.filter((i) => best !== undefined && rank(i) === rank(best)).map((i) => `n${i}`);
        if (tied.length > 1) assert.ok(tied.includes(masters[0] as string), `${label}: a node of the best rank is master`);
        else assert.deepEqual(masters, best === undefined ? [] : [`n${best}`], `${label}: the best live node is its master`);
        assert.deepEqual(c.holders(group.vhid), masters, `${label}: only its master holds its address`);
      });
      for (const name of nodes) {
        for (const runner of c.host(name).runners.values()) {
          const drops = runner.stats.drops;
          const foreign = runner.protocol === 'carp' ? drops.vrrp : drops.carp + drops['vrrp-v2'] + drops['vrrp-v3'];
          assert.equal(foreign, 0, `${name} ${runner.protocol} ${runner.vhid}: another protocol's adverts were judged as its own`);
        }
      }
    }),
    { numRuns: Number(process.env.CARPD_PROPERTY_RUNS ?? 100) },
  );
});
