/**
 * Run inside the attacker's lab namespace (flood.test.ts): builds one flood's frames
 * (flood-frames.ts), then sends them through an AF_PACKET socket as fast as the socket takes
 * them, in bursts of burstMs separated by pauseMs, in one synchronous loop bounded by the frame
 * count and a time limit. Prints one JSON line: frames built and sent, send errors, distinct
 * sources, sending time and rate.
 *
 * It prints `ready` once the frames are built and sends only on SIGUSR2, so the test starts its
 * samplers and the client's pings first; it gives up (exit 3) when no signal comes within 60 s.
 *
 *   node --import tsx test/integration/flood-sender.ts SPEC_JSON
 */
import { readFileSync } from 'node:fs';
import { loadNativeBinding } from '../../src/linux/native-binding.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { parseMacAddress } from '../../src/wire/mac-address.ts';
import { buildFlood, fillReplayPayloads, type FloodFrames, type FloodKind, type FloodSize } from './flood-frames.ts';

/** What flood-sender does. */
export interface FloodSpec extends FloodSize {
  readonly kind: FloodKind;
  readonly ifname: string;
  readonly mac: string;
  readonly vhid: number;
  readonly pairVhids: readonly number[];
  readonly addresses: readonly string[];
  readonly passphrase: string;
  readonly reservedV4: readonly string[];
  /** The replay flood's capture: read when the signal comes, so it may still be written before. */
  readonly pcap?: string;
  /** The loop stops here even when frames remain (sending time, pauses not included). */
  readonly maxMs: number;
  /** Full speed for burstMs, then pauseMs of silence, until every frame is sent. */
  readonly burstMs: number;
  readonly pauseMs: number;
}

/** The sender's summary line. */
export interface FloodSummary {
  readonly kind: FloodKind;
  readonly frames: number;
  readonly sent: number;
  readonly errors: number;
  readonly v4Sources: number;
  readonly v6Sources: number;
  /** Time spent sending (pauses excluded), and frames per second over it. */
  readonly elapsedMs: number;
  readonly rate: number;
  /** From the first frame to the last, pauses included. */
  readonly wallMs: number;
  readonly bursts: number;
}

function main(): void {
  const text = process.argv[2];
  if (text === undefined) throw new Error('usage: flood-sender SPEC_JSON');
  const spec = JSON.parse(text) as FloodSpec;
  const flood = buildFlood(
    spec.kind,
    {
      attackerMac: parseMacAddress(spec.mac),
      vhid: spec.vhid,
      pairVhids: spec.pairVhids,
      addresses: spec.addresses.map(parseIpAddress),
      passphrase: spec.passphrase,
      reservedV4: spec.reservedV4,
    },
    spec,
    BigInt(Date.now()) * 1000n,
  );
  const giveUp = setTimeout(() => process.exit(3), 60_000);
  process.once('SIGUSR2', () => {
    clearTimeout(giveUp);
    // The capture is complete only now (the test stops it before the signal).
    if (spec.kind === 'replay') {
      if (spec.pcap === undefined) throw new Error('the replay flood needs a capture');
      fillReplayPayloads(flood.frames, new Uint8Array(readFileSync(spec.pcap)), spec.vhid);
    }
    console.log(JSON.stringify(send(spec, flood)));
  });
  console.log('ready');
}

/** A synchronous pause: the sender has nothing else to do, and a timer would need the loop back. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function send(spec: FloodSpec, flood: FloodFrames): FloodSummary {
  const socket = loadNativeBinding().openPacketSocket(spec.ifname);
  let sent = 0;
  let errors = 0;
  let busyMs = 0;
  let bursts = 0;
  const start = performance.now();
  let burstStart = start;
  for (const [i, frame] of flood.frames.entries()) {
    if (i % 256 === 0) {
      const now = performance.now();
      if (busyMs + (now - burstStart) > spec.maxMs) break;
      if (now - burstStart >= spec.burstMs) {
        busyMs += now - burstStart;
        bursts++;
        pause(spec.pauseMs);
        burstStart = performance.now();
      }
    }
    try {
      socket.sendFrame(frame);
      sent++;
    } catch {
      errors++;
    }
  }
  const end = performance.now();
  busyMs += end - burstStart;
  socket.close();
  return {
    kind: spec.kind,
    frames: flood.frames.length,
    sent,
    errors,
    v4Sources: flood.v4Sources,
    v6Sources: flood.v6Sources,
    elapsedMs: Math.round(busyMs),
    rate: Math.round((sent / busyMs) * 1000),
    wallMs: Math.round(end - start),
    bursts: bursts + 1,
  };
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) main();
