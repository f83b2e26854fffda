/** The advert source choice and how it follows renumbering (wire/advert-source.ts), as a table. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultAdvertSource, followAdvertSource } from '../../src/wire/advert-source.ts';
import { parseIpAddress, type IpFamily } from '../../src/wire/ip-address.ts';

const ip = (text: string) => parseIpAddress(text);
const list = (...texts: string[]) => texts.map(ip);

test('default source: IPv4 the first address, IPv6 the link-local one', () => {
  assert.equal(defaultAdvertSource(4, list('2001:db8::1', '198.51.100.10', '198.51.100.11'))?.text, '198.51.100.10');
  assert.equal(defaultAdvertSource(6, list('2001:db8::1', 'fe80::1', '198.51.100.10'))?.text, 'fe80::1');
  assert.equal(defaultAdvertSource(6, list('2001:db8::1'))?.text, '2001:db8::1');
  assert.equal(defaultAdvertSource(4, list('2001:db8::1')), undefined);
});

const cases: { name: string; family: IpFamily; current?: string; addresses: string[]; pinned: boolean; expected?: string }[] = [
  { name: 'ok, renumbered: the old address gone, the new one taken', family: 4, current: '198.51.100.10', addresses: ['198.51.100.50'], pinned: false, expected: '198.51.100.50' },
  { name: 'ok, a second address added: the source stays', family: 4, current: '198.51.100.10', addresses: ['198.51.100.10', '198.51.100.5'], pinned: false, expected: '198.51.100.10' },
  { name: 'ok, pinned (source_address): stays even when gone', family: 4, current: '198.51.100.10', addresses: ['198.51.100.50'], pinned: true, expected: '198.51.100.10' },
  { name: 'ok, no address of the family left: the stale one is kept', family: 4, current: '198.51.100.10', addresses: ['2001:db8::1'], pinned: false, expected: '198.51.100.10' },
  { name: 'ok, none before, one added', family: 4, addresses: ['198.51.100.50'], pinned: false, expected: '198.51.100.50' },
  { name: 'ok, none before, none now', family: 4, addresses: [], pinned: false },
  { name: 'ok, IPv6 global source gives way to a link-local', family: 6, current: '2001:db8::1', addresses: ['2001:db8::1', 'fe80::1'], pinned: false, expected: 'fe80::1' },
  { name: 'ok, IPv6 link-local kept beside a new global', family: 6, current: 'fe80::1', addresses: ['2001:db8::9', 'fe80::1'], pinned: false, expected: 'fe80::1' },
  { name: 'ok, IPv6 link-local replaced', family: 6, current: 'fe80::1', addresses: ['2001:db8::9', 'fe80::2'], pinned: false, expected: 'fe80::2' },
];

for (const c of cases) {
  test(`follow: ${c.name}`, () => {
    const got = followAdvertSource(c.family, c.current === undefined ? undefined : ip(c.current), list(...c.addresses), c.pinned);
    assert.equal(got?.text, c.expected);
  });
}
