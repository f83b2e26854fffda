import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initialSendCounter, nextSendCounter } from '../../src/protocols/carp/send-counter.ts';
import { checkReplay, freshnessFloor, initialReplayState, noteSent, REPLAY_WINDOW, REPLAY_WINDOW_ENTRIES, type ReplayMode, type ReplayState } from '../../src/protocols/carp/replay-guard.ts';

// Counters of a lone ucarp master on the wire: random on every advert (docs/protocol-carp.md "What peers send", seen in the lab).
const UCARP_COUNTERS = [0xc819695857265d17n, 0x4b7ceefca79ffcb6n, 0x25ef2de545f6163dn] as const;

/** Feeds (sender, counter) pairs in order; returns every verdict, the notices and the final state. */
function feed(mode: ReplayMode, state: ReplayState, adverts: readonly (readonly [string, bigint])[]) {
  const verdicts: string[] = [];
  const notices: { sender: string; previous: bigint; counter: bigint }[] = [];
  for (const [sender, counter] of adverts) {
    const check = checkReplay(state, mode, sender, counter);
    verdicts.push(check.verdict);
    if (check.notice !== undefined) {
      assert.equal(check.notice.mode, mode);
      notices.push({ sender: check.notice.sender, previous: check.notice.previous, counter: check.notice.counter });
    }
    state = check.state;
  }
  return { verdicts, notices, state };
}

/** The ledger's last counters as a plain record. */
function lastBySender(state: ReplayState): Record<string, bigint | undefined> {
  return Object.fromEntries(state.senders.senders().map((s) => [s, state.senders.lastCounter(s)]));
}

describe('initialReplayState and freshnessFloor', () => {
  it('starts at the floor with no senders', () => {
    const state = initialReplayState(1234n);
    assert.deepEqual({ highWater: state.highWater, windowFloor: state.windowFloor, recent: state.recent }, { highWater: 1234n, windowFloor: 1234n, recent: [] });
    assert.equal(state.senders.size, 0);
  });
  it('a negative floor becomes 0', () => assert.equal(initialReplayState(-5n).highWater, 0n));
  it('freshnessFloor: wall clock minus the window, in counter units (µs · 256)', () => assert.equal(freshnessFloor(1_767_225_600_000_000n, 60), 1_767_225_540_000_000n << 8n));
  it('freshnessFloor: never below 0', () => assert.equal(freshnessFloor(10_000_000n, 3600), 0n));
  it('freshnessFloor: fractional windows are truncated to whole seconds', () => assert.equal(freshnessFloor(10_000_000n, 2.9), 8_000_000n << 8n));
  it('freshnessFloor: a real carpd counter sent an hour ago is below the floor of a fresh receiver', () => {
    const now = 1_767_225_600_000_000n;
    const hourAgo = nextSendCounter(initialSendCounter(0n), now - 3_600_000_000n, undefined, 12).counter;
    const live = nextSendCounter(initialSendCounter(0n), now, undefined, 12).counter;
    const state = initialReplayState(freshnessFloor(now, 60));
    assert.equal(checkReplay(state, 'strict', '198.51.100.12', hourAgo).verdict, 'replay');
    assert.equal(checkReplay(state, 'strict', '198.51.100.12', live).verdict, 'fresh');
  });
});

