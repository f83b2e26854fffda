import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScriptQueue } from '../../src/linux/script-queue.ts';

interface Job {
  readonly group: string;
  readonly id: number;
}

describe('ScriptQueue', () => {
  it('ok, coalescing (issue 18): an idle group starts at once; of three more, only the latest waits, each newer one replacing the pending one', () => {
    const queue = new ScriptQueue<Job>();
    const a1 = { group: 'a', id: 1 };
    const a2 = { group: 'a', id: 2 };
    const a3 = { group: 'a', id: 3 };
    const a4 = { group: 'a', id: 4 };
    assert.deepEqual(queue.enqueue(a1), { start: a1 });
    assert.deepEqual(queue.enqueue(a2), {}, 'pending behind the running one');
    assert.deepEqual(queue.enqueue(a3), { superseded: a2 }, 'replaces the pending one');
    assert.deepEqual(queue.enqueue(a4), { superseded: a3 });
    assert.equal(queue.running('a'), a1);
    assert.equal(queue.waiting('a'), 1);
    assert.equal(queue.finished(a1), a4, 'the latest transition runs next');
    assert.equal(queue.waiting('a'), 0);
    assert.equal(queue.finished(a4), undefined);
    assert.ok(queue.idle());
    assert.equal(queue.running('a'), undefined);
  });

  it('ok, a job enqueued while the pending one has started waits behind it (nothing is lost once pending is empty)', () => {
    const queue = new ScriptQueue<Job>();
    const a1 = { group: 'a', id: 1 };
    const a2 = { group: 'a', id: 2 };
    const a3 = { group: 'a', id: 3 };
    queue.enqueue(a1);
    queue.enqueue(a2);
    assert.equal(queue.finished(a1), a2);
    assert.deepEqual(queue.enqueue(a3), {});
    assert.equal(queue.finished(a2), a3);
  });

  it('ok, groups are independent', () => {
    const queue = new ScriptQueue<Job>();
    const a1 = { group: 'a', id: 1 };
    const b1 = { group: 'b', id: 2 };
    assert.deepEqual(queue.enqueue(a1), { start: a1 });
    assert.deepEqual(queue.enqueue(b1), { start: b1 });
    assert.equal(queue.finished(b1), undefined);
    assert.ok(!queue.idle());
    assert.equal(queue.finished(a1), undefined);
    assert.ok(queue.idle());
  });

  it('ok, an idle group starts again after draining', () => {
    const queue = new ScriptQueue<Job>();
    const a1 = { group: 'a', id: 1 };
    queue.enqueue(a1);
    queue.finished(a1);
    const a2 = { group: 'a', id: 2 };
    assert.deepEqual(queue.enqueue(a2), { start: a2 });
  });

  it('bad, finishing a job that is not running throws (a runner bug)', () => {
    const queue = new ScriptQueue<Job>();
    const a1 = { group: 'a', id: 1 };
    const a2 = { group: 'a', id: 2 };
    assert.throws(() => queue.finished(a1));
    queue.enqueue(a1);
    queue.enqueue(a2);
    assert.throws(() => queue.finished(a2));
  });

  it('ok, property: any interleaving runs jobs one at a time per group, in order, at most two held per group, and the last job of each group always runs', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('enqueue' as const), group: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ kind: fc.constant('finish' as const), group: fc.constantFrom('a', 'b', 'c') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const queue = new ScriptQueue<Job>();
        const running = new Map<string, Job>();
        const started: Job[] = [];
        const enqueued: Job[] = [];
        const superseded: Job[] = [];
        let nextId = 0;
        const start = (job: Job | undefined) => {
          if (job === undefined) return;
          assert.ok(!running.has(job.group), 'two at once in one group');
          running.set(job.group, job);
          started.push(job);
        };
        const finish = (group: string) => {
          const job = running.get(group);
          if (job === undefined) return;
          running.delete(group);
          start(queue.finished(job));
        };
        for (const o of ops) {
          if (o.kind === 'enqueue') {
            const job = { group: o.group, id: nextId++ };
            enqueued.push(job);
            const result = queue.enqueue(job);
            start(result.start);
            if (result.superseded !== undefined) superseded.push(result.superseded);
          } else {
            finish(o.group);
          }
          for (const group of ['a', 'b', 'c']) assert.ok(queue.waiting(group) <= 1, 'at most one pending per group');
        }
        while (running.size > 0) for (const group of [...running.keys()]) finish(group);
        assert.ok(queue.idle());
        assert.equal(started.length + superseded.length, enqueued.length, 'every job either ran once or was superseded');
        assert.equal(new Set(started).size, started.length, 'none ran twice');
        assert.ok(!superseded.some((j) => started.includes(j)), 'a superseded job never runs');
        for (const group of ['a', 'b', 'c']) {
          const ids = started.filter((j) => j.group === group).map((j) => j.id);
          assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'in transition order');
          const last = enqueued.filter((j) => j.group === group).at(-1);
          if (last !== undefined) assert.equal(ids.at(-1), last.id, 'the latest transition of the group ran last');
        }
      }),
    );
  });
});
