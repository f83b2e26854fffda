/**
 * Each protocol's wire part (src/protocols/protocol-wire-part.ts), reached through the registry:
 * which payload shapes are its own, which it judges first on an interface, what an unheard
 * advert of it says (farewell, interval), and the drop reasons it adds; the metric label list
 * assembled from the parts is today's, label for label and in order (docs/metrics.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DROP_REASONS, PROTOCOL_MODULES, protocolModule } from '../../src/protocols/index.ts';
import { summarizeForeignAdvert } from '../../src/protocols/foreign-advert.ts';
import { classifyProtocol112, type Protocol112Kind } from '../../src/protocols/protocol-112.ts';
import { assembleDropReasons } from '../../src/protocols/protocol-wire-part.ts';
import { NEUTRAL_DROP_REASONS, PRE_PROTOCOL_DROP_REASONS, type DropReason } from '../../src/wire/drop-reason.ts';
import { VRRP_DROP_REASONS, VRRP2_DROP_REASONS } from '../../src/protocols/vrrp/vrrp-acceptance.ts';
import { hexBytes } from '../helpers/bytes.ts';
import { T1 } from '../fixtures/carp-vectors.ts';

const carp = protocolModule('carp').wire;
const vrrp = protocolModule('vrrp').wire;

/** A payload of `length` bytes: byte 0 `first`, and the given bytes at their offsets. */
function payload(first: number, length: number, at: Record<number, number> = {}): Uint8Array {
  const bytes = new Uint8Array(length);
  bytes[0] = first;
  for (const [offset, value] of Object.entries(at)) bytes[Number(offset)] = value;
  return bytes;
}

/** The metric labels before the wire parts existed (src/wire/drop-reason.ts DROP_REASONS at f2f0075). */
const LABELS_BEFORE = [
  'bad-ip', 'wrong-protocol', 'bad-ttl', 'short', 'vrrp', 'bad-version', 'bad-length', 'bad-checksum', 'bad-type', 'unknown-vhid',
  'unexpected-source', 'own-advert', 'bad-auth', 'key-change-twin', 'replay', 'vrrp-v2', 'carp', 'bad-interval', 'vrrp-v3',
  'auth-type-mismatch', 'password-mismatch', 'interval-mismatch',
];

describe('drop reasons: neutral in wire/, each protocol adds its own, the assembled list is the metric labels', () => {
  it('the list assembled from the registry is the label list of before, in the same order', () => {
    assert.deepEqual([...DROP_REASONS], LABELS_BEFORE);
  });

  it('every neutral reason is in the list, the IP layer first', () => {
    assert.deepEqual(DROP_REASONS.slice(0, PRE_PROTOCOL_DROP_REASONS.length), [...PRE_PROTOCOL_DROP_REASONS]);
    for (const reason of NEUTRAL_DROP_REASONS) assert.ok(DROP_REASONS.includes(reason), reason);
  });

  it("each non-neutral reason is one protocol's own", () => {
    const neutral = new Set<string>(NEUTRAL_DROP_REASONS);
    const own = (part: typeof carp | typeof vrrp) => part.dropReasons.filter((r) => !neutral.has(r));
    assert.deepEqual(own(carp), ['vrrp', 'bad-auth', 'key-change-twin', 'replay']);
    assert.deepEqual(own(vrrp), ['vrrp-v2', 'carp', 'bad-interval', 'vrrp-v3', 'auth-type-mismatch', 'password-mismatch', 'interval-mismatch']);
    assert.equal(own(carp).filter((r) => (vrrp.dropReasons as readonly string[]).includes(r)).length, 0);
  });

  it("VRRP's wire list is exactly the reasons its acceptance gives (v3 and v2 groups)", () => {
    assert.deepEqual(new Set(vrrp.dropReasons), new Set([...VRRP_DROP_REASONS, ...VRRP2_DROP_REASONS]));
  });

  it('assembly keeps the first place of a reason and the order of the parts', () => {
    const parts = [{ dropReasons: ['bad-ttl', 'replay', 'short'] as DropReason[] }, { dropReasons: ['short', 'carp', 'replay'] as DropReason[] }];
    assert.deepEqual(assembleDropReasons(parts), ['bad-ip', 'wrong-protocol', 'bad-ttl', 'replay', 'short', 'carp']);
    assert.deepEqual(assembleDropReasons([]), ['bad-ip', 'wrong-protocol']);
  });
});

