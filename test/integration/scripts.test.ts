/**
 * The scripts contract on a real daemon: each transition runs its script exactly once, in
 * transition order, never two at once for the group; a hung script is killed at the timeout
 * and the protocol never waits for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { phaseOf, startCarpd, groupFlags, stopCarpd, transitions, waitForPhase } from './carpd-in-lab.ts';
import { labForThisFile } from '../helpers/file-lab.ts';

const VIP = '198.51.100.140';
const dir = mkdtempSync(join(tmpdir(), 'carpd-scripts-'));

const fileLab = await labForThisFile({ hosts: ['a', 'b'] });
const skip = fileLab.skip;

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/bash\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

function readLines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter((l) => l !== '') : [];
}

test('lab: scripts run once per transition, in order, one at a time, with CARP_* variables', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  const log = join(dir, 'a.log');
  const body = `echo "start $CARP_STATE $CARP_PREVIOUS_STATE $CARP_VHID $CARP_INTERFACE $CARP_ADDRESSES args=$*" >> ${log}; sleep 0.3; echo "end $CARP_STATE" >> ${log}`;
  const master = script('master.sh', body);
  const backup = script('backup.sh', body);
  const a = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 41, vip: VIP, advskew: 100, extra: ['-m', master, '-b', backup] }));
  await waitForPhase(a, 'master', 8_000);
  // A better node with preemption takes over, then leaves gracefully: a goes backup, then master.
  const b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: 41, vip: VIP, advskew: 0, extra: ['--preempt'] }));
  await waitForPhase(a, 'backup', 5_000, 2);
  assert.equal(await stopCarpd(b), 0);
  await waitForPhase(a, 'master', 3_000, 3);
  assert.equal(await stopCarpd(a), 0);
  const lines = readLines(log);
  // start → BACKUP, BACKUP → MASTER, MASTER → BACKUP (preempted), BACKUP → MASTER (bow-out), MASTER → INIT on stop (backup script).
  const starts = lines.filter((l) => l.startsWith('start'));
  assert.deepEqual(
    starts.map((l) => l.split(' ').slice(1, 3).join(' ')),
    ['BACKUP INIT', 'MASTER BACKUP', 'BACKUP MASTER', 'MASTER BACKUP', 'BACKUP MASTER'],
    lines.join('\n'),
  );
  // Never two at once: every start is followed by its own end before the next start.
  for (let i = 0; i < lines.length; i += 2) {
    assert.match(lines[i] ?? '', /^start (\w+)/);
    assert.equal(lines[i + 1], `end ${(lines[i] ?? '').split(' ')[1]}`);
  }
  assert.match(starts[1] ?? '', new RegExp(`^start MASTER BACKUP 41 eth0 ${VIP.replaceAll('.', '\\.')}/24 args=eth0 41 MASTER$`));
});

test('lab: a hung script is killed at --script-timeout; the protocol does not wait; the next script runs', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  const log = join(dir, 'hung.log');
  const master = script('hung-master.sh', `echo "master $$" >> ${log}; sleep 300`);
  const backup = script('hung-backup.sh', `echo "backup" >> ${log}`);
  const a = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 42, vip: VIP, advskew: 0, extra: ['-m', master, '-b', backup, '--script-timeout', '2'] }));
  await waitForPhase(a, 'master', 6_000);
  // The master script hangs, but the node is master and advertising: a backup stays backup.
  const b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: 42, vip: VIP, advskew: 100 }));
  await waitForPhase(b, 'backup', 3_000);
  await new Promise((r) => setTimeout(r, 3_500));
  assert.equal(phaseOf(b), 'backup', 'the hung script did not stop the adverts');
  assert.equal(transitions(b).length, 1);
  const killed = a.process.lines.some((l) => /timed out|timeout/i.test(l));
  assert.ok(killed, `the daemon reported the timeout:\n${a.process.lines.slice(-10).join('\n')}`);
  assert.equal(await stopCarpd(a), 0);
  const lines = readLines(log);
  assert.deepEqual(lines.map((l) => l.split(' ')[0]), ['backup', 'master', 'backup'], lines.join('\n'));
  const pid = Number((lines[1] ?? '').split(' ')[1]);
  assert.ok(!existsSync(`/proc/${pid}/cmdline`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z', 'the hung script is gone');
  assert.equal(await stopCarpd(b), 0);
});
