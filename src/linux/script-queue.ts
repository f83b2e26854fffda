/**
 * The per-group script queue: one group's scripts run one at a time, in transition order; at
 * most the running job and ONE pending job per group. A transition that arrives while a job is
 * pending replaces it (the replaced one never runs): the pending job is always the latest
 * transition. Groups are independent.
 *
 * Why coalesce (docs/scripts.md, "Ordering guarantees"): an earlier version ran every transition's
 * script in FIFO order, so a flap storm (a partition flapping, or forged adverts that made a node
 * change state) queued scripts without bound behind a slow one, and the host reflected the
 * current state only after the whole backlog ran. What the host must reflect is the last state;
 * that script always runs, right after the running one. Transitions in between are still logged
 * and counted by the engine, only their scripts are skipped.
 *
 * Pure state machine: enqueue() says which job to start now (and which pending one it replaced),
 * finished() which one to start next. The runner does the starting.
 */

/** Anything with a group. */
export interface QueuedJob {
  readonly group: string;
}

/** What enqueue() decided. */
export interface EnqueueResult<J> {
  /** The job to start now (its group was idle). */
  readonly start?: J;
  /** The pending job this one replaced: it will not run. */
  readonly superseded?: J;
}

/** The queue of one group: the running job and at most one waiting behind it. */
interface GroupQueue<J> {
  running: J;
  pending: J | undefined;
}

/** At most one running and one pending job per group. */
export class ScriptQueue<J extends QueuedJob> {
  private readonly groups = new Map<string, GroupQueue<J>>();

  /** Adds a job: it starts now when its group is idle, else it becomes the group's pending job, replacing any. */
  enqueue(job: J): EnqueueResult<J> {
    const queue = this.groups.get(job.group);
    if (queue === undefined) {
      this.groups.set(job.group, { running: job, pending: undefined });
      return { start: job };
    }
    const superseded = queue.pending;
    queue.pending = job;
    return superseded === undefined ? {} : { superseded };
  }

  /**
   * Marks the running job of `job.group` done; returns the group's pending job to start, if any.
   * Throws when `job` is not the one running: that is a runner bug, not a runtime condition.
   */
  finished(job: J): J | undefined {
    const queue = this.groups.get(job.group);
    if (queue === undefined || queue.running !== job) {
      throw new Error(`script queue: finished() for a job of group ${job.group} that is not running`);
    }
    const next = queue.pending;
    if (next === undefined) {
      this.groups.delete(job.group);
      return undefined;
    }
    queue.running = next;
    queue.pending = undefined;
    return next;
  }

  /** The running job of a group. */
  running(group: string): J | undefined {
    return this.groups.get(group)?.running;
  }

  /** How many jobs of a group wait behind the running one: 0 or 1. */
  waiting(group: string): number {
    return this.groups.get(group)?.pending === undefined ? 0 : 1;
  }

  /** True when no group has a running or waiting job. */
  idle(): boolean {
    return this.groups.size === 0;
  }
}
