import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compareOffers,
  compareTieBreak,
  isBowOutOffer,
  masterIsGuaranteedToTimeOut,
  masterIsMoreDemoted,
  peerOutranksUs,
  shouldPreempt,
  type Offer,
} from '../../src/protocols/carp/carp-election.ts';
import { ipAddressFromBytes, parseIpAddress, type IpAddress } from '../../src/wire/ip-address.ts';

const ip = parseIpAddress;

function offer(advbase: number, advskew: number, demote = 0, address?: string): Offer {
  return { advbase, advskew, demote, ...(address === undefined ? {} : { address: ip(address) }) };
}

describe('compareOffers', () => {
  // want: 'a' when a is the better master, 'b' when b is, 'none' when undecided.
  const cases: { name: string; a: Offer; b: Offer; want: 'a' | 'b' | 'none' }[] = [
    { name: 'demote beats timing: lower demote wins with a much worse interval', a: offer(10, 200, 0), b: offer(1, 0, 1), want: 'a' },
    { name: 'demote beats timing: higher demote loses with a better interval', a: offer(0, 0, 255), b: offer(255, 254, 254), want: 'b' },
    { name: 'timing: lower advskew wins', a: offer(1, 10), b: offer(1, 20), want: 'a' },
    { name: 'timing: lower advbase wins over any skew', a: offer(1, 254), b: offer(2, 0), want: 'a' },
    { name: 'timing beats the tie rule address', a: offer(1, 1, 0, '10.0.0.1'), b: offer(1, 0, 0, '10.0.0.200'), want: 'b' },
    { name: 'tie, no addresses: undecided', a: offer(1, 0), b: offer(1, 0), want: 'none' },
    { name: 'tie, one address unknown: undecided', a: offer(1, 0, 0, '10.0.0.1'), b: offer(1, 0), want: 'none' },
    { name: 'tie, mixed families: undecided', a: offer(1, 0, 0, '10.0.0.1'), b: offer(1, 0, 0, 'fe80::1'), want: 'none' },
    { name: 'tie, same address: undecided', a: offer(1, 0, 0, '10.0.0.1'), b: offer(1, 0, 0, '10.0.0.1'), want: 'none' },
    // [LAB] real ucarp on little-endian: 10.99.2.1 stayed MASTER, 10.99.1.2 went BACKUP.
    { name: 'ucarp tie rule: 10.99.2.1 beats 10.99.1.2 (last octet most significant)', a: offer(1, 0, 0, '10.99.2.1'), b: offer(1, 0, 0, '10.99.1.2'), want: 'a' },
    { name: 'ucarp tie rule, argument order swapped', a: offer(1, 0, 0, '10.99.1.2'), b: offer(1, 0, 0, '10.99.2.1'), want: 'b' },
    { name: 'ucarp tie rule: 192.168.1.10 beats 10.0.0.20 (10 < 20 in the last octet)', a: offer(1, 0, 0, '192.168.1.10'), b: offer(1, 0, 0, '10.0.0.20'), want: 'a' },
    { name: 'IPv6 tie compares bytewise: fe80::1 beats fe80::2', a: offer(1, 0, 0, 'fe80::1'), b: offer(1, 0, 0, 'fe80::2'), want: 'a' },
    { name: 'IPv6 tie compares bytewise: 2001:db8::ff loses to 2001:db8::1:0', a: offer(1, 0, 0, '2001:db8::1:0'), b: offer(1, 0, 0, '2001:db8::ff'), want: 'b' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = Math.sign(compareOffers(c.a, c.b));
      assert.equal(got, c.want === 'a' ? -1 : c.want === 'b' ? 1 : 0);
    });
  }
});

describe('compareTieBreak', () => {
  it('reverses IPv4 bytes: 2.0.0.1 beats 1.0.0.2 (numerically higher, last octet lower)', () => assert.ok(compareTieBreak(ip('2.0.0.1'), ip('1.0.0.2')) < 0));
  it('undefined on either side is undecided', () => {
    assert.equal(compareTieBreak(undefined, ip('10.0.0.1')), 0);
    assert.equal(compareTieBreak(ip('10.0.0.1'), undefined), 0);
  });
  it('does not mutate the address bytes', () => {
    const a = ip('10.99.2.1');
    compareTieBreak(a, ip('10.99.1.2'));
    assert.equal(a.text, '10.99.2.1');
    assert.deepEqual([...a.bytes], [10, 99, 2, 1]);
  });
});

