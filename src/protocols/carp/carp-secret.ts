/**
 * CARP's secret reader (protocols/protocol-runtime-part.ts SecretReader): a passphrase's text
 * becomes the 20-byte key (carp-key.ts, docs/protocol-carp.md "Key"). The wording is the one
 * daemon/read-passphrase.ts has always used for CARP: an inline passphrase's error is the key's
 * own, an environment or file source is named before it.
 */
import type { SecretReader } from '../protocol-runtime-part.ts';
import { carpKeyFromPassphrase } from './carp-key.ts';

export const carpSecretReader: SecretReader = {
  purpose: 'carp-key',
  // A VRRPv3 group has no key; a CARP group never has kind 'none' (the config requires a source).
  noneMessage: 'this group has no passphrase (VRRPv3 is not authenticated)',
  keyFromText(text, origin, where) {
    if (origin === 'inline') return carpKeyFromPassphrase(text);
    if (origin === 'env') {
      if (text === '') throw new Error(`${where}: the variable is not set`);
      return carpKeyFromPassphrase(text);
    }
    if (text === '') throw new Error(`${where}: the first line is empty`);
    try {
      return carpKeyFromPassphrase(text);
    } catch (error) {
      throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
  },
};
