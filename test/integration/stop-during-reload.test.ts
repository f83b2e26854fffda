/**
 * SIGTERM while a reload is adding groups leaves nothing behind (issue 19 item 12; the stop waits
 * for the reload in flight, docs/reload.md). A real daemon as a separate machine (machine.ts):
 * one group at start, a reload to 60 groups with vmac (one carp<vhid> interface each), and a
 * SIGTERM while `carpctl reload` is still adding them. Before, the stop snapshotted the groups
 * while the reload was still adding some, and carp<N> interfaces and VIPs stayed on the host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabHost } from '../../src/lab/lab.ts';
import { records, stopCarpd, waitForPhase } from './carpd-in-lab.ts';
import { carpctlOn, machine, startCarpdOn, writeConfig, writePassphrase, type GroupSpec, type Machine } from './machine.ts';
import { labForThisFile } from '../helpers/file-lab.ts';

const fileLab = await labForThisFile({ hosts: ['a'] });
const skip = fileLab.skip;
const GROUPS = 60;

function groups(m: Machine, count: number): GroupSpec[] {
  const passphraseFile = writePassphrase(m, 'reload.pass', 'lab-stop-reload');
  return Array.from({ length: count }, (_, i) => ({ name: `g${i + 1}`, vhid: i + 1, addresses: [`203.0.113.${i + 1}/32`], advskew: 0, passphraseFile }));
}

test(`lab: SIGTERM during a reload to ${GROUPS} groups leaves no carp interface and no VIP`, { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const lab = fileLab.lab();
  const a = lab.host('a') as LabHost;
  const m = machine(a);
  const path = writeConfig(m, 'carpd.yaml', groups(m, 1));
  const node = startCarpdOn(lab, m, ['--config', path]);
  try {
    await waitForPhase(node, 'master', 8_000);
    writeConfig(m, 'carpd.yaml', groups(m, GROUPS));
    const reload = carpctlOn(lab, m, ['reload']);
    // SIGTERM once the reload has added a few groups, while it is still adding the rest.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && records(node).filter((r) => typeof r['group'] === 'string' && r['to'] === 'backup').length < 5) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const links = (await lab.links(a)).filter((l) => /^carp\d+$/.test(l.name)).length;
    const code = await stopCarpd(node, 30_000);
    await reload;
    const leftLinks = (await lab.links(a)).filter((l) => /^carp\d+$/.test(l.name)).map((l) => l.name);
    const leftVips = (await lab.addresses(a)).filter((address) => address.startsWith('203.0.113.'));
    const added = new Set(records(node).filter((r) => r['to'] === 'backup' && typeof r['group'] === 'string').map((r) => r['group']));
    t.diagnostic(`carp links at the SIGTERM: ${links}; groups started in all: ${added.size}; left after the stop: ${leftLinks.length} links, ${leftVips.length} VIPs`);
    assert.equal(code, 0, 'carpd stopped cleanly');
    assert.ok(added.size > 1 && links > 1, 'the SIGTERM came while the reload was adding groups (not before it)');
    assert.deepEqual(leftLinks, [], 'no carp<vhid> interface left');
    assert.deepEqual(leftVips, [], 'no VIP left');
  } finally {
    if (!node.process.done) await stopCarpd(node);
  }
});
