/**
 * A pure reader for classic libpcap files (the format tcpdump -w writes) and the link-layer
 * framing around the IP packets inside them. No I/O: the caller reads the file.
 * Format: the pcap specification (draft-ietf-opsawg-pcap); link types: tcpdump.org/linktypes.
 */
import type { DecodeResult } from '../wire/decode-result.ts';
import { decoded, decodeFailed } from '../wire/decode-result.ts';

/** One captured packet. */
export interface PcapRecord {
  /** Capture time in microseconds since the Unix epoch (nanosecond files are truncated to µs). */
  readonly timestampMicros: bigint;
  /** The file's link type (LINKTYPE_*), repeated on each record for convenience. */
  readonly linkType: number;
  /** The captured bytes (possibly shorter than on the wire, if the snap length cut them); a view into the file. */
  readonly data: Uint8Array;
}

/** LINKTYPE_ETHERNET. */
export const LINKTYPE_ETHERNET = 1;
/** LINKTYPE_RAW: a bare IPv4 or IPv6 packet. */
export const LINKTYPE_RAW = 101;
/** LINKTYPE_LINUX_SLL: Linux "cooked" capture v1 (tcpdump -i any before libpcap 1.10). */
export const LINKTYPE_LINUX_SLL = 113;
/** LINKTYPE_LINUX_SLL2: Linux "cooked" capture v2 (tcpdump -i any, libpcap 1.10+). */
export const LINKTYPE_LINUX_SLL2 = 276;

const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
/** The first block type of every pcapng file (Section Header Block), the same in both byte orders. */
const PCAPNG_MAGIC = 0x0a0d0d0a;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q, 802.1ad (QinQ outer tag) and the pre-standard 0x9100 QinQ tag. */
const VLAN_ETHERTYPES: ReadonlySet<number> = new Set([0x8100, 0x88a8, 0x9100]);
/**
 * DLT_RAW is 12 on most systems and 14 on OpenBSD; libpcap writes 101 in files, but older
 * tools wrote the DLT value. LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) are raw too.
 */
const RAW_IP_LINK_TYPES: ReadonlySet<number> = new Set([LINKTYPE_RAW, 12, 14, 228, 229]);

/** Byte order and timestamp unit, both given by the magic number. */
interface PcapFormat {
  readonly littleEndian: boolean;
  readonly nanoseconds: boolean;
}

/** Reads every record of a classic pcap file; any truncation or unknown format is a decode error. */
export function readPcap(bytes: Uint8Array): DecodeResult<PcapRecord[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The magic first, so that a small file of another kind is called that rather than "short".
  const format = bytes.length >= 4 ? pcapFormat(view) : decodeFailed<PcapFormat>('short', 'no pcap magic number');
  if (!format.ok) return format;
  if (bytes.length < GLOBAL_HEADER_LENGTH) {
    return decodeFailed('short', `a pcap file header is ${GLOBAL_HEADER_LENGTH} bytes, got ${bytes.length}`);
  }
  const { littleEndian } = format.value;
  const major = view.getUint16(4, littleEndian);
  if (major !== 2) return decodeFailed('bad-pcap', `pcap major version ${major}, expected 2`);
  // The low 16 bits are the link type; the high bits carry FCS information (pcap spec §4).
  const linkType = view.getUint32(20, littleEndian) & 0xffff;
  const records: PcapRecord[] = [];
  let offset = GLOBAL_HEADER_LENGTH;
  while (offset < bytes.length) {
    const record = readRecord(view, offset, format.value, linkType, records.length + 1);
    if (!record.ok) return record;
    records.push(record.value.record);
    offset = record.value.next;
  }
  return decoded(records);
}

