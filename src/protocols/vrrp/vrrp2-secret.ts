/**
 * VRRPv2's secret reader (protocols/protocol-runtime-part.ts SecretReader): a simple password's
 * text becomes its bytes as they go on the wire, unpadded, 1..8 bytes (vrrp2-header.ts,
 * docs/protocol-vrrp.md "VRRPv2"). Every error names the source, never the password.
 */
import type { SecretReader } from '../protocol-runtime-part.ts';
import { VRRP2_AUTH_DATA_LENGTH } from './vrrp2-header.ts';

export const vrrp2SecretReader: SecretReader = {
  purpose: 'vrrp2-password',
  noneMessage: 'this group has no password (auth_type none)',
  keyFromText(text, _origin, where) {
    const bytes = new TextEncoder().encode(text);
    if (bytes.length === 0) throw new Error(`${where}: the password is empty`);
    if (bytes.length > VRRP2_AUTH_DATA_LENGTH) throw new Error(`${where}: the password is ${bytes.length} bytes; a VRRPv2 simple password is at most ${VRRP2_AUTH_DATA_LENGTH}`);
    return bytes;
  },
};
