/** Ethernet MAC addresses as text ("00:00:5e:00:01:07") and bytes. */

/** Formats bytes as lowercase colon-separated hex (any length, as IFLA_ADDRESS may be). */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** Parses "aa:bb:cc:dd:ee:ff" (or with '-') into 6 bytes; throws RangeError otherwise. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((part) => /^[0-9a-fA-F]{2}$/.test(part))) {
    throw new RangeError(`not a MAC address: ${JSON.stringify(text)}`);
  }
  return Uint8Array.from(parts, (part) => parseInt(part, 16));
}