describe('checkReplay, strict', () => {
  const cases: { name: string; floor?: bigint; adverts: [string, bigint][]; want: string[] }[] = [
    { name: 'increasing counters are fresh', adverts: [['10.0.0.2', 1n], ['10.0.0.2', 2n], ['10.0.0.2', 10n]], want: ['fresh', 'fresh', 'fresh'] },
    { name: 'a duplicate is a replay', adverts: [['10.0.0.2', 5n], ['10.0.0.2', 5n]], want: ['fresh', 'replay'] },
    {
      name: 'the window: an older counter not seen before is accepted once (crossing adverts of two masters); exact replays are refused',
      adverts: [['10.0.0.2', 5n], ['10.0.0.3', 4n], ['10.0.0.3', 4n], ['10.0.0.2', 5n]],
      want: ['fresh', 'fresh', 'replay', 'replay'],
    },
    {
      name: 'the window: a sender\'s own older advert arriving after its newer one is stale (e.g. just after its bow-out)',
      adverts: [['10.0.0.2', 9n], ['10.0.0.2', 8n], ['10.0.0.3', 7n]],
      want: ['fresh', 'replay', 'fresh'],
    },
    {
      name: 'the window: a counter more than REPLAY_WINDOW below the mark is a replay',
      adverts: [['10.0.0.2', REPLAY_WINDOW + 10n], ['10.0.0.3', 10n], ['10.0.0.3', 11n]],
      want: ['fresh', 'replay', 'fresh'],
    },
    {
      name: 'the mark is shared: a replay with a spoofed, never-seen source is refused',
      adverts: [['10.0.0.2', 5n], ['10.0.0.66', 5n], ['10.0.0.66', 3n], ['10.0.0.7', 3n]],
      want: ['fresh', 'replay', 'fresh', 'replay'],
    },
    {
      name: 'the window never reaches below the start floor (the freshness floor or the persisted mark)',
      floor: 1_000n,
      adverts: [['10.0.0.2', 1_001n], ['10.0.0.2', 999n], ['10.0.0.2', 1_000n]],
      want: ['fresh', 'replay', 'replay'],
    },
    {
      name: 'the mark is shared: a second node continuing the sequence is fresh',
      adverts: [['10.0.0.2', 5n], ['10.0.0.3', 6n], ['10.0.0.2', 7n]],
      want: ['fresh', 'fresh', 'fresh'],
    },
    { name: 'counter 0 against a zero floor is not fresh', floor: 0n, adverts: [['10.0.0.2', 0n]], want: ['replay'] },
    {
      name: 'floor from freshnessFloor: an advert captured before the window is refused, a current one accepted',
      floor: freshnessFloor(1_767_225_600_000_000n, 60),
      adverts: [['10.0.0.2', (1_767_225_500_000_000n << 8n) | 2n], ['10.0.0.2', 1_767_225_540_000_000n << 8n], ['10.0.0.2', (1_767_225_599_000_000n << 8n) | 2n]],
      want: ['replay', 'replay', 'fresh'],
    },
    { name: 'ucarp random counters: only those above the mark get through', adverts: UCARP_COUNTERS.map((c): [string, bigint] => ['10.99.1.2', c]), want: ['fresh', 'replay', 'replay'] },
    { name: 'the top of the counter space is fresh once', adverts: [['10.0.0.2', (1n << 64n) - 1n], ['10.0.0.2', (1n << 64n) - 1n]], want: ['fresh', 'replay'] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(feed('strict', initialReplayState(c.floor ?? 0n), c.adverts).verdicts, c.want));
  }

  it('a fresh advert raises the mark and records its sender', () => {
    const { state } = feed('strict', initialReplayState(0n), [['10.0.0.2', 7n]]);
    assert.equal(state.highWater, 7n);
    assert.deepEqual(lastBySender(state), { '10.0.0.2': 7n });
  });

  it('a replayed packet changes neither the mark nor lastBySender', () => {
    const before = feed('strict', initialReplayState(0n), [['10.0.0.2', 7n], ['10.0.0.3', 9n]]).state;
    for (const [sender, counter] of [['10.0.0.2', 7n], ['10.0.0.3', 9n], ['10.0.0.66', 9n], ['10.0.0.66', 0n]] as const) {
      const after = checkReplay(before, 'strict', sender, counter);
      assert.equal(after.verdict, 'replay');
      assert.equal(after.state.highWater, 9n);
      assert.deepEqual(lastBySender(after.state), { '10.0.0.2': 7n, '10.0.0.3': 9n });
    }
  });

  it("leaves the given state's mark and window as they were (only the bounded sender ledger is written in place)", () => {
    const state = initialReplayState(0n);
    const check = checkReplay(state, 'strict', '10.0.0.2', 5n);
    assert.deepEqual({ highWater: state.highWater, windowFloor: state.windowFloor, recent: state.recent }, { highWater: 0n, windowFloor: 0n, recent: [] });
    assert.equal(check.state.highWater, 5n);
    assert.equal(check.state.senders, state.senders, 'one ledger, shared by the states derived from it');
  });
});

describe('checkReplay, loop detection', () => {
  for (const mode of ['strict', 'compat'] as const) {
    it(`${mode}: our own last counter heard back is a loop, and changes nothing`, () => {
      const state = noteSent(initialReplayState(0n), 42n);
      const check = checkReplay(state, mode, '10.0.0.1', 42n);
      assert.equal(check.verdict, 'loop');
      assert.equal(check.state, state);
      assert.equal(check.notice, undefined);
    });
    it(`${mode}: a counter other than our last one is not a loop`, () => {
      const state = noteSent(initialReplayState(0n), 42n);
      assert.equal(checkReplay(state, mode, '10.0.0.2', 43n).verdict, 'fresh');
    });
  }
  it('only the last sent counter counts (noteSent replaces it)', () => {
    const state = noteSent(noteSent(initialReplayState(0n), 42n), 43n);
    assert.equal(checkReplay(state, 'compat', '10.0.0.2', 42n).verdict, 'fresh');
    assert.equal(checkReplay(state, 'compat', '10.0.0.2', 43n).verdict, 'loop');
  });
  it('noteSent does not touch the mark', () => assert.equal(noteSent(initialReplayState(5n), 100n).highWater, 5n));
});