/** Identifies the file by its magic number. */
function pcapFormat(view: DataView): DecodeResult<PcapFormat> {
  const big = view.getUint32(0, false);
  if (big === PCAPNG_MAGIC) {
    return decodeFailed('bad-pcap', 'pcapng is not supported; convert with editcap -F pcap');
  }
  const little = view.getUint32(0, true);
  for (const [magic, nanoseconds] of [
    [MAGIC_MICROSECONDS, false],
    [MAGIC_NANOSECONDS, true],
  ] as const) {
    if (big === magic) return decoded({ littleEndian: false, nanoseconds });
    if (little === magic) return decoded({ littleEndian: true, nanoseconds });
  }
  return decodeFailed('bad-pcap', `unknown pcap magic 0x${big.toString(16).padStart(8, '0')}`);
}

/** Reads the record at `offset`; `index` is 1-based, as tcpdump and Wireshark number frames. */
function readRecord(
  view: DataView,
  offset: number,
  format: PcapFormat,
  linkType: number,
  index: number,
): DecodeResult<{ record: PcapRecord; next: number }> {
  if (offset + RECORD_HEADER_LENGTH > view.byteLength) {
    return decodeFailed('short', `record ${index} at offset ${offset}: header cut off`);
  }
  const seconds = BigInt(view.getUint32(offset, format.littleEndian));
  const fraction = BigInt(view.getUint32(offset + 4, format.littleEndian));
  const capturedLength = view.getUint32(offset + 8, format.littleEndian);
  const start = offset + RECORD_HEADER_LENGTH;
  if (start + capturedLength > view.byteLength) {
    return decodeFailed(
      'short',
      `record ${index} at offset ${offset}: ${capturedLength} bytes captured, ${view.byteLength - start} left in the file`,
    );
  }
  const micros = format.nanoseconds ? fraction / 1000n : fraction;
  const record: PcapRecord = {
    timestampMicros: seconds * 1_000_000n + micros,
    linkType,
    data: new Uint8Array(view.buffer, view.byteOffset + start, capturedLength),
  };
  return decoded({ record, next: start + capturedLength });
}

/** True for the link types ipPacketFromLinkLayer understands. */
export function isSupportedLinkType(linkType: number): boolean {
  return (
    linkType === LINKTYPE_ETHERNET ||
    linkType === LINKTYPE_LINUX_SLL ||
    linkType === LINKTYPE_LINUX_SLL2 ||
    RAW_IP_LINK_TYPES.has(linkType)
  );
}

/** The IPv4/IPv6 packet inside a captured frame, or undefined for other protocols, link types or cut-off frames. */
export function ipPacketFromLinkLayer(linkType: number, frame: Uint8Array): Uint8Array | undefined {
  if (RAW_IP_LINK_TYPES.has(linkType)) {
    const version = (frame[0] ?? 0) >> 4;
    return version === 4 || version === 6 ? frame : undefined;
  }
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      // dst MAC (6), src MAC (6), ethertype (2).
      return afterEthertype(frame, 12);
    case LINKTYPE_LINUX_SLL:
      // packet type (2), ARPHRD (2), address length (2), address (8), protocol (2).
      return afterEthertype(frame, 14);
    case LINKTYPE_LINUX_SLL2:
      // protocol (2) first, then reserved (2), ifindex (4), ARPHRD (2), packet type, address length, address (8).
      return frame.length >= 20 ? ipAfter(frame, readUint16(frame, 0), 20) : undefined;
    default:
      return undefined;
  }
}

/** Follows an ethertype at `offset` through any VLAN tags (4 bytes each: ethertype, then TCI). */
function afterEthertype(frame: Uint8Array, offset: number): Uint8Array | undefined {
  let at = offset;
  while (at + 2 <= frame.length) {
    const ethertype = readUint16(frame, at);
    if (!VLAN_ETHERTYPES.has(ethertype)) return ipAfter(frame, ethertype, at + 2);
    at += 4; // skip the tag's TCI and move to the next ethertype
  }
  return undefined;
}

function ipAfter(frame: Uint8Array, ethertype: number, start: number): Uint8Array | undefined {
  if (ethertype !== ETHERTYPE_IPV4 && ethertype !== ETHERTYPE_IPV6) return undefined;
  return start < frame.length ? frame.subarray(start) : undefined;
}

function readUint16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
}
