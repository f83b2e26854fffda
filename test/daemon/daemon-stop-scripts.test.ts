/**
 * Daemon.stop and the stop budget (issue 19 item 7, docs/scripts.md "Shutdown"): the stop cuts the
 * scripts short only after every group has queued its final script, with the 30 s budget.
 * ScriptRunner.cutShort itself is tested in test/linux/script-runner-stop.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { STOP_SCRIPT_BUDGET_SECONDS } from '../../src/config/stop-budget.ts';
import { GRACEFUL_STOP_HOLD_MAX_MICROS } from '../../src/fsm/intervals.ts';
import { groupConfig, makeDaemon } from '../helpers/fake-platform.ts';

test('stop cuts the scripts short once, after the final backup script was queued, with the stop budget', async () => {
  const scripts = { ...groupConfig().scripts, master: '/etc/carpd/master', backup: '/etc/carpd/backup' };
  const rig = makeDaemon({ groups: [groupConfig({ scripts })] });
  await rig.daemon.start();
  await rig.becomeMaster();
  assert.deepEqual(rig.scripts.cutShorts, [], 'nothing is cut before the stop');
  await rig.daemon.stop();
  const final = rig.scripts.jobs.at(-1);
  assert.equal(`${final?.path} ${final?.args.join(' ')}`, '/etc/carpd/backup eth0 7 BACKUP');
  assert.deepEqual(rig.scripts.cutShorts, [{ budgetMs: STOP_SCRIPT_BUDGET_SECONDS * 1000, jobsQueued: rig.scripts.jobs.length }]);
});

test('the stop budget, its kill grace and a margin for the bow-outs fit under the unit\'s TimeoutStopSec', () => {
  const unit = readFileSync(new URL('../../contrib/carpd.service', import.meta.url), 'utf8');
  const match = /^TimeoutStopSec=(\d+)s?$/m.exec(unit);
  assert.ok(match, 'contrib/carpd.service sets TimeoutStopSec');
  // 1 s for the exit and output drain (Daemon.doStop), the graceful stop's hold (at most 4 s,
  // docs/state-machine.md "Graceful stop") before the final scripts are queued, 5 s for the removals.
  assert.ok(STOP_SCRIPT_BUDGET_SECONDS + 1 + GRACEFUL_STOP_HOLD_MAX_MICROS / 1_000_000 + 5 <= Number(match[1]), `budget ${STOP_SCRIPT_BUDGET_SECONDS} s vs TimeoutStopSec ${match[1]} s`);
});
