/** CARP (OpenBSD/FreeBSD carp(4), ucarp) as a protocol module (protocols/protocol-module.ts). */
import type { ProtocolModule } from '../protocol-module.ts';
import { carpConfigPart } from './carp-config-part.ts';
import { carpRuntime } from './carp-runtime.ts';
import { carpSim } from './carp-sim.ts';
import { carpWire } from './carp-wire.ts';

/**
 * The parts are getters: a part's files may import the registry (the runners take the full
 * drop-reason list from it), and a getter is read only when used, never while the modules of an
 * import cycle are still loading.
 */
export const carpModule = {
  name: 'carp',
  get config() {
    return carpConfigPart;
  },
  get wire() {
    return carpWire;
  },
  get runtime() {
    return carpRuntime;
  },
  get sim() {
    return carpSim;
  },
} as const satisfies ProtocolModule;
