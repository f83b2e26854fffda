/**
 * The scripts contract on a real daemon: each transition runs its script exactly once, in
 * transition order, never two at once for the group; a hung script is killed at the timeout
 * and the protocol never waits for it; every script sees CARP_GROUP, CARP_PROTOCOL and
 * CARP_REASON (as logged), and scripts.stop runs on SIGTERM (docs/scripts.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CARPD, holds, phaseOf, records, startCarpd, groupFlags, stopCarpd, transitions, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';
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

test('lab: scripts see CARP_GROUP, CARP_PROTOCOL and CARP_REASON as logged; scripts.stop runs on SIGTERM (a CARP and a VRRP group)', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  const VIP_CARP = '198.51.100.143';
  const VIP_VRRP = '198.51.100.144';
  const log = join(dir, 'facts.log');
  // One line per run: which script, and the facts it was given.
  const body = (name: string) => `echo "${name} $CARP_GROUP $CARP_PROTOCOL $CARP_STATE $CARP_PREVIOUS_STATE $CARP_REASON args=$*" >> ${log}`;
  const scripts = ['master', 'backup', 'stop'].map((name) => `    ${name}: ${script(`facts-${name}.sh`, body(name))}`);
  const state = mkdtempSync(join(tmpdir(), 'carpd-facts-'));
  const config = join(state, 'carpd.yaml');
  writeFileSync(config, [
    `state_directory: ${state}`, `control_socket: ${join(state, 'carpd.sock')}`, 'log_level: debug',
    'defaults:', '  scripts:', ...scripts.map((l) => `  ${l}`),
    'groups:',
    '  - name: web', '    interface: eth0', '    vhid: 43', `    addresses: [${VIP_CARP}/24]`, '    passphrase: lab-secret', '    advskew: 100',
    '  - name: gw', '    protocol: vrrp', '    interface: eth0', '    vrid: 44', `    addresses: [${VIP_VRRP}/24]`, '    priority: 100',
    '',
  ].join('\n'));
  const a: CarpdNode = { host: lab.host('a'), process: lab.spawn(lab.host('a'), [process.execPath, CARPD, '--config', config]), stateDirectory: state };
  const masters = async (n: number) => {
    const deadline = Date.now() + 8_000;
    while (transitions(a).filter((t) => t.to === 'master').length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };
  await masters(2);
  assert.ok(await holds(lab, lab.host('a'), VIP_CARP) && await holds(lab, lab.host('a'), VIP_VRRP), 'a holds both VIPs');
  // A better CARP node with preemption takes "web" over (outranked-by-peer), then bows out (master-bowed-out).
  const b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: 43, vip: VIP_CARP, advskew: 0, extra: ['--preempt'] }));
  await waitForPhase(b, 'master', 8_000);
  await waitForPhase(a, 'backup', 5_000, 2);
  assert.ok(await holds(lab, lab.host('b'), VIP_CARP), 'b holds the CARP VIP');
  assert.equal(await stopCarpd(b), 0);
  await waitForPhase(a, 'master', 3_000, 4);
  // SIGTERM: both groups stop; the stop script runs for each, not the backup script.
  a.process.signal('SIGTERM');
  assert.equal((await a.process.exited).code, 0);
  assert.ok(!(await holds(lab, lab.host('a'), VIP_CARP)) && !(await holds(lab, lab.host('a'), VIP_VRRP)), 'a holds no VIP after the stop');

  const seen = readLines(log).map((l) => l.split(' '));
  const logged = records(a)
    .filter((r) => typeof r['to'] === 'string' && typeof r['reason'] === 'string')
    .map((r) => [String(r['group']), String(r['to']).toUpperCase(), String(r['from']).toUpperCase(), String(r['reason'])]);
  // The scenario's transitions, so the comparison below is not vacuous.
  assert.deepEqual(logged.filter((t) => t[0] === 'web').map((t) => t[3]), ['started', 'master-down-timeout', 'outranked-by-peer', 'master-bowed-out', 'shutdown']);
  assert.deepEqual(logged.filter((t) => t[0] === 'gw').map((t) => t[3]), ['started', 'master-down-timeout', 'shutdown']);
  for (const group of ['web', 'gw']) {
    const runs = seen.filter((l) => l[1] === group);
    assert.deepEqual(runs.map((l) => [l[1], l[3], l[4], l[5]]), logged.filter((t) => t[0] === group), `${group}: one script per logged transition, with its facts`);
    assert.deepEqual([...new Set(runs.map((l) => l[2]))], [group === 'web' ? 'carp' : 'vrrp'], `${group}: CARP_PROTOCOL`);
    assert.deepEqual(runs.map((l) => l[0]), ['backup', 'master', ...(group === 'web' ? ['backup', 'master'] : []), 'stop'], `${group}: which script ran`);
  }
  assert.deepEqual(seen.filter((l) => l[0] === 'stop').map((l) => l.slice(6).join(' ')).sort(), ['args=eth0 43 INIT', 'args=eth0 44 INIT']);
});

test('lab: at SIGTERM a hung master script (timeout_seconds 70) is cut at half the 30 s stop budget, the backup script runs, carpd exits in time', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  const VIP_HUNG = '198.51.100.145';
  const log = join(dir, 'stop-budget.log');
  // The master script ignores SIGTERM: only the SIGKILL to its process group ends it.
  const master = script('budget-master.sh', `echo "master $$" >> ${log}; trap "" TERM; sleep 300 & wait; sleep 300`);
  const backup = script('budget-backup.sh', `echo "backup $CARP_STATE $CARP_REASON" >> ${log}`);
  const a = startCarpd(lab, lab.host('a'), groupFlags({ vhid: 45, vip: VIP_HUNG, advskew: 0, extra: ['-m', master, '-b', backup, '--script-timeout', '70'] }));
  await waitForPhase(a, 'master', 8_000);
  assert.ok(a.process.lines.some((l) => l.includes('--script-timeout') && l.includes('[CARPD_CONFIG_SCRIPT_STOP_BUDGET]')), 'the 70 s timeout drew the stop-budget warning');
  const b = startCarpd(lab, lab.host('b'), groupFlags({ vhid: 45, vip: VIP_HUNG, advskew: 100 }));
  await waitForPhase(b, 'backup', 5_000);
  const signalledAt = Date.now();
  // Before: carpd waited 60 s for the hung script (past TimeoutStopSec=45s) and the backup script never ran.
  assert.equal(await stopCarpd(a, 25_000), 0, 'carpd exited within 25 s of SIGTERM');
  const stopMs = Date.now() - signalledAt;
  assert.ok(stopMs >= 12_000, `the running script kept its share of the budget (carpd exited after ${stopMs} ms)`);
  await waitForPhase(b, 'master', 3_000);
  assert.ok(await holds(lab, lab.host('b'), VIP_HUNG), 'b took the VIP over');
  assert.ok(!(await holds(lab, lab.host('a'), VIP_HUNG)), 'a gave the VIP up');
  const lines = readLines(log);
  // backup (start), master (hung), backup (the final script at stop): no stop script is set, so the backup script runs.
  assert.deepEqual(lines.map((l) => l.split(' ')[0]), ['backup', 'master', 'backup'], lines.join('\n'));
  assert.match(lines[2] ?? '', /^backup BACKUP shutdown$/);
  const pid = Number((lines[1] ?? '').split(' ')[1]);
  assert.ok(!existsSync(`/proc/${pid}/cmdline`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z', 'the hung master script is not left running');
  assert.equal(await stopCarpd(b), 0);
});
