/** VRRP, version 3 (RFC 5798) and 2 (RFC 3768; vrrp-version.ts), as a protocol module (protocols/protocol-module.ts). */
import type { ProtocolModule } from '../protocol-module.ts';
import { vrrpConfigPart } from './vrrp-config-part.ts';

export const vrrpModule = {
  name: 'vrrp',
  config: vrrpConfigPart,
} as const satisfies ProtocolModule;
