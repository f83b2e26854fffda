/**
 * Reads the passphrase from where the options say: inline, or the first line of a file (as
 * ucarp's --passfile). A file readable by group or others draws a warning. The passphrase is
 * never logged.
 */
import { readFileSync, statSync } from 'node:fs';
import type { PassphraseSource } from '../config/config-types.ts';
import { carpKeyFromPassphrase } from '../protocols/carp/carp-key.ts';
import type { Logger } from '../ports/logger.ts';
import type { KeyPurpose as ProtocolKeyPurpose } from '../protocols/index.ts';
import { VRRP2_AUTH_DATA_LENGTH } from '../protocols/vrrp/vrrp2-header.ts';

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

/** What a group's secret is used as: CARP's HMAC key, or VRRPv2's simple password (docs/protocol-vrrp.md "VRRPv2"). */
export type KeyPurpose = ProtocolKeyPurpose;

/**
 * Reads a VRRPv2 simple password from the same sources as a CARP passphrase (inline, env, first
 * line of a file) and returns its bytes as they go on the wire, unpadded: 1..8 bytes. Throws an
 * Error naming the source (never the password).
 */
export function readVrrp2Password(source: PassphraseSource, logger: Logger): Uint8Array {
  const where = source.kind === 'file' ? `passphrase_file ${source.path}` : source.kind === 'env' ? `passphrase_env ${source.variable}` : 'passphrase';
  let text: string;
  if (source.kind === 'none') throw new Error('this group has no password (auth_type none)');
  if (source.kind === 'inline') text = source.value;
  else if (source.kind === 'env') text = process.env[source.variable] ?? '';
  else {
    try {
      text = readFileSync(source.path, 'utf8').split(/\r?\n/, 1)[0] ?? '';
    } catch (error) {
      throw new Error(`${where}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    try {
      if ((statSync(source.path).mode & 0o077) !== 0) logger.warn('passphrase file is readable by group or others; chmod 600 it', { file: source.path });
    } catch {
      // The read above succeeded; a failing stat changes nothing.
    }
  }
  const bytes = new TextEncoder().encode(text);
  if (bytes.length === 0) throw new Error(`${where}: the password is empty`);
  if (bytes.length > VRRP2_AUTH_DATA_LENGTH) throw new Error(`${where}: the password is ${bytes.length} bytes; a VRRPv2 simple password is at most ${VRRP2_AUTH_DATA_LENGTH}`);
  return bytes;
}

/** Reads a group's secret for its purpose (the platform's readKey). */
export function readGroupKey(source: PassphraseSource, logger: Logger, purpose: KeyPurpose = 'carp-key'): Uint8Array {
  return purpose === 'vrrp2-password' ? readVrrp2Password(source, logger) : readCarpKey(source, logger);
}
