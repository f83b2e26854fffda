import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DROP_REASONS } from '../../src/protocols/index.ts';
import { ipAddressEquals, parseIpAddress, type IpAddress } from '../../src/wire/ip-address.ts';
import { decodeIpPacket, type Datagram } from '../../src/wire/ip-packet.ts';
import { acceptVrrpAdvert, VRRP2_DROP_REASONS, type VrrpAcceptanceContext, type VrrpDropReason, type VrrpGroupAcceptance } from '../../src/protocols/vrrp/vrrp-acceptance.ts';
import { VRRP_GROUP_V4 } from '../../src/protocols/vrrp/vrrp-checksum.ts';
import { encodeVrrpHeader } from '../../src/protocols/vrrp/vrrp-header.ts';
import { encodeVrrp2Header, type Vrrp2HeaderFields } from '../../src/protocols/vrrp/vrrp2-header.ts';
import { fixtureIpPackets } from '../helpers/fixtures.ts';
import { PCAPS } from '../fixtures/carp-vectors.ts';

/** Node B (192.0.2.2) of the keepalived captures, running VRID 7 as VRRPv2. */
const A = parseIpAddress('192.0.2.1');
const B = parseIpAddress('192.0.2.2');
const VIP = parseIpAddress('192.0.2.100');
const text = (s: string) => new TextEncoder().encode(s);

function v2Group(overrides: Partial<VrrpGroupAcceptance> = {}): VrrpGroupAcceptance {
  return { version: 2, auth: { type: 'pass', password: text('secret') }, checksumMode: 'compatible', requireTtl255ForUnicast: true, advertInterval: 100, addresses: [VIP], ...overrides };
}

function node(group: VrrpGroupAcceptance = v2Group()): VrrpAcceptanceContext {
  return { group: (family, vrid) => (family === 4 && vrid === 7 ? group : undefined), isOwnAddress: (a: IpAddress) => ipAddressEquals(a, B) };
}

function advert(fields: Partial<Vrrp2HeaderFields> = {}, datagram: Partial<Datagram> = {}): Datagram {
  const payload = encodeVrrp2Header({ vrid: 7, priority: 150, advertIntervalSeconds: 1, addresses: [VIP], authType: 1, authData: text('secret'), ...fields }, { source: datagram.source ?? A, destination: VRRP_GROUP_V4 });
  return { family: 4, source: A, destination: VRRP_GROUP_V4, ttl: 255, protocol: 112, payload, ...datagram };
}

function captured(name: string): Datagram {
  const first = fixtureIpPackets(name).map(({ ip }) => decodeIpPacket(ip)).find((d) => d.ok && d.value.protocol === 112);
  assert.ok(first?.ok);
  return first.value;
}

