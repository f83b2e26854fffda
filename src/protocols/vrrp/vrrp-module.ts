/** VRRP, version 3 (RFC 5798) and 2 (RFC 3768; vrrp-version.ts), as a protocol module (protocols/protocol-module.ts). */
import type { ProtocolModule } from '../protocol-module.ts';
import { vrrpConfigPart } from './vrrp-config-part.ts';
import { vrrpRuntime } from './vrrp-runtime.ts';
import { vrrpSim } from './vrrp-sim.ts';
import { vrrpWire } from './vrrp-wire.ts';

/**
 * The parts are getters: a part's files may import the registry (the runners take the full
 * drop-reason list from it), and a getter is read only when used, never while the modules of an
 * import cycle are still loading.
 */
export const vrrpModule = {
  name: 'vrrp',
  get config() {
    return vrrpConfigPart;
  },
  get wire() {
    return vrrpWire;
  },
  get runtime() {
    return vrrpRuntime;
  },
  get sim() {
    return vrrpSim;
  },
} as const satisfies ProtocolModule;
