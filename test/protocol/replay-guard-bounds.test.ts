/**
 * Issue 18, item 1 "Bounded under attack": the replay guard's per-sender memory is a bounded LRU
 * updated in place (src/protocols/carp/sender-ledger.ts), and in `strict` mode it decides exactly as
 * the unbounded version did while no more than MAX_TRACKED_SENDERS senders were heard.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkReplay, initialReplayState, noteSent, REPLAY_WINDOW, REPLAY_WINDOW_ENTRIES, type ReplayMode, type ReplayState } from '../../src/protocols/carp/replay-guard.ts';
import { MAX_TRACKED_SENDERS, SenderLedger } from '../../src/protocols/carp/sender-ledger.ts';

/** A ledger that counts the calls made on it: the work a check does on per-sender state. */
class CountingLedger extends SenderLedger {
  calls = 0;
  override lastCounter(sender: string): bigint | undefined {
    this.calls++;
    return super.lastCounter(sender);
  }
  override isReported(sender: string): boolean {
    this.calls++;
    return super.isReported(sender);
  }
  override recordAccepted(sender: string, counter: bigint): void {
    this.calls++;
    super.recordAccepted(sender, counter);
  }
  override markReported(sender: string): void {
    this.calls++;
    super.markReported(sender);
  }
}

