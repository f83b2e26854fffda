/**
 * SIGTERM while a reload is adding groups leaves nothing behind (issue 19 item 12; the stop waits
 * for the reload in flight, docs/reload.md). A real daemon as a separate machine (machine.ts):
 * one group at start, a reload to 60 groups with vmac (one carp<vhid> interface each), and a
 * SIGTERM while `carpctl reload` is still adding them. Before, the stop snapshotted the groups
 * while the reload was still adding some, and carp<N> interfaces and VIPs stayed on the host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { records, stopCarpd } from './carpd-in-lab.ts';
import { reloadInFlight } from './reload-in-flight.ts';
import { labForThisFile } from '../helpers/file-lab.ts';

const fileLab = await labForThisFile({ hosts: ['a'] });
const skip = fileLab.skip;
const GROUPS = 60;

test(`lab: SIGTERM during a reload to ${GROUPS} groups leaves no carp interface and no VIP`, { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const lab = fileLab.lab();
  const a = lab.host('a');
  // SIGTERM once the reload has added a few groups, while it is still adding the rest.
  const { node, reload } = await reloadInFlight(lab, 'a', GROUPS, 5);
  try {
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
