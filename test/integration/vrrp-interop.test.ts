/**
 * VRRPv3 interoperability with real third-party peers on a lab segment (issue 12, item 5).
 *
 * Part 1, the ground truth: Debian's keepalived 2.2.x and FRR 8.4.x (zebra + vrrpd) against
 * each other, IPv4, VRID 7 / 198.51.100.7, both directions. Their handover times are the
 * reference for carpd; their adverts are decoded by tshark.
 *
 * Part 2, `carpd against real peers`: carpd's `protocol: vrrp` groups against keepalived (IPv4 at
 * advert_int 1 and 0.01, IPv6, unicast) and FRR, carpd master and carpd backup, through the same
 * scenario (vrrp-pair-scenario.ts): election, graceful stop within the backup's skew time, the
 * better one preempting back, crash within Master_Down_Interval; tshark decodes carpd's adverts.
 *
 * Every host is a namespace of a lab made per test; peers' files live in a per-test directory;
 * everything is killed and deleted after each test, also when it fails.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.ts';
import { eventually } from '../helpers/eventually.ts';
import { CarpdVrrpSpeaker } from './carpd-vrrp-speaker.ts';
import { missingInteropTool } from './interop-tools.ts';
import { runPairScenario, masterDownMs, type PairCase } from './vrrp-pair-scenario.ts';
import {
  FrrPeer, KeepalivedPeer, VipWatch, decodeVrrpPcap, holdsVip, peerWorkDirectory, startVrrpCapture, vrrpChecksumVariants, vrrpVirtualMac, type VrrpSpeaker,
} from './vrrp-peers.ts';

const VRID = 7;
const VIP4 = '198.51.100.7';
const VIP6 = '2001:db8::7';
/** Timing slack at advert_int 1 s and at 0.01 s (two shared cores, other labs running beside). */
const MARGIN_1S = 300;
const MARGIN_FAST = 150;

const skip = (await Lab.available()) ?? missingInteropTool();

/** What one test made: its lab, the peers' work directory, carpd's machine directories. */
interface TestLab {
  lab: Lab;
  work: string;
  /** carpd machine roots (machine.ts), removed with the rest. */
  machines: string[];
}

/** A fresh lab and work directory for one test, all removed after it (pass or fail). */
async function labFor(t: TestContext, hosts: readonly string[], ipv6 = false): Promise<TestLab> {
  const lab = await Lab.create({ hosts: [...hosts], ipv6 });
  const work = peerWorkDirectory(hosts.join(''));
  const machines: string[] = [];
  t.after(async () => {
    await lab.destroy();
    for (const dir of [work, ...machines]) rmSync(dir, { recursive: true, force: true });
  });
  return { lab, work, machines };
}

/** A fresh directory per start of a peer. */
function dirFor(work: string, host: string, round: number): string {
  const dir = join(work, `${host}-${round}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

interface PeerSpec {
  priority: number;
  intervalMs: number;
  vip: string;
  unicastPeers?: readonly string[];
}

function keepalivedStarter(lab: Lab, work: string, host: string, spec: PeerSpec): (round: number) => Promise<VrrpSpeaker> {
  return async (round) =>
    KeepalivedPeer.start(lab, lab.host(host), dirFor(work, host, round), {
      vrid: VRID,
      addresses: [spec.vip],
      priority: spec.priority,
      advertIntervalSeconds: spec.intervalMs / 1000,
      ...(spec.unicastPeers === undefined ? {} : { unicastPeers: spec.unicastPeers }),
    });
}

function frrStarter(lab: Lab, work: string, host: string, spec: PeerSpec): (round: number) => Promise<VrrpSpeaker> {
  return (round) => FrrPeer.start(lab, lab.host(host), dirFor(work, host, round), { vrid: VRID, addresses: [spec.vip], priority: spec.priority, advertIntervalMs: spec.intervalMs });
}

function carpdStarter(l: TestLab, host: string, spec: PeerSpec): (round: number) => Promise<VrrpSpeaker> {
  return async () => {
    const carpd = await CarpdVrrpSpeaker.start(l.lab, l.lab.host(host), {
      vrid: VRID,
      addresses: [spec.vip],
      priority: spec.priority,
      advertIntervalSeconds: spec.intervalMs / 1000,
      ...(spec.unicastPeers === undefined ? {} : { peers: spec.unicastPeers }),
    });
    l.machines.push(carpd.machine.root);
    return carpd;
  };
}

/** FRR, as backup, counts the master's adverts it accepted (keepalived's, carpd's) and learns their interval. */
function frrHeardTheMaster(intervalMs: number): (better: VrrpSpeaker, worse: VrrpSpeaker) => Promise<void> {
  return async (_better, worse) => {
    if (!(worse instanceof FrrPeer)) return;
    const status = await worse.familyStatus();
    assert.ok(status !== undefined && status.stats.adverRx >= 2, `FRR accepted the master's adverts: ${JSON.stringify(status)}`);
    assert.equal(status.status, 'Backup');
    assert.equal(status.masterAdverInterval, intervalMs, 'FRR learned the master advert interval');
  };
}

