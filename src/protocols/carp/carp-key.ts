/**
 * Passphrase → 20-byte CARP key (docs/protocol-carp.md "Key"): at most 19 bytes, zero padded.
 * Longer passphrases are refused, never truncated (the BSDs truncate silently, ucarp refuses).
 */

/** Length of the CARP key buffer (CARP_KEY_LEN). */
export const CARP_KEY_LENGTH = 20;
/** Longest passphrase every peer can represent (one byte is left for the NUL). */
export const CARP_MAX_PASSPHRASE_BYTES = 19;

/** Thrown when a passphrase cannot be represented by every peer. */
export class PassphraseTooLongError extends Error {
  constructor(readonly byteLength: number) {
    super(`passphrase is ${byteLength} bytes; CARP allows at most ${CARP_MAX_PASSPHRASE_BYTES}`);
    this.name = 'PassphraseTooLongError';
  }
}

/** Thrown by carpKeyFromHex for anything but exactly 40 hex digits; never echoes the key itself. */
export class InvalidCarpKeyError extends Error {
  constructor(reason: string) {
    super(`invalid CARP key: ${reason}; expected exactly ${CARP_KEY_LENGTH * 2} hex digits (${CARP_KEY_LENGTH} bytes)`);
    this.name = 'InvalidCarpKeyError';
  }
}

/**
 * Builds the 20-byte key from a passphrase (a string is taken as UTF-8). A NUL byte is refused:
 * every peer copies the passphrase as a C string (strlcpy, "Key"), so it would end the key there.
 */
export function carpKeyFromPassphrase(passphrase: string | Uint8Array): Uint8Array {
  const bytes = typeof passphrase === 'string' ? new TextEncoder().encode(passphrase) : passphrase;
  if (bytes.length > CARP_MAX_PASSPHRASE_BYTES) throw new PassphraseTooLongError(bytes.length);
  if (bytes.includes(0)) throw new RangeError('passphrase contains a NUL byte, which CARP peers treat as its end');
  const key = new Uint8Array(CARP_KEY_LENGTH); // zero padded, like ucarp's static buffer and ifconfig's bzero
  key.set(bytes);
  return key;
}

/** Builds a key from exactly 20 raw bytes given as 40 hex digits (reproduces FreeBSD's stale-byte keys). */
export function carpKeyFromHex(hex: string): Uint8Array {
  if (hex.length !== CARP_KEY_LENGTH * 2) throw new InvalidCarpKeyError(`got ${hex.length} characters`);
  if (!/^[0-9a-fA-F]+$/.test(hex)) throw new InvalidCarpKeyError('not all characters are hex digits');
  const key = new Uint8Array(CARP_KEY_LENGTH);
  for (let i = 0; i < CARP_KEY_LENGTH; i++) key[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return key;
}
