/** An in-memory DaemonControl for control-socket and carpctl tests: records calls, emits events on demand. */
import { emptyDropCounts } from '../../src/wire/drop-reason.ts';
import type { CommandResult, ControlEvent, DaemonControl, GroupStatus, StatusReport } from '../../src/control/control-types.ts';

/** A realistic group: MASTER on eth0 vhid 7, a little demoted, one failing check. */
export function sampleGroup(overrides: Partial<GroupStatus> = {}): GroupStatus {
  return {
    name: 'web',
    interface: 'eth0',
    protocol: 'carp',
    vhid: 7,
    state: 'BACKUP',
    since: '2024-05-01T12:00:00.000Z',
    reason: 'master-heard',
    addresses: ['198.51.100.7/24', '2001:db8::7/64'],
    advbase: 1,
    advskew: 0,
    advertisedAdvskew: 50,
    demoteByte: 50,
    demotion: { total: 50, manual: 0, maintenance: false, health: 50 },
    preempt: true,
    replayMode: 'strict',
    peers: [],
    master: { address: '192.0.2.2', advbase: 1, advskew: 0, demote: 0, heardAt: '2024-05-01T12:03:11.000Z' },
    heard: [
      { address: '192.0.2.2', advbase: 1, advskew: 0, demote: 0, authenticates: true, ok: 812, badAuth: 0, replay: 0, lastHeard: '2024-05-01T12:03:11.000Z' },
      { address: '192.0.2.9', advbase: null, advskew: null, demote: null, authenticates: false, ok: 0, badAuth: 14, replay: 0, lastHeard: '2024-05-01T12:03:10.000Z' },
    ],
    counters: { advertsSent: 12, advertsReceived: 190, sendErrors: 0, transitions: 2, drops: { ...emptyDropCounts(), 'bad-auth': 3 } },
    scripts: { runs: 2, failures: 0, timeouts: 0, superseded: 0, lastDurationMs: 41 },
    checks: [{ name: 'nginx', kind: 'http', healthy: false, weight: 50, lastResult: 'HTTP 503', lastChangeAt: '2024-05-01T12:02:00.000Z' }],
    ...overrides,
  };
}

/** A status with the sample group. */
export function sampleStatus(): StatusReport {
  return {
    version: '0.1.0',
    pid: 4242,
    startedAt: '2024-05-01T11:00:00.000Z',
    configFile: '/etc/carpd/carpd.conf',
    groups: [sampleGroup()],
    unattributedDrops: { eth0: { ...emptyDropCounts(), 'unknown-vhid': 5 } },
  };
}

/** One recorded call. */
export type FakeCall = { readonly method: string; readonly args: readonly unknown[] };

/** The fake: groups are the names in its status; "all" is accepted too. */
export class FakeDaemonControl implements DaemonControl {
  readonly calls: FakeCall[] = [];
  readonly listeners = new Set<(event: ControlEvent) => void>();
  /** Called whenever the number of subscribers changes. */
  onSubscribers: (count: number) => void = () => {};
  reloadResult: CommandResult = { ok: true, message: 'reloaded: nothing changed' };
  statusReport: StatusReport = sampleStatus();
  /** Make the next status() throw (internal-error path). */
  failStatus = false;

  status(): StatusReport {
    this.calls.push({ method: 'status', args: [] });
    if (this.failStatus) throw new Error('boom');
    return this.statusReport;
  }
  demote(group: string, amount: number): CommandResult {
    this.calls.push({ method: 'demote', args: [group, amount] });
    return this.known(group) ? { ok: true, message: `${group}: demoted by ${amount}` } : this.unknown(group);
  }
  promote(group: string, amount: number): CommandResult {
    this.calls.push({ method: 'promote', args: [group, amount] });
    return this.known(group) ? { ok: true, message: `${group}: promoted by ${amount}` } : this.unknown(group);
  }
  maintenance(group: string, on: boolean): CommandResult {
    this.calls.push({ method: 'maintenance', args: [group, on] });
    return this.known(group) ? { ok: true, message: `${group}: maintenance ${on ? 'on' : 'off'}` } : this.unknown(group);
  }
  async reload(): Promise<CommandResult> {
    this.calls.push({ method: 'reload', args: [] });
    return this.reloadResult;
  }
  onEvent(listener: (event: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    this.onSubscribers(this.listeners.size);
    return () => {
      this.listeners.delete(listener);
      this.onSubscribers(this.listeners.size);
    };
  }
  /** Sends an event to every subscriber. */
  emit(event: ControlEvent): void {
    for (const listener of this.listeners) listener(event);
  }
  /** Resolves once there are `count` subscribers. */
  subscribers(count: number): Promise<void> {
    if (this.listeners.size === count) return Promise.resolve();
    return new Promise((resolve) => {
      this.onSubscribers = (n) => {
        if (n === count) {
          this.onSubscribers = () => {};
          resolve();
        }
      };
    });
  }

  private known(group: string): boolean {
    return group === 'all' || this.statusReport.groups.some((g) => g.name === group);
  }
  private unknown(group: string): CommandResult {
    // The real Daemon's answer (daemon.ts adjust/maintenance), so client tests see what users see.
    return { ok: false, code: 'CARPD_NO_GROUP', message: `no group ${JSON.stringify(group)}` };
  }
}

/** A transition event, numbered so tests can tell them apart. */
export function transitionEvent(n: number): ControlEvent {
  return { type: 'transition', at: `2024-05-01T12:00:0${n % 10}.000Z`, group: 'web', interface: 'eth0', vhid: 7, from: 'BACKUP', to: 'MASTER', reason: `test-${n}` };
}
