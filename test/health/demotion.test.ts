import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_DEMOTION, groupDemotion, syncSetDemotions, type DemotionInputs, type SharedDemotion, type SyncSetMember } from '../../src/health/demotion.ts';

const none: DemotionInputs = { manual: 0, maintenance: false, failedCheckWeights: [], downInterfaceWeights: [] };

describe('groupDemotion', () => {
  const cases: { name: string; inputs: Partial<DemotionInputs>; want: number }[] = [
    { name: 'nothing: 0', inputs: {}, want: 0 },
    { name: 'manual only', inputs: { manual: 3 }, want: 3 },
    { name: 'failed checks are summed', inputs: { failedCheckWeights: [50, 20] }, want: 70 },
    { name: 'down interfaces are summed', inputs: { downInterfaceWeights: [50, 50] }, want: 100 },
    { name: 'all sources add up', inputs: { manual: 1, failedCheckWeights: [50], downInterfaceWeights: [30] }, want: 81 },
    { name: 'capped at 255', inputs: { manual: 100, failedCheckWeights: [100, 100] }, want: 255 },
    { name: 'maintenance is 255 whatever else', inputs: { maintenance: true }, want: 255 },
    { name: 'maintenance with health is still 255', inputs: { maintenance: true, failedCheckWeights: [50] }, want: 255 },
    { name: 'negative manual counts as 0', inputs: { manual: -5, failedCheckWeights: [10] }, want: 10 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(groupDemotion({ ...none, ...c.inputs }), c.want));

  const inputs = fc.record({
    manual: fc.integer({ min: 0, max: 300 }),
    maintenance: fc.boolean(),
    failedCheckWeights: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }),
    downInterfaceWeights: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }),
  });

  it('property: always within 0..255', () => {
    fc.assert(fc.property(inputs, (i) => {
      const d = groupDemotion(i);
      assert.ok(d >= 0 && d <= MAX_DEMOTION);
    }));
  });

  it('property: monotonic: one more failure, more manual demotion, or maintenance never lowers it', () => {
    fc.assert(fc.property(inputs, fc.integer({ min: 0, max: 255 }), (i, extra) => {
      const base = groupDemotion(i);
      assert.ok(groupDemotion({ ...i, failedCheckWeights: [...i.failedCheckWeights, extra] }) >= base);
      assert.ok(groupDemotion({ ...i, downInterfaceWeights: [...i.downInterfaceWeights, extra] }) >= base);
      assert.ok(groupDemotion({ ...i, manual: i.manual + extra }) >= base);
      assert.ok(groupDemotion({ ...i, maintenance: true }) >= base);
    }));
  });
});

describe('syncSetDemotions', () => {
  const cases: { name: string; groups: SyncSetMember[]; want: Record<string, SharedDemotion> }[] = [
    {
      name: 'no sync sets: each keeps its own',
      groups: [{ name: 'a', own: 10 }, { name: 'b', own: 0 }],
      want: { a: { total: 10 }, b: { total: 0 } },
    },
    {
      name: 'one demoted member pulls the set up',
      groups: [{ name: 'web', syncSet: 'fw', own: 50 }, { name: 'db', syncSet: 'fw', own: 0 }],
      want: { web: { total: 50 }, db: { total: 50, fromSyncSet: { name: 'fw', demotion: 50, group: 'web' } } },
    },
    {
      name: 'the highest member wins; those at it are not marked',
      groups: [{ name: 'a', syncSet: 's', own: 20 }, { name: 'b', syncSet: 's', own: 70 }, { name: 'c', syncSet: 's', own: 70 }],
      want: {
        a: { total: 70, fromSyncSet: { name: 's', demotion: 70, group: 'b' } },
        b: { total: 70 },
        c: { total: 70 },
      },
    },
    {
      name: 'sets are independent, and groups outside any set untouched',
      groups: [{ name: 'a', syncSet: 's1', own: 255 }, { name: 'b', syncSet: 's1', own: 0 }, { name: 'c', syncSet: 's2', own: 0 }, { name: 'd', own: 0 }],
      want: { a: { total: 255 }, b: { total: 255, fromSyncSet: { name: 's1', demotion: 255, group: 'a' } }, c: { total: 0 }, d: { total: 0 } },
    },
    {
      name: 'a lone member of a set keeps its own',
      groups: [{ name: 'a', syncSet: 's', own: 5 }],
      want: { a: { total: 5 } },
    },
    {
      name: 'out-of-range own values are clamped to 0..255',
      groups: [{ name: 'a', syncSet: 's', own: 999 }, { name: 'b', syncSet: 's', own: -3 }],
      want: { a: { total: 255 }, b: { total: 255, fromSyncSet: { name: 's', demotion: 255, group: 'a' } } },
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(Object.fromEntries(syncSetDemotions(c.groups)), c.want));
  }

  const groupsArb = fc
    .array(fc.record({ syncSet: fc.option(fc.constantFrom('s1', 's2', 's3'), { nil: undefined }), own: fc.integer({ min: 0, max: 255 }) }), { maxLength: 10 })
    .map((gs) => gs.map((g, index): SyncSetMember => ({ name: `g${index}`, own: g.own, ...(g.syncSet === undefined ? {} : { syncSet: g.syncSet }) })));

  it('property: members of a set advertise the same total, the highest own of the set', () => {
    fc.assert(fc.property(groupsArb, (groups) => {
      const result = syncSetDemotions(groups);
      for (const g of groups) {
        const total = result.get(g.name)?.total;
        if (g.syncSet === undefined) {
          assert.equal(total, g.own);
          continue;
        }
        const highest = Math.max(...groups.filter((o) => o.syncSet === g.syncSet).map((o) => o.own));
        assert.equal(total, highest);
      }
    }));
  });

  it('property: never below own, never above 255, fromSyncSet exactly when raised', () => {
    fc.assert(fc.property(groupsArb, (groups) => {
      const result = syncSetDemotions(groups);
      assert.equal(result.size, groups.length);
      for (const g of groups) {
        const shared = result.get(g.name);
        assert.ok(shared !== undefined);
        assert.ok(shared.total >= g.own && shared.total <= MAX_DEMOTION);
        assert.equal(shared.fromSyncSet !== undefined, shared.total > g.own);
      }
    }));
  });

  it('property: monotonic: raising one member never lowers anyone', () => {
    fc.assert(fc.property(groupsArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (groups, pick, extra) => {
      if (groups.length === 0) return;
      const index = pick % groups.length;
      const raised = groups.map((g, i) => (i === index ? { ...g, own: Math.min(255, g.own + extra) } : g));
      const before = syncSetDemotions(groups);
      const after = syncSetDemotions(raised);
      for (const g of groups) assert.ok((after.get(g.name)?.total ?? -1) >= (before.get(g.name)?.total ?? 0));
    }));
  });
});
