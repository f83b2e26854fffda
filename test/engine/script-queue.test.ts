import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScriptQueue } from '../../src/engine/script-queue.ts';

interface Job {
  readonly group: string;
  readonly id: number;
}

describe('ScriptQueue', () => {
  it('ok, an idle group starts at once; later jobs wait and start in order', () => {
    const queue = new ScriptQueue<Job>();
    const a1 = { group: 'a', id: 1 };
    const a2 = { group: 'a', id: 2 };
    const a3 = { group: 'a', id: 3 };
    assert.equal(queue.enqueue(a1), a1);
    assert.equal(queue.enqueue(a2), undefined);
    assert.equal(queue.enqueue(a3), undefined);
    assert.equal(queue.running('a'), a1);
    assert.equal(queue.waiting('a'), 2);
    assert.equal(queue.finished(a1), a2);
    assert.equal(queue.finished(a2), a3);
    assert.equal(queue.finished(a3), undefined);
    assert.ok(queue.idle());
    assert.equal(queue.running('a'), undefined);
  });

  it('ok, groups are independent', () => {
    const queue = new ScriptQueue<Job>();
    const a1 = { group: 'a', id: 1 };
    const b1 = { group: 'b', id: 2 };
    assert.equal(queue.enqueue(a1), a1);
    assert.equal(queue.enqueue(b1), b1);
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
    assert.equal(queue.enqueue(a2), a2);
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

  it('ok, property: any interleaving runs every job exactly once, per group in order, never two at once per group', () => {
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
            start(queue.enqueue(job));
          } else {
            finish(o.group);
          }
        }
        while (running.size > 0) for (const group of [...running.keys()]) finish(group);
        assert.ok(queue.idle());
        assert.equal(started.length, enqueued.length);
        assert.equal(new Set(started).size, started.length, 'each exactly once');
        for (const group of ['a', 'b', 'c']) {
          assert.deepEqual(
            started.filter((j) => j.group === group).map((j) => j.id),
            enqueued.filter((j) => j.group === group).map((j) => j.id),
          );
        }
      }),
    );
  });
});
