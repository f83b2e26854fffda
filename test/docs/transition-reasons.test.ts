/**
 * Every transition reason the machines give (TransitionReason, src/fsm/machine-types.ts) is
 * listed in docs/scripts.md's "Reasons" table, which docs/control-api.md points to for the
 * `reason` of the status and of `transition` events; and the table lists no reason that does not
 * exist (besides `cleanup`, which only the cleanup guard gives, docs/scripts.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** The string literals of the TransitionReason union, read from its declaration. */
function transitionReasons(): string[] {
  const source = readFileSync(resolve(ROOT, 'src/fsm/machine-types.ts'), 'utf8');
  const start = source.indexOf('export type TransitionReason =');
  assert.ok(start >= 0, 'TransitionReason declared');
  const body = source.slice(start, source.indexOf('\n\n', start));
  return [...body.matchAll(/\|\s*'([a-z-]+)'/g)].map((m) => m[1] as string);
}

/** The reasons in docs/scripts.md's table under "## Reasons" (first column, `a` / `b` counted as two). */
function documentedReasons(): string[] {
  const doc = readFileSync(resolve(ROOT, 'docs/scripts.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Reasons'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('|---')));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([a-z-]+)`/g)].map((m) => m[1] as string));
}

test('docs/scripts.md lists every transition reason, and only those (and cleanup)', () => {
  const reasons = transitionReasons();
  assert.ok(reasons.includes('protocol-switch') && reasons.includes('started'), `read ${reasons.join(', ')}`);
  const documented = documentedReasons();
  assert.deepEqual(reasons.filter((r) => !documented.includes(r)), [], 'undocumented reasons');
  assert.deepEqual(documented.filter((r) => !reasons.includes(r) && r !== 'cleanup'), [], 'documented reasons that do not exist');
});
