/**
 * Reads the passphrase from where the options say: inline, or the first line of a file (as
 * ucarp's --passfile). A file readable by group or others draws a warning. The passphrase is
 * never logged.
 */
import { readFileSync, statSync } from 'node:fs';
import type { PassphraseSource } from '../config/config-types.ts';
import { carpKeyFromPassphrase } from '../protocol/carp-key.ts';
import type { Logger } from '../ports/logger.ts';

/** Returns the 20-byte key; throws an Error with a message naming the source. */
export function readCarpKey(source: PassphraseSource, logger: Logger): Uint8Array {
  if (source.kind === 'inline') return carpKeyFromPassphrase(source.value);
  // A VRRPv3 group has no key; a CARP group never has kind 'none' (the config requires a source).
  if (source.kind === 'none') throw new Error('this group has no passphrase (VRRPv3 is not authenticated)');
  if (source.kind === 'env') {
    const value = process.env[source.variable];
    if (value === undefined || value === '') throw new Error(`passphrase_env ${source.variable}: the variable is not set`);
    return carpKeyFromPassphrase(value);
  }
  let text: string;
  try {
    text = readFileSync(source.path, 'utf8');
  } catch (error) {
    throw new Error(`passphrase_file ${source.path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    if ((statSync(source.path).mode & 0o077) !== 0) logger.warn('passphrase file is readable by group or others; chmod 600 it', { file: source.path });
  } catch {
    // The read above succeeded; a failing stat changes nothing.
  }
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  if (firstLine === '') throw new Error(`passphrase_file ${source.path}: the first line is empty`);
  try {
    return carpKeyFromPassphrase(firstLine);
  } catch (error) {
    throw new Error(`passphrase_file ${source.path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
