import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DROP_REASONS } from '../../src/protocols/index.ts';
import { ipAddressEquals, parseIpAddress, type IpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import { decodeIpPacket, type Datagram } from '../../src/wire/ip-packet.ts';
import {
  acceptVrrpAdvert,
  VRRP_DROP_REASONS,
  type VrrpAcceptance,
  type VrrpAcceptanceContext,
  type VrrpDropReason,
  type VrrpGroupAcceptance,
} from '../../src/protocols/vrrp/vrrp-acceptance.ts';
import { VRRP_GROUP_V4, VRRP_GROUP_V6, type VrrpChecksumVariant } from '../../src/protocols/vrrp/vrrp-checksum.ts';
import { encodeVrrpHeader, type VrrpHeaderFields } from '../../src/protocols/vrrp/vrrp-header.ts';
import { fixtureIpPackets } from '../helpers/fixtures.ts';
import { PCAPS } from '../fixtures/carp-vectors.ts';
import { K1 } from '../fixtures/vrrp-vectors.ts';

/** The receiving node is K1's node B (192.0.2.2, fe80::2) with VRID 7 in both families. */
const A = parseIpAddress('192.0.2.1');
const B = parseIpAddress('192.0.2.2');
const A6 = parseIpAddress('fe80::1');
const B6 = parseIpAddress('fe80::2');
const VIP = parseIpAddress(K1.address);
const VIP2 = parseIpAddress('192.0.2.101');
const VIP6 = parseIpAddress('2001:db8::100');
const OWN: readonly IpAddress[] = [B, B6];

function groupWith(overrides: Partial<VrrpGroupAcceptance> = {}, family: IpFamily = 4): VrrpGroupAcceptance {
  return { checksumMode: 'compatible', requireTtl255ForUnicast: true, advertInterval: 100, addresses: family === 4 ? [VIP] : [VIP6], ...overrides };
}

/** A node with these groups by family and VRID (default: VRID 7 over IPv4 and IPv6). */
function node(groups: { family: IpFamily; vrid: number; group: VrrpGroupAcceptance }[] = [
  { family: 4, vrid: 7, group: groupWith() },
  { family: 6, vrid: 7, group: groupWith({}, 6) },
]): VrrpAcceptanceContext {
  return {
    group: (family, vrid) => groups.find((g) => g.family === family && g.vrid === vrid)?.group,
    isOwnAddress: (address) => OWN.some((own) => ipAddressEquals(own, address)),
  };
}
const NODE = node();

interface AdvertOptions {
  readonly fields?: Partial<VrrpHeaderFields>;
  readonly family?: IpFamily;
  readonly source?: IpAddress;
  readonly destination?: IpAddress;
  readonly ttl?: number;
  readonly protocol?: number;
  readonly variant?: VrrpChecksumVariant;
}

/** A valid advert from A (priority 150, as K1's master) to the group, with overrides. */
function advert(options: AdvertOptions = {}): Datagram {
  const family = options.family ?? 4;
  const source = options.source ?? (family === 4 ? A : A6);
  const destination = options.destination ?? (family === 4 ? VRRP_GROUP_V4 : VRRP_GROUP_V6);
  const fields: VrrpHeaderFields = { vrid: 7, priority: 150, maxAdvertInterval: 100, addresses: family === 4 ? [VIP] : [VIP6], ...options.fields };
  const payload = encodeVrrpHeader(fields, { source, destination }, options.variant);
  return { family, source, destination, ttl: options.ttl ?? 255, protocol: options.protocol ?? 112, payload };
}

function withPayload(datagram: Datagram, edit: (payload: Uint8Array) => Uint8Array): Datagram {
  return { ...datagram, payload: edit(Uint8Array.from(datagram.payload)) };
}

function outcome(result: VrrpAcceptance): string {
  return result.ok ? 'ok' : result.reason;
}

/** The first VRRP payload of a capture, in a datagram addressed as captured. */
function captured(name: string): Datagram {
  const first = fixtureIpPackets(name).map(({ ip }) => decodeIpPacket(ip)).find((d) => d.ok && d.value.protocol === 112);
  assert.ok(first?.ok);
  return first.value;
}

describe('acceptVrrpAdvert: one reason per check, in order', () => {
  const cases: { name: string; datagram: Datagram; context?: VrrpAcceptanceContext; want: VrrpDropReason | 'ok'; vrid?: number }[] = [
    { name: 'ok, IPv4 advert from the master', datagram: advert(), want: 'ok' },
    { name: 'ok, IPv6 advert', datagram: advert({ family: 6 }), want: 'ok' },
    { name: 'bad, not protocol 112', datagram: advert({ protocol: 17 }), want: 'wrong-protocol' },
    { name: 'bad, TTL 254 to the group', datagram: advert({ ttl: 254 }), want: 'bad-ttl', vrid: 7 },
    { name: 'bad, hop limit 1 to ff02::12', datagram: advert({ family: 6, ttl: 1 }), want: 'bad-ttl', vrid: 7 },
    { name: 'bad, TTL 64 unicast to a group that wants 255', datagram: advert({ destination: B, ttl: 64 }), want: 'bad-ttl', vrid: 7 },
    {
      name: 'ok, TTL 64 unicast to a group that allows it (keepalived unicast peers)',
      datagram: advert({ destination: B, ttl: 64 }),
      context: node([{ family: 4, vrid: 7, group: groupWith({ requireTtl255ForUnicast: false }) }]),
      want: 'ok',
    },
    { name: 'bad, TTL 64 to the group even where unicast may have any', datagram: advert({ ttl: 64 }), context: node([{ family: 4, vrid: 7, group: groupWith({ requireTtl255ForUnicast: false }) }]), want: 'bad-ttl', vrid: 7 },
    { name: 'bad, 7 bytes', datagram: withPayload(advert(), (p) => p.subarray(0, 7)), want: 'short', vrid: 7 },
    { name: 'bad, empty payload', datagram: withPayload(advert(), () => new Uint8Array(0)), want: 'short' },
    { name: 'bad, a CARP advert (ucarp capture)', datagram: captured(PCAPS.ucarp), want: 'carp', vrid: 7 },
    { name: 'bad, a VRRPv2 advert (keepalived capture)', datagram: captured(PCAPS.vrrpV2), want: 'vrrp-v2', vrid: 7 },
    { name: 'bad, a VRRPv2 advert with a password (keepalived capture)', datagram: captured(PCAPS.vrrpV2AuthPass), want: 'vrrp-v2', vrid: 7 },
    { name: 'bad, version 4', datagram: advert({ fields: { version: 4 } }), want: 'bad-version', vrid: 7 },
    { name: 'bad, version 1', datagram: advert({ fields: { version: 1 } }), want: 'bad-version', vrid: 7 },
    { name: 'bad, type 2', datagram: advert({ fields: { type: 2 } }), want: 'bad-type', vrid: 7 },
    { name: 'bad, count 2 with one address', datagram: withPayload(advert(), (p) => ((p[3] = 2), p)), want: 'bad-length', vrid: 7 },
    { name: 'bad, a trailing byte', datagram: withPayload(advert(), (p) => Uint8Array.from([...p, 0])), want: 'bad-length', vrid: 7 },
    { name: 'bad, an IPv4-sized message over IPv6', datagram: { ...advert({ family: 6 }), payload: advert().payload }, want: 'bad-length', vrid: 7 },
    { name: 'bad, a flipped bit', datagram: withPayload(advert(), (p) => ((p[2] = (p[2] as number) ^ 1), p)), want: 'bad-checksum', vrid: 7 },
    { name: 'bad, a flipped bit for an unknown VRID is still bad-checksum', datagram: withPayload(advert({ fields: { vrid: 9 } }), (p) => ((p[11] = (p[11] as number) ^ 1), p)), want: 'bad-checksum', vrid: 9 },
    {
      name: 'bad, no pseudo-header in a strict group',
      datagram: advert({ variant: 'no-pseudo-header' }),
      context: node([{ family: 4, vrid: 7, group: groupWith({ checksumMode: 'strict' }) }]),
      want: 'bad-checksum',
      vrid: 7,
    },
    {
      name: 'bad, the group address summed on a unicast copy, in a strict group',
      datagram: advert({ destination: B, variant: 'pseudo-header-group' }),
      context: node([{ family: 4, vrid: 7, group: groupWith({ checksumMode: 'strict' }) }]),
      want: 'bad-checksum',
      vrid: 7,
    },
    { name: 'ok, no pseudo-header in a compatible group', datagram: advert({ variant: 'no-pseudo-header' }), want: 'ok' },
    { name: 'ok, the group address summed on a unicast copy, in a compatible group', datagram: advert({ destination: B, variant: 'pseudo-header-group' }), want: 'ok' },
    { name: 'bad, VRID 8 is not configured', datagram: advert({ fields: { vrid: 8 } }), want: 'unknown-vhid', vrid: 8 },
    { name: 'bad, VRID 8 without a pseudo-header is still unknown-vhid', datagram: advert({ fields: { vrid: 8 }, variant: 'no-pseudo-header' }), want: 'unknown-vhid', vrid: 8 },
    { name: 'bad, VRID 7 over IPv6 where only IPv4 has it', datagram: advert({ family: 6 }), context: node([{ family: 4, vrid: 7, group: groupWith() }]), want: 'unknown-vhid', vrid: 7 },
    { name: 'bad, Max Advertisement Interval 0', datagram: advert({ fields: { maxAdvertInterval: 0 } }), want: 'bad-interval', vrid: 7 },
    {
      name: 'bad, a source outside the unicast peer list',
      datagram: advert({ destination: B }),
      context: node([{ family: 4, vrid: 7, group: groupWith({ allowedSources: [parseIpAddress('192.0.2.3')] }) }]),
      want: 'unexpected-source',
      vrid: 7,
    },
    { name: 'ok, a listed unicast peer', datagram: advert({ destination: B }), context: node([{ family: 4, vrid: 7, group: groupWith({ allowedSources: [A] }) }]), want: 'ok' },
    { name: 'bad, our own advert came back', datagram: advert({ source: B }), want: 'own-advert', vrid: 7 },
    { name: 'bad, our own IPv6 advert came back', datagram: advert({ family: 6, source: B6 }), want: 'own-advert', vrid: 7 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = acceptVrrpAdvert(c.datagram, c.context ?? NODE);
      assert.equal(outcome(result), c.want);
      if (!result.ok) assert.equal(result.vrid, c.vrid);
    });
  }

  it('ok, the table covers every VRRP drop reason, and each is a DropReason', () => {
    const covered = new Set(cases.map((c) => c.want));
    for (const reason of VRRP_DROP_REASONS) {
      assert.ok(covered.has(reason), `no case for ${reason}`);
      assert.ok((DROP_REASONS as readonly string[]).includes(reason));
    }
  });
});

