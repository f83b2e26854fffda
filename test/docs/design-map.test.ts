/**
 * The README's design map ("## Design", the layer block) names every folder of src/ and every
 * protocol folder of src/protocols/, so that `ls src/` and the map agree (issue 21 item 1: "the
 * README's design map and `ls src/` must show it"). Adding a folder without a line fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** The first fenced block after "## Design" in README.md. */
export function designMap(readme: string): string {
  const design = readme.indexOf('\n## Design');
  assert.ok(design >= 0, 'README.md has a "## Design" section');
  const open = readme.indexOf('```', design);
  const close = readme.indexOf('```', open + 3);
  assert.ok(open >= 0 && close > open, 'the Design section has a fenced map');
  return readme.slice(open + 3, close);
}

/** The folders a map names at the start of a line: `src/x/` at the top, `  name/` indented under src/protocols/. */
export function mappedFolders(map: string): { top: Set<string>; protocols: Set<string> } {
  const top = new Set<string>();
  const protocols = new Set<string>();
  for (const line of map.split('\n')) {
    const topMatch = /^src\/([\w-]+)\//.exec(line);
    if (topMatch !== null) top.add(topMatch[1] as string);
    const nested = /^ {2}([\w-]+)\/\s/.exec(line);
    if (nested !== null) protocols.add(nested[1] as string);
  }
  return { top, protocols };
}

const folders = (path: string) => readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

test('the README design map names every folder of src/ and every protocol of src/protocols/', () => {
  const { top, protocols } = mappedFolders(designMap(readFileSync(join(ROOT, 'README.md'), 'utf8')));
  assert.deepEqual(folders(join(ROOT, 'src')).filter((f) => !top.has(f)), [], 'src/ folders missing from the map');
  assert.deepEqual(folders(join(ROOT, 'src/protocols')).filter((f) => !protocols.has(f)), [], 'protocol folders missing from the map');
  assert.deepEqual([...top].filter((f) => !folders(join(ROOT, 'src')).includes(f)), [], 'the map names folders src/ does not have');
});

test('the checks can fail: a map without a folder, or with a stale one, is told apart', () => {
  const map = 'src/wire/      x\nsrc/protocols/ y\n  carp/        z\n';
  const { top, protocols } = mappedFolders(designMap(`intro\n## Design\n\n\`\`\`\n${map}\`\`\`\n`));
  assert.deepEqual([...top], ['wire', 'protocols']);
  assert.deepEqual([...protocols], ['carp']);
  assert.equal(top.has('engine'), false);
});
