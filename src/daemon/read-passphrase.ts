/**
 * Reads a group's secret from where the options say: inline, an environment variable, or the
 * first line of a file (as ucarp's --passfile). A file readable by group or others draws a
 * warning. The secret is never logged. What the text becomes (CARP's 20-byte key, a VRRPv2
 * password), its limits and the errors' wording are its protocol's (protocols/index.ts
 * secretReaderOf); this file names no protocol.
 */
import { readFileSync, statSync } from 'node:fs';
import type { PassphraseSource } from '../config/config-types.ts';
import type { Logger } from '../ports/logger.ts';
import { secretReaderOf, type KeyPurpose as ProtocolKeyPurpose, type SecretReader } from '../protocols/index.ts';

/** What a group's secret is used as: CARP's HMAC key, or VRRPv2's simple password (docs/protocol-vrrp.md "VRRPv2"). */
export type KeyPurpose = ProtocolKeyPurpose;

/** The first line of a secret file; throws an Error naming the file (never its content). */
function readFirstLine(path: string, where: string, logger: Logger): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${where}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    if ((statSync(path).mode & 0o077) !== 0) logger.warn('passphrase file is readable by group or others; chmod 600 it', { file: path });
  } catch {
    // The read above succeeded; a failing stat changes nothing.
  }
  return text.split(/\r?\n/, 1)[0] ?? '';
}

/** Reads a secret with a protocol's reader; throws an Error naming the source. */
function readSecret(source: PassphraseSource, logger: Logger, reader: SecretReader): Uint8Array {
  if (source.kind === 'none') throw new Error(reader.noneMessage);
  if (source.kind === 'inline') return reader.keyFromText(source.value, 'inline', 'passphrase');
  if (source.kind === 'env') {
    const where = `passphrase_env ${source.variable}`;
    return reader.keyFromText(process.env[source.variable] ?? '', 'env', where);
  }
  const where = `passphrase_file ${source.path}`;
  return reader.keyFromText(readFirstLine(source.path, where, logger), 'file', where);
}

/** Reads a group's secret for its purpose (the platform's readKey). */
export function readGroupKey(source: PassphraseSource, logger: Logger, purpose: KeyPurpose = 'carp-key'): Uint8Array {
  return readSecret(source, logger, secretReaderOf(purpose));
}
