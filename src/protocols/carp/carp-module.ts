/** CARP (OpenBSD/FreeBSD carp(4), ucarp) as a protocol module (protocols/protocol-module.ts). */
import type { ProtocolModule } from '../protocol-module.ts';
import { carpConfigPart } from './carp-config-part.ts';

export const carpModule = {
  name: 'carp',
  config: carpConfigPart,
} as const satisfies ProtocolModule;