describe('payload recognition: each shape belongs to at most one protocol', () => {
  const ALL_KINDS: Protocol112Kind[] = ['carp', 'carp-oversized', 'vrrp-v2', 'vrrp-v3', 'short', 'other-version'];

  it("CARP owns CARP's shapes, VRRP both VRRP versions and the short non-CARP ones; nobody other versions", () => {
    assert.deepEqual([...carp.payloadKinds], ['carp', 'carp-oversized']);
    assert.deepEqual([...vrrp.payloadKinds].sort(), ['short', 'vrrp-v2', 'vrrp-v3']);
    for (const kind of ALL_KINDS) {
      const owners = PROTOCOL_MODULES.filter((m) => (m.wire.payloadKinds as readonly string[]).includes(kind));
      assert.equal(owners.length, kind === 'other-version' ? 0 : 1, kind);
    }
  });

  it('a VRRPv3 payload is judged by VRRP first; every other shape by the default, CARP (first in the registry)', () => {
    assert.equal(PROTOCOL_MODULES[0].name, 'carp');
    const samples: [Uint8Array, boolean][] = [
      [hexBytes(T1.header), false],
      [payload(0x31, 12, { 1: 7, 3: 1 }), true],
      [payload(0x21, 20, { 3: 1 }), false], // VRRPv2: a CARP group on its id hears it first, as before
      [payload(0x21, 40, { 3: 7 }), false],
      [payload(0x11, 36, { 3: 7 }), false],
      [new Uint8Array(0), false],
    ];
    for (const [bytes, vrrpFirst] of samples) {
      assert.equal(vrrp.judgesFirst(bytes), vrrpFirst, classifyProtocol112(bytes));
      assert.equal(carp.judgesFirst(bytes), false);
    }
  });
});

describe('foreign summaries: what an unheard advert says, read by its own protocol', () => {
  it("CARP: bow-out (advbase and advskew 255) is a farewell with no interval; else advbase + advskew/256 s", () => {
    const bowOut = payload(0x21, 36, { 1: 5, 2: 255, 3: 7, 5: 255 });
    assert.deepEqual(carp.summarizeForeign(bowOut, 'carp'), { version: 2, farewell: true });
    const normal = payload(0x21, 36, { 1: 5, 2: 128, 3: 7, 5: 1 });
    assert.deepEqual(carp.summarizeForeign(normal, 'carp'), { version: 2, farewell: false, intervalMicros: 1_500_000 });
    assert.deepEqual(carp.summarizeForeign(payload(0x21, 36, { 3: 7 }), 'carp'), { version: 2, farewell: false });
  });

  it('VRRPv3: priority 0 is a farewell; Max Adver Int is 12 bits of centiseconds', () => {
    assert.deepEqual(vrrp.summarizeForeign(payload(0x31, 12, { 2: 0, 4: 0x01, 5: 0x2c }), 'vrrp-v3'), { version: 3, farewell: true, intervalMicros: 3_000_000 });
    assert.deepEqual(vrrp.summarizeForeign(payload(0x31, 12, { 2: 100, 4: 0xf0, 5: 100 }), 'vrrp-v3'), { version: 3, farewell: false, intervalMicros: 1_000_000 });
    assert.deepEqual(vrrp.summarizeForeign(payload(0x31, 12, { 2: 100 }), 'vrrp-v3'), { version: 3, farewell: false });
  });

  it('VRRPv2: priority 0 is a farewell; Adver Int is whole seconds; a kind not VRRP is not read', () => {
    assert.deepEqual(vrrp.summarizeForeign(payload(0x21, 20, { 2: 0, 3: 1, 5: 3 }), 'vrrp-v2'), { version: 2, farewell: true, intervalMicros: 3_000_000 });
    assert.deepEqual(vrrp.summarizeForeign(payload(0x21, 20, { 2: 50, 3: 1 }), 'vrrp-v2'), { version: 2, farewell: false });
    assert.equal(vrrp.summarizeForeign(hexBytes(T1.header), 'carp'), undefined);
  });

  it('summarizeForeignAdvert hands a payload to the protocol of its shape; too short or no shape: nothing', () => {
    const carpAdvert = payload(0x21, 36, { 2: 128, 3: 7, 5: 1 });
    assert.deepEqual(summarizeForeignAdvert(carpAdvert), carp.summarizeForeign(carpAdvert, 'carp'));
    const v3 = payload(0x31, 12, { 2: 0, 5: 100 });
    assert.deepEqual(summarizeForeignAdvert(v3), { version: 3, farewell: true, intervalMicros: 1_000_000 });
    const v2 = payload(0x21, 20, { 2: 10, 3: 1, 5: 2 });
    assert.deepEqual(summarizeForeignAdvert(v2), { version: 2, farewell: false, intervalMicros: 2_000_000 });
    const shortV2 = payload(0x21, 7, { 2: 0, 3: 1, 5: 1 }); // 'short', read as VRRPv2's fixed part
    assert.deepEqual(summarizeForeignAdvert(shortV2), { version: 2, farewell: true, intervalMicros: 1_000_000 });
    assert.equal(summarizeForeignAdvert(payload(0x31, 5)), undefined);
    assert.equal(summarizeForeignAdvert(payload(0x11, 36, { 3: 7, 5: 1 })), undefined);
  });
});
