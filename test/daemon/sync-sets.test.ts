/**
 * Shared fate (daemon/sync-sets.ts, docs/health-checks.md) on plain members: each member of a set
 * advertises the set's highest own demotion; groups outside a set keep theirs; a change is
 * reported once per group whose advertised demotion moved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareSyncSetDemotions, type SyncSetMember } from '../../src/daemon/sync-sets.ts';

class Member implements SyncSetMember {
  share: { name: string; demotion: number } | undefined;
  constructor(
    readonly name: string,
    readonly config: { readonly syncSet?: string },
    public ownDemotion: number,
  ) {}
  get totalDemotion(): number {
    return Math.max(this.ownDemotion, this.share?.demotion ?? 0);
  }
  setSyncSetDemotion(value: { name: string; demotion: number } | undefined): void {
    this.share = value;
  }
}

test('every member of a set advertises its highest demotion; others keep their own', () => {
  const a = new Member('a', { syncSet: 'edge' }, 0);
  const b = new Member('b', { syncSet: 'edge' }, 50);
  const c = new Member('c', { syncSet: 'core' }, 10);
  const d = new Member('d', {}, 7);
  const changed: [string, number][] = [];
  shareSyncSetDemotions([a, b, c, d], (group, demotion) => changed.push([group, demotion]));
  assert.deepEqual([a.totalDemotion, b.totalDemotion, c.totalDemotion, d.totalDemotion], [50, 50, 10, 7]);
  assert.deepEqual(a.share, { name: 'edge', demotion: 50 });
  assert.equal(d.share, undefined);
  assert.deepEqual(changed, [['a', 50]], 'only a moved');
});

test('a member recovering brings the set back down, and each moved member is reported', () => {
  const a = new Member('a', { syncSet: 'edge' }, 0);
  const b = new Member('b', { syncSet: 'edge' }, 255);
  shareSyncSetDemotions([a, b], () => {});
  b.ownDemotion = 0;
  const changed: [string, number][] = [];
  shareSyncSetDemotions([a, b], (group, demotion) => changed.push([group, demotion]));
  assert.deepEqual(changed, [['a', 0], ['b', 0]], 'b advertised the share it had set for itself until now');
});

test('`previous` is the baseline when given: a change made before the sharing is reported too', () => {
  const a = new Member('a', { syncSet: 'edge' }, 0);
  const b = new Member('b', { syncSet: 'edge' }, 0);
  const previous = new Map([['a', 0], ['b', 0]]);
  b.ownDemotion = 255; // a link went down before the sets were updated
  const changed: [string, number][] = [];
  shareSyncSetDemotions([a, b], (group, demotion) => changed.push([group, demotion]), previous);
  assert.deepEqual(changed, [['a', 255], ['b', 255]]);
});
