/**
 * Issue 21 item 3: the code cites this repository's docs/, never material outside it
 * (docs/development.md "Code principles", principle 12). Every text file under src/, test/,
 * bench/, scripts/ and native/ is read whole (and README.md and docs/ for the first rule):
 *   - no citation of the outside briefs (the protocol brief, the Node notes, the style notes,
 *     a shared/ folder beside the checkout): their facts now live in docs/ in the project's words;
 *   - every `docs/NAME.md` cited exists, and a section cited with it (`docs/NAME.md "Heading"`,
 *     `docs/NAME.md, "Heading"` or `docs/NAME.md#anchor`) is a heading of that document.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const TREES = ['src', 'test', 'bench', 'scripts', 'native'];
const TEXT_FILE = /\.(?:ts|mts|js|mjs|cjs|cc|cpp|h|hpp|sh|py|md|txt|json)$/;

/** Citations of material outside the repository. Spelled in pieces so this file does not match itself. */
const OUTSIDE = new RegExp(
  [
    String.raw`\b(?:PROTOCOL|NODE|STYLE)\.md\b`, // the outside briefs by name
    String.raw`(?<![\w-])shared/`, // ../shared/..., /work/shared/..., shared/vectors/...
    String.raw`/` + String.raw`work/`, // any absolute path into the work area
  ].join('|'),
  'g',
);

/** A docs/ citation: the file, then optionally a quoted heading or an anchor on the same line. */
const DOCS_CITATION = /(?<![\w-])docs\/([\w./-]+?\.md)(?:#([\w-]+)|,?\s+"([^"\n]+)")?/g;

/** A file name that stands for any (NAME.md, PAGE.md), not for one document. */
const PLACEHOLDER = /(?:^|\/)[A-Z]+\.md$/;

function* textFiles(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* textFiles(path);
    else if (TEXT_FILE.test(entry.name)) yield path;
  }
}

/** Every (file, line number, line) of the trees. */
function sourceLines(): { file: string; line: number; text: string }[] {
  const out: { file: string; line: number; text: string }[] = [];
  for (const tree of TREES) {
    for (const path of textFiles(join(ROOT, tree))) {
      const file = relative(ROOT, path);
      readFileSync(path, 'utf8').split('\n').forEach((text, i) => out.push({ file, line: i + 1, text }));
    }
  }
  return out;
}

/** The headings of a markdown text, without their #s and with inline code marks removed. */
export function headingsOf(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((line) => /^#{1,6}\s/.test(line))
    .map((line) => line.replace(/^#+\s+/, '').replace(/`/g, '').trim());
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** What is wrong with one docs/ citation, or undefined. */
export function citationProblem(file: string, anchor: string | undefined, heading: string | undefined, read: (file: string) => string | undefined): string | undefined {
  const text = read(file);
  if (text === undefined) return `docs/${file} does not exist`;
  const headings = headingsOf(text);
  const cited = heading?.replace(/`/g, '').trim();
  // A heading may carry a parenthetical after its name ("Sanity bounds on counters (issue 19 item 9)").
  if (cited !== undefined && !headings.some((h) => h === cited || h.startsWith(`${cited} (`))) return `docs/${file} has no heading "${heading}"`;
  if (anchor !== undefined && !headings.map(anchorOf).includes(anchor)) return `docs/${file} has no heading with anchor #${anchor}`;
  return undefined;
}

function readDoc(file: string): string | undefined {
  const path = join(ROOT, 'docs', file);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

describe('item 3: code comments cite docs/, not files outside the repository', () => {
  const lines = sourceLines();

  it('ok, the checks themselves: outside names, docs citations, headings and anchors', () => {
    const outside = (s: string) => [...s.matchAll(OUTSIDE)].length;
    assert.equal(outside('see PROTOCOL.md §2.3'), 1);
    assert.equal(outside('(shared/NODE.md, "Test networks")'), 2);
    assert.equal(outside('../shared/STYLE.md'), 2);
    assert.equal(outside('docs/protocol-carp.md "HMAC"; a shared-nothing design; shared_key'), 0);
    const doc = '# T (draft)\n\n## Foreign masters: `vrrp-v2`\n\n### Graceful stop\n';
    const read = (f: string) => (f === 'x.md' ? doc : undefined);
    assert.equal(citationProblem('x.md', undefined, 'Graceful stop', read), undefined);
    assert.equal(citationProblem('x.md', undefined, 'T', read), undefined);
    assert.equal(citationProblem('x.md', undefined, 'Foreign masters: `vrrp-v2`', read), undefined);
    assert.equal(citationProblem('x.md', 'foreign-masters-vrrp-v2', undefined, read), undefined);
    assert.match(citationProblem('x.md', undefined, 'Graceful', read) ?? '', /no heading/);
    assert.match(citationProblem('x.md', 'graceful', undefined, read) ?? '', /no heading/);
    assert.match(citationProblem('y.md', undefined, undefined, read) ?? '', /does not exist/);
    const cited = [...'as docs/x.md, "Graceful stop" says; docs/y.md#a-b and docs/z.md.'.matchAll(DOCS_CITATION)].map((m) => [m[1], m[2], m[3]]);
    assert.deepEqual(cited, [['x.md', undefined, 'Graceful stop'], ['y.md', 'a-b', undefined], ['z.md', undefined, undefined]]);
  });

  it('ok, the trees are read (a guard against scanning nothing)', () => {
    assert.ok(lines.some((l) => l.file.startsWith('src/protocols/')));
    assert.ok(lines.some((l) => l.file.startsWith('native/')));
  });

  it('ok, no file cites the outside briefs or a shared/ folder', () => {
    const found = lines.filter((l) => l.file !== relative(ROOT, import.meta.filename) && [...l.text.matchAll(OUTSIDE)].length > 0);
    assert.deepEqual(found.map((l) => `${l.file}:${l.line}: ${l.text.trim()}`), []);
  });

  it('ok, the documentation (README.md, docs/) cites no outside brief either', () => {
    const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const found = docs.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((text, i) => ([...text.matchAll(OUTSIDE)].length > 0 ? [`${file}:${i + 1}: ${text.trim()}`] : [])),
    );
    assert.deepEqual(found, []);
  });

  it('ok, every #anchor of a markdown link in README.md and docs/ names a heading of its target', () => {
    const problems: string[] = [];
    const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    for (const file of docs) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/\]\(([\w./-]*\.md)?#([^)\s]+)\)/g)) {
        const target = m[1] === undefined ? file : join(file === 'README.md' ? '.' : 'docs', m[1]);
        const path = join(ROOT, target);
        const headings = existsSync(path) ? headingsOf(readFileSync(path, 'utf8')).map(anchorOf) : [];
        if (!headings.includes(m[2] as string)) problems.push(`${file}: ${m[0]}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('ok, every docs/NAME.md cited exists, with the section it names', () => {
    const problems: string[] = [];
    for (const l of lines.filter((l) => l.file !== relative(ROOT, import.meta.filename))) {
      for (const m of l.text.matchAll(DOCS_CITATION)) {
        if (PLACEHOLDER.test(m[1] as string)) continue; // docs/man/PAGE.md in a usage text
        const problem = citationProblem(m[1] as string, m[2], m[3], readDoc);
        if (problem !== undefined) problems.push(`${l.file}:${l.line}: ${problem}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
