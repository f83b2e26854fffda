/**
 * A seeded mutation fuzzer for the wire decoders and the acceptance path. It starts from the
 * real captures (IP packets and whole pcap files), mutates them with a deterministic PRNG, and
 * checks that decoding never throws, that whatever decodes survives decode → encode → decode
 * unchanged, and that every decoded datagram goes through acceptance (acceptAdvert, checks
 * 1–10, for a node holding the capture's vhid 7 with its real key) and the replay guard
 * without throwing, with an outcome from the closed drop-reason set. No forgery: an accepted
 * mutant must carry an authentic (vhid, counter, digest) triple of one of the original
 * adverts — mutations may only change what the CARP HMAC does not cover.
 *
 * Deterministic: the same seed and case count always produce the same inputs, so any failure
 * is reproduced by its case number (and should then become a named regression case).
 * Run directly for long runs (`npm run fuzz`, 1,000,000 cases by default; CARPD_FUZZ_CASES,
 * CARPD_FUZZ_SEED; results to bench/results/fuzz.{json,md}, or the directory in CARPD_FUZZ_OUT).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeMachine, machineLine } from '../../bench/machine-description.ts';
import { ipPacketFromLinkLayer, readPcap } from '../../src/capture/pcap.ts';
import { carpChecksumValid, decodeCarpHeader, encodeCarpHeader } from '../../src/protocols/carp/carp-header.ts';
import type { CarpHeader } from '../../src/protocols/carp/carp-header.ts';
import { CarpAuthenticator } from '../../src/protocols/carp/carp-hmac.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { acceptAdvert, type AcceptanceContext } from '../../src/protocols/carp/carp-acceptance.ts';
import { DROP_REASONS } from '../../src/protocols/index.ts';
import { checkReplay, initialReplayState, type ReplayMode } from '../../src/protocols/carp/replay-guard.ts';
import { internetChecksum } from '../../src/wire/internet-checksum.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { decodeIpPacket, encodeIpv4Packet, encodeIpv6Packet } from '../../src/wire/ip-packet.ts';
import type { Datagram } from '../../src/wire/ip-packet.ts';
import { classifyProtocol112 } from '../../src/protocols/protocol-112.ts';
import { seededUint32 } from '../../src/sim/random.ts';
import { hexBytes, toHex } from '../helpers/bytes.ts';
import { fixtureBytes, fixtureIpPackets } from '../helpers/fixtures.ts';
import { buildPcap } from '../helpers/pcap-builder.ts';
import { PCAPS, V1 } from '../fixtures/carp-vectors.ts';

/** One starting input. */
export interface FuzzSeed {
  readonly name: string;
  readonly kind: 'ip' | 'pcap';
  readonly bytes: Uint8Array;
}

/** A failed check: enough to reproduce it and turn it into a regression case. */
export interface FuzzFailure {
  readonly caseNumber: number;
  readonly seedName: string;
  readonly inputHex: string;
  readonly message: string;
}

/** What a run did; `failures` must be empty. */
export interface FuzzReport {
  readonly cases: number;
  readonly ipDecoded: number;
  readonly carpDecoded: number;
  readonly pcapsRead: number;
  /** Datagrams through acceptance, and their outcomes ('accepted' or a drop reason). */
  readonly acceptance: Readonly<Record<string, number>>;
  readonly failures: readonly FuzzFailure[];
}

/** Options for runMutationFuzzer. */
export interface FuzzOptions {
  readonly cases: number;
  readonly seed?: number; // default 0xc0ffee
  readonly corpus?: readonly FuzzSeed[]; // default: defaultCorpus()
  readonly maxFailures?: number; // stop collecting after this many (default 20)
}

/** mulberry32 (shared with the simulator): a tiny, well-mixed 32-bit PRNG returning uint32 values. */
export const mulberry32 = seededUint32;

/**
 * Every IP packet of every capture and the capture files themselves, plus synthetic seeds for
 * what the captures lack (ucarp has no IPv6): IPv6 adverts with extension headers and pcaps in
 * the other link types and formats.
 */
