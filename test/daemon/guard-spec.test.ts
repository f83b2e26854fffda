/**
 * What the cleanup guard is told to remove (daemon/guard-spec.ts): a macvlan when the group has
 * one, else its addresses on the parent; never an address owner's; nothing for unmanaged groups
 * but their down script in ucarp mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guardSpecOf, type GuardedGroup } from '../../src/daemon/guard-spec.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { groupConfig, vrrpGroupConfig } from '../helpers/fake-platform.ts';

const vip = (text: string) => [{ address: parseIpAddress(text), prefixLength: 24 }];

test('a macvlan group: its macvlan and ifindex, no addresses (they go with it)', () => {
  const groups: GuardedGroup[] = [{ config: groupConfig(), virtualInterface: { name: 'carp7', index: 12 }, addresses: vip('198.51.100.7') }];
  assert.deepEqual(guardSpecOf(groups), { items: [{ interfaceName: 'eth0', virtualInterface: 'carp7', virtualInterfaceIndex: 12, addresses: [] }], downScripts: [] });
});

test('addresses on the parent: listed with their prefix; an address owner: none', () => {
  const groups: GuardedGroup[] = [
    { config: groupConfig({ vmac: false }), virtualInterface: undefined, addresses: vip('198.51.100.7') },
    { config: vrrpGroupConfig({ priority: 255, vmac: false }), virtualInterface: undefined, addresses: vip('198.51.100.9') },
  ];
  assert.deepEqual(guardSpecOf(groups).items, [
    { interfaceName: 'eth0', addresses: ['198.51.100.7/24'] },
    { interfaceName: 'eth0', addresses: [] },
  ]);
});

test('manage_addresses off: no item', () => {
  const groups: GuardedGroup[] = [{ config: groupConfig({ manageAddresses: false }), virtualInterface: undefined, addresses: vip('198.51.100.7') }];
  assert.deepEqual(guardSpecOf(groups).items, []);
});