describe('named predicates', () => {
  const own = offer(1, 100, 0, '10.0.0.1');
  it('isBowOutOffer: only 255/255', () => {
    assert.equal(isBowOutOffer({ advbase: 255, advskew: 255 }), true);
    assert.equal(isBowOutOffer({ advbase: 255, advskew: 254 }), false);
    assert.equal(isBowOutOffer({ advbase: 254, advskew: 255 }), false);
  });
  it('peerOutranksUs: a better peer', () => assert.equal(peerOutranksUs(own, offer(1, 50, 0, '10.0.0.2')), true));
  it('peerOutranksUs: a worse peer', () => assert.equal(peerOutranksUs(own, offer(1, 150, 0, '10.0.0.2')), false));
  it('peerOutranksUs: a less demoted peer with worse timing', () => assert.equal(peerOutranksUs(offer(1, 0, 5), offer(5, 200, 0)), true));
  it('peerOutranksUs: never a bow-out, even with a lower demote', () => assert.equal(peerOutranksUs(offer(1, 0, 5), offer(255, 255, 0)), false));
  it('shouldPreempt: off means never', () => assert.equal(shouldPreempt(false, own, offer(1, 200)), false));
  it('shouldPreempt: on and we are strictly better', () => assert.equal(shouldPreempt(true, own, offer(1, 200)), true));
  it('shouldPreempt: on but the master is better', () => assert.equal(shouldPreempt(true, own, offer(1, 50)), false));
  it('shouldPreempt: on, exact tie without addresses', () => assert.equal(shouldPreempt(true, offer(1, 100), offer(1, 100)), false));
  it('masterIsMoreDemoted: peer demote above ours', () => assert.equal(masterIsMoreDemoted(own, offer(1, 0, 1)), true));
  it('masterIsMoreDemoted: equal demote', () => assert.equal(masterIsMoreDemoted(offer(1, 0, 3), offer(1, 0, 3)), false));
  it('masterIsGuaranteedToTimeOut: master advbase 4 vs own 1', () => assert.equal(masterIsGuaranteedToTimeOut(offer(1, 0), offer(4, 0), 3), true));
  it('masterIsGuaranteedToTimeOut: master advbase 2 vs own 1', () => assert.equal(masterIsGuaranteedToTimeOut(offer(1, 0), offer(2, 0), 3), false));
});

// Offers whose addresses are distinct and of one family, so that the tie rule always decides.
function offersWithDistinctAddresses(family: 4 | 6, count: number): fc.Arbitrary<Offer[]> {
  const size = family === 4 ? 4 : 16;
  const bytes = fc.uint8Array({ minLength: size, maxLength: size });
  const fields = fc.record({
    // Small ranges so that equal demote and timing (ties) are common.
    advbase: fc.integer({ min: 0, max: 2 }),
    advskew: fc.integer({ min: 0, max: 3 }),
    demote: fc.integer({ min: 0, max: 2 }),
  });
  return fc
    .tuple(fc.uniqueArray(bytes, { minLength: count, maxLength: count, selector: (b) => Buffer.from(b).toString('hex') }), fc.array(fields, { minLength: count, maxLength: count }))
    .map(([addresses, all]) => all.map((f, i): Offer => ({ ...f, address: ipAddressFromBytes(addresses[i] as Uint8Array) as IpAddress })));
}

describe('compareOffers properties', () => {
  for (const family of [4, 6] as const) {
    it(`IPv${family}: antisymmetric and never 0 for distinct addresses`, () => {
      fc.assert(
        fc.property(offersWithDistinctAddresses(family, 2), ([a, b]) => {
          const ab = Math.sign(compareOffers(a as Offer, b as Offer));
          const ba = Math.sign(compareOffers(b as Offer, a as Offer));
          assert.notEqual(ab, 0);
          assert.equal(ab, -ba);
        }),
      );
    });

    it(`IPv${family}: transitive`, () => {
      fc.assert(
        fc.property(offersWithDistinctAddresses(family, 3), ([a, b, c]) => {
          const x = a as Offer;
          const y = b as Offer;
          const z = c as Offer;
          if (compareOffers(x, y) < 0 && compareOffers(y, z) < 0) assert.ok(compareOffers(x, z) < 0);
        }),
      );
    });

    it(`IPv${family}: sorting any permutation gives the same order`, () => {
      fc.assert(
        fc.property(offersWithDistinctAddresses(family, 5), (list) => {
          const sorted = [...list].sort(compareOffers).map((o) => o.address?.text);
          const reversed = [...list].reverse().sort(compareOffers).map((o) => o.address?.text);
          assert.deepEqual(sorted, reversed);
        }),
      );
    });

    it(`IPv${family}: the predicates agree with compareOffers`, () => {
      fc.assert(
        fc.property(offersWithDistinctAddresses(family, 2), fc.boolean(), ([own, peer], preempt) => {
          const o = own as Offer;
          const p = peer as Offer;
          assert.equal(peerOutranksUs(o, p), compareOffers(p, o) < 0);
          assert.equal(shouldPreempt(preempt, o, p), preempt && compareOffers(o, p) < 0);
          // Exactly one of the two is better: either the peer outranks us or we would preempt it.
          assert.notEqual(peerOutranksUs(o, p), shouldPreempt(true, o, p));
          // A more demoted master is always worse than us.
          if (masterIsMoreDemoted(o, p)) assert.ok(compareOffers(o, p) < 0);
        }),
      );
    });
  }
});