describe('checkReplay, compat', () => {
  it('accepts decreasing counters (ucarp random counters from the real capture)', () => {
    const got = feed('compat', initialReplayState(0n), UCARP_COUNTERS.map((c) => ['10.99.1.2', c] as const));
    assert.deepEqual(got.verdicts, ['fresh', 'fresh', 'fresh']);
    assert.equal(got.state.senders.lastCounter('10.99.1.2'), UCARP_COUNTERS[2]);
    assert.equal(got.state.highWater, UCARP_COUNTERS[0], 'the mark only rises');
  });
  it("accepts OpenBSD's constant cookie every time", () => {
    const cookie = 0x0123456789abcdefn;
    assert.deepEqual(feed('compat', initialReplayState(0n), [['10.0.0.5', cookie], ['10.0.0.5', cookie], ['10.0.0.5', cookie]]).verdicts, ['fresh', 'fresh', 'fresh']);
  });
});

describe('checkReplay, one-time notices', () => {
  for (const mode of ['strict', 'compat'] as const) {
    it(`${mode}: a sender whose counters go backwards is reported once, with the pair that showed it`, () => {
      const got = feed(mode, initialReplayState(0n), UCARP_COUNTERS.map((c) => ['10.99.1.2', c] as const));
      assert.deepEqual(got.notices, [{ sender: '10.99.1.2', previous: UCARP_COUNTERS[0], counter: UCARP_COUNTERS[1] }]);
      assert.deepEqual(got.state.senders.senders().filter((s) => got.state.senders.isReported(s)), ['10.99.1.2']);
    });
  }

  it('compat: each sender is reported once, independently', () => {
    const got = feed('compat', initialReplayState(0n), [
      ['10.99.1.2', UCARP_COUNTERS[0]],
      ['10.99.2.1', 5n],
      ['10.99.1.2', UCARP_COUNTERS[1]],
      ['10.99.2.1', 5n],
      ['10.99.1.2', UCARP_COUNTERS[2]],
      ['10.99.2.1', 4n],
    ]);
    assert.deepEqual(got.notices.map((n) => n.sender), ['10.99.1.2', '10.99.2.1']);
  });

  it('increasing counters never give a notice', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), { maxLength: 30 }), fc.constantFrom<ReplayMode>('strict', 'compat'), (counters, mode) => {
        const sorted = [...new Set(counters)].sort((a, b) => (a < b ? -1 : 1));
        const got = feed(mode, initialReplayState(0n), sorted.map((c) => ['10.0.0.2', c] as const));
        assert.deepEqual(got.notices, []);
        assert.ok(got.verdicts.every((v) => v === 'fresh'));
      }),
    );
  });

  it('property, strict: a counter is accepted when above all accepted before it, or unseen and within the window below; once, whatever the sender', () => {
    const advert = fc.tuple(fc.constantFrom('10.0.0.2', '10.0.0.3', '10.0.0.66'), fc.oneof(fc.bigInt({ min: 0n, max: 50n }), fc.bigInt({ min: REPLAY_WINDOW, max: REPLAY_WINDOW + 50n })));
    fc.assert(
      fc.property(fc.array(advert, { maxLength: 40 }), (adverts) => {
        let state = initialReplayState(0n);
        let highest = 0n;
        const accepted = new Set<bigint>();
        const lastBySender = new Map<string, bigint>();
        for (const [sender, counter] of adverts) {
          const check = checkReplay(state, 'strict', sender, counter);
          // Fewer than REPLAY_WINDOW_ENTRIES accepted here, so only H − window bounds the window.
          const last = lastBySender.get(sender);
          const expected = counter > highest || (!accepted.has(counter) && counter > 0n && counter > highest - REPLAY_WINDOW && (last === undefined || counter > last));
          assert.equal(check.verdict === 'fresh', expected, `counter ${counter} after ${[...accepted].join(',')}`);
          if (check.verdict === 'fresh') {
            accepted.add(counter);
            lastBySender.set(sender, counter);
            if (counter > highest) highest = counter;
          }
          assert.equal(check.state.highWater, highest);
          state = check.state;
        }
      }),
    );
  });
});

