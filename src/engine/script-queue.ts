/**
 * The per-group script queue: a FIFO per group, so that one group's scripts run one at a time,
 * in transition order, each exactly once. Groups are independent. There is deliberately no
 * coalescing: a master → backup → master burst runs three scripts, because an operator's scripts
 * may have side effects (notifications, service starts) that each transition must see.
 *
 * Pure state machine: enqueue() says which job to start now, finished() which one to start next.
 * The runner does the starting.
 */

/** Anything with a group. */
export interface QueuedJob {
  readonly group: string;
}

/** The queue of one group: the running job and those waiting behind it. */
interface GroupQueue<J> {
  running: J;
  readonly waiting: J[];
}

/** FIFO per group; at most one running job per group. */
export class ScriptQueue<J extends QueuedJob> {
  private readonly groups = new Map<string, GroupQueue<J>>();

  /** Adds a job; returns it when its group was idle and it should start now, else undefined. */
  enqueue(job: J): J | undefined {
    const queue = this.groups.get(job.group);
    if (queue === undefined) {
      this.groups.set(job.group, { running: job, waiting: [] });
      return job;
    }
    queue.waiting.push(job);
    return undefined;
  }

  /**
   * Marks the running job of `job.group` done; returns the group's next job to start, if any.
   * Throws when `job` is not the one running: that is a runner bug, not a runtime condition.
   */
  finished(job: J): J | undefined {
    const queue = this.groups.get(job.group);
    if (queue === undefined || queue.running !== job) {
      throw new Error(`script queue: finished() for a job of group ${job.group} that is not running`);
    }
    const next = queue.waiting.shift();
    if (next === undefined) {
      this.groups.delete(job.group);
      return undefined;
    }
    queue.running = next;
    return next;
  }

  /** The running job of a group. */
  running(group: string): J | undefined {
    return this.groups.get(group)?.running;
  }

  /** How many jobs of a group wait behind the running one. */
  waiting(group: string): number {
    return this.groups.get(group)?.waiting.length ?? 0;
  }

  /** True when no group has a running or waiting job. */
  idle(): boolean {
    return this.groups.size === 0;
  }
}
