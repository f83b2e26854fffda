/**
 * Random fault schedules on the simulated LAN shared by the property tests of
 * vrrp.property.test.ts and mixed-protocols.property.test.ts: crashes, restarts, link flaps,
 * partitions and loss within the first FAULT_WINDOW, then healed (runFaultsThenHeal).
 */
import fc from 'fast-check';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import type { VirtualClock } from '../../src/sim/virtual-clock.ts';

/** Faults happen within the first 30 s. */
export const FAULT_WINDOW = 30_000_000;

export type Fault =
  | { kind: 'crash' | 'restart' | 'link-down' | 'link-up'; node: number; at: number }
  | { kind: 'partition'; mask: number; at: number }
  | { kind: 'heal'; at: number }
  | { kind: 'loss'; rate: number; at: number };

export const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constantFrom('crash' as const, 'restart' as const, 'link-down' as const, 'link-up' as const), node: fc.nat(7), at: fc.integer({ min: 0, max: FAULT_WINDOW }) }),
  fc.record({ kind: fc.constant('partition' as const), mask: fc.nat(255), at: fc.integer({ min: 0, max: FAULT_WINDOW }) }),
  fc.record({ kind: fc.constant('heal' as const), at: fc.integer({ min: 0, max: FAULT_WINDOW }) }),
  fc.record({ kind: fc.constant('loss' as const), rate: fc.constantFrom(0, 0.1, 0.3, 0.6), at: fc.integer({ min: 0, max: FAULT_WINDOW }) }),
);
/** Applies one fault; node indices wrap around the hosts. */
export function applyFault(c: SimCluster, names: string[], fault: Fault): void {
  const pick = (index: number) => names[index % names.length] as string;
  switch (fault.kind) {
    case 'crash':
      return c.crash(pick(fault.node));
    case 'restart':
      return c.start(pick(fault.node));
    case 'link-down':
    case 'link-up':
      if (c.host(pick(fault.node)).alive) c.setLink(pick(fault.node), fault.kind === 'link-up');
      return;
    case 'partition':
      return c.lan.partition([names.filter((_, i) => (fault.mask >> i) & 1), names.filter((_, i) => !((fault.mask >> i) & 1))]);
    case 'heal':
      return c.lan.heal();
    case 'loss':
      return c.lan.setLossRate(fault.rate);
  }
}

/**
 * Starts every host at its offset and applies the faults in time order on the cluster's virtual
 * clock, then, after the fault window, heals the LAN: no partition, no loss, every live host's
 * link up. The properties then judge the cluster from there.
 */
export function runFaultsThenHeal(c: SimCluster, clock: VirtualClock, names: string[], startOffsets: readonly number[], faults: readonly Fault[]): void {
  const timeline = [
    ...names.map((name, i) => ({ at: startOffsets[i] ?? 0, run: () => c.start(name) })),
    ...faults.map((fault) => ({ at: fault.at, run: () => applyFault(c, names, fault) })),
  ].sort((a, b) => a.at - b.at);
  for (const entry of timeline) {
    clock.advanceTo(entry.at);
    entry.run();
  }
  clock.advanceTo(FAULT_WINDOW + 1);
  c.lan.heal();
  c.lan.setLossRate(0);
  for (const name of names) if (c.host(name).alive) c.setLink(name, true);
}
