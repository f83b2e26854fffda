/**
 * Scripts get the facts (docs/scripts.md): the real runners (CARP and VRRPv3) on a simulated LAN
 * drive the daemon's LinuxGroupEffects, and every script job's CARP_GROUP, CARP_PROTOCOL and
 * CARP_REASON are compared with the transitions the daemon logged: one script per transition, its
 * reason as logged, `shutdown` when the group stops, running scripts.stop (or, without one, the
 * backup script after MASTER, as before scripts.stop existed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScriptsConfig } from '../../src/config/config-types.ts';
import { LinuxGroupEffects } from '../../src/daemon/linux-group-effects.ts';
import { FakeHostNetlink } from '../../src/linux/netlink/fake-host-netlink.ts';
import type { GroupEffects } from '../../src/ports/group-effects.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { MixedLan, type MixedHost } from '../helpers/mixed-lan.ts';

const VIP = '198.51.100.107';
const S = 1_000_000;

/** One script job as the ScriptRunner would get it. */
interface Job {
  readonly path: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly phase: string;
}

type Scripts = Pick<ScriptsConfig, 'master' | 'backup' | 'stop' | 'style' | 'extraParameter' | 'neutral' | 'timeoutSeconds'>;

const ALL_SCRIPTS: Scripts = { master: '/etc/carpd/master', backup: '/etc/carpd/backup', stop: '/etc/carpd/stop', style: 'carpd', neutral: false, timeoutSeconds: 30 };

/** Puts the daemon's LinuxGroupEffects (scripts recorded, addresses left to the scripts) behind each group of a host. */
function recordScripts(host: MixedHost, scripts: Scripts): Job[] {
  const jobs: Job[] = [];
  const netlink = new FakeHostNetlink();
  const parent = netlink.addLink({ name: 'eth0', up: true, running: true });
  host.effectsFor = (group, protocol, recording): GroupEffects => {
    const linux = new LinuxGroupEffects({
      group,
      vhid: 7,
      protocol,
      interfaceName: 'eth0',
      target: { name: 'eth0', index: () => parent.index, ensure: async () => false, isUp: async () => true },
      ownsInterface: false,
      addresses: [{ address: parseIpAddress(VIP), prefixLength: 24 }],
      netlink,
      announcer: { announce() {} },
      scripts: { run: (job) => void jobs.push(job) },
      scriptsConfig: scripts,
      manageAddresses: false,
      announceIntervalMs: 0,
      logger: new MemoryLogger(),
      clock: new VirtualClock(),
    });
    return {
      addAddresses: () => (recording.addAddresses(), linux.addAddresses()),
      removeAddresses: () => (recording.removeAddresses(), linux.removeAddresses()),
      announce: () => linux.announce(),
      runScript: (phase, previous, reason) => linux.runScript(phase, previous, reason),
    };
  };
  return jobs;
}

/** The transitions a host logged, as [group, TO, FROM, reason], parsed from the log lines themselves. */
function loggedTransitions(host: MixedHost): string[][] {
  return host.logger.records.flatMap((r) => {
    const m = /^(\S+): (\w+) -> (\w+) \((.+)\)$/.exec(r.message);
    return m === null ? [] : [[m[1] as string, m[3] as string, m[2] as string, m[4] as string]];
  });
}

/** The same four facts as each script saw them. */
function scriptFacts(jobs: readonly Job[]): string[][] {
  return jobs.map((j) => [j.env['CARP_GROUP'] ?? '', j.env['CARP_STATE'] ?? '', j.env['CARP_PREVIOUS_STATE'] ?? '', j.env['CARP_REASON'] ?? '']);
}

/** a (better, preempting) joins b's group late, takes over, then both stop one after the other. */
function preemptThenStopBoth(lan: MixedLan): void {
  lan.hosts.get('b')?.start();
  lan.advance(5 * S);
  lan.hosts.get('a')?.start();
  lan.advance(5 * S);
  lan.hosts.get('a')?.stop();
  lan.advance(3 * S);
  lan.hosts.get('b')?.stop();
  // A stopping CARP MASTER alone on the LAN keeps its addresses for its hold (fsm/lifecycle.ts, the graceful stop).
  lan.advance(4 * S);
}

