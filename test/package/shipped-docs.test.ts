/**
 * Issue 18 item 7e: the documentation the package installs (README.md and docs/*.md under
 * /usr/share/doc/carpd, as scripts/shipped-docs.mjs prepares them, and the three man pages as
 * scripts/man.mjs renders them) cites nothing the package does not ship: no file of the source
 * tree (src/, test/, bench/, native/, scripts/, contrib/ ...), no docs/ path (the docs sit
 * flat in /usr/share/doc/carpd), and every relative link points at a shipped document.
 * Parts of a document that are about a checkout are marked and cut (scripts/shipped-docs.mjs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// @ts-expect-error: plain ES module of the build scripts, no types
import { shippedDocs, withoutSourceTreeParts } from '../../scripts/shipped-docs.mjs';
// @ts-expect-error: plain ES module of the build scripts, no types
import { renderManPage } from '../../scripts/man.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const docs = shippedDocs(ROOT) as Map<string, string>;

/** A path of the source tree that the package does not have (its files are bundled, compiled or left out). */
const SOURCE_TREE_PATH = /(?<![\w./-])(?:src|test|bench|native|scripts|contrib|shared|node_modules|docs|\.ci)\/[\w.@/\\-]*/g;

/** Every citation of an unshipped path in a text, as "line N: path". */
function unshippedCitations(text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const match of line.matchAll(SOURCE_TREE_PATH)) found.push(`line ${i + 1}: ${match[0]}`);
  });
  return found;
}

test('item 7e: shipped-docs cuts the parts marked as the source tree\'s own, and only those', () => {
  const text = ['keep 1', '<!-- source-tree-only -->', 'cut src/x.ts', '<!-- /source-tree-only -->', 'keep 2'].join('\n');
  assert.equal(withoutSourceTreeParts(text), 'keep 1\nkeep 2');
  assert.deepEqual(unshippedCitations('see src/x.ts and `test/y.test.ts`, not build/Release/carpd-guard or /usr/share/doc/carpd/x.md'), ['line 1: src/x.ts', 'line 1: test/y.test.ts']);
});

for (const [file, text] of docs) {
  test(`item 7e: /usr/share/doc/carpd/${file} cites no file of the source tree`, () => {
    assert.deepEqual(unshippedCitations(text), []);
  });

  test(`item 7e: /usr/share/doc/carpd/${file}: every relative link points at a shipped document`, () => {
    const broken = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1] as string)
      .filter((target) => !/^(https?:|mailto:|#)/.test(target))
      .map((target) => target.split('#')[0] as string)
      .filter((target) => !docs.has(target));
    assert.deepEqual(broken, []);
  });
}

for (const page of ['carpd.8', 'carpctl.8', 'carpd.yaml.5']) {
  test(`item 7e: the man page ${page} cites no file of the source tree`, () => {
    const source = join(ROOT, 'docs', 'man', `${page}.md`);
    const roff = (renderManPage(readFileSync(source, 'utf8'), { sourcePath: source, version: '0', date: 0 }) as string).replace(/\\-/g, '-');
    assert.deepEqual(unshippedCitations(roff), []);
  });
}
