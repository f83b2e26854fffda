/**
 * A reload requested while a reload runs applies the newer file (issue 19 item 6; docs/reload.md).
 * A real daemon as a separate machine (machine.ts): the first `carpctl reload` adds 120 vmac
 * groups; while it runs the file is rewritten with one more group and a SIGHUP asks for a
 * second reload (a signal, so that it lands while the first reload runs; a second carpctl would
 * take longer to start than the reload takes). Before, the second request was merged into the
 * running reload and the newer file was never read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holds, stopCarpd } from './carpd-in-lab.ts';
import { carpctlOn, writeConfig, type GroupSpec } from './machine.ts';
import { groupsStarted, numberedGroups, reloadInFlight } from './reload-in-flight.ts';
import { labForThisFile } from '../helpers/file-lab.ts';

const fileLab = await labForThisFile({ hosts: ['a'] });
const skip = fileLab.skip;
const GROUPS = 120;
const LATE_VIP = '203.0.113.250';

test('lab: a reload requested during a reload re-reads the file: the group only the newer file has is added', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const lab = fileLab.lab();
  const a = lab.host('a');
  // The first reload is under way (a few groups added) when the file changes again.
  const { machine: m, node, reload: first } = await reloadInFlight(lab, 'a', GROUPS, 3);
  try {
    const late: GroupSpec = { ...(numberedGroups(m, 1)[0] as GroupSpec), name: 'late', vhid: 250, addresses: [`${LATE_VIP}/32`] };
    writeConfig(m, 'carpd.yaml', [...numberedGroups(m, GROUPS), late]);
    node.process.signal('SIGHUP');
    const inFlight = groupsStarted(node);
    const r1 = await first;
    t.diagnostic(`first reply: ${r1.stdout.trim().split('\n')[0]}`);
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stdout, new RegExp(`${GROUPS - 1} added`), 'the first reload applied the first file');
    assert.ok(inFlight < GROUPS, `the SIGHUP came while the first reload was still adding groups (${inFlight} of ${GROUPS} started)`);
    const settle = Date.now() + 8_000;
    while (Date.now() < settle && !(await holds(lab, a, LATE_VIP))) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await holds(lab, a, LATE_VIP), 'the newer file\'s group holds its VIP');
    const status = await carpctlOn(lab, m, ['status', '--json']);
    const names = (JSON.parse(status.stdout) as { groups: { name: string }[] }).groups.map((g) => g.name);
    assert.equal(names.length, GROUPS + 1);
    assert.ok(names.includes('late'));
  } finally {
    if (!node.process.done) await stopCarpd(node);
  }
});