test('CARP: every transition runs one script whose CARP_REASON is the reason logged; CARP_GROUP and CARP_PROTOCOL=carp; stop on shutdown', () => {
  const lan = new MixedLan();
  const a = lan.host('a', ['198.51.100.1']).withCarp({ name: 'web', vhid: 7, addresses: [VIP], advskew: 0, preempt: true });
  const b = lan.host('b', ['198.51.100.2']).withCarp({ name: 'web', vhid: 7, addresses: [VIP], advskew: 100, preempt: true });
  const jobsA = recordScripts(a, ALL_SCRIPTS);
  const jobsB = recordScripts(b, ALL_SCRIPTS);
  preemptThenStopBoth(lan);
  // The reasons the scenario must produce (so the comparison below is not vacuous).
  assert.deepEqual(loggedTransitions(a).map((t) => t[3]), ['started', 'preempting-worse-master', 'shutdown']);
  assert.deepEqual(loggedTransitions(b).map((t) => t[3]), ['started', 'master-down-timeout', 'outranked-by-peer', 'master-bowed-out', 'shutdown']);
  for (const [host, jobs] of [[a, jobsA], [b, jobsB]] as const) {
    assert.deepEqual(scriptFacts(jobs), loggedTransitions(host), `${host.name}: one script per logged transition, with its facts`);
    for (const job of jobs) assert.equal(job.env['CARP_PROTOCOL'], 'carp');
  }
  // The stop script: told INIT (the state entered, as logged), with the carpd-style arguments.
  assert.deepEqual(jobsA.at(-1), {
    group: 'web',
    path: '/etc/carpd/stop',
    args: ['eth0', '7', 'INIT'],
    env: jobsA.at(-1)?.env,
    phase: 'stop',
    timeoutMs: 30_000,
  });
});

test('VRRP: CARP_PROTOCOL=vrrp, CARP_GROUP the group name, CARP_REASON as logged, stop on shutdown', () => {
  const lan = new MixedLan();
  const a = lan.host('a', ['198.51.100.1']).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: 200 });
  const b = lan.host('b', ['198.51.100.2']).withVrrp({ name: 'gw', vrid: 7, addresses: [VIP], priority: 100 });
  const jobsA = recordScripts(a, ALL_SCRIPTS);
  const jobsB = recordScripts(b, ALL_SCRIPTS);
  preemptThenStopBoth(lan);
  assert.deepEqual(loggedTransitions(b).map((t) => t[3]), ['started', 'master-down-timeout', 'outranked-by-peer', 'master-bowed-out', 'shutdown']);
  for (const [host, jobs] of [[a, jobsA], [b, jobsB]] as const) {
    assert.ok(jobs.length >= 3);
    assert.deepEqual(scriptFacts(jobs), loggedTransitions(host), `${host.name}: one script per logged transition, with its facts`);
    for (const job of jobs) assert.equal(job.env['CARP_PROTOCOL'], 'vrrp');
  }
  assert.deepEqual(scriptFacts(jobsA).at(-1), ['gw', 'INIT', 'MASTER', 'shutdown']);
});

test('no scripts.stop: a MASTER that stops runs the backup script, told BACKUP with CARP_REASON=shutdown; a BACKUP that stops runs none', () => {
  const lan = new MixedLan();
  const a = lan.host('a', ['198.51.100.1']).withCarp({ name: 'web', vhid: 7, addresses: [VIP], advskew: 0, preempt: true });
  const b = lan.host('b', ['198.51.100.2']).withCarp({ name: 'web', vhid: 7, addresses: [VIP], advskew: 100, preempt: true });
  const { stop: _, ...withoutStop } = ALL_SCRIPTS;
  const jobsA = recordScripts(a, withoutStop);
  const jobsB = recordScripts(b, withoutStop);
  lan.hosts.get('a')?.start();
  lan.hosts.get('b')?.start();
  lan.advance(6 * S);
  const before = { a: jobsA.length, b: jobsB.length };
  a.stop();
  b.stop();
  lan.advance(4 * S); // a's hold: no successor hears its bow-out
  assert.deepEqual(loggedTransitions(b).at(-1)?.slice(1), ['INIT', 'BACKUP', 'shutdown'], 'b stopped as BACKUP (logged)');
  assert.equal(jobsB.length, before.b, 'nothing runs for a BACKUP that stops without a stop script');
  assert.equal(jobsA.length, before.a + 1);
  const last = jobsA.at(-1);
  assert.equal(last?.path, '/etc/carpd/backup');
  assert.equal(last?.phase, 'backup');
  assert.deepEqual(last?.args, ['eth0', '7', 'BACKUP']);
  assert.deepEqual([last?.env['CARP_STATE'], last?.env['CARP_PREVIOUS_STATE'], last?.env['CARP_REASON']], ['BACKUP', 'MASTER', 'shutdown']);
});

test('ucarp style: the stop script keeps ucarp\'s argument contract <interface> <address> [xparam]; the facts are in the environment', () => {
  const lan = new MixedLan();
  const a = lan.host('a', ['198.51.100.1']).withCarp({ name: 'eth0/vhid7', vhid: 7, addresses: [VIP] });
  const jobs = recordScripts(a, { ...ALL_SCRIPTS, style: 'ucarp', extraParameter: 'x y' });
  a.start();
  lan.advance(6 * S);
  a.stop();
  lan.advance(4 * S); // alone: the hold ends with no successor
  assert.deepEqual(jobs.map((j) => [j.phase, ...j.args]), [
    ['backup', 'eth0', VIP, 'x y'],
    ['master', 'eth0', VIP, 'x y'],
    ['stop', 'eth0', VIP, 'x y'],
  ]);
  assert.deepEqual(scriptFacts(jobs), loggedTransitions(a));
});
