/**
 * A group's demotion parts (daemon/group-demotion.ts): how manual, health, maintenance, a down
 * link, a fault and the sync set's share add up, and what carpctl status shows of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_DEMOTION, GroupDemotion } from '../../src/daemon/group-demotion.ts';

test('manual demotion is kept within 0..255', () => {
  const demotion = new GroupDemotion(() => false);
  assert.equal(demotion.adjustManual(-10), 0);
  assert.equal(demotion.adjustManual(200), 200);
  assert.equal(demotion.adjustManual(100), 255);
  assert.equal(demotion.adjustManual(-55), 200);
});

test('manual and health add up, capped at 255', () => {
  const demotion = new GroupDemotion(() => false);
  demotion.adjustManual(20);
  demotion.setHealth(30, [{ name: 'http', kind: 'http', healthy: false, weight: 30, lastResult: 'HTTP 503' }]);
  assert.equal(demotion.own, 50);
  assert.equal(demotion.checks.length, 1);
  demotion.setHealth(250, []);
  assert.equal(demotion.own, 255);
});

const fullCases: { name: string; set: (d: GroupDemotion, fault: { on: boolean }) => void }[] = [
  { name: 'maintenance', set: (d) => d.setMaintenance(true) },
  { name: 'a down link', set: (d) => d.setLinkDown(true) },
  { name: 'a fault', set: (_d, fault) => (fault.on = true) },
];
for (const { name, set } of fullCases) {
  test(`${name} demotes fully, whatever the other parts`, () => {
    const fault = { on: false };
    const demotion = new GroupDemotion(() => fault.on);
    demotion.adjustManual(5);
    assert.equal(demotion.own, 5);
    set(demotion, fault);
    assert.equal(demotion.own, FAULT_DEMOTION);
    assert.equal(demotion.total, FAULT_DEMOTION);
  });
}

test('the sync set raises the total, never lowers it, and shows in status only when it is what counts', () => {
  const demotion = new GroupDemotion(() => false);
  demotion.adjustManual(10);
  demotion.setSyncSet({ name: 'edge', demotion: 40 });
  assert.equal(demotion.own, 10);
  assert.equal(demotion.total, 40);
  assert.deepEqual(demotion.status(), { total: 40, manual: 10, maintenance: false, health: 0, syncSet: { name: 'edge', demotion: 40 }, fault: false });
  demotion.setSyncSet({ name: 'edge', demotion: 5 });
  assert.equal(demotion.total, 10);
  assert.deepEqual(demotion.status(), { total: 10, manual: 10, maintenance: false, health: 0, fault: false });
});

test('status names a down link and a fault', () => {
  const demotion = new GroupDemotion(() => true);
  demotion.setLinkDown(true);
  assert.deepEqual(demotion.status(), { total: 255, manual: 0, maintenance: false, health: 0, fault: true, linkDown: true });
});
