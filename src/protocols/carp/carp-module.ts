/** CARP (OpenBSD/FreeBSD carp(4), ucarp) as a protocol module (protocols/protocol-module.ts). */
import type { ProtocolModule } from '../protocol-module.ts';
import { carpWire } from './carp-wire.ts';

export const carpModule = {
  name: 'carp',
  wire: carpWire,
} as const satisfies ProtocolModule;
