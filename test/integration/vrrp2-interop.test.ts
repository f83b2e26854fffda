/**
 * VRRPv2 (RFC 3768) interoperability with real peers as they are deployed (issue 21, item 5):
 * keepalived at its default settings (no `vrrp_version` line: VRRPv2), with and without
 * `authentication { auth_type PASS }`, and FRR vrrpd `vrrp N version 2` (no authentication).
 *
 * The ground truth first: keepalived default against FRR version 2, through the same scenario
 * as VRRPv3 (vrrp-pair-scenario.ts: election, graceful stop, preemption, crash, a client
 * pinging the VIP, tshark decoding every advert: version 2, auth fields, checksum over the VRRP
 * message alone).
 *
 * One lab for the whole file (its hosts keep their roles: carpd, ka, frr, client); each test
 * starts from a clean segment (resetSegment) and kills what it started, also when it fails.
 * The advert interval is 1 s, VRRPv2's minimum, so every case is as short as it can be.
 */
import { describe, test, type TestContext } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.ts';
import { labForThisFile } from '../helpers/file-lab.ts';
import { runPairScenario, type PairCase, type PairMeasurements } from './vrrp-pair-scenario.ts';
import { FrrPeer, KeepalivedPeer, peerWorkDirectory, tsharkAvailable, vrrpVirtualMac, type VrrpSpeaker } from './vrrp-peers.ts';
import assert from 'node:assert/strict';

const VRID = 21;
const VIP = '198.51.100.21';
/** VRRPv2's shortest interval (whole seconds). */
const INTERVAL_MS = 1000;
/** Timing slack at 1 s (two shared cores, other labs running beside), as vrrp-interop.test.ts. */
const MARGIN_MS = 300;
const PAIR_TIMEOUT = 90_000;
const HOSTS = ['carpd', 'ka', 'frr', 'client'] as const;

function missingTool(): string | undefined {
  for (const [tool, argv] of [
    ['keepalived', ['keepalived', '--version']],
    ['FRR zebra', ['/usr/lib/frr/zebra', '--version']],
    ['FRR vrrpd', ['/usr/lib/frr/vrrpd', '--version']],
    ['vtysh', ['vtysh', '--help']],
    ['tcpdump', ['tcpdump', '--version']],
  ] as const) {
    try {
      execFileSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 10_000 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `${tool} is not installed`;
    }
  }
  return tsharkAvailable() ? undefined : 'tshark is not installed';
}

const skip = (await Lab.available()) ?? missingTool();
const fileLab = await labForThisFile({ hosts: [...HOSTS] });

/** Per test: a work directory for the peers' files, removed after it. */
function workFor(t: TestContext, label: string): string {
  const work = peerWorkDirectory(label);
  t.after(() => rmSync(work, { recursive: true, force: true }));
  return work;
}

/** A fresh directory per start of a peer. */
function dirFor(work: string, host: string, round: number): string {
  const dir = join(work, `${host}-${round}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * What an earlier test (or its failure) may have left on the shared segment: a cut link, a
 * macvlan or VIP of a killed speaker, the client's neighbour entry for the VIP.
 */
async function resetSegment(lab: Lab): Promise<void> {
  for (const name of HOSTS) {
    await lab.restoreLink(name);
    for (const link of await lab.links(name)) if (/^(vrrp|carp)/.test(link.name)) await lab.exec(name, ['ip', 'link', 'del', link.name]);
    await lab.exec(name, ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
  }
  await lab.exec('client', ['ip', 'neigh', 'flush', 'to', VIP]);
}

interface V2Spec {
  priority: number;
  /** keepalived `auth_pass` (carpd `passphrase_file`); absent: no authentication. */
  password?: string;
}

function keepalivedV2(lab: Lab, work: string, spec: V2Spec): (round: number) => Promise<VrrpSpeaker> {
  return async (round) =>
    KeepalivedPeer.start(lab, lab.host('ka'), dirFor(work, 'ka', round), {
      vrid: VRID,
      addresses: [VIP],
      priority: spec.priority,
      advertIntervalSeconds: INTERVAL_MS / 1000,
      version: 'keepalived-default',
      ...(spec.password === undefined ? {} : { authPass: spec.password }),
    });
}

function frrV2(lab: Lab, work: string, spec: V2Spec): (round: number) => Promise<VrrpSpeaker> {
  return (round) => FrrPeer.start(lab, lab.host('frr'), dirFor(work, 'frr', round), { vrid: VRID, addresses: [VIP], priority: spec.priority, advertIntervalMs: INTERVAL_MS, version: 2 });
}

/** FRR, as VRRPv2 backup, counts the master's adverts it accepted and learns their interval. */
async function frrHeardTheMaster(_better: VrrpSpeaker, worse: VrrpSpeaker): Promise<void> {
  if (!(worse instanceof FrrPeer)) return;
  const status = await worse.familyStatus();
  assert.ok(status !== undefined && status.stats.adverRx >= 2, `FRR accepted the master's adverts: ${JSON.stringify(status)}`);
  assert.equal(status.status, 'Backup');
  assert.equal(status.masterAdverInterval, INTERVAL_MS, 'FRR learned the master advert interval');
}

function v2Pair(lab: Lab, better: (round: number) => Promise<VrrpSpeaker>, worse: (round: number) => Promise<VrrpSpeaker>): PairCase {
  return {
    lab,
    client: lab.host('client'),
    vip: VIP,
    startBetter: better,
    startWorse: () => worse(1),
    betterPriority: 200,
    worsePriority: 100,
    intervalMs: INTERVAL_MS,
    marginMs: MARGIN_MS,
    version: 2,
    afterElection: frrHeardTheMaster,
  };
}

/** The handover numbers of one pair, for the report. */
function handover(name: string, m: PairMeasurements): string {
  const ms = (x: number | undefined): string => (x === undefined ? 'none' : x.toFixed(1));
  return `${name}: graceful takeover ${ms(m.gracefulTakeoverMs)} ms (client outage ${ms(m.gracefulOutageMs)} ms), preemption ${ms(m.preemptMs)} ms, crash takeover ${ms(m.crashTakeoverMs)} ms (client outage ${ms(m.crashOutageMs)} ms)`;
}

describe('VRRPv2 ground truth: keepalived at its defaults against FRR version 2', { skip: skip ?? false }, () => {
  test('keepalived (no vrrp_version) 200 master, FRR version 2 100 backup: election, graceful, preemption, crash', { timeout: PAIR_TIMEOUT }, async (t) => {
    const lab = fileLab.lab();
    await resetSegment(lab);
    const work = workFor(t, 'v2gt');
    const m = await runPairScenario(t, v2Pair(lab, keepalivedV2(lab, work, { priority: 200 }), frrV2(lab, work, { priority: 100 })));
    t.diagnostic(handover('keepalived → FRR (v2)', m));
    t.diagnostic(`wire: ${JSON.stringify(m.wire)}`);
    // As with VRRPv3 (vrrp-interop.test.ts): FRR sends from the virtual MAC, keepalived from eth0's.
    assert.deepEqual(m.wire['frr@frr']?.ethSrc, [vrrpVirtualMac(VRID, 4)]);
    assert.deepEqual(m.wire['keepalived@ka']?.ethSrc, [lab.host('ka').mac]);
  });
});