describe('checkReplay: our own counters, recognised by lane (strict)', () => {
  const lane = 11;
  const ours = (sequence: bigint) => (sequence << 8n) | BigInt(lane);
  const theirs = (sequence: bigint) => (sequence << 8n) | 12n;
  const sent = noteSent(initialReplayState(0n, lane), ours(1_000n));
  it('bad, an older advert of ours replayed under a spoofed source', () => {
    assert.equal(checkReplay(sent, 'strict', '198.51.100.99', ours(900n)).verdict, 'loop');
  });
  it('bad, our latest advert replayed', () => {
    assert.equal(checkReplay(sent, 'strict', '198.51.100.99', ours(1_000n)).verdict, 'loop');
  });
  it('ok, another lane at the same sequence is another node', () => {
    assert.equal(checkReplay(sent, 'strict', '198.51.100.12', theirs(1_000n)).verdict, 'fresh');
  });
  it('ok, another lane below our last counter (a concurrent sender) is still fresh', () => {
    assert.equal(checkReplay(sent, 'strict', '198.51.100.12', theirs(999n)).verdict, 'fresh');
  });
  it('compat: below the first counter this run sent, only OpenBSD\'s exact match is a loop', () => {
    assert.equal(checkReplay(sent, 'compat', '198.51.100.99', ours(900n)).verdict, 'fresh');
    assert.equal(checkReplay(sent, 'compat', '198.51.100.99', ours(1_000n)).verdict, 'loop');
  });
  it('compat: bad, an older advert of this run replayed under a spoofed source (it would win the tie rule)', () => {
    const later = noteSent(noteSent(sent, ours(1_100n)), ours(1_200n));
    assert.equal(checkReplay(later, 'compat', '2001:db8:f100::1', ours(1_100n)).verdict, 'loop');
    assert.equal(checkReplay(later, 'compat', '198.51.100.1', ours(1_000n)).verdict, 'loop');
  });
  it('compat: ok, a peer\'s random counter outside our lane or range, or above our last, is fresh', () => {
    const later = noteSent(noteSent(sent, ours(1_100n)), ours(1_200n));
    assert.equal(checkReplay(later, 'compat', '198.51.100.12', theirs(1_100n)).verdict, 'fresh');
    assert.equal(checkReplay(later, 'compat', '198.51.100.12', ours(1_300n)).verdict, 'fresh');
    assert.equal(checkReplay(later, 'compat', '198.51.100.12', ours(5n)).verdict, 'fresh');
  });
});

describe('the anti-replay window', () => {
  it(`remembers at most ${REPLAY_WINDOW_ENTRIES} counters; one pushed out raises the floor past it`, () => {
    let state = initialReplayState(0n);
    const top = 10_000n;
    state = checkReplay(state, 'strict', '10.0.0.2', top).state;
    // Older, unseen counters below the mark, as crossing adverts would be: each accepted once.
    for (let i = 1; i <= REPLAY_WINDOW_ENTRIES; i++) {
      // From different senders: one sender's own counters never go back.
      const check = checkReplay(state, 'strict', `10.0.${i}.3`, top - BigInt(i) * 10n);
      assert.equal(check.verdict, 'fresh', `counter ${i}`);
      state = check.state;
    }
    assert.equal(state.recent.length, REPLAY_WINDOW_ENTRIES);
    // The oldest accepted one was pushed out: the floor is now at it, so it and anything below are refused.
    const oldest = top - BigInt(REPLAY_WINDOW_ENTRIES) * 10n;
    assert.equal(state.windowFloor, oldest);
    assert.equal(checkReplay(state, 'strict', '10.0.0.9', oldest).verdict, 'replay');
    assert.equal(checkReplay(state, 'strict', '10.0.0.9', oldest - 1n).verdict, 'replay');
    // Every remembered one is still refused as an exact replay.
    for (const c of state.recent) assert.equal(checkReplay(state, 'strict', '10.0.0.9', c).verdict, 'replay');
  });

  it('property: every counter is accepted at most once, and nothing at or below the floor ever', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: REPLAY_WINDOW * 3n }), { maxLength: 200 }), (counters) => {
        let state = initialReplayState(REPLAY_WINDOW / 2n);
        const accepted = new Set<bigint>();
        for (const c of counters) {
          const floorBefore = state.windowFloor;
          const check = checkReplay(state, 'strict', '10.0.0.2', c);
          if (check.verdict === 'fresh') {
            assert.ok(!accepted.has(c), `counter ${c} accepted twice`);
            assert.ok(c > floorBefore, `counter ${c} at or below the floor ${floorBefore}`);
            accepted.add(c);
          }
          assert.ok(check.state.windowFloor >= floorBefore, 'the floor never goes down');
          assert.ok(check.state.windowFloor >= REPLAY_WINDOW / 2n, 'never below the start floor');
          state = check.state;
        }
      }),
    );
  });
});
