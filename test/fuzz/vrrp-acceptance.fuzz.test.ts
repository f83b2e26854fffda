/**
 * Properties of VRRPv3 acceptance (acceptVrrpAdvert, checks 1–11) over random datagrams, random
 * well-formed adverts and mutated valid ones:
 *   - never throws; the outcome is ok or a reason from the closed VRRP_DROP_REASONS set;
 *   - whatever is accepted is sound: it decodes, its checksum verifies under a variant its group
 *     accepts, its VRID is configured for its family, its interval is not 0, it is not ours;
 *   - well-formed adverts get the outcome a small reference model predicts, flags included.
 *
 * Seeded and sized by env: CARPD_FUZZ_CASES (default 2,000 per property), CARPD_FUZZ_SEED.
 * No clock is read: the same seed and count give the same inputs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipAddressEquals, ipAddressFromBytes, parseIpAddress, type IpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import type { Datagram } from '../../src/wire/ip-packet.ts';
import {
  acceptVrrpAdvert,
  VRRP_DROP_REASONS,
  type VrrpAcceptance,
  type VrrpAcceptanceContext,
  type VrrpGroupAcceptance,
} from '../../src/protocols/vrrp/vrrp-acceptance.ts';
import {
  acceptedVrrpChecksumVariants,
  computeVrrpChecksum,
  vrrpChecksumVariantsFor,
  vrrpChecksumVerifies,
  VRRP_GROUP_V4,
  VRRP_GROUP_V6,
  type VrrpChecksumMode,
} from '../../src/protocols/vrrp/vrrp-checksum.ts';
import { decodeVrrpHeader, encodeVrrpHeader } from '../../src/protocols/vrrp/vrrp-header.ts';

const CASES = Number(process.env.CARPD_FUZZ_CASES ?? 2_000);
const SEED = Number(process.env.CARPD_FUZZ_SEED ?? 0x7e7e3);
const PARAMETERS = { numRuns: CASES, seed: SEED };

const VRID = 7;
const OWN: readonly IpAddress[] = [parseIpAddress('198.51.100.11'), parseIpAddress('fe80::11')];
const PEER: Record<IpFamily, IpAddress> = { 4: parseIpAddress('198.51.100.10'), 6: parseIpAddress('fe80::10') };
const GROUP_ADDRESS: Record<IpFamily, IpAddress> = { 4: VRRP_GROUP_V4, 6: VRRP_GROUP_V6 };
const VIPS: Record<IpFamily, readonly IpAddress[]> = {
  4: [parseIpAddress('198.51.100.140'), parseIpAddress('198.51.100.141')],
  6: [parseIpAddress('2001:db8::140')],
};
const INTERVAL = 100;

/** A node with VRID 7 in both families, in the given checksum mode. */
function nodeWith(mode: VrrpChecksumMode, requireTtl255ForUnicast = true): VrrpAcceptanceContext {
  const groups: Record<IpFamily, VrrpGroupAcceptance> = {
    4: { checksumMode: mode, requireTtl255ForUnicast, advertInterval: INTERVAL, addresses: VIPS[4] },
    6: { checksumMode: mode, requireTtl255ForUnicast, advertInterval: INTERVAL, addresses: VIPS[6] },
  };
  return { group: (family, vrid) => (vrid === VRID ? groups[family] : undefined), isOwnAddress: (a) => OWN.some((o) => ipAddressEquals(o, a)) };
}
const NODES = { strict: nodeWith('strict'), compatible: nodeWith('compatible') } as const;

/** Runs acceptance and checks what holds for every outcome; returns it. */
function acceptSoundly(datagram: Datagram, context: VrrpAcceptanceContext): VrrpAcceptance {
  const result = acceptVrrpAdvert(datagram, context);
  if (!result.ok) {
    assert.ok((VRRP_DROP_REASONS as readonly string[]).includes(result.reason), `unknown reason ${result.reason}`);
    return result;
  }
  const { header, group, checksumVariant } = result.advert;
  const again = decodeVrrpHeader(datagram.payload, datagram.family);
  assert.ok(again.ok, 'an accepted payload decodes');
  assert.equal(header.version, 3);
  assert.equal(header.type, 1);
  assert.notEqual(header.maxAdvertInterval, 0);
  assert.equal(context.group(datagram.family, header.vrid), group);
  assert.ok(acceptedVrrpChecksumVariants(group.checksumMode, datagram.family).includes(checksumVariant));
  assert.ok(vrrpChecksumVerifies(datagram.payload, datagram, checksumVariant));
  assert.equal(context.isOwnAddress(datagram.source), false);
  return result;
}

const byte = fc.integer({ min: 0, max: 255 });
const family = fc.constantFrom(4 as const, 6 as const);
const address = (f: IpFamily) => fc.uint8Array({ minLength: f === 4 ? 4 : 16, maxLength: f === 4 ? 4 : 16 }).map(ipAddressFromBytes);
const mode = fc.constantFrom('strict' as const, 'compatible' as const);

