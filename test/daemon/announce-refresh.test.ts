/**
 * The periodic announcement of a MASTER's addresses (LinuxGroupEffects, announce.interval_seconds)
 * runs on the injected clock: it follows virtual time exactly, and stops when the group leaves
 * MASTER or closes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinuxGroupEffects } from '../../src/daemon/linux-group-effects.ts';
import { FakeHostNetlink } from '../../src/linux/netlink/fake-host-netlink.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

function rig() {
  const clock = new VirtualClock();
  const netlink = new FakeHostNetlink();
  const eth0 = netlink.addLink({ name: 'eth0', up: true, running: true });
  const announced: number[] = [];
  const effects = new LinuxGroupEffects({
    group: 'web',
    vhid: 7,
    protocol: 'carp',
    interfaceName: 'eth0',
    target: { name: 'eth0', index: () => eth0.index, ensure: async () => false, isUp: async () => true },
    ownsInterface: false,
    addresses: [{ address: parseIpAddress('198.51.100.107'), prefixLength: 24 }],
    netlink,
    announcer: { announce: () => void announced.push(clock.nowMicros()) },
    scripts: { run() {} },
    scriptsConfig: { style: 'carpd', neutral: false, timeoutSeconds: 30 },
    manageAddresses: false,
    announceIntervalMs: 10_000,
    logger: new MemoryLogger(),
    clock,
  });
  /** Advances the clock, then lets the effects' queue run. */
  const advance = async (micros: number) => {
    clock.advanceBy(micros);
    await effects.idle();
  };
  return { clock, effects, announced, advance };
}

test('MASTER: an announcement every 10 s of virtual time, none after leaving MASTER', async () => {
  const { clock, effects, announced, advance } = rig();
  effects.addAddresses();
  const counts: number[] = [];
  for (const step of [9_999_999, 1, 9_999_999, 1, 15_000_000]) {
    await advance(step);
    counts.push(announced.length);
  }
  assert.deepEqual(counts, [0, 1, 1, 2, 3], 'at 10 s, 20 s and 30 s exactly');
  await effects.removeAddresses();
  await advance(60_000_000);
  assert.equal(announced.length, 3);
  assert.equal(clock.pendingCount, 0, 'no timer left armed');
});

test('closing stops the refresh', async () => {
  const { clock, effects, announced, advance } = rig();
  effects.addAddresses();
  await advance(10_000_000);
  effects.close();
  await advance(60_000_000);
  assert.equal(announced.length, 1);
  assert.equal(clock.pendingCount, 0);
});