describe('acceptVrrpAdvert, VRRPv2 group: one reason per check, in order', () => {
  const v3 = encodeVrrpHeader({ vrid: 7, priority: 150, maxAdvertInterval: 100, addresses: [VIP] }, { source: A, destination: VRRP_GROUP_V4 });
  const cases: { name: string; datagram: Datagram; group?: VrrpGroupAcceptance; want: VrrpDropReason | 'ok' }[] = [
    { name: 'ok, keepalived auth_type PASS auth_pass secret (capture)', datagram: captured(PCAPS.vrrpV2AuthPass), want: 'ok' },
    { name: 'ok, keepalived without authentication (capture) to a group without', datagram: captured(PCAPS.vrrpV2), group: v2Group({ auth: { type: 'none' } }), want: 'ok' },
    { name: 'ok, an advert with our password', datagram: advert(), want: 'ok' },
    { name: 'bad, TTL 254', datagram: advert({}, { ttl: 254 }), want: 'bad-ttl' },
    { name: 'bad, 7 bytes', datagram: { ...advert(), payload: advert().payload.subarray(0, 7) }, want: 'short' },
    { name: 'bad, a VRRPv3 advert for the VRID', datagram: { ...advert(), payload: v3 }, want: 'vrrp-v3' },
    { name: 'bad, a CARP advert (ucarp capture)', datagram: captured(PCAPS.ucarp), want: 'carp' },
    { name: 'bad, version 4', datagram: advert({ version: 4 }), want: 'bad-version' },
    { name: 'bad, type 2', datagram: advert({ type: 2 }), want: 'bad-type' },
    { name: 'bad, without the authentication data', datagram: { ...advert(), payload: advert().payload.subarray(0, 12) }, want: 'bad-length' },
    { name: 'bad, a flipped bit', datagram: { ...advert(), payload: Uint8Array.from(advert().payload, (b, i) => (i === 2 ? b ^ 1 : b)) }, want: 'bad-checksum' },
    { name: 'bad, an interval of 0', datagram: advert({ advertIntervalSeconds: 0 }), want: 'bad-interval' },
    { name: 'bad, no authentication to a PASS group', datagram: captured(PCAPS.vrrpV2), want: 'auth-type-mismatch' },
    { name: 'bad, a PASS advert to a group without authentication', datagram: advert(), group: v2Group({ auth: { type: 'none' } }), want: 'auth-type-mismatch' },
    { name: 'bad, Auth Type 2 (AH)', datagram: advert({ authType: 2 }), want: 'auth-type-mismatch' },
    { name: 'bad, another password', datagram: advert({ authData: text('secreT') }), want: 'password-mismatch' },
    { name: 'bad, our password with a ninth byte cut off is still another', datagram: advert({ authData: text('secre') }), want: 'password-mismatch' },
    { name: 'bad, an interval of 2 s where ours is 1 s (RFC 3768 §7.1: discard)', datagram: advert({ advertIntervalSeconds: 2 }), want: 'interval-mismatch' },
    { name: 'bad, outside the unicast peer list', datagram: advert({}, { destination: B }), group: v2Group({ allowedSources: [parseIpAddress('192.0.2.3')] }), want: 'unexpected-source' },
    { name: 'bad, our own advert', datagram: advert({}, { source: B }), want: 'own-advert' },
    { name: 'ok, another address list is flagged, not dropped', datagram: advert({ addresses: [parseIpAddress('192.0.2.101')] }), want: 'ok' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = acceptVrrpAdvert(c.datagram, node(c.group));
      assert.equal(result.ok ? 'ok' : result.reason, c.want);
    });
  }

  it('ok, the table covers every VRRPv2 drop reason, and each is a DropReason', () => {
    const covered = new Set(cases.map((c) => c.want));
    for (const reason of VRRP2_DROP_REASONS) {
      assert.ok(covered.has(reason), `no case for ${reason}`);
      assert.ok((DROP_REASONS as readonly string[]).includes(reason));
    }
  });

  it('ok, an address mismatch is flagged; the interval of an accepted advert is ours', () => {
    const result = acceptVrrpAdvert(advert({ addresses: [parseIpAddress('192.0.2.101')] }), node());
    assert.ok(result.ok);
    assert.deepEqual(result.advert.mismatch, { interval: false, addresses: true });
    assert.equal(result.advert.checksumVariant, 'no-pseudo-header');
  });

  it('ok, a VRRPv2 advert for a VRID nobody runs: unknown-vhid where a VRRPv2 group runs, vrrp-v2 where none does', () => {
    const other = advert({ vrid: 8 });
    const withV2 = acceptVrrpAdvert(other, { ...node(), speaks: (v) => v === 2 });
    assert.ok(!withV2.ok);
    assert.equal(withV2.reason, 'unknown-vhid');
    const withoutV2 = acceptVrrpAdvert(other, { ...node(), speaks: () => false });
    assert.ok(!withoutV2.ok);
    assert.equal(withoutV2.reason, 'vrrp-v2');
  });

  it('ok, a VRRPv3 group still names a VRRPv2 advert vrrp-v2', () => {
    const v3group: VrrpGroupAcceptance = { checksumMode: 'compatible', requireTtl255ForUnicast: true, advertInterval: 100, addresses: [VIP] };
    const result = acceptVrrpAdvert(advert(), node(v3group));
    assert.ok(!result.ok);
    assert.equal(result.reason, 'vrrp-v2');
  });

  it('property: random payloads to a VRRPv2 group never throw, and the reason is a VRRP one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.integer({ min: 0, max: 255 }), (payload, ttl) => {
        const result = acceptVrrpAdvert({ ...advert(), ttl, payload }, node());
        if (!result.ok) assert.ok((DROP_REASONS as readonly string[]).includes(result.reason));
      }),
      { numRuns: 20_000 },
    );
  });
});