describe('acceptVrrpAdvert: what an accepted advert carries', () => {
  it('ok, the header, the group and the checksum variant', () => {
    const group = groupWith();
    const result = acceptVrrpAdvert(advert({ destination: B, variant: 'pseudo-header-group' }), node([{ family: 4, vrid: 7, group }]));
    assert.ok(result.ok);
    assert.equal(result.advert.group, group);
    assert.equal(result.advert.header.priority, 150);
    assert.equal(result.advert.checksumVariant, 'pseudo-header-group');
    assert.deepEqual(result.advert.mismatch, { interval: false, addresses: false });
  });

  const mismatches: { name: string; fields: Partial<VrrpHeaderFields>; want: { interval: boolean; addresses: boolean } }[] = [
    { name: 'ok, another interval is flagged, not dropped (keepalived logs it; RFC 5798 §6.4.2 adopts it)', fields: { maxAdvertInterval: 200 }, want: { interval: true, addresses: false } },
    { name: 'ok, another address is flagged, not dropped (keepalived and FRR log it)', fields: { addresses: [VIP2] }, want: { interval: false, addresses: true } },
    { name: 'ok, an extra address is flagged', fields: { addresses: [VIP, VIP2] }, want: { interval: false, addresses: true } },
    { name: 'ok, no address at all is flagged', fields: { addresses: [] }, want: { interval: false, addresses: true } },
    { name: 'ok, both at once', fields: { maxAdvertInterval: 1, addresses: [VIP2] }, want: { interval: true, addresses: true } },
  ];
  for (const c of mismatches) {
    it(c.name, () => {
      const result = acceptVrrpAdvert(advert({ fields: c.fields }), NODE);
      assert.ok(result.ok, outcome(result));
      assert.deepEqual(result.advert.mismatch, c.want);
    });
  }

  it('ok, the same addresses in another order are no mismatch', () => {
    const context = node([{ family: 4, vrid: 7, group: groupWith({ addresses: [VIP, VIP2] }) }]);
    const result = acceptVrrpAdvert(advert({ fields: { addresses: [VIP2, VIP] } }), context);
    assert.ok(result.ok);
    assert.equal(result.advert.mismatch.addresses, false);
  });

  it('ok, priority 0 (a master resigning) is accepted: the state machine acts on it', () => {
    assert.equal(outcome(acceptVrrpAdvert(advert({ fields: { priority: 0 } }), NODE)), 'ok');
  });
});

