import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CARP_HEADER_LENGTH,
  carpChecksumValid,
  decodeCarpHeader,
  encodeCarpHeader,
  isBowOut,
} from '../../src/protocols/carp/carp-header.ts';
import type { CarpHeader, CarpHeaderFields } from '../../src/protocols/carp/carp-header.ts';
import { decodeIpPacket } from '../../src/wire/ip-packet.ts';
import { hexBytes, toHex } from '../helpers/bytes.ts';
import { fixtureIpPackets } from '../helpers/fixtures.ts';
import { PCAPS, T1, T2, V1 } from '../fixtures/carp-vectors.ts';

/** Decodes or fails the test. */
function mustDecode(payload: Uint8Array): CarpHeader {
  const result = decodeCarpHeader(payload);
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.detail}`);
  return result.value;
}

/** The fields of a decoded header that a sender chooses (everything but the checksum). */
function fieldsOf(header: CarpHeader): CarpHeaderFields {
  const { checksum: _checksum, ...fields } = header;
  return fields;
}

describe('encodeCarpHeader', () => {
  it('ok, golden T2 IPv4-only header (docs/protocol-carp.md "Test vectors")', () => {
    const encoded = encodeCarpHeader({
      vhid: T2.vhid,
      advskew: 0,
      demote: 0,
      advbase: 1,
      counter: T2.counter,
      digest: hexBytes(T2.ipv4Only.digest),
    });
    const want = hexBytes(`
      21                                        # version 2, type 1 (advertisement)
      07                                        # vhid 7
      00                                        # advskew 0
      07                                        # authlen 7
      00                                        # demote 0
      01                                        # advbase 1
      6398                                      # checksum
      0000000000000001                          # counter 1
      8cd6d3312407dc33c8ccdcbb3d30d59505c25d03  # HMAC-SHA1 digest
    `);
    assert.equal(toHex(encoded), toHex(want));
    assert.equal(toHex(encoded), toHex(hexBytes(T2.ipv4Only.header)));
  });

  it('ok, reproduces the captured ucarp header T1 byte for byte', () => {
    const encoded = encodeCarpHeader({
      vhid: T1.vhid,
      advskew: T1.advskew,
      demote: 0,
      advbase: T1.advbase,
      counter: T1.counter,
      digest: hexBytes(T1.digest),
    });
    assert.equal(toHex(encoded), toHex(hexBytes(T1.header)));
  });

  it('ok, non-default version, type and authlen are written as given', () => {
    const encoded = encodeCarpHeader({
      version: 3,
      type: 2,
      authlen: 0,
      vhid: 1,
      advskew: 0,
      demote: 0,
      advbase: 1,
      counter: 0n,
      digest: new Uint8Array(20),
    });
    assert.equal(encoded[0], 0x32);
    assert.equal(encoded[3], 0);
    assert.ok(carpChecksumValid(encoded));
  });

  const base: CarpHeaderFields = { vhid: 1, advskew: 0, demote: 0, advbase: 1, counter: 0n, digest: new Uint8Array(20) };
  const bad: { name: string; fields: CarpHeaderFields }[] = [
    { name: 'bad, vhid 256', fields: { ...base, vhid: 256 } },
    { name: 'bad, negative advskew', fields: { ...base, advskew: -1 } },
    { name: 'bad, fractional advbase', fields: { ...base, advbase: 1.5 } },
    { name: 'bad, version 16', fields: { ...base, version: 16 } },
    { name: 'bad, counter 2^64', fields: { ...base, counter: 1n << 64n } },
    { name: 'bad, negative counter', fields: { ...base, counter: -1n } },
    { name: 'bad, 19-byte digest', fields: { ...base, digest: new Uint8Array(19) } },
  ];
  for (const c of bad) {
    it(c.name, () => assert.throws(() => encodeCarpHeader(c.fields), RangeError));
  }
});

describe('decodeCarpHeader', () => {
  it('ok, T1 fields', () => {
    const header = mustDecode(hexBytes(T1.header));
    assert.deepEqual(
      { ...header, digest: toHex(header.digest) },
      {
        version: 2,
        type: 1,
        vhid: 7,
        advskew: 20,
        authlen: 7,
        demote: 0,
        advbase: 1,
        checksum: T1.checksum,
        counter: T1.counter,
        digest: T1.digest,
      },
    );
  });

  const short: { name: string; length: number }[] = [
    { name: 'bad, empty buffer', length: 0 },
    { name: 'bad, short buffer (35 bytes)', length: 35 },
    { name: 'bad, VRRPv2 sized (20 bytes)', length: 20 },
  ];
  for (const c of short) {
    it(c.name, () => {
      const result = decodeCarpHeader(new Uint8Array(c.length).fill(0x21));
      assert.equal(result.ok, false);
      assert.equal(result.ok ? undefined : result.error.code, 'short');
    });
  }

  it('ok, trailing bytes are ignored (OpenBSD/FreeBSD read only 36)', () => {
    const padded = Uint8Array.from([...hexBytes(T1.header), 0xde, 0xad, 0xbe, 0xef]);
    assert.deepEqual(mustDecode(padded), mustDecode(hexBytes(T1.header)));
    assert.ok(carpChecksumValid(padded));
  });

  it('ok, the digest is a copy, not a view of the receive buffer', () => {
    const buffer = hexBytes(T1.header);
    const header = mustDecode(buffer);
    buffer.fill(0);
    assert.equal(toHex(header.digest), T1.digest);
  });

  it('ok, decodes at a non-zero byte offset', () => {
    const backing = new Uint8Array(100);
    backing.set(hexBytes(T1.header), 13);
    assert.equal(mustDecode(backing.subarray(13, 49)).counter, T1.counter);
  });

  it('ok, every ucarp advert in the capture decodes and re-encodes to the same bytes', () => {
    const packets = fixtureIpPackets(PCAPS.ucarp);
    const frames: number[] = [];
    for (const { frame, ip } of packets) {
      const datagram = decodeIpPacket(ip);
      assert.ok(datagram.ok);
      if (datagram.value.protocol !== 112) continue;
      frames.push(frame);
      const header = mustDecode(datagram.value.payload);
      assert.equal(header.version, 2);
      assert.equal(header.type, 1);
      assert.equal(header.vhid, V1.vhid);
      assert.equal(header.authlen, 7);
      assert.equal(header.demote, 0);
      assert.equal(header.advbase, 1);
      assert.ok(header.advskew === 0 || header.advskew === 50, `frame ${frame} advskew ${header.advskew}`);
      assert.ok(carpChecksumValid(datagram.value.payload), `frame ${frame} checksum`);
      assert.equal(toHex(encodeCarpHeader(fieldsOf(header))), toHex(datagram.value.payload));
    }
    assert.deepEqual(frames, [...V1.advertFrames]);
  });
});

describe('carpChecksumValid', () => {
  it('ok, T1', () => assert.equal(carpChecksumValid(hexBytes(T1.header)), true));
  it('bad, one flipped bit in the digest', () => {
    const bytes = hexBytes(T1.header);
    bytes[35] = (bytes[35] as number) ^ 0x01;
    assert.equal(carpChecksumValid(bytes), false);
  });
  it('bad, short buffer', () => assert.equal(carpChecksumValid(hexBytes(T1.header).subarray(0, 35)), false));
});

describe('isBowOut', () => {
  const cases = [
    { name: 'ok, 255/255 is a bow-out', advbase: 255, advskew: 255, want: true },
    { name: 'ok, advbase 255 alone is not', advbase: 255, advskew: 0, want: false },
    { name: 'ok, advskew 255 alone is not', advbase: 1, advskew: 255, want: false },
    { name: 'ok, an ordinary advert is not', advbase: 1, advskew: 0, want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(isBowOut(c), c.want));
});

describe('CARP header round trip', () => {
  const arbitraryFields = fc.record({
    version: fc.integer({ min: 0, max: 15 }),
    type: fc.integer({ min: 0, max: 15 }),
    vhid: fc.integer({ min: 0, max: 255 }),
    advskew: fc.integer({ min: 0, max: 255 }),
    authlen: fc.integer({ min: 0, max: 255 }),
    demote: fc.integer({ min: 0, max: 255 }),
    advbase: fc.integer({ min: 0, max: 255 }),
    counter: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    digest: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  });

  it('property: encode → decode gives back the fields and a valid checksum', () => {
    fc.assert(
      fc.property(arbitraryFields, (fields) => {
        const bytes = encodeCarpHeader(fields);
        assert.equal(bytes.length, CARP_HEADER_LENGTH);
        assert.ok(carpChecksumValid(bytes));
        const header = mustDecode(bytes);
        assert.deepEqual({ ...fieldsOf(header), digest: toHex(header.digest) }, { ...fields, digest: toHex(fields.digest) });
      }),
    );
  });

  it('property: any 36 bytes survive decode → encode except for the recomputed checksum', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 36, maxLength: 36 }), (bytes) => {
        const encoded = encodeCarpHeader(fieldsOf(mustDecode(bytes)));
        assert.equal(toHex(encoded.subarray(0, 6)), toHex(bytes.subarray(0, 6)));
        assert.equal(toHex(encoded.subarray(8)), toHex(bytes.subarray(8)));
        assert.ok(carpChecksumValid(encoded));
        // One's complement has two zeros: a field of 0xffff can verify where encode writes 0x0000.
        const header = mustDecode(bytes);
        if (carpChecksumValid(bytes) && header.checksum !== 0xffff) assert.equal(toHex(encoded), toHex(bytes));
      }),
    );
  });
});
