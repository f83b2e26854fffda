/**
 * A saturated counter in a state file must not poison the pair (issue 19 item 9;
 * docs/replay-and-threat-model.md, "Sanity bounds on counters": persisted values are bounded at start). Real daemons as
 * separate machines (machine.ts: default state directory /var/lib/carpd bound per host): a's
 * state file is edited to sendReservation 2^64−1 between two runs, as a bad restore or a
 * corrupted disk would leave it. Before the bound, a repeated one counter, b took over, adopted
 * the counter and persisted it, and both stayed MASTER for good. Asserted from what the nodes and
 * a client see: who holds the VIP, read from each namespace, and the client's pings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabHost } from '../../src/lab/lab.ts';
import { holds, records, stopCarpd, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';
import { machine, startCarpdOn, writeConfig, writePassphrase, type Machine } from './machine.ts';
import { labForThisFile } from '../helpers/file-lab.ts';

const VIP = '198.51.100.159';
const SATURATED = (2n ** 64n - 1n).toString();

const fileLab = await labForThisFile({ hosts: ['a', 'b', 'client'] });
const skip = fileLab.skip;

function config(m: Machine, advskew: number): string {
  const passphraseFile = writePassphrase(m, 'web.pass', 'lab-poisoned-state');
  return writeConfig(m, 'carpd.yaml', [{ name: 'web', vhid: 59, addresses: [`${VIP}/24`], advskew, passphraseFile }]);
}

/** The group's state files in the machine's /var/lib/carpd. */
function stateFiles(m: Machine): string[] {
  const lib = join(m.root, 'lib');
  return readdirSync(lib).filter((f) => f.endsWith('.json')).map((f) => join(lib, f));
}

test('lab: sendReservation 2^64−1 in the master\'s state file is refused with a warning; exactly one holder, the client\'s pings answered', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const lab = fileLab.lab();
  const [a, b, client] = ['a', 'b', 'client'].map((name) => lab.host(name)) as [LabHost, LabHost, LabHost];
  const ma = machine(a);
  const mb = machine(b);
  const started: CarpdNode[] = [];
  try {
    // A first run writes a's state file; it is then poisoned while carpd is stopped.
    const first = startCarpdOn(lab, ma, ['--config', config(ma, 0)]);
    started.push(first);
    await waitForPhase(first, 'master', 8_000);
    assert.equal(await stopCarpd(first), 0);
    const files = stateFiles(ma);
    assert.equal(files.length, 1, `one state file in a's /var/lib/carpd: ${files.join(', ')}`);
    const file = files[0] as string;
    const state = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    writeFileSync(file, `${JSON.stringify({ ...state, sendReservation: SATURATED })}\n`);

    const na = startCarpdOn(lab, ma, ['--config', config(ma, 0)]);
    started.push(na);
    await waitForPhase(na, 'master', 8_000);
    const nb = startCarpdOn(lab, mb, ['--config', config(mb, 100)]);
    started.push(nb);
    await waitForPhase(nb, 'backup', 8_000);

    // 12 s: several master-down intervals (3.x s) in which a repeated counter would have let b take over.
    const pings = lab.ping(client, VIP, { intervalMs: 20, durationMs: 12_000 });
    let bothHeld = 0;
    let noneHeld = 0;
    let samples = 0;
    const until = Date.now() + 12_000;
    while (Date.now() < until && samples < 300) {
      const onA = await holds(lab, a, VIP);
      const onB = await holds(lab, b, VIP);
      if (onA && onB) bothHeld += 1;
      if (!onA && !onB) noneHeld += 1;
      samples += 1;
      await new Promise((r) => setTimeout(r, 50));
    }
    const ping = await pings;
    t.diagnostic(`${samples} samples: both held ${bothHeld}, none ${noneHeld}; pings ${ping.received}/${ping.sent}, longest gap ${Math.round(ping.longestGapMs)} ms`);
    assert.equal(bothHeld, 0, 'the VIP was never on both nodes');
    assert.equal(noneHeld, 0, 'the VIP was never on no node');
    assert.ok(await holds(lab, a, VIP), 'a (advskew 0) holds it');
    assert.equal(records(nb).filter((r) => r['to'] === 'master').length, 0, 'b never took over');
    assert.ok(ping.lossRatio < 0.05, `the client's pings came back (${ping.received}/${ping.sent})`);

    const refused = records(na).filter((r) => r['level'] === 'warn' && r['field'] === 'sendReservation' && r['value'] === SATURATED);
    assert.equal(refused.length, 1, 'one warning names the refused field and value');
    // The file no longer holds the saturated value once a has saved (coalesced: within a few seconds).
    assert.notEqual((JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)['sendReservation'], SATURATED, 'a\'s file was overwritten');
    for (const f of stateFiles(mb)) assert.notEqual((JSON.parse(readFileSync(f, 'utf8')) as Record<string, string>)['sendReservation'], SATURATED, 'b did not adopt it');
  } finally {
    for (const node of started) if (!node.process.done) await stopCarpd(node);
  }
});
