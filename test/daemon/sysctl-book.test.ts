/**
 * The ARP sysctls of virtual-MAC groups (daemon/sysctl-book.ts) on the fake platform: set once
 * per pair, set again for a re-created macvlan without losing the first values, restored on the
 * parent by the last group, handed over while another group needs them, under a renamed parent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SysctlBook } from '../../src/daemon/sysctl-book.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { SimLan } from '../../src/sim/sim-lan.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { FakePlatform, groupConfig } from '../helpers/fake-platform.ts';

function rig() {
  const platform = new FakePlatform(new SimLan(new VirtualClock(), () => 0, { delayMicros: 100, jitterMicros: 0 }));
  const logger = new MemoryLogger();
  return { platform, logger, book: new SysctlBook(platform, logger) };
}

test('set once per parent/macvlan pair, only for managed virtual-MAC groups', () => {
  const { platform, book } = rig();
  book.groupStarted('eth0', groupConfig());
  book.groupStarted('eth0', groupConfig());
  book.groupStarted('eth0', groupConfig({ vhid: 8, vmac: false }));
  book.groupStarted('eth0', groupConfig({ vhid: 9, manageAddresses: false }));
  assert.deepEqual(platform.sysctlsPrepared.map((p) => `${p.parent}/${p.virtualInterface}`), ['eth0/carp7']);
});

test('the last group on a parent restores the parent; an earlier one hands its parent changes over', () => {
  const { platform, book } = rig();
  const first = groupConfig();
  const second = groupConfig({ vhid: 8 });
  book.groupStarted('eth0', first);
  book.groupStarted('eth0', second);
  book.groupStopped(first, 'eth0');
  assert.equal(platform.sysctlsRestored.length, 0, 'the second group still needs the parent settings');
  book.groupStopped(second, 'eth0');
  assert.deepEqual(platform.sysctlsRestored.flat().map((c) => c.path).sort(), ['net/ipv4/conf/eth0/arp_announce', 'net/ipv4/conf/eth0/arp_ignore']);
});

test('a renamed parent is restored under its new name', () => {
  const { platform, book } = rig();
  const config = groupConfig();
  book.groupStarted('eth0', config);
  book.groupStopped(config, 'lan0');
  assert.deepEqual(platform.sysctlsRestored.flat().map((c) => c.path).sort(), ['net/ipv4/conf/lan0/arp_announce', 'net/ipv4/conf/lan0/arp_ignore']);
});

test('reapply sets them again on the parent as named now; the first values read are kept', () => {
  const { platform, book } = rig();
  const config = groupConfig();
  book.reapply(config.name, config, 'eth0');
  assert.equal(platform.sysctlsPrepared.length, 0, 'nothing recorded yet: start-up prepares them');
  book.groupStarted('eth0', config);
  platform.sysctls.set('net/ipv4/conf/carp7/arp_ignore', '0'); // the macvlan was re-created
  book.reapply(config.name, config, 'eth0');
  assert.equal(platform.sysctlsPrepared.length, 2);
  book.groupStopped(config, 'eth0');
  const restored = platform.sysctlsRestored.flat();
  assert.deepEqual(restored.map((c) => [c.path, c.previous]).sort(), [['net/ipv4/conf/eth0/arp_announce', '0'], ['net/ipv4/conf/eth0/arp_ignore', '0']]);
});

test('reapply that fails is logged at error, and the book is unchanged', () => {
  const { platform, book, logger } = rig();
  const config = groupConfig();
  book.groupStarted('eth0', config);
  platform.prepareSysctls = () => {
    throw new Error('EACCES');
  };
  book.reapply(config.name, config, 'eth0');
  assert.ok(logger.records.some((r) => r.level === 'error' && r.fields['group'] === config.name));
});
