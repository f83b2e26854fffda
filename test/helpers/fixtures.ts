/** Loads the captured pcaps in test/fixtures (see PROVENANCE.md). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ipPacketFromLinkLayer, readPcap } from '../../src/capture/pcap.ts';
import type { PcapRecord } from '../../src/capture/pcap.ts';

/** Absolute path of a fixture file. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** The raw bytes of a fixture file. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name)));
}

/** Every record of a fixture pcap; throws if the reader rejects it (the fixtures are valid). */
export function fixtureRecords(name: string): PcapRecord[] {
  const result = readPcap(fixtureBytes(name));
  if (!result.ok) throw new Error(`${name}: ${result.error.code} ${result.error.detail}`);
  return result.value;
}

/** A captured IP packet with its 1-based frame number. */
export interface CapturedPacket {
  readonly frame: number;
  readonly ip: Uint8Array;
}

/** The IP packets of a fixture pcap (ARP and other frames left out). */
export function fixtureIpPackets(name: string): CapturedPacket[] {
  const packets: CapturedPacket[] = [];
  fixtureRecords(name).forEach((record, index) => {
    const ip = ipPacketFromLinkLayer(record.linkType, record.data);
    if (ip !== undefined) packets.push({ frame: index + 1, ip });
  });
  return packets;
}
