/**
 * Properties of acceptance (acceptAdvert, checks 1–10) and the replay guard (checkReplay, 11)
 * with a real CarpAuthenticator, over random datagrams and mutated valid adverts:
 *   - never throws; the outcome is ok or a reason from the closed DROP_REASONS set;
 *   - authentication holds: a changed digest, counter, vhid or address list is never accepted,
 *     even with the CARP checksum fixed so the mutation reaches the HMAC check;
 *   - valid adverts round-trip: encoded, accepted, decoded to the same fields, fresh above the
 *     high-water mark and a replay at or below it.
 * Fields outside the HMAC (advbase, advskew, demote) stay accepted when rewritten: that is the
 * protocol's known gap (docs/replay-and-threat-model.md), asserted here so a change is noticed.
 *
 * Seeded and sized by env: CARPD_FUZZ_CASES (default 5,000 per property), CARPD_FUZZ_SEED.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { acceptAdvert, type Acceptance, type AcceptanceContext, type GroupAcceptance } from '../../src/protocols/carp/carp-acceptance.ts';
import { encodeCarpHeader, CARP_HEADER_LENGTH } from '../../src/protocols/carp/carp-header.ts';
import { CarpAuthenticator } from '../../src/protocols/carp/carp-hmac.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { DROP_REASONS } from '../../src/protocols/index.ts';
import { internetChecksum } from '../../src/wire/internet-checksum.ts';
import { ipAddressEquals, ipAddressFromBytes, isIpv6LinkLocal, parseIpAddress, type IpAddress } from '../../src/wire/ip-address.ts';
import { IPPROTO_CARP, type Datagram } from '../../src/wire/ip-packet.ts';
import { checkReplay, initialReplayState, noteSent, type ReplayMode } from '../../src/protocols/carp/replay-guard.ts';

const CASES = Number(process.env.CARPD_FUZZ_CASES ?? 5_000);
const SEED = Number(process.env.CARPD_FUZZ_SEED ?? 0xacce97);
const PARAMETERS = { numRuns: CASES, seed: SEED };

const PASSPHRASE = 'fuzz-secret';
const VHID = 7;
/** A second group with the same key, so a vhid rewritten 7 → 8 reaches the HMAC check. */
const OTHER_VHID = 8;
const VIPS: readonly IpAddress[] = [parseIpAddress('198.51.100.140'), parseIpAddress('2001:db8::140')];
const OWN = parseIpAddress('198.51.100.11');
const PEER = parseIpAddress('198.51.100.10');
const GROUP_V4 = parseIpAddress('224.0.0.18');
const GROUP_V6 = parseIpAddress('ff02::12');
const KEY = carpKeyFromPassphrase(PASSPHRASE);
const SIGNER = new CarpAuthenticator(KEY, VHID, VIPS);

function groupOf(vhid: number, addresses: readonly IpAddress[]): GroupAcceptance {
  const auth = new CarpAuthenticator(KEY, vhid, addresses);
  return { verify: (counter, digest) => auth.verify(counter, digest), requireTtl255ForUnicast: true };
}

/** The receiving node: groups 7 and 8 on the same key and addresses. */
function contextWith(addresses: readonly IpAddress[] = VIPS): AcceptanceContext {
  const groups = new Map([
    [VHID, groupOf(VHID, addresses)],
    [OTHER_VHID, groupOf(OTHER_VHID, addresses)],
  ]);
  return { group: (vhid) => groups.get(vhid), isOwnAddress: (address) => ipAddressEquals(address, OWN) };
}
const CONTEXT = contextWith();

/** Asserts the outcome is ok or one closed reason; returns it. */
function typed(result: Acceptance): Acceptance {
  if (!result.ok) assert.ok((DROP_REASONS as readonly string[]).includes(result.reason), `unknown reason ${result.reason}`);
  return result;
}

/** Runs acceptance and, on ok, the replay guard (both modes), as the engine does. */
function acceptAndCheck(datagram: Datagram, context: AcceptanceContext, highWater: bigint): Acceptance {
  const result = typed(acceptAdvert(datagram, context));
  if (result.ok) {
    for (const mode of ['strict', 'compat'] as ReplayMode[]) {
      const state = noteSent(initialReplayState(highWater, 10), (highWater << 8n) | 10n);
      const check = checkReplay(state, mode, datagram.source.text, result.advert.header.counter);
      assert.ok(['fresh', 'replay', 'loop'].includes(check.verdict));
    }
  }
  return result;
}

