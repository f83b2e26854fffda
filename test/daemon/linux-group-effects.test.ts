/** LinuxGroupEffects on FakeHostNetlink: leaving MASTER takes everything down even when netlink fails for a while. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinuxGroupEffects } from '../../src/daemon/linux-group-effects.ts';
import { FakeHostNetlink } from '../../src/linux/netlink/fake-host-netlink.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

/** The effects' retry timers are unref'd (they must never keep carpd alive): keep the test's loop alive meanwhile. */
async function withLoop(work: () => Promise<void>): Promise<void> {
  const keep = setInterval(() => {}, 1000);
  try {
    await work();
  } finally {
    clearInterval(keep);
  }
}

function rig() {
  const netlink = new FakeHostNetlink();
  const parent = netlink.addLink({ name: 'eth0', up: true, running: true });
  const vif = netlink.addLink({ name: 'carp7', kind: 'macvlan', parentIndex: parent.index, up: false });
  const logger = new MemoryLogger();
  const effects = new LinuxGroupEffects({
    group: 'web',
    vhid: 7,
    protocol: 'carp',
    interfaceName: 'eth0',
    target: { name: 'carp7', index: () => vif.index, ensure: async () => false, isUp: async () => true },
    ownsInterface: true,
    addresses: [{ address: parseIpAddress('198.51.100.107'), prefixLength: 24 }],
    netlink,
    announcer: { announce() {} },
    scripts: { run() {} },
    scriptsConfig: { style: 'carpd', neutral: false, timeoutSeconds: 30 },
    manageAddresses: true,
    announceIntervalMs: 0,
    logger,
    clock: new VirtualClock(),
    retryDelaysMs: [0, 0],
  });
  const vips = (): string[] => netlink.addresses().filter((a) => a.ifindex === vif.index).map((a) => a.address.text);
  const up = (): boolean | undefined => netlink.links().find((l) => l.index === vif.index)?.up;
  return { netlink, effects, logger, vips, up };
}

test('leaving MASTER: a removal that fails at first is retried, and carp7 goes down even meanwhile', () => withLoop(async () => {
  const { netlink, effects, logger, vips, up } = rig();
  effects.addAddresses();
  await effects.idle();
  assert.deepEqual(vips(), ['198.51.100.107']);
  assert.equal(up(), true);
  netlink.failNext('removeAddress', 'EBUSY', 1);
  effects.removeAddresses();
  await effects.idle();
  assert.deepEqual(vips(), [], 'the VIP is gone after the retry');
  assert.equal(up(), false, 'carp7 is down');
  assert.ok(logger.records.some((r) => /could not remove the virtual addresses/.test(r.message)));
}));

test('leaving MASTER: a removal that keeps failing still sets carp7 down, and the failure is logged', () => withLoop(async () => {
  const { netlink, effects, logger, vips, up } = rig();
  effects.addAddresses();
  await effects.idle();
  netlink.failNext('removeAddress', 'EPERM', 10);
  effects.removeAddresses();
  await effects.idle();
  assert.deepEqual(vips(), ['198.51.100.107']);
  assert.equal(up(), false, 'a down macvlan no longer answers for it');
  assert.ok(logger.records.some((r) => r.level === 'error' && /remove addresses failed/.test(r.message)));
}));
