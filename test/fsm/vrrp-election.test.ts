import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { advertOutranksMaster, backupFollowsAdvert, compareVrrpOffers, effectivePriority, isAddressOwner, isResignation } from '../../src/protocols/vrrp/vrrp-election.ts';
import { ipAddressFromBytes, parseIpAddress } from '../../src/wire/ip-address.ts';

const offer = (priority: number, address: string) => ({ priority, address: parseIpAddress(address) });

describe('effectivePriority: max(1, priority − demotion)', () => {
  const cases: { name: string; priority: number; demotion: number; want: number }[] = [
    { name: 'no demotion keeps the priority', priority: 100, demotion: 0, want: 100 },
    { name: 'demotion lowers it', priority: 100, demotion: 30, want: 70 },
    { name: 'never below 1 (0 would mean resigning)', priority: 100, demotion: 200, want: 1 },
    { name: 'a fully demoted group advertises 1', priority: 254, demotion: 255, want: 1 },
    { name: 'an owner demoted by 1 is 254, no longer the owner', priority: 255, demotion: 1, want: 254 },
    { name: 'a negative demotion counts as none', priority: 100, demotion: -5, want: 100 },
    { name: 'demotion above 255 counts as 255', priority: 255, demotion: 1000, want: 1 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(effectivePriority(c.priority, c.demotion), c.want));

  it('property: within 1..255 and never above the configured priority', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.integer({ min: -300, max: 300 }), (p, d) => {
        const e = effectivePriority(p, d);
        assert.ok(e >= 1 && e <= p);
      }),
    );
  });
});

describe('owner and resignation', () => {
  it('255 is the owner, 254 is not', () => {
    assert.equal(isAddressOwner(255), true);
    assert.equal(isAddressOwner(254), false);
  });
  it('priority 0 is a resignation, 1 is not', () => {
    assert.equal(isResignation(0), true);
    assert.equal(isResignation(1), false);
  });
});

describe('compareVrrpOffers and advertOutranksMaster (RFC 5798 §6.4.3 (725)–(735))', () => {
  const cases: { name: string; own: [number, string]; peer: [number, string]; outranks: boolean }[] = [
    { name: 'higher priority outranks', own: [100, '10.0.0.9'], peer: [101, '10.0.0.1'], outranks: true },
    { name: 'lower priority does not', own: [100, '10.0.0.1'], peer: [99, '10.0.0.9'], outranks: false },
    { name: 'equal priority, higher address outranks', own: [100, '10.0.0.1'], peer: [100, '10.0.0.2'], outranks: true },
    { name: 'equal priority, lower address does not', own: [100, '10.0.0.2'], peer: [100, '10.0.0.1'], outranks: false },
    { name: 'addresses compare as numbers: 10.0.1.3 > 10.0.0.2 (not byte-reversed as for ucarp)', own: [100, '10.0.0.2'], peer: [100, '10.0.1.3'], outranks: true },
    { name: 'IPv4 numeric order, not text order: 10.0.0.10 > 10.0.0.9', own: [100, '10.0.0.9'], peer: [100, '10.0.0.10'], outranks: true },
    { name: 'IPv6 link-locals compare bytewise: fe80::2 > fe80::1', own: [100, 'fe80::1'], peer: [100, 'fe80::2'], outranks: true },
    { name: 'the same priority and address (our own advert) does not', own: [100, '10.0.0.1'], peer: [100, '10.0.0.1'], outranks: false },
    { name: 'two owners: the higher address wins', own: [255, '10.0.0.1'], peer: [255, '10.0.0.2'], outranks: true },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(advertOutranksMaster(offer(...c.own), offer(...c.peer)), c.outranks));
  }

  it('property: a total order — antisymmetric, and equal only for equal priority and address', () => {
    const arb = fc.record({ priority: fc.integer({ min: 1, max: 255 }), address: fc.uint8Array({ minLength: 4, maxLength: 4 }).map(ipAddressFromBytes) });
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        assert.equal(Math.sign(compareVrrpOffers(a, b)), -Math.sign(compareVrrpOffers(b, a)));
        const same = a.priority === b.priority && a.address.text === b.address.text;
        assert.equal(compareVrrpOffers(a, b) === 0, same);
      }),
    );
  });
});

describe('backupFollowsAdvert (RFC 5798 §6.4.2 (445))', () => {
  const cases: { name: string; preempt: boolean; own: number; advert: number; want: boolean }[] = [
    { name: 'preempt off follows a lower priority', preempt: false, own: 100, advert: 50, want: true },
    { name: 'preempt on discards a lower priority', preempt: true, own: 100, advert: 50, want: false },
    { name: 'preempt on follows an equal priority', preempt: true, own: 100, advert: 100, want: true },
    { name: 'preempt on follows a higher priority', preempt: true, own: 100, advert: 200, want: true },
  ];
  for (const c of cases) it(c.name, () => assert.equal(backupFollowsAdvert(c.preempt, c.own, c.advert), c.want));
});
