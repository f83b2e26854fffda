/** Byte helpers for tests: hex with per-field comments, and back. */

/**
 * Hex text → bytes. Whitespace is ignored and `#` starts a comment to the end of the line, so
 * expected bytes can be written one field per line:
 *   hexBytes(`
 *     21    # version 2, type 1
 *     07    # vhid 7
 *   `)
 */
export function hexBytes(text: string): Uint8Array {
  const digits = text.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) {
    throw new Error(`not an even run of hex digits: ${JSON.stringify(digits)}`);
  }
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

/** Bytes → lowercase hex without separators. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
