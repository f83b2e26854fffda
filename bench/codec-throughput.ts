/**
 * Codec throughput in adverts per second: what one core can sign and build, and receive and
 * check. `npm run bench:codec`; CARPD_BENCH_ROUNDS and CARPD_BENCH_MS change the run length.
 *
 * Honest numbers: every advert carries a different counter (so the HMAC is really computed
 * per packet), the receive side cycles through a pool of distinct packets, and every result
 * feeds a sink so nothing is optimised away. A failed verification aborts the run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { carpChecksumValid, decodeCarpHeader, encodeCarpHeader } from '../src/protocols/carp/carp-header.ts';
import { CarpAuthenticator } from '../src/protocols/carp/carp-hmac.ts';
import { carpKeyFromPassphrase } from '../src/protocols/carp/carp-key.ts';
import { parseIpAddress } from '../src/wire/ip-address.ts';
import { decodeIpPacket, encodeIpv4Packet } from '../src/wire/ip-packet.ts';
import { classifyProtocol112 } from '../src/protocols/protocol-112.ts';
import { describeMachine } from './machine-description.ts';
import { median } from './summary-statistics.ts';

const ROUNDS = Number(process.env.CARPD_BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.CARPD_BENCH_MS ?? 2000);
const POOL_SIZE = 4096;

const source = parseIpAddress('198.51.100.1');
const group = parseIpAddress('224.0.0.18');
const authenticator = new CarpAuthenticator(carpKeyFromPassphrase('secret-pass'), 7, [parseIpAddress('198.51.100.100')]);
let counter = 0x5f00000000000000n; // time-based start, as docs/protocol-carp.md "What carpd sends and accepts" says
let sink = 0;

/** Sender side: next counter, HMAC, CARP header, IPv4 packet. */
function encodeOne(): Uint8Array {
  counter += 1n;
  const digest = authenticator.sign(counter);
  const payload = encodeCarpHeader({ vhid: 7, advskew: 0, demote: 0, advbase: 1, counter, digest });
  return encodeIpv4Packet({ source, destination: group, payload });
}

/** Receiver side: IP decode (header checksum), classify, CARP decode, CARP checksum, HMAC verify. */
function decodeOne(packet: Uint8Array): void {
  const datagram = decodeIpPacket(packet);
  if (!datagram.ok || classifyProtocol112(datagram.value.payload) !== 'carp') throw new Error('bench packet did not decode');
  const header = decodeCarpHeader(datagram.value.payload);
  if (!header.ok || !carpChecksumValid(datagram.value.payload)) throw new Error('bench header did not decode');
  if (!authenticator.verify(header.value.counter, header.value.digest)) throw new Error('bench HMAC did not verify');
  sink ^= header.value.vhid;
}

/** Runs `step` for `ms` milliseconds and returns calls per second. */
function measure(ms: number, step: (i: number) => void): number {
  const started = performance.now();
  let elapsed = 0;
  let calls = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 256; i++) step(calls + i);
    calls += 256;
    elapsed = performance.now() - started;
  }
  return (calls / elapsed) * 1000;
}

interface Result {
  readonly name: string;
  readonly medianPerSecond: number;
  readonly roundsPerSecond: number[];
}

function main(): void {
  const pool = Array.from({ length: POOL_SIZE }, encodeOne); // distinct counters
  const cases: [string, (i: number) => void][] = [
    ['encode: HMAC sign + CARP header + IPv4 packet', () => (sink ^= encodeOne()[55] as number)],
    ['decode: IPv4 + classify + CARP header + checksum + HMAC verify', (i) => decodeOne(pool[i % POOL_SIZE] as Uint8Array)],
  ];
  for (const [, step] of cases) measure(Math.min(300, ROUND_MS), step); // warm-up: let the JIT settle
  const rounds: number[][] = cases.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    cases.forEach(([, step], i) => rounds[i]?.push(measure(ROUND_MS, step)));
  }
  const results: Result[] = cases.map(([name], i) => ({
    name,
    medianPerSecond: Math.round(median(rounds[i] ?? [])),
    roundsPerSecond: (rounds[i] ?? []).map(Math.round),
  }));
  printTable(results);
  writeResults(results);
}

function printTable(results: Result[]): void {
  const width = Math.max(...results.map((r) => r.name.length));
  console.log(`${'benchmark'.padEnd(width)}  median adverts/s  (${ROUNDS} rounds of ${ROUND_MS} ms)`);
  for (const r of results) {
    const low = Math.min(...r.roundsPerSecond).toLocaleString('en');
    const high = Math.max(...r.roundsPerSecond).toLocaleString('en');
    const spread = `min ${low}, max ${high}`;
    console.log(`${r.name.padEnd(width)}  ${r.medianPerSecond.toLocaleString('en').padStart(16)}  ${spread}`);
  }
}

function writeResults(results: Result[]): void {
  const directory = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  const report = {
    benchmark: 'codec-throughput',
    date: new Date().toISOString(),
    machine: describeMachine(),
    platform: `${process.platform} ${process.arch}`,
    rounds: ROUNDS,
    roundMs: ROUND_MS,
    results,
    sink, // printed so the work cannot be optimised away
  };
  const path = `${directory}codec-throughput.json`;
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${path}`);
}

main();
