/** Item 7d of issue 18: `carpctl handover` names the new master by the family of the group's first VIP. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerName } from '../../src/cli/handover.ts';

const dualStack = { address: 'fe80::2', heardAt: '2026-01-01T00:00:00.000Z', addresses: { ipv4: '198.51.100.2', ipv6: 'fe80::2' } };

const cases: { name: string; addresses: string[]; master: Parameters<typeof peerName>[0]['master']; expected: string }[] = [
  { name: 'item 7d, ok, IPv4 group, dual-stack master last heard over IPv6: its IPv4 address', addresses: ['198.51.100.7/24', '2001:db8::7/64'], master: dualStack, expected: '198.51.100.2' },
  { name: 'item 7d, ok, IPv6-first group: the master\'s IPv6 address', addresses: ['2001:db8::7/64', '198.51.100.7/24'], master: { ...dualStack, address: '198.51.100.2' }, expected: 'fe80::2' },
  { name: 'item 7d, ok, IPv4 group, master heard only over IPv6: the address heard', addresses: ['198.51.100.7/24'], master: { address: 'fe80::2', heardAt: dualStack.heardAt, addresses: { ipv6: 'fe80::2' } }, expected: 'fe80::2' },
  { name: 'item 7d, ok, no per-family addresses (older daemon): the address heard', addresses: ['198.51.100.7/24'], master: { address: '198.51.100.2', heardAt: dualStack.heardAt }, expected: '198.51.100.2' },
  { name: 'item 7d, ok, no master', addresses: ['198.51.100.7/24'], master: null, expected: 'another node' },
];

for (const c of cases) {
  test(c.name, () => {
    assert.equal(peerName({ addresses: c.addresses, master: c.master }), c.expected);
  });
}
