/** TimerQueue: (deadline, id) order, windows that open early, removal. Pure: no clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimerQueue } from '../../src/linux/timer-queue.ts';

const noop = (): void => {};

test('ordered by deadline, then arming order; takeDue takes exactly the timers whose window opened', () => {
  const queue = new TimerQueue();
  queue.add(1, 100, 100, noop);
  queue.add(2, 50, 40, noop);
  queue.add(3, 100, 90, noop);
  queue.add(4, 200, 60, noop);
  queue.add(5, 300, 300, noop);
  assert.equal(queue.nextDeadline(), 50);
  assert.deepEqual(queue.takeDue(39).map((t) => t.id), []);
  // At 60: 2 (window 40..50) and 4 (window 60..200) are open; 1 and 3 are not yet.
  assert.deepEqual(queue.takeDue(60).map((t) => t.id), [2, 4]);
  assert.equal(queue.nextDeadline(), 100);
  assert.deepEqual(queue.takeDue(95).map((t) => t.id), [3]);
  assert.equal(queue.remove(1), true);
  assert.equal(queue.remove(1), false);
  assert.deepEqual(queue.takeDue(1_000).map((t) => t.id), [5]);
  assert.equal(queue.size, 0);
  assert.equal(queue.nextDeadline(), undefined);
});

test('an earliest past the deadline is clamped to the deadline', () => {
  const queue = new TimerQueue();
  queue.add(1, 100, 500, noop);
  assert.deepEqual(queue.takeDue(99).map((t) => t.id), []);
  assert.deepEqual(queue.takeDue(100).map((t) => t.id), [1]);
});

test('property: takeDue(now) returns every open timer once, in (deadline, id) order, and keeps the rest', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ at: fc.integer({ min: 0, max: 1_000 }), early: fc.integer({ min: 0, max: 100 }) }), { maxLength: 60 }),
      fc.array(fc.integer({ min: 0, max: 1_200 }), { maxLength: 8 }),
      (timers, nows) => {
        const queue = new TimerQueue();
        timers.forEach((t, id) => queue.add(id, t.at, t.at - t.early, noop));
        const taken = new Set<number>();
        for (const now of [...nows].sort((a, b) => a - b)) {
          const due = queue.takeDue(now);
          for (let i = 1; i < due.length; i++) {
            const [a, b] = [due[i - 1]!, due[i]!];
            assert.ok(a.at < b.at || (a.at === b.at && a.id < b.id), 'ordered');
          }
          for (const timer of due) {
            assert.ok(timer.earliest <= now, 'window open');
            assert.ok(!taken.has(timer.id), 'taken once');
            taken.add(timer.id);
          }
        }
        const last = nows.length === 0 ? -Infinity : Math.max(...nows);
        timers.forEach((t, id) => {
          if (t.at - t.early <= last) assert.ok(taken.has(id), `timer ${id} open by ${last} was taken`);
          else assert.ok(!taken.has(id));
        });
        assert.equal(queue.size, timers.length - taken.size);
      },
    ),
  );
});

test('takeDue with a limit: timers whose deadline has come always, early ones only while the batch is short', () => {
  const queue = new TimerQueue();
  // Due by 100: 1, 2, 3. Open early at 100: 4, 5, 6 (deadlines 150..170).
  for (const [id, at, earliest] of [[1, 90, 90], [2, 95, 95], [3, 100, 100], [4, 150, 50], [5, 160, 50], [6, 170, 50]] as const) queue.add(id, at, earliest, noop);
  // Limit 4: the three due ones and one early.
  assert.deepEqual(queue.takeDue(100, 4).map((t) => t.id), [1, 2, 3, 4]);
  assert.equal(queue.nextDeadline(), 160);
  // Limit 1 never holds back a timer whose deadline has come.
  queue.add(7, 100, 100, noop);
  queue.add(8, 101, 101, noop);
  assert.deepEqual(queue.takeDue(101, 1).map((t) => t.id), [7, 8]);
  assert.deepEqual(queue.takeDue(101, 1).map((t) => t.id), [5]);
  assert.deepEqual(queue.takeDue(101).map((t) => t.id), [6]);
  assert.equal(queue.size, 0);
});

test('property: with a limit, every timer due by now is taken, and early ones only up to the limit', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ at: fc.integer({ min: 0, max: 1_000 }), early: fc.integer({ min: 0, max: 300 }) }), { maxLength: 60 }),
      fc.integer({ min: 0, max: 1_000 }),
      fc.integer({ min: 0, max: 20 }),
      (timers, now, limit) => {
        const queue = new TimerQueue();
        timers.forEach((t, id) => queue.add(id, t.at, t.at - t.early, noop));
        const taken = queue.takeDue(now, limit);
        const ids = new Set(taken.map((t) => t.id));
        const dueIds = timers.flatMap((t, id) => (t.at <= now ? [id] : []));
        const openEarly = timers.filter((t) => t.at > now && t.at - t.early <= now).length;
        assert.ok(dueIds.every((id) => ids.has(id)), 'every due timer taken');
        assert.ok(taken.every((t) => t.earliest <= now), 'only open timers taken');
        assert.equal(taken.length, Math.max(dueIds.length, Math.min(dueIds.length + openEarly, limit)));
        assert.equal(queue.size, timers.length - taken.length);
      },
    ),
  );
});
