/** CARP (OpenBSD/FreeBSD carp(4), ucarp) as a protocol module (protocols/protocol-module.ts). */
import type { ProtocolModule } from '../protocol-module.ts';
import { carpRuntime } from './carp-runtime.ts';
import { carpSim } from './carp-sim.ts';
import { carpWire } from './carp-wire.ts';

export const carpModule = {
  name: 'carp',
  wire: carpWire,
  runtime: carpRuntime,
  sim: carpSim,
} as const satisfies ProtocolModule;