export function defaultCorpus(): FuzzSeed[] {
  const seeds: FuzzSeed[] = [];
  for (const name of Object.values(PCAPS)) {
    seeds.push({ name, kind: 'pcap', bytes: fixtureBytes(name) });
    for (const { frame, ip } of fixtureIpPackets(name)) seeds.push({ name: `${name}#${frame}`, kind: 'ip', bytes: ip });
  }
  return [...seeds, ...syntheticSeeds()];
}

function syntheticSeeds(): FuzzSeed[] {
  const carp = hexBytes(V1.frame2Ip).subarray(20);
  const ipv6 = (nextHeader: number, extensions: string) =>
    encodeIpv6Packet({
      source: parseIpAddress('fe80::1'),
      destination: parseIpAddress('ff02::12'),
      nextHeader,
      payload: Uint8Array.from([...hexBytes(extensions), ...carp]),
    });
  const v6 = ipv6(112, '');
  const ipSeeds: [string, Uint8Array][] = [
    ['ipv6 advert', v6],
    ['ipv6 hop-by-hop', ipv6(0, '70 00 010400000000')],
    ['ipv6 hop-by-hop, routing, destination options', ipv6(0, '2b 00 010400000000 3c 00 010400000000 70 00 010400000000')],
    ['ipv6 fragment', ipv6(44, '70 00 0000 00000001')],
  ];
  const v4Frame = fixtureIpPackets(PCAPS.ucarp)[1]?.ip ?? new Uint8Array();
  const record = (data: Uint8Array) => [{ seconds: 1795552768, fraction: 391472, data }];
  const sll = hexBytes(`0000 0001 0006 00005e0000070000 0800 ${toHex(v4Frame)}`);
  const sll2 = hexBytes(`86dd 0000 00000003 0001 02 06 00005e0000070000 ${toHex(v6)}`);
  const pcapSeeds: [string, Uint8Array][] = [
    ['pcap sll', buildPcap({ linkType: 113, records: record(sll) })],
    ['pcap sll2', buildPcap({ linkType: 276, records: record(sll2) })],
    ['pcap vlan, big-endian, ns', buildPcap({ littleEndian: false, nanoseconds: true, records: record(vlanFrame(v4Frame)) })],
    ['pcap raw', buildPcap({ linkType: 101, records: [...record(v4Frame), ...record(v6)] })],
  ];
  return [
    ...ipSeeds.map(([name, bytes]) => ({ name, kind: 'ip' as const, bytes })),
    ...pcapSeeds.map(([name, bytes]) => ({ name, kind: 'pcap' as const, bytes })),
  ];
}

function vlanFrame(ip: Uint8Array): Uint8Array {
  return hexBytes(`01005e000012 00005e000007 88a8 00c8 8100 0064 0800 ${toHex(ip)}`);
}

/** Runs `cases` mutations over the corpus and reports any throw or round-trip mismatch. */
export function runMutationFuzzer(options: FuzzOptions): FuzzReport {
  const corpus = options.corpus ?? defaultCorpus();
  const random = mulberry32(options.seed ?? 0xc0ffee);
  const maxFailures = options.maxFailures ?? 20;
  const stats: Stats = { ipDecoded: 0, carpDecoded: 0, pcapsRead: 0, acceptance: {} };
  const failures: FuzzFailure[] = [];
  for (let caseNumber = 0; caseNumber < options.cases && failures.length < maxFailures; caseNumber++) {
    const seed = corpus[random() % corpus.length] as FuzzSeed;
    const input = mutate(seed.bytes, random, seed.kind === 'ip');
    try {
      if (seed.kind === 'pcap') checkPcap(input, stats);
      else checkIpPacket(input, stats);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ caseNumber, seedName: seed.name, inputHex: toHex(input), message });
    }
  }
  return { cases: options.cases, ...stats, failures };
}

/** 1 to 4 random edits; IP inputs are then often repaired so the mutation reaches the CARP layer. */
export function mutate(original: Uint8Array, random: () => number, repairIp: boolean): Uint8Array {
  let bytes = Array.from(original);
  const edits = 1 + (random() % 4);
  for (let i = 0; i < edits; i++) bytes = applyEdit(bytes, random);
  const out = Uint8Array.from(bytes);
  if (repairIp && random() % 4 !== 0) {
    // Half of the repaired packets get a valid CARP checksum too, so that mutations of the vhid,
    // counter and digest reach the vhid and HMAC checks instead of stopping at the checksum.
    if (random() % 2 === 0) repairCarpChecksum(out);
    repairIpHeader(out, random() % 2 === 0);
  }
  return out;
}

