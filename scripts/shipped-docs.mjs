// The documentation as the Debian package installs it under /usr/share/doc/carpd
// (scripts/package.mjs): README.md and docs/*.md side by side, README's links into docs/
// rewritten, and every part marked as the source tree's own cut out. Such a part (building from
// source, benchmarks, the design map) names files of a checkout, which the package does not
// have; test/package/shipped-docs.test.ts checks that what remains cites only what is shipped.
//
// A part is marked with two lines of their own:
//   <!-- source-tree-only -->
//   ...
//   <!-- /source-tree-only -->
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the package puts the documentation. */
export const DOC_DIR = '/usr/share/doc/carpd';

const BEGIN = '<!-- source-tree-only -->';
const END = '<!-- /source-tree-only -->';

/** A document as shipped: the marked parts cut (an unclosed mark cuts to the end). */
export function withoutSourceTreeParts(text) {
  const out = [];
  let cutting = false;
  for (const line of text.split('\n')) {
    if (line.trim() === BEGIN) cutting = true;
    else if (line.trim() === END) cutting = false;
    else if (!cutting) out.push(line);
  }
  return out.join('\n');
}

/** Every shipped document: file name in DOC_DIR → text. */
export function shippedDocs(root) {
  const docs = new Map();
  // README's links and mentions point into docs/; in the package the docs sit beside it.
  docs.set('README.md', withoutSourceTreeParts(readFileSync(join(root, 'README.md'), 'utf8')).replace(/(?<![\w./-])docs\/([\w-]+\.md)/g, '$1'));
  for (const file of readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort()) {
    docs.set(file, withoutSourceTreeParts(readFileSync(join(root, 'docs', file), 'utf8')));
  }
  return docs;
}
