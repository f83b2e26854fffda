/** CARP (OpenBSD/FreeBSD carp(4), ucarp) as a protocol module (protocols/protocol-module.ts). */
import type { ProtocolModule } from '../protocol-module.ts';

export const carpModule = {
  name: 'carp',
} as const satisfies ProtocolModule;
