/**
 * The seed's promise on real daemons: adverts captured from a carpd master and re-injected after
 * it dies do not keep it "alive": the backup takes over on time and stays master.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { labForThisFile } from '../helpers/file-lab.ts';
import { phaseOf, startCarpd, groupFlags, stopCarpd, transitions, waitForPhase } from './carpd-in-lab.ts';

const VIP = '198.51.100.130';
const fileLab = await labForThisFile({ hosts: ['a', 'b', 'attacker'] });
const skip = fileLab.skip;

test('lab: replayed adverts of a dead master are refused; the backup takes over on time and stays master', { skip: skip ?? false, timeout: 60_000 }, async (t) => {
  const lab = fileLab.lab();
  const a = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 31, vip: VIP, advskew: 0 }));
  await waitForPhase(a, 'master', 6_000);
  const b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: 31, vip: VIP, advskew: 100 }));
  await waitForPhase(b, 'backup', 3_000);
  const capture = await lab.startCapture('bridge', 'ip proto 112');
  await new Promise((r) => setTimeout(r, 4_000));
  const pcap = await capture.stop();

  const count = transitions(b).length;
  const killedAt = Date.now();
  await lab.cutLink('a');
  await a.process.kill();
  // Re-inject every captured advert (a's, authentic) every 100 ms for 10 s from another host.
  const injector = lab.spawn('attacker', [process.execPath, '--import', 'tsx', resolve(import.meta.dirname, 'replay-injector.ts'), pcap, 'eth0', '100', '10000']);
  await waitForPhase(b, 'master', 8_000, count);
  const takeoverMs = Date.now() - killedAt;
  t.diagnostic(`backup took over ${takeoverMs} ms after the master died, under replay`);
  // b's master-down is 3 × (1 + 100/256) s = 4.172 s after the last genuine advert.
  assert.ok(takeoverMs <= 4_172 + 300, `took ${takeoverMs} ms`);
  await injector.exited;
  const summary = injector.lines.find((l) => l.startsWith('{'));
  assert.ok(summary !== undefined && JSON.parse(summary).sent > 50, `the injector sent its frames: ${summary}`);
  assert.equal(phaseOf(b), 'master', 'still master after 10 s of replays');
  assert.equal(transitions(b).length, count + 1, 'exactly one transition: to master');
  assert.equal(await stopCarpd(b), 0);
});
