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

test('every code a config source file emits is in the catalogue', () => {
  const dir = join(root, 'src', 'config');
  const emitted = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/'(CARPD_[A-Z0-9_]+)'/g)) emitted.add(m[1] as string);
  }
  assert.ok(emitted.size > 20);
  assert.deepEqual([...emitted].filter((c) => !catalogue.has(c)), []);
});

test('every catalogue entry has a summary', () => {
  for (const [code, entry] of Object.entries(CONFIG_ERROR_CODES)) assert.ok(entry.summary.length > 0, code);
});