/** A well-formed advert for VRID 7 (or a neighbour VRID) with a random checksum variant of its family. */
const wellFormed = family.chain((f) =>
  fc.record({
    family: fc.constant(f),
    vrid: fc.constantFrom(VRID, VRID, VRID, 8),
    priority: byte,
    reserved: fc.integer({ min: 0, max: 15 }),
    maxAdvertInterval: fc.oneof(fc.constant(INTERVAL), fc.integer({ min: 0, max: 4095 })),
    addresses: fc.oneof(fc.constant(VIPS[f]), fc.constant([...VIPS[f]].reverse()), fc.array(address(f), { maxLength: 5 })),
    source: fc.oneof(fc.constant(PEER[f]), fc.constant(OWN[f === 4 ? 0 : 1] as IpAddress), address(f)),
    destination: fc.oneof(fc.constant(GROUP_ADDRESS[f]), fc.constant(OWN[f === 4 ? 0 : 1] as IpAddress), address(f)),
    variant: fc.constantFrom(...vrrpChecksumVariantsFor(f)),
    ttl: fc.oneof(fc.constant(255), byte),
  }),
);

function datagramOf(a: { family: IpFamily; source: IpAddress; destination: IpAddress; ttl: number }, payload: Uint8Array): Datagram {
  return { family: a.family, source: a.source, destination: a.destination, ttl: a.ttl, protocol: 112, payload };
}

describe(`VRRP acceptance fuzz (${CASES} cases per property, seed ${SEED})`, () => {
  it('property: random datagrams never throw and end in ok (soundly) or a closed drop reason', () => {
    const datagram = family.chain((f) =>
      fc.record({
        family: fc.constant(f),
        source: address(f),
        destination: fc.oneof(fc.constant(GROUP_ADDRESS[f]), address(f)),
        ttl: fc.oneof(fc.constant(255), byte),
        protocol: fc.oneof(fc.constant(112), byte),
        // Random bytes, and random bytes behind a VRRPv3 first byte and VRID 7.
        payload: fc.oneof(fc.uint8Array({ maxLength: 90 }), fc.uint8Array({ minLength: 2, maxLength: 90 }).map((p) => ((p[0] = 0x31), (p[1] = VRID), p))),
      }),
    );
    fc.assert(fc.property(datagram, mode, (d, m) => void acceptSoundly(d, NODES[m])), PARAMETERS);
  });

  it('property: well-formed adverts get the outcome the reference model predicts', () => {
    fc.assert(
      fc.property(wellFormed, mode, fc.boolean(), (a, m, ttlForUnicast) => {
        const endpoints = { source: a.source, destination: a.destination };
        const payload = encodeVrrpHeader(a, endpoints, a.variant);
        const result = acceptSoundly(datagramOf(a, payload), nodeWith(m, ttlForUnicast));
        // The model, in the documented order. A variant passes when it, or another variant whose
        // sum happens to be the same for these endpoints, is one the group takes.
        const sum = computeVrrpChecksum(payload, endpoints, a.variant);
        const checksumOk = (accepted: readonly string[]): boolean =>
          vrrpChecksumVariantsFor(a.family).some((v) => accepted.includes(v) && computeVrrpChecksum(payload, endpoints, v) === sum);
        const known = a.vrid === VRID;
        const ttlChecked = isMulticastModel(a.destination) || !known || ttlForUnicast;
        const want =
          ttlChecked && a.ttl !== 255 ? 'bad-ttl'
          : !checksumOk(known ? acceptedVrrpChecksumVariants(m, a.family) : vrrpChecksumVariantsFor(a.family)) ? 'bad-checksum'
          : !known ? 'unknown-vhid'
          : a.maxAdvertInterval === 0 ? 'bad-interval'
          : OWN.some((o) => ipAddressEquals(o, a.source)) ? 'own-advert'
          : 'ok';
        assert.equal(result.ok ? 'ok' : result.reason, want);
        if (result.ok) {
          assert.deepEqual(result.advert.mismatch, { interval: a.maxAdvertInterval !== INTERVAL, addresses: !sameSet(a.addresses, VIPS[a.family]) });
        }
      }),
      PARAMETERS,
    );
  });

  it('property: edited, truncated or extended valid adverts are dropped or accepted soundly, with the checksum fixed or not', () => {
    const edits = fc.array(fc.record({ offset: fc.nat({ max: 60 }), value: byte }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(wellFormed, edits, fc.integer({ min: -6, max: 6 }), fc.boolean(), mode, (a, changes, lengthDelta, fix, m) => {
        const endpoints = { source: a.source, destination: a.destination };
        const original = encodeVrrpHeader(a, endpoints, a.variant);
        const payload = new Uint8Array(Math.max(0, original.length + lengthDelta));
        payload.set(original.subarray(0, Math.min(payload.length, original.length)));
        for (const { offset, value } of changes) if (offset < payload.length) payload[offset] = value;
        if (fix && payload.length >= 8) {
          const sum = computeVrrpChecksum(payload, endpoints, a.variant);
          payload[6] = sum >> 8;
          payload[7] = sum & 0xff;
        }
        acceptSoundly(datagramOf(a, payload), NODES[m]);
      }),
      PARAMETERS,
    );
  });
});

/** Multicast by the first byte, written out so the model does not lean on the code under test. */
function isMulticastModel(address: IpAddress): boolean {
  return address.family === 4 ? ((address.bytes[0] as number) & 0xf0) === 0xe0 : address.bytes[0] === 0xff;
}

function sameSet(a: readonly IpAddress[], b: readonly IpAddress[]): boolean {
  const texts = (list: readonly IpAddress[]): string => [...new Set(list.map((x) => x.text))].sort().join(',');
  return texts(a) === texts(b);
}