describe('acceptVrrpAdvert on the captures', () => {
  it('ok, node B accepts every advert of A, drops its own as own-advert, and sees the pseudo-header variant', () => {
    const outcomes = fixtureIpPackets(PCAPS.vrrpV3).map(({ frame, ip }) => {
      const datagram = decodeIpPacket(ip);
      assert.ok(datagram.ok);
      const result = acceptVrrpAdvert(datagram.value, NODE);
      if (result.ok) {
        assert.equal(result.advert.checksumVariant, 'pseudo-header');
        assert.deepEqual(result.advert.mismatch, { interval: false, addresses: false });
      }
      return `${frame}:${outcome(result)}`;
    });
    const want = K1.adverts.map((a) => `${a.frame}:${a.source === '192.0.2.1' ? 'ok' : 'own-advert'}`);
    assert.deepEqual(outcomes, want);
  });

  it('ok, a strict group accepts them too (keepalived sums the real destination)', () => {
    const strict = node([{ family: 4, vrid: 7, group: groupWith({ checksumMode: 'strict' }) }]);
    for (const { ip } of fixtureIpPackets(PCAPS.vrrpV3)) {
      const datagram = decodeIpPacket(ip);
      assert.ok(datagram.ok);
      if (datagram.value.source.text === '192.0.2.1') assert.equal(outcome(acceptVrrpAdvert(datagram.value, strict)), 'ok');
    }
  });

  it('bad, every packet of the VRRPv2 captures is vrrp-v2, every ucarp advert carp', () => {
    for (const [name, reason] of [[PCAPS.vrrpV2, 'vrrp-v2'], [PCAPS.vrrpV2AuthPass, 'vrrp-v2'], [PCAPS.ucarp, 'carp']] as const) {
      for (const { frame, ip } of fixtureIpPackets(name)) {
        const datagram = decodeIpPacket(ip);
        if (!datagram.ok || datagram.value.protocol !== 112) continue;
        assert.equal(outcome(acceptVrrpAdvert(datagram.value, NODE)), reason, `${name} frame ${frame}`);
      }
    }
  });
});