const INTERESTING_BYTES = [0x00, 0x01, 0x07, 0x21, 0x24, 0x2c, 0x31, 0x45, 0x46, 0x60, 0x70, 0x7f, 0x80, 0xfe, 0xff];

function applyEdit(bytes: number[], random: () => number): number[] {
  const at = bytes.length === 0 ? 0 : random() % bytes.length;
  switch (random() % 8) {
    case 0: // flip one bit
      if (bytes.length > 0) bytes[at] = (bytes[at] as number) ^ (1 << (random() % 8));
      return bytes;
    case 1: // random byte
      if (bytes.length > 0) bytes[at] = random() & 0xff;
      return bytes;
    case 2: // a byte that means something to one of the decoders
      if (bytes.length > 0) bytes[at] = INTERESTING_BYTES[random() % INTERESTING_BYTES.length] as number;
      return bytes;
    case 3: // insert bytes
      return [...bytes.slice(0, at), ...randomBytes(1 + (random() % 8), random), ...bytes.slice(at)];
    case 4: // delete bytes
      return [...bytes.slice(0, at), ...bytes.slice(at + 1 + (random() % 8))];
    case 5: // truncate
      return bytes.slice(0, random() % (bytes.length + 1));
    case 6: // append (Ethernet padding, trailing junk)
      return [...bytes, ...randomBytes(1 + (random() % 16), random)];
    default: // duplicate a chunk
      return [...bytes.slice(0, at), ...bytes.slice(at, at + 1 + (random() % 16)), ...bytes.slice(at)];
  }
}

function randomBytes(count: number, random: () => number): number[] {
  return Array.from({ length: count }, () => random() & 0xff);
}

/** Recomputes the checksum of a 36-byte CARP header after a plain IPv4 or IPv6 header. */
function repairCarpChecksum(bytes: Uint8Array): void {
  const version = (bytes[0] ?? 0) >> 4;
  const start = version === 4 ? ((bytes[0] as number) & 0xf) * 4 : version === 6 ? 40 : -1;
  if (start < 20 || bytes.length < start + 36) return;
  const header = bytes.subarray(start, start + 36);
  header[6] = 0;
  header[7] = 0;
  const sum = internetChecksum(header);
  header[6] = sum >> 8;
  header[7] = sum & 0xff;
}

/** Fixes the IP length field (optionally) and the IPv4 header checksum, as a forger would. */
function repairIpHeader(bytes: Uint8Array, fixLength: boolean): void {
  const version = (bytes[0] ?? 0) >> 4;
  const view = new DataView(bytes.buffer);
  if (version === 6 && bytes.length >= 40 && fixLength) view.setUint16(4, Math.min(bytes.length - 40, 0xffff));
  if (version !== 4) return;
  const headerLength = ((bytes[0] as number) & 0xf) * 4;
  if (headerLength < 20 || headerLength > bytes.length) return;
  if (fixLength) view.setUint16(2, Math.min(bytes.length, 0xffff));
  view.setUint16(10, 0);
  view.setUint16(10, internetChecksum(bytes.subarray(0, headerLength)));
}

type Stats = { ipDecoded: number; carpDecoded: number; pcapsRead: number; acceptance: Record<string, number> };

const authenticator = new CarpAuthenticator(carpKeyFromPassphrase(V1.passphrase), V1.vhid, [
  parseIpAddress(V1.address),
  parseIpAddress('fe80::1'),
]);

function checkPcap(bytes: Uint8Array, stats: Stats): void {
  const pcap = readPcap(bytes);
  if (!pcap.ok) return;
  stats.pcapsRead++;
  for (const record of pcap.value) {
    const ip = ipPacketFromLinkLayer(record.linkType, record.data);
    if (ip !== undefined) checkIpPacket(ip, stats);
  }
}

