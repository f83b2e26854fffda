import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipPacketFromLinkLayer, readPcap } from '../../src/capture/pcap.ts';
import { decodeCarpHeader } from '../../src/protocols/carp/carp-header.ts';
import type { DecodeErrorCode } from '../../src/wire/decode-result.ts';
import { decodeIpPacket } from '../../src/wire/ip-packet.ts';
import { classifyProtocol112 } from '../../src/protocols/protocol-112.ts';
import { hexBytes } from '../helpers/bytes.ts';
import { runMutationFuzzer } from './mutation-fuzzer.ts';

const DECODE_ERROR_CODES: readonly DecodeErrorCode[] = [
  'short',
  'bad-ip-version',
  'bad-ip-header-length',
  'bad-ip-total-length',
  'bad-ip-checksum',
  'unsupported-ipv6-extension',
  'bad-pcap',
  'unsupported-link-type',
];

/** Asserts a decode result is a value or one of the closed error codes. */
function assertTyped(result: { ok: boolean; error?: { code: string } }): void {
  if (!result.ok) assert.ok(DECODE_ERROR_CODES.includes(result.error?.code as DecodeErrorCode), result.error?.code);
}

/** A pcap file header (little-endian, µs, Ethernet) so random records get past the magic. */
const pcapHeader = hexBytes('d4c3b2a1 0200 0400 00000000 00000000 00000400 01000000');

describe('decoders on random bytes', () => {
  it('property: random bytes never throw from decodeIpPacket / decodeCarpHeader / classifyProtocol112 / readPcap', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        assertTyped(decodeIpPacket(bytes));
        assertTyped(decodeCarpHeader(bytes));
        classifyProtocol112(bytes);
        assertTyped(readPcap(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: random IP-looking bytes (version 4 or 6 first) decode to a value or a typed error', () => {
    const ipLike = fc.tuple(fc.constantFrom(0x45, 0x46, 0x4f, 0x60, 0x6f), fc.uint8Array({ maxLength: 120 }));
    fc.assert(
      fc.property(ipLike, ([first, rest]) => assertTyped(decodeIpPacket(Uint8Array.of(first, ...rest)))),
      { numRuns: 2000 },
    );
  });

  it('property: random records after a valid pcap header never throw, nor does the link layer', () => {
    const linkType = fc.constantFrom(0, 1, 12, 14, 101, 113, 228, 229, 276, 0xffff);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), linkType, (tail, link) => {
        const result = readPcap(Uint8Array.from([...pcapHeader, ...tail]));
        assertTyped(result);
        if (result.ok) for (const record of result.value) ipPacketFromLinkLayer(record.linkType, record.data);
        const ip = ipPacketFromLinkLayer(link, tail);
        if (ip !== undefined) assertTyped(decodeIpPacket(ip));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('seeded mutation fuzzer over the captures', () => {
  const cases = Number(process.env.CARPD_FUZZ_CASES ?? 20_000);
  it(`${cases} mutated packets and pcaps: no throw, decode → encode → decode round trips, acceptance typed, no forgery accepted`, () => {
    const report = runMutationFuzzer({ cases });
    assert.deepEqual(report.failures, []);
    // The mutations must reach every layer, or the run proves little.
    if (cases >= 1000) {
      assert.ok(report.ipDecoded > cases / 10, `only ${report.ipDecoded} IP packets decoded`);
      assert.ok(report.carpDecoded > cases / 10, `only ${report.carpDecoded} CARP headers decoded`);
      assert.ok(report.pcapsRead > 0, 'no mutated pcap was readable');
      // ... including the acceptance path's later checks: the vhid lookup and the HMAC.
      for (const outcome of ['accepted', 'bad-auth', 'unknown-vhid', 'bad-checksum', 'bad-ttl', 'vrrp']) {
        assert.ok((report.acceptance[outcome] ?? 0) > 0, `no mutant ended as '${outcome}': ${JSON.stringify(report.acceptance)}`);
      }
    }
  });
});

/**
 * Inputs worth keeping: the shapes the fuzzer found interesting while the decoders were written
 * (each broke a deliberately weakened decoder). Each must decode to exactly this code.
 */
describe('regressions', () => {
  const cases: { name: string; hex: string; want: DecodeErrorCode | 'ok' }[] = [
    {
      name: 'IPv6 destination-options header whose length runs past the payload',
      hex: '60000000001100fffe800000000000000000000000000001ff020000000000000000000000000012' + '2b000104000000003c0001040000008070',
      want: 'short',
    },
    {
      name: 'IPv6 hop-by-hop announced with payload length 0',
      hex: '60000000000000fffe800000000000000000000000000001ff0200004e95eb1135098d1d658d1d65',
      want: 'short',
    },
    {
      name: 'IPv4 total length larger than the bytes present (payload must not be clamped)',
      hex: '45100038f3864000ff70e5aac0000201e000001221070007e545f6163dffdf0a845dc3155fce0c06be39fc6024fafab86b',
      want: 'bad-ip-total-length',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = decodeIpPacket(hexBytes(c.hex));
      assert.equal(result.ok ? 'ok' : result.error.code, c.want);
    });
  }
});