const counter = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const highWater = fc.bigInt({ min: 0n, max: (1n << 56n) - 1n });
const byte = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(ipAddressFromBytes);
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(ipAddressFromBytes);

/** A valid advert's fields. */
const advertFields = fc.record({ advskew: byte, advbase: byte, demote: byte, counter });

/** A valid, signed advert from PEER to the IPv4 group. */
function validAdvert(fields: { advskew: number; advbase: number; demote: number; counter: bigint }, signer = SIGNER, vhid = VHID): Datagram {
  const payload = encodeCarpHeader({ vhid, ...fields, digest: signer.sign(fields.counter) });
  return { family: 4, source: PEER, destination: GROUP_V4, ttl: 255, protocol: IPPROTO_CARP, payload };
}

/** Recomputes the CARP checksum of a 36-byte payload in place, so a mutation reaches the HMAC. */
function fixChecksum(payload: Uint8Array): Uint8Array {
  payload[6] = 0;
  payload[7] = 0;
  const sum = internetChecksum(payload.subarray(0, CARP_HEADER_LENGTH));
  payload[6] = sum >> 8;
  payload[7] = sum & 0xff;
  return payload;
}

function withPayload(datagram: Datagram, payload: Uint8Array): Datagram {
  return { ...datagram, payload };
}