/** decode → encode → decode for the IP layer, then the same for the CARP header. */
function checkIpPacket(bytes: Uint8Array, stats: Stats): void {
  checkCarpPayload(bytes, stats); // raw bytes straight into the CARP decoder too
  const decoded = decodeIpPacket(bytes);
  if (!decoded.ok) return;
  stats.ipDecoded++;
  checkDeclaredLength(bytes, decoded.value);
  const again = decodeIpPacket(reencode(decoded.value));
  if (!again.ok) throw new Error(`re-encoded packet does not decode: ${again.error.code}`);
  expectSame(plainDatagram(again.value), plainDatagram(decoded.value), 'IP round trip');
  classifyProtocol112(decoded.value.payload);
  checkCarpPayload(decoded.value.payload, stats);
  checkAcceptance(decoded.value, stats);
}

/** The node the acceptance path runs for: vhid 7 with the capture's key and VIP, not our address. */
const ACCEPTING_NODE: AcceptanceContext = {
  group: (vhid) => (vhid === V1.vhid ? { verify: (counter, digest) => authenticator.verify(counter, digest), requireTtl255ForUnicast: true } : undefined),
  isOwnAddress: () => false,
};
const DROP_REASON_SET = new Set<string>(DROP_REASONS);
/** (vhid, counter, digest) of every authentic advert in the corpus, filled by defaultCorpus's captures. */
let authenticTriples: Set<string> | undefined;

function triple(vhid: number, counter: bigint, digest: Uint8Array): string {
  return `${vhid}/${counter.toString(16)}/${toHex(digest)}`;
}

function authenticAdverts(): Set<string> {
  if (authenticTriples !== undefined) return authenticTriples;
  authenticTriples = new Set();
  for (const name of Object.values(PCAPS)) {
    for (const { ip } of fixtureIpPackets(name)) {
      const d = decodeIpPacket(ip);
      if (!d.ok) continue;
      const h = decodeCarpHeader(d.value.payload);
      if (h.ok && h.value.vhid === V1.vhid && authenticator.verify(h.value.counter, h.value.digest)) authenticTriples.add(triple(h.value.vhid, h.value.counter, h.value.digest));
    }
  }
  return authenticTriples;
}

/** acceptAdvert then, on ok, the replay guard in both modes, as the engine runs them. */
function checkAcceptance(datagram: Datagram, stats: Stats): void {
  const result = acceptAdvert(datagram, ACCEPTING_NODE);
  const outcome = result.ok ? 'accepted' : result.reason;
  if (!result.ok && !DROP_REASON_SET.has(result.reason)) throw new Error(`acceptance returned an unknown reason ${result.reason}`);
  stats.acceptance[outcome] = (stats.acceptance[outcome] ?? 0) + 1;
  if (!result.ok) return;
  const { header } = result.advert;
  if (!authenticAdverts().has(triple(header.vhid, header.counter, header.digest))) {
    throw new Error(`forgery accepted: vhid ${header.vhid}, counter ${header.counter.toString(16)} is not an authentic advert of the corpus`);
  }
  for (const mode of ['strict', 'compat'] as ReplayMode[]) {
    const verdict = checkReplay(initialReplayState(header.counter, 1), mode, datagram.source.text, header.counter).verdict;
    if (verdict === 'fresh' && mode === 'strict') throw new Error('strict replay guard took a counter equal to its high-water mark as fresh');
    if (!['fresh', 'replay', 'loop'].includes(verdict)) throw new Error(`replay guard verdict ${String(verdict)}`);
  }
}

/** The payload must end exactly where the IP length field says, never clamped to the buffer. */
function checkDeclaredLength(bytes: Uint8Array, d: Datagram): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = d.family === 4 ? view.getUint16(2) : 40 + view.getUint16(4);
  const payloadEnd = d.payload.byteOffset - bytes.byteOffset + d.payload.length;
  if (payloadEnd !== end) throw new Error(`payload ends at ${payloadEnd}, the IP length field says ${end}`);
}

function reencode(d: Datagram): Uint8Array {
  const common = { source: d.source, destination: d.destination, payload: d.payload };
  return d.family === 4
    ? encodeIpv4Packet({ ...common, ttl: d.ttl, protocol: d.protocol })
    : encodeIpv6Packet({ ...common, hopLimit: d.ttl, nextHeader: d.protocol });
}

