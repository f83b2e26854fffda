/**
 * The flood test's frames (flood-frames.ts), checked with carpd's own acceptance path: the
 * replay flood is the captured advert, authentic, under as many distinct lab-range sources as
 * asked; the wrong-vhid flood authenticates under 254 other vhids; the garbage flood is never
 * accepted. So a green flood test cannot come from frames that never reached the HMAC.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { labRangeConflicts } from '../../src/lab/ranges.ts';
import { acceptAdvert, type AcceptanceContext } from '../../src/protocols/carp/carp-acceptance.ts';
import { advertFrame, decodeAdvertFrame } from '../../src/wire/advert-frame.ts';
import { decodeCarpHeader, encodeCarpHeader } from '../../src/protocols/carp/carp-header.ts';
import { CarpAuthenticator } from '../../src/protocols/carp/carp-hmac.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { parseIpAddress, type IpAddress } from '../../src/wire/ip-address.ts';
import { parseMacAddress } from '../../src/wire/mac-address.ts';
import { buildPcap } from '../helpers/pcap-builder.ts';
import { buildFlood, fillReplayPayloads, spoofedV4, type FloodInput } from './flood-frames.ts';

const VHID = 7;
const ADDRESSES = [parseIpAddress('198.51.100.107'), parseIpAddress('2001:db8::107')];
const KEY = carpKeyFromPassphrase('lab-flood-secret');
const RESERVED = ['198.51.100.10', '198.51.100.11', '198.51.100.107'];
const PAIR_VHIDS = [VHID, 100, 101, 102];
const INPUT: FloodInput = { attackerMac: parseMacAddress('02:00:00:00:00:0d'), vhid: VHID, pairVhids: PAIR_VHIDS, addresses: ADDRESSES, passphrase: 'lab-flood-secret', reservedV4: RESERVED };
const NOW = 1_767_225_600_000_000n;

/** carpd's acceptance checks 1-10 for a node running only our group. */
const context: AcceptanceContext = {
  group: (vhid) => (vhid === VHID ? { verify: (counter, digest) => new CarpAuthenticator(KEY, VHID, ADDRESSES).verify(counter, digest), requireTtl255ForUnicast: true } : undefined),
  isOwnAddress: () => false,
};

function accept(frame: Buffer) {
  const decoded = decodeAdvertFrame(frame);
  assert.ok(decoded.ok);
  return { datagram: decoded.value.datagram, result: acceptAdvert(decoded.value.datagram, context) };
}

/** A capture of the master's adverts: one per family, signed with the group's key. */
function capture(counter4: bigint, counter6: bigint): Uint8Array {
  const auth = new CarpAuthenticator(KEY, VHID, ADDRESSES);
  const advert = (family: 4 | 6, sourceIp: IpAddress, counter: bigint): Uint8Array =>
    advertFrame({ family, sourceMac: parseMacAddress('00:00:5e:00:01:07'), sourceIp, payload: encodeCarpHeader({ vhid: VHID, advbase: 1, advskew: 0, demote: 0, counter, digest: auth.sign(counter) }) });
  return buildPcap({ records: [{ seconds: 1, fraction: 0, data: advert(4, parseIpAddress('198.51.100.10'), counter4) }, { seconds: 1, fraction: 1, data: advert(6, parseIpAddress('fe80::10'), counter6) }] });
}

describe('flood frames', () => {
  it('spoofed IPv4 sources: both lab /24s without the reserved addresses', () => {
    const sources = spoofedV4(RESERVED).map((a) => a.text);
    assert.equal(sources.length, 2 * 254 - RESERVED.length);
    assert.ok(!sources.some((s) => RESERVED.includes(s)));
  });

  it('replay: the captured advert, authentic, once per pass under every distinct lab-range source', () => {
    const flood = buildFlood('replay', INPUT, { v6Sources: 300, passes: 2 }, NOW);
    fillReplayPayloads(flood.frames, capture(0x1234_5600n, 0x1234_5700n), VHID);
    assert.equal(flood.frames.length, 2 * (300 + flood.v4Sources));
    const sources = new Map<string, number>();
    for (const frame of flood.frames) {
      const { datagram, result } = accept(frame);
      assert.ok(result.ok, `accepted: ${result.ok ? "" : result.reason} (${datagram.source.text})`);
      assert.equal(result.advert.header.counter, datagram.family === 4 ? 0x1234_5600n : 0x1234_5700n);
      sources.set(datagram.source.text, (sources.get(datagram.source.text) ?? 0) + 1);
    }
    assert.equal(sources.size, 300 + flood.v4Sources);
    assert.ok([...sources.values()].every((n) => n === 2), 'every source twice');
    assert.equal(labRangeConflicts([...sources.keys()]).length, sources.size, 'every source in a lab range');
    assert.ok(!RESERVED.some((r) => sources.has(r)));
  });

  it('replay: a capture without an advert of each family is refused', () => {
    const flood = buildFlood('replay', INPUT, { v6Sources: 3, passes: 1 }, NOW);
    assert.throws(() => fillReplayPayloads(flood.frames, buildPcap({ records: [] }), VHID), /lacks an IPv4 advert/);
  });

  it('wrong-vhid: every vhid the pair does not run, alternately authentic for it and forged, none accepted', () => {
    const flood = buildFlood('wrong-vhid', INPUT, { v6Sources: 1_200, passes: 1 }, NOW);
    const vhids = new Set<number>();
    for (const [i, frame] of flood.frames.entries()) {
      const { datagram, result } = accept(frame);
      assert.deepEqual(result.ok ? 'accepted' : result.reason, 'unknown-vhid');
      const header = decodeCarpHeader(datagram.payload);
      assert.ok(header.ok);
      const authentic = new CarpAuthenticator(KEY, header.value.vhid, ADDRESSES).verify(header.value.counter, header.value.digest);
      assert.equal(authentic, i % 2 === 0, `frame ${i}`);
      vhids.add(header.value.vhid);
    }
    assert.equal(vhids.size, 255 - PAIR_VHIDS.length);
    assert.ok(!PAIR_VHIDS.some((v) => vhids.has(v)));
  });

  it('garbage: never accepted; every other frame is a well-formed advert that fails only the HMAC', () => {
    const flood = buildFlood('garbage', INPUT, { v6Sources: 200, passes: 1 }, NOW);
    const reasons = flood.frames.map((frame) => {
      const { result } = accept(frame);
      return result.ok ? 'accepted' : result.reason;
    });
    assert.ok(!reasons.includes('accepted'));
    assert.ok(reasons.filter((_, i) => i % 2 === 1).every((r) => r === 'bad-auth'));
    assert.ok(new Set(reasons.filter((_, i) => i % 2 === 0)).size >= 3, `random payloads fail in several ways: ${[...new Set(reasons)].join(', ')}`);
  });
});
