/**
 * The parent interfaces in use (daemon/interface-hosts.ts) on FakeHostNetlink and the fake
 * platform: opened once per parent, IPv4 only when IPv6 cannot open, closed by the last group,
 * and found by ifindex first (a renamed parent) then by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterfaceHosts } from '../../src/daemon/interface-hosts.ts';
import { StartupError } from '../../src/daemon/startup-error.ts';
import { PacketWarningLog } from '../../src/engine/packet-warning-log.ts';
import { FakeHostNetlink } from '../../src/linux/netlink/fake-host-netlink.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { SimLan } from '../../src/sim/sim-lan.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { FakePlatform, groupConfig, PARENT } from '../helpers/fake-platform.ts';

function rig() {
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  const netlink = new FakeHostNetlink();
  const parent = netlink.addLink({ name: PARENT.name, mac: PARENT.mac });
  netlink.addHostAddress(parent.index, PARENT.address, PARENT.prefixLength);
  const platform = new FakePlatform(new SimLan(clock, () => 0, { delayMicros: 100, jitterMicros: 0 }));
  const hosts = new InterfaceHosts({ netlink, platform, logger, clock, packetLog: new PacketWarningLog(logger, clock) });
  return { clock, logger, netlink, parent, platform, hosts };
}

test('opened once per parent, with its own addresses (not the VIPs) and both families', async () => {
  const { hosts, platform, netlink, parent } = rig();
  netlink.addHostAddress(parent.index, '198.51.100.7', 24); // a VIP already there is not an own address
  const a = groupConfig();
  const b = groupConfig({ vhid: 8 });
  const host = await hosts.open(a, [a, b]);
  assert.equal(await hosts.open(b, [a, b]), host);
  assert.equal(platform.opened.length, 1);
  assert.deepEqual(platform.opened[0]?.ownAddresses.map((x) => x.text), [PARENT.address]);
  assert.deepEqual(platform.opened[0]?.families, [4, 6]);
  assert.equal(hosts.get('eth0'), host);
});

test('IPv4 only when the IPv6 socket cannot open', async () => {
  const { hosts, platform, logger } = rig();
  const open = platform.openInterface.bind(platform);
  platform.openInterface = (spec) => {
    if (spec.families.includes(6)) throw new Error('EAFNOSUPPORT');
    return open(spec);
  };
  const host = await hosts.open(groupConfig(), [groupConfig()]);
  assert.deepEqual(host.families, [4]);
  assert.ok(logger.records.some((r) => r.level === 'info' && r.fields['interface'] === 'eth0'));
});

test('a missing interface is CARPD_NO_INTERFACE', async () => {
  const { hosts } = rig();
  const config = groupConfig({ interface: 'eth9' });
  await assert.rejects(hosts.open(config, [config]), (error: unknown) => error instanceof StartupError && error.code === 'CARPD_NO_INTERFACE');
});

test('closed only when no group uses it', async () => {
  const { hosts } = rig();
  await hosts.open(groupConfig(), [groupConfig()]);
  hosts.closeUnused('eth0', () => true);
  assert.notEqual(hosts.get('eth0'), undefined);
  hosts.closeUnused('eth0', () => false);
  assert.equal(hosts.get('eth0'), undefined);
  assert.deepEqual(hosts.values(), []);
});

test('link events find the host by ifindex first (renamed), then by name (re-created); kernelName follows a rename', async () => {
  const { hosts, parent } = rig();
  const host = await hosts.open(groupConfig(), [groupConfig()]);
  assert.equal(hosts.hostOfLink({ ...parent, name: 'lan0' }), host);
  assert.equal(hosts.hostOfLink({ ...parent, index: 999 }), host);
  assert.equal(hosts.hostOfLink({ ...parent, index: 999, name: 'eth1' }), undefined);
  assert.equal(hosts.kernelName('eth0'), 'eth0');
  host.kernelName = 'lan0';
  assert.equal(hosts.kernelName('eth0'), 'lan0');
  assert.equal(hosts.kernelName('eth5'), 'eth5', 'not open: the configured name');
});
