/** RFC 1071 Internet checksum. */

/** The one's complement of the one's complement sum of 16-bit words (odd length padded with a zero byte). */
export function internetChecksum(bytes: Uint8Array): number {
  return foldChecksum(onesComplementSum(bytes));
}

/**
 * The unfolded sum of big-endian 16-bit words. Kept as a plain number: even a 64 KiB buffer
 * sums to well under 2^53, so no intermediate folding is needed (RFC 1071 §2 "deferred carries").
 */
function onesComplementSum(bytes: Uint8Array): number {
  let sum = 0;
  const evenLength = bytes.length - (bytes.length % 2);
  for (let i = 0; i < evenLength; i += 2) {
    sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  }
  if (evenLength !== bytes.length) sum += (bytes[evenLength] as number) << 8;
  return sum;
}

/** Adds the carries back in (end-around carry) and complements to 16 bits. */
function foldChecksum(sum: number): number {
  let folded = sum;
  while (folded > 0xffff) folded = (folded % 0x10000) + Math.floor(folded / 0x10000);
  return ~folded & 0xffff;
}
