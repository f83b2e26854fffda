/**
 * The live demo on the simulated LAN: three carpd nodes elect a master, the master crashes,
 * a backup takes over, the old master comes back and preempts, then stops gracefully with a
 * farewell advert (CARP's bow-out, VRRP's priority 0). Any protocol of the registry, through its
 * sim part (protocols/protocol-sim-part.ts); CARP by default. Runs on any Clock: real time for
 * `npm run demo`, virtual time in tests.
 */
import { moduleOf, type ProtocolName } from '../protocols/index.ts';
import type { Clock } from '../ports/clock.ts';
import { buildSimCluster, simHostSpecs, type SimClusterDescription } from '../sim/cluster-builder.ts';
import type { ClusterEvent } from '../sim/sim-cluster.ts';

/** Waits until a monotonic time on the demo's clock. */
export type WaitUntil = (atMicros: number) => Promise<void>;

/** Which protocol the demo speaks (default CARP) and its version where it has several. */
export interface SimDemoOptions {
  readonly protocol?: ProtocolName;
  readonly version?: number;
}

/** What the demo measured. */
export interface DemoResult {
  readonly ok: boolean;
  /** Crash to the new master configuring the address, µs. */
  readonly crashFailoverMicros?: number;
  /** Graceful stop to the new master configuring the address, µs. */
  readonly gracefulFailoverMicros?: number;
  readonly finalMaster?: string;
}

const SECOND = 1_000_000;
const VHID = 1;
const NODES = [
  { name: 'alpha', address: '198.51.100.1', advskew: 0 },
  { name: 'bravo', address: '198.51.100.2', advskew: 50 },
  { name: 'charlie', address: '198.51.100.3', advskew: 100 },
] as const;

/** Runs the scripted scenario, printing a timeline through `print`. */
export async function runSimDemo(clock: Clock, waitUntil: WaitUntil, print: (line: string) => void, options: SimDemoOptions = {}): Promise<DemoResult> {
  const sim = moduleOf(options).sim;
  const description: SimClusterDescription = {
    ...options,
    vhid: VHID,
    // At most 8 bytes: VRRPv2 sends it as its simple password (docs/protocol-vrrp.md).
    passphrase: 'demo-pw',
    virtualAddresses: ['198.51.100.100'],
    nodes: NODES.map((n) => ({ ...n, preempt: true })),
    lan: { delayMicros: 300, jitterMicros: 200 },
  };
  const specs = simHostSpecs(description).map((host) => host.groups[0]);
  const cluster = buildSimCluster(description, clock);
  const start = clock.nowMicros();
  const stamp = (at: number) => `+${((at - start) / SECOND).toFixed(3).padStart(7)}s`;
  const line = (at: number, text: string) => print(`${stamp(at)}  ${text}`);
  let adverts = 0;
  cluster.onEvent((event: ClusterEvent) => {
    if (event.kind === 'advert-sent') {
      adverts++;
      return;
    }
    const arrow = `${event.from.toUpperCase().padEnd(6)} -> ${event.to.toUpperCase().padEnd(6)}`;
    const peer = event.peer === undefined ? '' : `, peer ${event.peer}`;
    line(event.at, `${event.host.padEnd(8)} ${arrow} (${event.reason}${peer})`);
    if (event.to === 'master') line(event.at, `          master is now ${event.host}; address holders: ${cluster.holders(VHID).join(', ')}`);
  });

  const first = specs[0];
  if (first === undefined) throw new Error('the demo has no nodes');
  print(`carpd demo: 3 nodes on a simulated LAN, real timers, ${sim.groupLabel(first)}, virtual address 198.51.100.100`);
  NODES.forEach((n, i) => {
    const spec = specs[i] ?? first;
    const md = sim.masterDownMicros(spec) / SECOND;
    print(`  ${n.name.padEnd(8)} ${n.address}  ${sim.describe(spec)}  master-down ${md.toFixed(3)} s  preempt on`);
  });
  print('');
  cluster.startAll();
  await waitUntil(start + 6 * SECOND);

  const crashAt = clock.nowMicros();
  line(crashAt, '** alpha crashes (power cut: no bow-out, its address disappears with it) **');
  cluster.crash('alpha');
  await waitUntil(crashAt + 5 * SECOND);
  const crashTakeover = firstAddAfter(cluster, crashAt);
  if (crashTakeover !== undefined) line(crashTakeover.at, `   address back on ${crashTakeover.host} after ${((crashTakeover.at - crashAt) / SECOND).toFixed(3)} s`);

  const rejoinAt = clock.nowMicros();
  line(rejoinAt, `** alpha boots again and rejoins (it has the best ${sim.rankName} and preemption is on) **`);
  cluster.start('alpha');
  await waitUntil(rejoinAt + 5 * SECOND);

  const stopAt = clock.nowMicros();
  line(stopAt, `** alpha stops gracefully: it sends ${sim.farewell} **`);
  cluster.stop('alpha');
  await waitUntil(stopAt + 2 * SECOND);
  const gracefulTakeover = firstAddAfter(cluster, stopAt);
  if (gracefulTakeover !== undefined) line(gracefulTakeover.at, `   address back on ${gracefulTakeover.host} after ${((gracefulTakeover.at - stopAt) / SECOND).toFixed(3)} s`);

  const masters = cluster.masters(VHID);
  const holders = cluster.holders(VHID);
  for (const name of cluster.hosts.keys()) cluster.crash(name);
  const ok = masters.length === 1 && holders.length === 1 && holders[0] === masters[0] && crashTakeover !== undefined && gracefulTakeover !== undefined;
  print('');
  print(`summary: ${adverts} adverts sent; crash failover ${fmt(crashTakeover?.at, crashAt)}; graceful failover ${fmt(gracefulTakeover?.at, stopAt)}; final master ${masters.join(', ') || 'none'}`);
  print(ok ? 'result: OK, exactly one master holds the address' : `result: FAILED (masters ${JSON.stringify(masters)}, holders ${JSON.stringify(holders)})`);
  return {
    ok,
    ...(crashTakeover === undefined ? {} : { crashFailoverMicros: crashTakeover.at - crashAt }),
    ...(gracefulTakeover === undefined ? {} : { gracefulFailoverMicros: gracefulTakeover.at - stopAt }),
    ...(masters[0] === undefined ? {} : { finalMaster: masters[0] }),
  };
}

function firstAddAfter(cluster: ReturnType<typeof buildSimCluster>, after: number): { host: string; at: number } | undefined {
  let first: { host: string; at: number } | undefined;
  for (const host of cluster.hosts.values()) {
    for (const effect of host.effects) {
      if (effect.effect === 'add-addresses' && effect.at > after && (first === undefined || effect.at < first.at)) first = { host: host.spec.name, at: effect.at };
    }
  }
  return first;
}

function fmt(at: number | undefined, from: number): string {
  return at === undefined ? 'none' : `${((at - from) / SECOND).toFixed(3)} s`;
}
