/** chooseScript: which script a run-script action runs, and the state it is told (docs/scripts.md). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseScript, type ScriptPaths, type ScriptPhase } from '../../src/ports/script-job.ts';

const ALL: ScriptPaths = { master: '/m', backup: '/b', stop: '/s', neutral: false };
const NO_STOP: ScriptPaths = { master: '/m', backup: '/b', neutral: false };

const cases: [name: string, paths: ScriptPaths, phase: ScriptPhase, previous: 'init' | 'backup' | 'master', want: ReturnType<typeof chooseScript>][] = [
  ['ok, master', ALL, 'master', 'backup', { path: '/m', phase: 'master', state: 'master' }],
  ['ok, backup after INIT', ALL, 'backup', 'init', { path: '/b', phase: 'backup', state: 'backup' }],
  ['neutral, no backup script on the first INIT -> BACKUP', { ...ALL, neutral: true }, 'backup', 'init', undefined],
  ['neutral, backup script after MASTER', { ...ALL, neutral: true }, 'backup', 'master', { path: '/b', phase: 'backup', state: 'backup' }],
  ['stop, from MASTER: the stop script, told INIT', ALL, 'stop', 'master', { path: '/s', phase: 'stop', state: 'init' }],
  ['stop, from BACKUP: the stop script too', ALL, 'stop', 'backup', { path: '/s', phase: 'stop', state: 'init' }],
  ['stop, from INIT (link down): the stop script too', ALL, 'stop', 'init', { path: '/s', phase: 'stop', state: 'init' }],
  ['no stop script, from MASTER: the backup script, told BACKUP', NO_STOP, 'stop', 'master', { path: '/b', phase: 'backup', state: 'backup' }],
  ['no stop script, from BACKUP: nothing', NO_STOP, 'stop', 'backup', undefined],
  ['no scripts at all: nothing', { neutral: false }, 'stop', 'master', undefined],
  ['no master script: nothing', { neutral: false, backup: '/b' }, 'master', 'backup', undefined],
];

for (const [name, paths, phase, previous, want] of cases) {
  test(`chooseScript: ${name}`, () => assert.deepEqual(chooseScript(paths, phase, previous), want));
}