/** A distinct IPv6 source per index, from the documentation prefix (as a spoofed flood would use). */
function spoofed(i: number): string {
  return `2001:db8::${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
}

describe('issue 18 item 1: replay guard per-sender state bounded under a spoofed flood', () => {
  for (const mode of ['compat', 'strict'] as const) {
    it(`${mode}: one captured advert replayed under 50 000 spoofed sources, twice each: the ledger stays at most MAX_TRACKED_SENDERS and each packet does the same constant work`, () => {
      const ledger = new CountingLedger();
      let state: ReplayState = initialReplayState(0n, undefined, ledger);
      const captured = 0x0123_4567_89ab_cdefn;
      const callsPerPacket = new Set<number>();
      let fresh = 0;
      let notices = 0;
      for (let i = 0; i < 50_000; i++) {
        for (let copy = 0; copy < 2; copy++) {
          const before = ledger.calls;
          const check = checkReplay(state, mode, spoofed(i), captured);
          callsPerPacket.add(ledger.calls - before);
          if (check.verdict === 'fresh') fresh++;
          if (check.notice !== undefined) notices++;
          state = check.state;
        }
        assert.ok(ledger.size <= MAX_TRACKED_SENDERS, `ledger size ${ledger.size} after ${i + 1} sources`);
      }
      // At most 4 ledger operations per packet (each an O(1) Map access), whatever the number of sources.
      assert.ok(Math.max(...callsPerPacket) <= 4, `ledger calls per packet: ${[...callsPerPacket].join(',')}`);
      assert.equal(ledger.size, mode === 'compat' ? MAX_TRACKED_SENDERS : 1);
      if (mode === 'compat') {
        // compat: the HMAC alone decides; every copy is fresh, and each source's second copy goes "backwards" (equal).
        assert.equal(fresh, 100_000);
        assert.equal(notices, 50_000);
      } else {
        // strict: the first copy is fresh once (nobody heard it before), every other one a replay,
        // which records nothing about its spoofed source.
        assert.equal(fresh, 1);
        assert.equal(notices, 1);
      }
      assert.deepEqual(Object.keys(state).sort(), ['highWater', 'recent', 'senders', 'windowFloor'], 'no per-sender copies in the state');
    });
  }

  it('the ledger pushes out the least recently written sender, never a more recent one', () => {
    const ledger = new SenderLedger(3);
    ledger.recordAccepted('a', 1n);
    ledger.recordAccepted('b', 2n);
    ledger.recordAccepted('c', 3n);
    ledger.recordAccepted('a', 4n); // a is now the most recent
    ledger.recordAccepted('d', 5n); // pushes out b
    assert.deepEqual(ledger.senders(), ['c', 'a', 'd']);
    assert.equal(ledger.lastCounter('b'), undefined);
    assert.equal(ledger.lastCounter('a'), 4n);
    ledger.markReported('b'); // not remembered: nothing to mark, nothing added
    assert.deepEqual(ledger.senders(), ['c', 'a', 'd']);
    ledger.markReported('c');
    assert.equal(ledger.isReported('c'), true);
    ledger.recordAccepted('c', 9n);
    assert.equal(ledger.isReported('c'), true, 'a later accepted counter keeps the report');
  });

  it('a ledger cap below 1 is refused', () => assert.throws(() => new SenderLedger(0), RangeError));
});

/**
 * The replay guard before issue 18, verbatim but for names: an unbounded Record and array, copied
 * on every packet. The reference the bounded one must agree with.
 */
interface ReferenceState {
  readonly highWater: bigint;
  readonly windowFloor: bigint;
  readonly recent: readonly bigint[];
  readonly lastSent?: bigint;
  readonly firstSent?: bigint;
  readonly ownLane?: number;
  readonly lastBySender: Readonly<Record<string, bigint>>;
  readonly reported: readonly string[];
}

/** Our own counter: strict, our lane at or below the last sent; compat, the last sent or our lane between the first and last sent. */
function isOwnReference(state: ReferenceState, mode: ReplayMode, counter: bigint): boolean {
  if (state.lastSent === undefined) return false;
  if (state.ownLane === undefined) return counter === state.lastSent;
  const inLane = Number(counter & 0xffn) === state.ownLane && counter <= state.lastSent;
  if (mode === 'strict') return inLane;
  return counter === state.lastSent || (inLane && counter >= (state.firstSent ?? state.lastSent));
}

function referenceCheck(state: ReferenceState, mode: ReplayMode, sender: string, counter: bigint): { verdict: string; state: ReferenceState; notice?: { sender: string; previous: bigint; counter: bigint } } {
  if (isOwnReference(state, mode, counter)) return { verdict: 'loop', state };
  const previous = state.lastBySender[sender];
  const goesBackwards = previous !== undefined && counter <= previous;
  const lastBySender = { ...state.lastBySender, [sender]: counter };
  let notice: { sender: string; previous: bigint; counter: bigint } | undefined;
  let reported = state.reported;
  if (goesBackwards && !reported.includes(sender)) {
    notice = { sender, previous: previous as bigint, counter };
    reported = [...reported, sender];
  }
  const inWindow = counter > state.windowFloor && !state.recent.includes(counter) && (previous === undefined || counter > previous);
  const fresh = mode === 'compat' || counter > state.highWater || inWindow;
  const highWater = fresh && counter > state.highWater ? counter : state.highWater;
  let windowPart = {};
  if (fresh && mode === 'strict') {
    let floor = state.windowFloor;
    if (highWater - REPLAY_WINDOW > floor) floor = highWater - REPLAY_WINDOW;
    const recent = [...state.recent, counter].filter((c) => c > floor).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    while (recent.length > REPLAY_WINDOW_ENTRIES) floor = recent.shift() as bigint;
    windowPart = { windowFloor: floor, recent };
  }
  const next: ReferenceState = fresh ? { ...state, highWater, lastBySender, reported, ...windowPart } : { ...state, reported };
  return notice === undefined ? { verdict: fresh ? 'fresh' : 'replay', state: next } : { verdict: fresh ? 'fresh' : 'replay', state: next, notice };
}

describe('issue 18 item 1: strict-mode verdicts unchanged for up to MAX_TRACKED_SENDERS senders', () => {
  const counter = fc.oneof(fc.bigInt({ min: 0n, max: 200n }), fc.bigInt({ min: REPLAY_WINDOW - 100n, max: REPLAY_WINDOW + 200n }), fc.bigInt({ min: 3n * REPLAY_WINDOW, max: 3n * REPLAY_WINDOW + 50n }));
  // Up to MAX_TRACKED_SENDERS distinct sources, a few of them busy.
  const sender = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: MAX_TRACKED_SENDERS - 1 })).map((i) => `198.51.100.${i % 256}/${Math.floor(i / 256)}`);
  const advert = fc.tuple(sender, counter, fc.boolean());

  for (const mode of ['strict', 'compat'] as const) {
    it(`property, ${mode}: the bounded guard gives the same verdicts, notices, mark and window as the unbounded one`, () => {
      fc.assert(
        fc.property(fc.array(advert, { maxLength: 300 }), fc.bigInt({ min: 0n, max: REPLAY_WINDOW }), fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), (adverts, floor, lane) => {
          let state = initialReplayState(floor, lane);
          let reference: ReferenceState = { highWater: floor, windowFloor: floor, recent: [], lastBySender: {}, reported: [], ...(lane === undefined ? {} : { ownLane: lane }) };
          for (const [source, value, sendFirst] of adverts) {
            if (sendFirst) {
              // Our own adverts interleaved (loop detection).
              state = noteSent(state, value);
              reference = { ...reference, lastSent: value, firstSent: reference.firstSent ?? value };
              continue;
            }
            const got = checkReplay(state, mode, source, value);
            const want = referenceCheck(reference, mode, source, value);
            assert.equal(got.verdict, want.verdict, `${source} ${value}`);
            assert.deepEqual(got.notice === undefined ? undefined : { sender: got.notice.sender, previous: got.notice.previous, counter: got.notice.counter }, want.notice);
            assert.equal(got.state.highWater, want.state.highWater);
            assert.equal(got.state.windowFloor, want.state.windowFloor);
            assert.deepEqual(got.state.recent, want.state.recent);
            state = got.state;
            reference = want.state;
          }
          for (const [source, last] of Object.entries(reference.lastBySender)) assert.equal(state.senders.lastCounter(source), last);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('property, strict, beyond the cap: with senders pushed out, every counter is still accepted at most once and never at or below the floor', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.bigInt({ min: 0n, max: REPLAY_WINDOW * 2n })), { maxLength: 300 }), (adverts) => {
        let state = initialReplayState(10n, undefined, new SenderLedger(4));
        const accepted = new Set<bigint>();
        for (const [source, value] of adverts) {
          const floorBefore = state.windowFloor;
          const check = checkReplay(state, 'strict', `198.51.100.${source}`, value);
          if (check.verdict === 'fresh') {
            assert.ok(!accepted.has(value), `counter ${value} accepted twice`);
            assert.ok(value > floorBefore);
            accepted.add(value);
          }
          assert.ok(check.state.senders.size <= 4);
          state = check.state;
        }
      }),
    );
  });
});
