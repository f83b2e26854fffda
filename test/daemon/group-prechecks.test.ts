/**
 * The read-only checks before groups start or a reload changes anything
 * (daemon/group-prechecks.ts), on FakeHostNetlink: keys, interfaces, an owner's addresses, and
 * the removal of carpd's own leftovers (never the host's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkInterfaces, checkOwnerAddresses, prepareGroups, removeLeftoverAddresses, resolveAddresses } from '../../src/daemon/group-prechecks.ts';
import { StartupError } from '../../src/daemon/startup-error.ts';
import { FakeHostNetlink } from '../../src/linux/netlink/fake-host-netlink.ts';
import { CARPD_ADDRESS_PROTOCOL } from '../../src/ports/host-netlink.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { groupConfig, PARENT, vrrpGroupConfig } from '../helpers/fake-platform.ts';

const coded = (code: string) => (error: unknown) => error instanceof StartupError && error.code === code;

function rig() {
  const netlink = new FakeHostNetlink();
  const parent = netlink.addLink({ name: PARENT.name, mac: PARENT.mac });
  netlink.addHostAddress(parent.index, PARENT.address, PARENT.prefixLength);
  return { netlink, parent, logger: new MemoryLogger() };
}

test('prepareGroups reads CARP keys, none for VRRP; a key that cannot be read is CARPD_PASSPHRASE', () => {
  const logger = new MemoryLogger();
  const key = new Uint8Array(20).fill(1);
  const prepared = prepareGroups([groupConfig(), vrrpGroupConfig()], { readKey: () => key }, logger);
  assert.deepEqual(prepared.map((g) => g.key.length), [20, 0]);
  const unreadable = {
    readKey: () => {
      throw new Error('ENOENT');
    },
  };
  assert.throws(() => prepareGroups([groupConfig()], unreadable, logger), coded('CARPD_PASSPHRASE'));
  assert.deepEqual(prepareGroups([vrrpGroupConfig()], unreadable, logger).length, 1, 'a VRRP group reads no key');
});

test('checkInterfaces: CARPD_NO_INTERFACE for a group whose interface is missing', async () => {
  const { netlink } = rig();
  await checkInterfaces(netlink, [groupConfig()]);
  await assert.rejects(checkInterfaces(netlink, [groupConfig(), groupConfig({ interface: 'eth9' })]), coded('CARPD_NO_INTERFACE'));
});

test("resolveAddresses: the interface's prefix for an address given without one; an owner's addresses must be there", async () => {
  const { netlink } = rig();
  const resolved = await resolveAddresses(netlink, groupConfig(), 'eth0');
  assert.deepEqual(resolved.map((a) => `${a.address.text}/${a.prefixLength}`), ['198.51.100.7/24']);
  await assert.rejects(resolveAddresses(netlink, groupConfig(), 'eth9'), coded('CARPD_NO_INTERFACE'));
  await assert.rejects(resolveAddresses(netlink, vrrpGroupConfig({ priority: 255 }), 'eth0'), coded('CARPD_VRRP_OWNER_ADDRESS'));
  const owner = vrrpGroupConfig({ priority: 255, addresses: [PARENT.address] });
  assert.equal((await resolveAddresses(netlink, owner, 'eth0')).length, 1);
});

test('checkOwnerAddresses names every missing address', () => {
  const owner = vrrpGroupConfig({ priority: 255, addresses: ['198.51.100.9', '198.51.100.10'] });
  assert.throws(() => checkOwnerAddresses(owner, 'eth0', [{ address: parseIpAddress('198.51.100.10') }]), coded('CARPD_VRRP_OWNER_ADDRESS'));
  checkOwnerAddresses(owner, 'eth0', [{ address: parseIpAddress('198.51.100.9') }, { address: parseIpAddress('198.51.100.10') }]);
});

test("removeLeftoverAddresses removes carpd's marked leftovers, and refuses the host's own", async () => {
  const { netlink, parent, logger } = rig();
  netlink.addHostAddress(parent.index, '198.51.100.7', 24, { protocol: CARPD_ADDRESS_PROTOCOL });
  const wanted = [{ address: parseIpAddress('198.51.100.7'), prefixLength: 24 }];
  await removeLeftoverAddresses(netlink, logger, groupConfig(), 'eth0', parent.index, await netlink.listAddresses(parent.index), wanted);
  assert.equal((await netlink.listAddresses(parent.index)).some((a) => a.address.text === '198.51.100.7'), false);
  assert.equal(logger.records.filter((r) => r.level === 'warn').length, 1);

  netlink.addHostAddress(parent.index, '198.51.100.7', 24); // unmarked: the host's
  await assert.rejects(
    removeLeftoverAddresses(netlink, logger, groupConfig(), 'eth0', parent.index, await netlink.listAddresses(parent.index), wanted),
    coded('CARPD_HOST_ADDRESS'),
  );
  assert.equal((await netlink.listAddresses(parent.index)).some((a) => a.address.text === '198.51.100.7'), true, 'left in place');
});