describe('acceptVrrpAdvert properties', () => {
  const family = fc.constantFrom(4 as const, 6 as const);
  const fields = fc.record({
    priority: fc.integer({ min: 0, max: 255 }),
    maxAdvertInterval: fc.integer({ min: 1, max: 4095 }),
    reserved: fc.integer({ min: 0, max: 15 }),
  });

  it('property: any single-byte change is dropped with a VRRP reason, or accepted as a different header; never a throw', () => {
    fc.assert(
      fc.property(family, fields, fc.nat(), fc.integer({ min: 1, max: 255 }), (f, chosen, at, xor) => {
        const original = advert({ family: f, fields: chosen });
        const mutated = withPayload(original, (p) => {
          p[at % p.length] = (p[at % p.length] as number) ^ xor;
          return p;
        });
        const result = acceptVrrpAdvert(mutated, NODE);
        if (!result.ok) {
          assert.ok((VRRP_DROP_REASONS as readonly string[]).includes(result.reason), result.reason);
          return;
        }
        const before = acceptVrrpAdvert(original, NODE);
        assert.ok(before.ok);
        assert.notDeepEqual(headerText(result.advert.header), headerText(before.advert.header));
      }),
      { numRuns: 500 },
    );
  });
});

function headerText(header: { addresses: readonly IpAddress[] }): string {
  return JSON.stringify({ ...header, addresses: header.addresses.map((a) => a.text) });
}
