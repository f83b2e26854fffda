/**
 * The real `bin/carpd witness` in a lab namespace, asked for leases by a member in another lab
 * host (witness-client.ts, carpd's own quorum codec) for 100 groups: nothing granted during the
 * start hold-off, then every group granted to one holder, a second requester refused while the
 * leases run, a replayed request and a replayed grant ignored; its RSS serving 100 groups read
 * from /proc/PID/status and printed; restarted during a lease, it grants another requester
 * nothing until its hold-off has passed (docs/partitions.md "Running the witness").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Lab, LabProcess } from '../../src/lab/lab.ts';
import { startHoldOffUs } from '../../src/quorum/quorum-timing.ts';
import { labForThisFile } from '../helpers/file-lab.ts';
import type { WitnessClientSpec } from './witness-client.ts';

const CARPD = resolve(import.meta.dirname, '../../bin/carpd');
const CLIENT = resolve(import.meta.dirname, 'witness-client.ts');
const PORT = 8112;
const GROUPS = 100;
const PASSPHRASE = 'lab quorum secret';
const HOLD_OFF_MS = startHoldOffUs() / 1000;

const fileLab = await labForThisFile({ hosts: ['witness', 'a', 'b'] });
const skip = fileLab.skip;

function startWitness(lab: Lab, passfile: string): LabProcess {
  return lab.spawn('witness', [process.execPath, CARPD, 'witness', '--listen', `${lab.host('witness').ipv4}:${PORT}`, '--passfile', passfile]);
}

async function client(lab: Lab, host: string, spec: Omit<WitnessClientSpec, 'witness' | 'passphrase' | 'groups' | 'epoch'> & { groups?: number; epoch?: number }): Promise<Record<string, unknown>> {
  const full: WitnessClientSpec = { witness: { address: lab.host('witness').ipv4, port: PORT }, passphrase: PASSPHRASE, groups: GROUPS, epoch: 17, ...spec };
  const run = await lab.exec(host, [process.execPath, '--import', 'tsx', CLIENT, JSON.stringify(full)], { timeoutMs: 30_000 });
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

const rssKiBOf = (pid: number): number => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
const logTime = (line: string): number => Date.parse((JSON.parse(line) as { time: string }).time);

/** A member asking for group 1 until granted, started (and ready) before the witness is. */
async function startAsking(lab: Lab, host: string, sender: number, incarnation: string): Promise<LabProcess> {
  const spec: WitnessClientSpec = { mode: 'until-grant', witness: { address: lab.host('witness').ipv4, port: PORT }, passphrase: PASSPHRASE, sender, incarnation, groups: 1, epoch: 17, maxMs: HOLD_OFF_MS + 10_000 };
  const asking = lab.spawn(host, [process.execPath, '--import', 'tsx', CLIENT, JSON.stringify(spec)]);
  await asking.waitForLine(/^ready$/, 20_000);
  return asking;
}

/** The asking member's answers: all refusals 'starting' (or none, before the witness listened) until the grant, which came at least the hold-off after the witness's start. */
async function grantAfterHoldOff(asking: LabProcess, startedLine: string): Promise<number> {
  const line = await asking.waitForLine(/^\{"mode":"until-grant"/, HOLD_OFF_MS + 20_000);
  const answers = (JSON.parse(line) as { answers: { atMs: number; answer: string }[] }).answers;
  const firstGrant = answers.findIndex((a) => a.answer === 'grant');
  assert.ok(firstGrant > 0, JSON.stringify(answers));
  const before = answers.slice(0, firstGrant);
  assert.ok(before.some((a) => a.answer === 'refuse:starting'), 'refused while starting');
  assert.deepEqual(new Set(before.map((a) => a.answer).filter((a) => a !== 'none')), new Set(['refuse:starting']));
  const grantAfterMs = answers[firstGrant]!.atMs - logTime(startedLine);
  // The log line's time is after the table's start, so this understates the true delay.
  assert.ok(grantAfterMs >= HOLD_OFF_MS - 20, `granted ${grantAfterMs} ms after the start`);
  return grantAfterMs;
}

test('lab: carpd witness serves 100 groups: hold-off, one holder each, the other refused, replays ignored, RSS; a restart grants nothing before its hold-off', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const lab = fileLab.lab();
  const dir = mkdtempSync(join(tmpdir(), 'carpd-witness-lab-'));
  try {
    const passfile = join(dir, 'quorum.pass');
    writeFileSync(passfile, `${PASSPHRASE}\n`);
    chmodSync(passfile, 0o600);
    // During the hold-off: refused as starting; the first grant only after it.
    const firstAsker = await startAsking(lab, 'a', 0, '1');
    let witness = startWitness(lab, passfile);
    const firstStart = await witness.waitForLine(/"witness started"/, 10_000);
    const idleRssKiB = rssKiBOf(witness.pid);
    t.diagnostic(`first grant ${await grantAfterHoldOff(firstAsker, firstStart)} ms after the witness's start (hold-off ${HOLD_OFF_MS} ms)`);
    await witness.waitForLine(/"witness hold-off over/, 5_000);
    const granted = await client(lab, 'a', { mode: 'ask', sender: 0, incarnation: '2' });
    assert.deepEqual(granted.answers, { grant: GROUPS });
    const refused = await client(lab, 'b', { mode: 'ask', sender: 1, incarnation: '3', epoch: 18 });
    assert.deepEqual(refused.answers, { 'refuse:promised-other': GROUPS });
    assert.equal(witness.lines.filter((l) => l.includes('"witness granted a lease to a new holder"')).length, GROUPS);

    const replay = await client(lab, 'a', { mode: 'replay', sender: 0, incarnation: '4' });
    assert.deepEqual({ first: replay.first, afterReplay: replay.afterReplay }, { first: 'grant', afterReplay: 'none' });

    const rssKiB = rssKiBOf(witness.pid);
    assert.ok(rssKiB > 0 && idleRssKiB > 0);
    t.diagnostic(`carpd witness VmRSS serving ${GROUPS} groups: ${rssKiB} KiB (${(rssKiB / 1024).toFixed(1)} MiB); at its start, no group: ${idleRssKiB} KiB`);

    // Renew member 0's leases, then restart the witness inside them.
    assert.deepEqual((await client(lab, 'a', { mode: 'ask', sender: 0, incarnation: '5' })).answers, { grant: GROUPS });
    witness.signal('SIGTERM');
    const exit = await witness.exited;
    assert.equal(exit.code, 0);
    assert.ok(witness.lines.some((l) => l.includes('"witness stopped"')));
    assert.ok(witness.lines.some((l) => l.includes('"witness dropped datagrams"') && l.includes('"replay":1')), 'the replay was counted');
    const otherAsker = await startAsking(lab, 'b', 1, '6');
    witness = startWitness(lab, passfile);
    const restartLine = await witness.waitForLine(/"witness started"/, 10_000);
    t.diagnostic(`restarted witness: first grant to another member ${await grantAfterHoldOff(otherAsker, restartLine)} ms after its start (hold-off ${HOLD_OFF_MS} ms)`);
    witness.signal('SIGTERM');
    assert.equal((await witness.exited).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
