// The error-code catalogue, docs/errors.md and the sources must agree (fastify-style).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_ERROR_CODES } from '../../src/config/error-codes.ts';

const root = join(import.meta.dirname, '..', '..');
const catalogue = new Set(Object.keys(CONFIG_ERROR_CODES));
const docs = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
const documented = new Set([...docs.matchAll(/^## (CARPD_[A-Z0-9_]+)\s*$/gm)].map((m) => m[1] as string));

test('every catalogued code is documented in docs/errors.md', () => {
  assert.deepEqual([...catalogue].filter((c) => !documented.has(c)), []);
});

test('every documented code is in the catalogue', () => {
  assert.deepEqual([...documented].filter((c) => !catalogue.has(c)), []);
});

test('every documented code has a meaning and an example', () => {
  const sections = docs.split(/^## /m).slice(1);
  for (const section of sections) {
    const code = section.split('\n', 1)[0]?.trim();
    assert.match(section, /Example: `/, `${code} has no example`);
  }
});

/** Every .ts file under a directory, recursively. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * Codes written as string literals in src/, except in the catalogue itself. An environment
 * variable looked up as env['CARPD_...'] (CARPD_CONTROL, CARPD_STATE_DIRECTORY in `carpd ucarp`)
 * is a name, not an emitted code.
 */
function emittedCodes(): Map<string, string[]> {
  const catalogueFile = join(root, 'src', 'config', 'error-codes.ts');
  const emitted = new Map<string, string[]>();
  for (const file of sourceFiles(join(root, 'src'))) {
    if (file === catalogueFile) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/(?<!env\[)'(CARPD_[A-Z0-9_]+)'/g)) {
      const code = m[1] as string;
      emitted.set(code, [...(emitted.get(code) ?? []), file.slice(root.length + 1)]);
    }
  }
  return emitted;
}

test('every code a source file emits is in the catalogue', () => {
  const emitted = emittedCodes();
  assert.ok(emitted.size > 50);
  // The daemon's codes are found, not only the configuration's.
  for (const code of ['CARPD_ALREADY_RUNNING', 'CARPD_RELOAD_FAILED', 'CARPD_NO_GROUP']) assert.ok(emitted.has(code), code);
  assert.deepEqual(
    [...emitted].filter(([code]) => !catalogue.has(code)).map(([code, files]) => `${code} (${files.join(', ')})`),
    [],
  );
});

test('every catalogued code is emitted by some source file', () => {
  const emitted = emittedCodes();
  assert.deepEqual([...catalogue].filter((code) => !emitted.has(code)), []);
});

test('every catalogue entry has a summary', () => {
  for (const [code, entry] of Object.entries(CONFIG_ERROR_CODES)) assert.ok(entry.summary.length > 0, code);
});