describe(`acceptance fuzz (${CASES} cases per property, seed ${SEED})`, () => {
  it('property: random datagrams never throw and end in ok or a closed drop reason, never ok', () => {
    const datagram = fc.oneof(
      fc.record({ family: fc.constant(4 as const), source: ipv4, destination: fc.oneof(fc.constant(GROUP_V4), ipv4), ttl: byte, protocol: fc.oneof(fc.constant(IPPROTO_CARP), byte), payload: fc.uint8Array({ maxLength: 120 }) }),
      fc.record({ family: fc.constant(6 as const), source: ipv6, destination: fc.oneof(fc.constant(GROUP_V6), ipv6), ttl: byte, protocol: fc.oneof(fc.constant(IPPROTO_CARP), byte), payload: fc.uint8Array({ maxLength: 120 }) }),
    );
    fc.assert(
      fc.property(datagram, highWater, (d, h) => {
        assert.equal(acceptAndCheck(d, CONTEXT, h).ok, false);
      }),
      PARAMETERS,
    );
  });

  it('property: CARP-shaped random headers (version 2, type 1, vhid 7, authlen 7, checksum fixed) fail authentication', () => {
    const header = fc.uint8Array({ minLength: CARP_HEADER_LENGTH, maxLength: CARP_HEADER_LENGTH }).map((bytes) => {
      bytes.set([0x21, VHID], 0);
      bytes[3] = 7;
      return fixChecksum(bytes);
    });
    fc.assert(
      fc.property(header, highWater, (payload, h) => {
        const result = acceptAndCheck(validAdvertWith(payload), CONTEXT, h);
        assert.deepEqual(result.ok ? 'ok' : result.reason, 'bad-auth');
      }),
      PARAMETERS,
    );
  });

  it('property: valid adverts round-trip: accepted with their fields, fresh above H, replay at or below it', () => {
    fc.assert(
      fc.property(advertFields, highWater, (fields, h) => {
        const result = acceptAndCheck(validAdvert(fields), CONTEXT, h);
        assert.ok(result.ok, result.ok ? '' : result.reason);
        const header = result.advert.header;
        assert.deepEqual([header.vhid, header.advskew, header.advbase, header.demote, header.counter], [VHID, fields.advskew, fields.advbase, fields.demote, fields.counter]);
        const strict = checkReplay(initialReplayState(h), 'strict', PEER.text, fields.counter);
        assert.equal(strict.verdict, fields.counter > h ? 'fresh' : 'replay');
        if (strict.verdict === 'fresh') assert.equal(checkReplay(strict.state, 'strict', '198.51.100.99', fields.counter).verdict, 'replay', 'the same counter again, from any source');
      }),
      PARAMETERS,
    );
  });

  it('property: a changed digest, counter or vhid is never accepted, even with the checksum fixed', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('digest' as const), offset: fc.integer({ min: 16, max: 35 }), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('counter' as const), offset: fc.integer({ min: 8, max: 15 }), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('vhid' as const), offset: fc.constant(1), xor: fc.constant(VHID ^ OTHER_VHID) }),
    );
    fc.assert(
      fc.property(advertFields, mutation, highWater, (fields, m, h) => {
        const original = validAdvert(fields);
        const payload = Uint8Array.from(original.payload);
        payload[m.offset] = (payload[m.offset] as number) ^ m.xor;
        const result = acceptAndCheck(withPayload(original, fixChecksum(payload)), CONTEXT, h);
        assert.deepEqual(result.ok ? 'ok' : result.reason, 'bad-auth', `${m.kind} byte ${m.offset} ^ ${m.xor}`);
      }),
      PARAMETERS,
    );
  });

  it('property: an advert signed over a different address list is never accepted', () => {
    const random = fc.uniqueArray(fc.oneof(ipv4, ipv6), { minLength: 1, maxLength: 4, selector: (a) => a.text });
    // The same set in another order (accepted: the list is sorted), one more or one fewer address.
    const addressList = fc.oneof(random, fc.constant([...VIPS].reverse()), fc.tuple(fc.oneof(ipv4, ipv6)).map(([extra]) => [...VIPS, extra]), fc.constant(VIPS.slice(1)));
    fc.assert(
      fc.property(advertFields, addressList, (fields, addresses) => {
        const same = sameSet(addresses, VIPS);
        const result = acceptAndCheck(validAdvert(fields, new CarpAuthenticator(KEY, VHID, addresses)), CONTEXT, 0n);
        assert.deepEqual(result.ok ? 'ok' : result.reason, same ? 'ok' : 'bad-auth');
      }),
      PARAMETERS,
    );
  });

  it('property: random byte mutations of a valid advert are accepted only when every authenticated byte is intact', () => {
    const edits = fc.array(fc.record({ offset: fc.integer({ min: 0, max: 40 }), value: byte }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(advertFields, edits, fc.boolean(), fc.integer({ min: -4, max: 8 }), (fields, changes, fix, lengthDelta) => {
        const original = validAdvert(fields);
        const length = Math.max(0, CARP_HEADER_LENGTH + lengthDelta);
        const payload = new Uint8Array(length);
        payload.set(original.payload.subarray(0, Math.min(length, CARP_HEADER_LENGTH)));
        for (const { offset, value } of changes) if (offset < length) payload[offset] = value;
        if (fix && length >= CARP_HEADER_LENGTH) fixChecksum(payload);
        const result = acceptAndCheck(withPayload(original, payload), CONTEXT, 0n);
        if (!result.ok) return;
        // ok: the vhid, counter and digest (what the HMAC covers) are the original's.
        assert.equal(payload.length, CARP_HEADER_LENGTH);
        assert.equal(payload[1], original.payload[1]);
        assert.deepEqual(payload.subarray(8, 36), original.payload.subarray(8, 36));
      }),
      PARAMETERS,
    );
  });

  it('property: advbase, advskew and demote are outside the HMAC: rewritten with the checksum fixed, still accepted (threat model)', () => {
    fc.assert(
      fc.property(advertFields, byte, byte, byte, (fields, advbase, advskew, demote) => {
        const payload = Uint8Array.from(validAdvert(fields).payload);
        payload[2] = advskew;
        payload[4] = demote;
        payload[5] = advbase;
        const result = acceptAndCheck(withPayload(validAdvert(fields), fixChecksum(payload)), CONTEXT, 0n);
        assert.ok(result.ok);
        assert.deepEqual([result.advert.header.advbase, result.advert.header.advskew, result.advert.header.demote], [advbase, advskew, demote]);
      }),
      PARAMETERS,
    );
  });
});

/** A datagram like a valid advert from PEER, with this payload. */
function validAdvertWith(payload: Uint8Array): Datagram {
  return { family: 4, source: PEER, destination: GROUP_V4, ttl: 255, protocol: IPPROTO_CARP, payload };
}

/** Same set as the HMAC sees it: link-local IPv6 addresses are left out by every sender (carp-hmac.ts). */
function sameSet(a: readonly IpAddress[], b: readonly IpAddress[]): boolean {
  const texts = (list: readonly IpAddress[]): string => [...new Set(list.filter((x) => !isIpv6LinkLocal(x)).map((x) => x.text))].sort().join(',');
  return texts(a) === texts(b);
}
