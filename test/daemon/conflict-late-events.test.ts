/**
 * Issue 19 item 11: address events that arrive after carpd already undid its own change must not
 * be reported as conflicts ("carpd did not put it there"); an address someone else added still is.
 * On fakes (docs/development.md "Code principles", 11c): the fake kernel holds its address events back, as a busy host's
 * netlink socket delivers them late.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupConfig, makeDaemon, PARENT, type DaemonRig } from '../helpers/fake-platform.ts';

const VIP = '198.51.100.7';

const conflictWarnings = (rig: DaemonRig) => rig.logger.records.filter((r) => r.level === 'warn' && r.fields['address'] === VIP && r.fields['ifindex'] !== undefined);

/** A MASTER spell shorter than the event delay: VIP added, carrier lost (INIT, VIP removed), all before the events arrive. */
async function shortMasterSpell(rig: DaemonRig): Promise<void> {
  rig.netlink.holdAddressEvents();
  await rig.becomeMaster();
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  rig.netlink.setLinkStateExternally(PARENT.name, { running: false });
  await rig.settle();
  assert.equal(rig.daemon.status().groups[0]?.state, 'INIT');
  assert.deepEqual(rig.vips(), [], 'carpd removed its VIP');
  rig.netlink.releaseAddressEvents(); // 'new' then 'del' arrive now, late
  await rig.settle();
}

test('conflict, late events of a short MASTER spell are no conflict', async () => {
  const rig = makeDaemon({ groups: [groupConfig()] });
  await rig.daemon.start();
  await rig.settle();
  for (let spell = 0; spell < 3; spell++) {
    await shortMasterSpell(rig);
    rig.netlink.setLinkStateExternally(PARENT.name, { running: true });
    await rig.settle();
  }
  assert.equal(rig.daemon.status().groups[0]?.effects?.conflicts, 0);
  assert.deepEqual(conflictWarnings(rig), []);
  await rig.daemon.stop();
});

test('conflict, a foreign VIP whose event arrives late still is a conflict', async () => {
  const rig = makeDaemon({ groups: [groupConfig()] });
  await rig.daemon.start();
  await rig.settle();
  await shortMasterSpell(rig);
  rig.netlink.setLinkStateExternally(PARENT.name, { running: true });
  await rig.settle();
  rig.netlink.holdAddressEvents();
  rig.netlink.addHostAddress(rig.eth0.index, VIP, 24);
  rig.netlink.releaseAddressEvents();
  await rig.settle();
  assert.equal(rig.daemon.status().groups[0]?.effects?.conflicts, 1);
  assert.equal(conflictWarnings(rig).length, 1);
  assert.equal(conflictWarnings(rig)[0]?.fields['ifindex'], rig.eth0.index);
  assert.deepEqual(rig.vips(), ['eth0 198.51.100.7/24'], 'left for the operator');
  await rig.daemon.stop();
});
