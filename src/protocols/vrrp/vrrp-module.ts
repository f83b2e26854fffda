/** VRRP, version 3 (RFC 5798) and 2 (RFC 3768; vrrp-version.ts), as a protocol module (protocols/protocol-module.ts). */
import type { ProtocolModule } from '../protocol-module.ts';
import { vrrpRuntime } from './vrrp-runtime.ts';
import { vrrpSim } from './vrrp-sim.ts';
import { vrrpWire } from './vrrp-wire.ts';

export const vrrpModule = {
  name: 'vrrp',
  wire: vrrpWire,
  runtime: vrrpRuntime,
  sim: vrrpSim,
} as const satisfies ProtocolModule;