function pairCase(lab: Lab, better: (round: number) => Promise<VrrpSpeaker>, worse: () => Promise<VrrpSpeaker>, spec: { vip: string; betterPriority: number; worsePriority: number; intervalMs: number }): PairCase {
  return {
    lab,
    client: lab.host('client'),
    vip: spec.vip,
    startBetter: better,
    startWorse: worse,
    betterPriority: spec.betterPriority,
    worsePriority: spec.worsePriority,
    intervalMs: spec.intervalMs,
    marginMs: spec.intervalMs >= 1000 ? MARGIN_1S : MARGIN_FAST,
    afterElection: frrHeardTheMaster(spec.intervalMs),
  };
}

const PART1_TIMEOUT = 90_000;

describe('keepalived against FRR (ground truth)', { skip: skip ?? false }, () => {
  test('FRR priority 200 master, keepalived 100 backup: election, graceful, preemption, crash', { timeout: PART1_TIMEOUT }, async (t) => {
    const { lab, work } = await labFor(t, ['frr', 'ka', 'client']);
    const spec = { vip: VIP4, intervalMs: 1000 };
    const m = await runPairScenario(
      t,
      pairCase(lab, frrStarter(lab, work, 'frr', { ...spec, priority: 200 }), () => keepalivedStarter(lab, work, 'ka', { ...spec, priority: 100 })(1), { ...spec, betterPriority: 200, worsePriority: 100 }),
    );
    t.diagnostic(`reference FRR→keepalived: ${JSON.stringify(m)}`);
    // Ground truth for docs/protocol-vrrp.md "Peer quirks measured in the lab": FRR sends from the virtual MAC, keepalived (no use_vmac) from eth0's.
    assert.deepEqual(m.wire[`frr@frr`]?.ethSrc, [vrrpVirtualMac(VRID, 4)]);
    assert.deepEqual(m.wire[`keepalived@ka`]?.ethSrc, [lab.host('ka').mac]);
    for (const side of Object.values(m.wire)) assert.deepEqual(side.checksumVariants, ['pseudo-header']);
  });

  test('keepalived priority 200 master, FRR 100 backup: election, graceful, preemption, crash', { timeout: PART1_TIMEOUT }, async (t) => {
    const { lab, work } = await labFor(t, ['frr', 'ka', 'client']);
    const spec = { vip: VIP4, intervalMs: 1000 };
    const m = await runPairScenario(
      t,
      pairCase(lab, keepalivedStarter(lab, work, 'ka', { ...spec, priority: 200 }), () => frrStarter(lab, work, 'frr', { ...spec, priority: 100 })(1), { ...spec, betterPriority: 200, worsePriority: 100 }),
    );
    t.diagnostic(`reference keepalived→FRR: ${JSON.stringify(m)}`);
    assert.deepEqual(m.wire[`frr@frr`]?.ethSrc, [vrrpVirtualMac(VRID, 4)]);
    assert.deepEqual(m.wire[`keepalived@ka`]?.ethSrc, [lab.host('ka').mac]);
  });

  test('IPv6: keepalived priority 200 master, FRR 100 backup: election, graceful, preemption, crash', { timeout: PART1_TIMEOUT }, async (t) => {
    const { lab, work } = await labFor(t, ['frr', 'ka', 'client'], true);
    const spec = { vip: VIP6, intervalMs: 1000 };
    const m = await runPairScenario(
      t,
      pairCase(lab, keepalivedStarter(lab, work, 'ka', { ...spec, priority: 200 }), () => frrStarter(lab, work, 'frr', { ...spec, priority: 100 })(1), { ...spec, betterPriority: 200, worsePriority: 100 }),
    );
    t.diagnostic(`reference IPv6 keepalived→FRR: ${JSON.stringify(m)}`);
    // FRR sends from its IPv6 macvlan (00:00:5e:00:02:VRID, a random link-local), keepalived from eth0.
    assert.deepEqual(m.wire[`frr@frr`]?.ethSrc, [vrrpVirtualMac(VRID, 6)]);
    assert.deepEqual(m.wire[`keepalived@ka`]?.ethSrc, [lab.host('ka').mac]);
  });

  // Why FRR is never the better router of an IPv6 pair here: as it becomes Master it takes its
  // macvlan out of protodown and sends at once, but its IPv6 socket cannot bind yet ("Failed to
  // find address to bind on vrrp6-…": zebra re-announces the macvlan's link-local only after the
  // carrier is back), so its first advertisement is lost and the old master keeps the role for
  // one more interval. keepalived's repeated unsolicited NAs (garp_master_delay, 5 s) then point
  // clients back at it: a client lost the VIP for seconds after FRR preempted keepalived.
  test('FRR: the first advert after Backup → Master goes out at once over IPv4, one interval late over IPv6', { timeout: PART1_TIMEOUT }, async (t) => {
    const { lab, work } = await labFor(t, ['frr', 'client'], true);
    const host = lab.host('frr');
    for (const [vip, family] of [[VIP4, 4], [VIP6, 6]] as const) {
      const capture = await startVrrpCapture(lab);
      const watch = await VipWatch.start(lab, host, vip);
      const startedAt = Date.now();
      const frr = (await frrStarter(lab, work, 'frr', { vip, intervalMs: 1000, priority: 200 })(family)) as FrrPeer;
      try {
        await eventually(`FRR IPv${family} master`, 8000, async () => (await frr.role()) === 'master');
        await new Promise((r) => setTimeout(r, 2500));
        await frr.stop();
      } finally {
        await frr.crash();
        await watch.stop();
      }
      const pcap = await capture.stop();
      const masterAt = watch.firstHoldAfter(startedAt);
      const sent = decodeVrrpPcap(pcap).filter((r) => r.family === family && r.priority === 200);
      assert.ok(masterAt !== undefined && sent.length >= 2, `IPv${family}: master at ${masterAt}, ${sent.length} adverts`);
      const delayMs = (sent[0]?.atMs ?? Number.NaN) - masterAt;
      const bindFailed = frr.vrrpdLines().some((l) => /Failed to find address to bind/.test(l));
      t.diagnostic(`FRR IPv${family}: first advert ${delayMs.toFixed(1)} ms after its macvlan left protodown; bind failure logged: ${bindFailed}`);
      if (family === 4) assert.ok(delayMs >= -5 && delayMs < 100, `IPv4 first advert after ${delayMs} ms`);
      else assert.ok(delayMs > 500 && delayMs < 1500 && bindFailed, `IPv6 first advert after ${delayMs} ms (bind failure logged: ${bindFailed})`);
      await frr.clearStale();
    }
  });

  test('FRR in Backup (macvlan in protodown) still answers frames sent to the virtual MAC', { timeout: PART1_TIMEOUT }, async (t) => {
    const { lab, work } = await labFor(t, ['frr', 'ka', 'client']);
    const ka = await keepalivedStarter(lab, work, 'ka', { vip: VIP4, intervalMs: 1000, priority: 200 })(1);
    t.after(() => ka.crash());
    await eventually('keepalived master', 8000, async () => (await ka.role()) === 'master');
    const frr = await frrStarter(lab, work, 'frr', { vip: VIP4, intervalMs: 1000, priority: 100 })(1);
    t.after(() => frr.crash());
    await eventually('FRR backup', 5000, async () => (await frr.role()) === 'backup');
    assert.ok(!(await holdsVip(lab, 'frr', VIP4)), 'FRR\'s macvlan is in protodown');
    // A client whose entry still points at the virtual MAC (an FRR master's, before a failover).
    await lab.exec('client', ['ip', 'neigh', 'replace', VIP4, 'lladdr', vrrpVirtualMac(VRID, 4), 'dev', 'eth0', 'nud', 'permanent']);
    const capture = await lab.startCapture('frr', 'icmp[icmptype] == icmp-echoreply');
    const ping = await lab.ping('client', VIP4, { intervalMs: 10, durationMs: 300 });
    const pcap = await capture.stop();
    const replies = execFileSync('tshark', ['-n', '-r', pcap, '-T', 'fields', '-e', 'ip.src'], { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '');
    t.diagnostic(`client → virtual MAC while FRR is Backup: ${ping.received}/${ping.sent} answered, ${replies.length} echo replies left the FRR host`);
    // RFC 5798 §6.4.2 says a Backup must not accept packets for the VIPs; protodown stops the
    // macvlan's transmissions and ARP, not its receive path, and the VIP stays a local address.
    assert.ok(ping.received > 0 && replies.length > 0 && replies.every((ip) => ip === VIP4), 'the FRR backup host answers');
    await frr.stop();
    await ka.stop();
  });

  test('keepalived unicast_peer towards FRR: FRR has no unicast, both end up master', { timeout: PART1_TIMEOUT }, async (t) => {
    const { lab, work } = await labFor(t, ['frr', 'ka', 'client']);
    const frrHost = lab.host('frr');
    const kaHost = lab.host('ka');
    const capture = await startVrrpCapture(lab);
    const ka = await keepalivedStarter(lab, work, 'ka', { vip: VIP4, intervalMs: 1000, priority: 200, unicastPeers: [frrHost.ipv4] })(1);
    const frr = await frrStarter(lab, work, 'frr', { vip: VIP4, intervalMs: 1000, priority: 100 })(1);
    t.after(async () => {
      await ka.crash();
      await frr.crash();
    });
    await eventually('keepalived master', 8000, async () => (await ka.role()) === 'master');
    // FRR's master-down (3.6 s) passes with keepalived's unicast adverts arriving all along.
    await new Promise((r) => setTimeout(r, masterDownMs(100, 1000) + 1500));
    const frrStatus = frr instanceof FrrPeer ? await frr.familyStatus() : undefined;
    const kaRole = await ka.role();
    t.diagnostic(`unicast keepalived(200) → FRR(100): keepalived ${kaRole}, FRR ${frrStatus?.status} (adverRx ${frrStatus?.stats.adverRx})`);
    assert.equal(frrStatus?.status, 'Master', 'FRR does not accept keepalived\'s unicast adverts and takes over');
    assert.equal(kaRole, 'master', 'keepalived in unicast mode ignores FRR\'s multicast adverts and stays master');
    assert.ok(await holdsVip(lab, kaHost, VIP4) && (await holdsVip(lab, frrHost, VIP4)), 'both serve the VIP: a split brain');
    await ka.stop();
    await frr.stop();
    const pcap = await capture.stop();
    const rows = decodeVrrpPcap(pcap);
    const unicast = rows.filter((r) => r.ipSrc === kaHost.ipv4);
    assert.ok(unicast.length >= 3 && unicast.every((r) => r.ipDst === frrHost.ipv4 && r.checksum === 'good' && r.ttl === 255), `keepalived's unicast adverts: ${JSON.stringify(unicast.slice(0, 3))}`);
    const variants = [...new Set(vrrpChecksumVariants(pcap).filter((v) => v.ipSrc === kaHost.ipv4).map((v) => v.variant))];
    // The unicast checksum uses the peer as the pseudo-header destination (not 224.0.0.18).
    assert.deepEqual(variants, ['pseudo-header']);
    t.diagnostic(`keepalived unicast adverts: eth.src ${[...new Set(unicast.map((r) => r.ethSrc))].join(',')} eth.dst ${[...new Set(unicast.map((r) => r.ethDst))].join(',')}, checksum variant ${variants.join(',')}`);
  });
});

const PART2_TIMEOUT = 120_000;

describe('carpd against real peers', { skip: skip ?? false }, () => {
  const interop = (name: string, hosts: readonly string[], ipv6: boolean, build: (l: TestLab) => PairCase, unicast = false): void => {
    test(name, { timeout: PART2_TIMEOUT }, async (t) => {
      const l = await labFor(t, hosts, ipv6);
      const m = await runPairScenario(t, build(l));
      t.diagnostic(`measured: ${JSON.stringify(m)}`);
      const carpdWire = m.wire['carpd@carpd'];
      assert.ok(carpdWire !== undefined, 'carpd\'s adverts are on the wire');
      // docs/vrrp.md: multicast adverts leave from the virtual MAC (vmac on by default); unicast
      // ones go through the kernel, from eth0's MAC (virtual-mac-advert-transport.ts), as
      // keepalived's do. The checksum is the standard one either way.
      assert.deepEqual(carpdWire.ethSrc, [unicast ? l.lab.host('carpd').mac : vrrpVirtualMac(VRID, ipv6 ? 6 : 4)]);
      assert.deepEqual(carpdWire.checksumVariants, ['pseudo-header']);
    });
  };
  const priorities = { betterPriority: 200, worsePriority: 100 };

  for (const intervalMs of [1000, 10]) {
    const spec = { vip: VIP4, intervalMs };
    interop(`IPv4 advert_int ${intervalMs / 1000}: carpd 200 master, keepalived 100 backup`, ['carpd', 'ka', 'client'], false, (l) =>
      pairCase(l.lab, carpdStarter(l, 'carpd', { ...spec, priority: 200 }), () => keepalivedStarter(l.lab, l.work, 'ka', { ...spec, priority: 100 })(1), { ...spec, ...priorities }),
    );
    interop(`IPv4 advert_int ${intervalMs / 1000}: keepalived 200 master, carpd 100 backup`, ['carpd', 'ka', 'client'], false, (l) =>
      pairCase(l.lab, keepalivedStarter(l.lab, l.work, 'ka', { ...spec, priority: 200 }), () => carpdStarter(l, 'carpd', { ...spec, priority: 100 })(1), { ...spec, ...priorities }),
    );
  }

  const v4 = { vip: VIP4, intervalMs: 1000 };
  interop('IPv4: carpd 200 master, FRR 100 backup', ['carpd', 'frr', 'client'], false, (l) =>
    pairCase(l.lab, carpdStarter(l, 'carpd', { ...v4, priority: 200 }), () => frrStarter(l.lab, l.work, 'frr', { ...v4, priority: 100 })(1), { ...v4, ...priorities }),
  );
  interop('IPv4: FRR 200 master, carpd 100 backup', ['carpd', 'frr', 'client'], false, (l) =>
    pairCase(l.lab, frrStarter(l.lab, l.work, 'frr', { ...v4, priority: 200 }), () => carpdStarter(l, 'carpd', { ...v4, priority: 100 })(1), { ...v4, ...priorities }),
  );

  const v6 = { vip: VIP6, intervalMs: 1000 };
  interop('IPv6: carpd 200 master, keepalived 100 backup', ['carpd', 'ka', 'client'], true, (l) =>
    pairCase(l.lab, carpdStarter(l, 'carpd', { ...v6, priority: 200 }), () => keepalivedStarter(l.lab, l.work, 'ka', { ...v6, priority: 100 })(1), { ...v6, ...priorities }),
  );
  interop('IPv6: keepalived 200 master, carpd 100 backup', ['carpd', 'ka', 'client'], true, (l) =>
    pairCase(l.lab, keepalivedStarter(l.lab, l.work, 'ka', { ...v6, priority: 200 }), () => carpdStarter(l, 'carpd', { ...v6, priority: 100 })(1), { ...v6, ...priorities }),
  );

  // Unicast (keepalived unicast_peer, carpd peers): each sends to the other's address only.
  interop('IPv4 unicast: carpd 200 master, keepalived 100 backup', ['carpd', 'ka', 'client'], false, (l) => {
    const carpdHost = l.lab.host('carpd');
    const kaHost = l.lab.host('ka');
    return {
      ...pairCase(
        l.lab,
        carpdStarter(l, 'carpd', { ...v4, priority: 200, unicastPeers: [kaHost.ipv4] }),
        () => keepalivedStarter(l.lab, l.work, 'ka', { ...v4, priority: 100, unicastPeers: [carpdHost.ipv4] })(1),
        { ...v4, ...priorities },
      ),
      destinations: (source) => (source === carpdHost.ipv4 ? [kaHost.ipv4] : [carpdHost.ipv4]),
    };
  }, true);

  test('tshark decodes carpd\'s IPv4 and IPv6 adverts: checksum good, the configured fields', { timeout: PART2_TIMEOUT }, async (t) => {
    const { lab, machines } = await labFor(t, ['carpd', 'client'], true);
    const host = lab.host('carpd');
    for (const [vip, family] of [[VIP4, 4], [VIP6, 6]] as const) {
      const capture = await startVrrpCapture(lab);
      const carpd = await CarpdVrrpSpeaker.start(lab, host, { vrid: VRID, addresses: [vip], priority: 150, advertIntervalSeconds: 0.5 });
      machines.push(carpd.machine.root);
      try {
        await eventually(`carpd master (IPv${family})`, masterDownMs(150, 500) + 3000, async () => (await carpd.role()) === 'master');
        await new Promise((r) => setTimeout(r, 2000));
        assert.ok(await holdsVip(lab, host, vip), `carpd serves ${vip}`);
        assert.equal((await carpd.stop())?.code, 0);
      } finally {
        await carpd.crash();
      }
      const pcap = await capture.stop();
      const rows = decodeVrrpPcap(pcap).filter((r) => r.vrid === VRID);
      assert.ok(rows.length >= 4, `IPv${family}: ${rows.length} adverts`);
      for (const r of rows) {
        const what = `IPv${family} advert ${JSON.stringify(r)}`;
        assert.equal(r.family, family, what);
        assert.equal(r.version, 3, what);
        assert.equal(r.checksum, 'good', what);
        assert.equal(r.ttl, 255, what);
        assert.equal(r.intervalCentis, 50, what);
        assert.deepEqual(r.addresses, [vip], what);
        assert.equal(r.ipDst, family === 4 ? '224.0.0.18' : 'ff02::12', what);
        assert.equal(r.ethSrc, vrrpVirtualMac(VRID, family), what);
        assert.ok(family === 4 ? r.ipSrc === host.ipv4 : r.ipSrc.startsWith('fe80:'), `${what}: source (RFC 5798 §5.1: primary IPv4 / link-local IPv6)`);
      }
      assert.deepEqual([...new Set(rows.map((r) => r.priority))].sort((a, b) => a - b), [0, 150], `IPv${family}: priority 150, then 0 on stop`);
      assert.deepEqual([...new Set(vrrpChecksumVariants(pcap).map((v) => v.variant))], ['pseudo-header']);
      t.diagnostic(`IPv${family}: ${rows.length} adverts decoded, first ${JSON.stringify(rows[0])}`);
    }
  });
});

