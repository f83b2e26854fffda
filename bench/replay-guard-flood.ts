/**
 * Per-packet cost of the replay check under a spoofed-source flood (issue 18, item 1): one
 * captured advert replayed in `compat` mode (where every authentic copy is accepted) under N
 * distinct source addresses already heard, then timed over fresh sources.
 *
 *   node --import tsx bench/replay-guard-flood.ts [--root DIR] [--sources 10000,20000,30000] [--packets 2000]
 *
 * --root points at another checkout's src/ (e.g. the code before the fix) to compare: a
 * replay-guard.ts whose state still holds `lastBySender`/`reported` gets them pre-filled
 * directly (filling them through checkReplay is itself O(N²) there). Prints one line per N.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: resolve(fileURLToPath(import.meta.url), '../..') },
    sources: { type: 'string', default: '10000,20000,30000' },
    packets: { type: 'string', default: '2000' },
  },
});

type State = Record<string, unknown>;
interface Guard {
  initialReplayState(floor: bigint): State;
  checkReplay(state: State, mode: 'compat' | 'strict', sender: string, counter: bigint): { state: State; verdict: string };
}

const guard = (await import(pathToFileURL(resolve(values.root, 'src/protocols/carp/replay-guard.ts')).href)) as Guard;
const captured = 0x0123_4567_89ab_cdefn;
const packets = Number(values.packets);

function source(i: number): string {
  return `2001:db8::${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
}

/** A state that has heard `n` distinct sources. */
function prefilled(n: number): State {
  const state = guard.initialReplayState(0n);
  if ('lastBySender' in state) {
    const lastBySender: Record<string, bigint> = {};
    for (let i = 0; i < n; i++) lastBySender[source(i)] = captured;
    return { ...state, lastBySender };
  }
  let s = state;
  for (let i = 0; i < n; i++) s = guard.checkReplay(s, 'compat', source(i), captured).state;
  return s;
}

for (const n of values.sources.split(',').map(Number)) {
  let state = prefilled(n);
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < packets; i++) {
    const check = guard.checkReplay(state, 'compat', source(n + i), captured);
    state = check.state;
    sink += check.verdict.length;
  }
  const micros = Number(process.hrtime.bigint() - start) / 1000 / packets;
  console.log(`sources ${n}: ${micros.toFixed(2)} µs per packet (${packets} packets, compat, root ${values.root})${sink === 0 ? ' !' : ''}`);
}
