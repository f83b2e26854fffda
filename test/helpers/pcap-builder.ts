/** Writes synthetic classic pcap files for tests, the way libpcap lays them out. */

/** One record to write. */
export interface SyntheticRecord {
  readonly seconds: number;
  /** Microseconds, or nanoseconds when the file is a nanosecond one. */
  readonly fraction: number;
  readonly data: Uint8Array;
}

/** Options for buildPcap. */
export interface SyntheticPcap {
  readonly littleEndian?: boolean; // default true
  readonly nanoseconds?: boolean; // default false
  readonly linkType?: number; // default 1 (Ethernet)
  readonly records: readonly SyntheticRecord[];
}

/** A classic pcap file (version 2.4, snaplen 262144) holding the given records. */
export function buildPcap(options: SyntheticPcap): Uint8Array {
  const littleEndian = options.littleEndian ?? true;
  const size = 24 + options.records.reduce((n, r) => n + 16 + r.data.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, (options.nanoseconds ?? false) ? 0xa1b23c4d : 0xa1b2c3d4, littleEndian);
  view.setUint16(4, 2, littleEndian);
  view.setUint16(6, 4, littleEndian);
  view.setUint32(16, 262144, littleEndian);
  view.setUint32(20, options.linkType ?? 1, littleEndian);
  let offset = 24;
  for (const record of options.records) {
    view.setUint32(offset, record.seconds, littleEndian);
    view.setUint32(offset + 4, record.fraction, littleEndian);
    view.setUint32(offset + 8, record.data.length, littleEndian); // captured length
    view.setUint32(offset + 12, record.data.length, littleEndian); // original length
    out.set(record.data, offset + 16);
    offset += 16 + record.data.length;
  }
  return out;
}

/** An Ethernet II frame from 00:00:5e:00:00:07 to 01:00:5e:00:00:12 around an IP packet. */
export function ethernetFrame(ip: Uint8Array, ethertype = 0x0800): Uint8Array {
  const destination = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12];
  const source = [0x00, 0x00, 0x5e, 0x00, 0x00, 0x07];
  return Uint8Array.from([...destination, ...source, ethertype >> 8, ethertype & 0xff, ...ip]);
}
