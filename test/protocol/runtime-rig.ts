/**
 * What the runtime-part tests (carp-runtime.test.ts, vrrp-runtime.test.ts) run on: a SimLan
 * transport offering the given own addresses, a virtual clock, a memory logger and state store,
 * and an interface node that records what joins and leaves it.
 */
import { noGroupEffects } from '../../src/ports/group-effects.ts';
import { MemoryGroupStateStore } from '../../src/ports/group-state-store.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { SimLan } from '../../src/sim/sim-lan.ts';
import { SimTransport } from '../../src/sim/sim-transport.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import type { RunnerContext, RunnerNode, RunnerPorts } from '../../src/protocols/protocol-runtime-part.ts';

export function runtimeRig(ownAddresses: readonly string[], key: Uint8Array, addressTexts: readonly string[]) {
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  const lan = new SimLan(clock, () => 0, { delayMicros: 100, jitterMicros: 0 });
  const transport = new SimTransport(lan, 'eth0', ownAddresses.map(parseIpAddress));
  const ports: RunnerPorts = { clock, transport, effects: noGroupEffects, logger };
  const context: RunnerContext = {
    key,
    addresses: addressTexts.map((text) => ({ address: parseIpAddress(text) })),
    host: { name: 'eth0', transport },
    store: new MemoryGroupStateStore(),
    logger,
  };
  const joined: { runner: unknown; options: unknown }[] = [];
  const left: unknown[] = [];
  const node: RunnerNode = {
    addGroup: (runner: unknown, options: unknown) => void joined.push({ runner, options }),
    removeGroup: (runner: unknown) => void left.push(runner),
  } as RunnerNode;
  return { clock, logger, ports, context, node, joined, left };
}

/** A toIso that shows the monotonic µs it was given. */
export const microsIso = (micros: number): string => `t${micros}`;