function checkCarpPayload(payload: Uint8Array, stats: Stats): void {
  const decoded = decodeCarpHeader(payload);
  if (!decoded.ok) return;
  stats.carpDecoded++;
  const { checksum, ...fields } = decoded.value;
  const encoded = encodeCarpHeader(fields);
  if (!carpChecksumValid(encoded)) throw new Error('encoded CARP header has a bad checksum');
  const again = decodeCarpHeader(encoded);
  if (!again.ok) throw new Error(`re-encoded CARP header does not decode: ${again.error.code}`);
  expectSame(plainHeader(again.value), plainHeader(decoded.value), 'CARP round trip');
  // A header whose checksum verified must come back byte for byte (0xffff is the other zero).
  if (carpChecksumValid(payload) && checksum !== 0xffff) {
    expectSame(toHex(encoded), toHex(payload.subarray(0, 36)), 'CARP bytes');
  }
  authenticator.verify(decoded.value.counter, decoded.value.digest);
}

function plainDatagram(d: Datagram): string {
  return JSON.stringify([d.family, d.source.text, d.destination.text, d.ttl, d.protocol, toHex(d.payload)]);
}

/** Every field but the checksum, which encode recomputes. */
function plainHeader(h: CarpHeader): string {
  const fields = [h.version, h.type, h.vhid, h.advskew, h.authlen, h.demote, h.advbase];
  return JSON.stringify([...fields, h.counter.toString(16), toHex(h.digest)]);
}

function expectSame(actual: string, expected: string, what: string): void {
  if (actual !== expected) throw new Error(`${what} differs: ${actual} !== ${expected}`);
}

/** `npm run fuzz`: a long run, sized by CARPD_FUZZ_CASES, with its results written down. */
function main(): void {
  const cases = Number(process.env.CARPD_FUZZ_CASES ?? 1_000_000);
  const seed = Number(process.env.CARPD_FUZZ_SEED ?? 0xc0ffee);
  const started = performance.now();
  const report = runMutationFuzzer({ cases, seed });
  const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
  const { failures, ...counts } = report;
  const command = `CARPD_FUZZ_CASES=${cases} CARPD_FUZZ_SEED=${seed} npm run fuzz`;
  const summary = { benchmark: 'fuzz', date: new Date().toISOString(), command, machine: describeMachine(), seed, seconds, ...counts, failures: failures.length };
  console.log(JSON.stringify(summary));
  for (const failure of failures) console.log(JSON.stringify(failure));
  const out = resolve(process.env.CARPD_FUZZ_OUT ?? resolve(import.meta.dirname, '../../bench/results'));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'fuzz.json'), `${JSON.stringify({ ...summary, failureCases: failures }, null, 2)}\n`);
  const outcomes = Object.entries(counts.acceptance).sort(([, a], [, b]) => b - a);
  const md = [
    '# Mutation fuzzer: decoders and the acceptance path',
    '',
    `- command: \`${command}\``,
    `- date: ${summary.date}; machine: ${machineLine(summary.machine)}`,
    `- ${cases.toLocaleString('en')} cases in ${seconds} s: ${counts.pcapsRead.toLocaleString('en')} pcaps read, ${counts.ipDecoded.toLocaleString('en')} IP packets decoded, ${counts.carpDecoded.toLocaleString('en')} CARP headers decoded`,
    `- failures (a throw, a round-trip mismatch, an unknown drop reason, an accepted forgery): **${failures.length}**`,
    '',
    'Acceptance outcomes of the decoded datagrams (node holding vhid 7 with the capture\'s key; "accepted" mutants all carried an authentic vhid/counter/digest):',
    '',
    '| outcome | datagrams |',
    '|---|---|',
    ...outcomes.map(([outcome, n]) => `| ${outcome} | ${n.toLocaleString('en')} |`),
    '',
    ...(failures.length === 0 ? [] : ['## Failures', '', ...failures.map((f) => `- case ${f.caseNumber} (${f.seedName}): ${f.message} — input ${f.inputHex}`), '']),
  ].join('\n');
  writeFileSync(join(out, 'fuzz.md'), md);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
