// keepalived.conf as a statement tree with includes (src/config/keepalived/parse.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BLOCK_DEPTH, MAX_INCLUDE_DEPTH, parseKeepalived, type Statement } from '../../../src/config/keepalived/parse.ts';
import { NoteSink } from '../../../src/config/keepalived/notes.ts';
import { mapReader } from './map-reader.ts';

function parse(files: Record<string, string>, main = '/k/keepalived.conf') {
  const sink = new NoteSink();
  const tree = parseKeepalived(main, files[main] as string, mapReader(files), sink);
  return { tree, notes: sink.all() };
}

/** A tree as nested arrays of "keyword args". */
function shape(statements: readonly Statement[]): unknown[] {
  return statements.map((s) => {
    const head = [s.keyword, ...s.args.map((a) => a.text)].join(' ');
    return s.children === undefined ? head : [head, shape(s.children)];
  });
}

test('ok, nested blocks, one-line blocks and { on the next line', () => {
  const { tree, notes } = parse({ '/k/keepalived.conf': 'vrrp_instance A {\n virtual_ipaddress { 198.51.100.1 }\n track_script\n {\n  chk\n }\n}\nvrrp_script chk {\n script x\n}' });
  assert.deepEqual(notes, []);
  assert.deepEqual(shape(tree), [['vrrp_instance A', [['virtual_ipaddress', ['198.51.100.1']], ['track_script', ['chk']]]], ['vrrp_script chk', ['script x']]]);
  assert.deepEqual(tree.map((s) => s.line), [1, 8]);
});

test('bad, a } that closes nothing and a block never closed are syntax errors with their lines', () => {
  const { notes } = parse({ '/k/keepalived.conf': 'a 1\n}\nvrrp_instance X {\n priority 1\n' });
  assert.deepEqual(notes.map((n) => [n.kind, n.code, n.line]), [['error', 'CARPD_KEEPALIVED_SYNTAX', 2], ['error', 'CARPD_KEEPALIVED_SYNTAX', 3]]);
});

test(`bad, blocks nested deeper than ${MAX_BLOCK_DEPTH} stop the parse`, () => {
  const { notes } = parse({ '/k/keepalived.conf': 'a {\n'.repeat(MAX_BLOCK_DEPTH + 5) });
  assert.ok(notes.some((n) => n.code === 'CARPD_KEEPALIVED_SYNTAX' && n.kind === 'error'));
});

test('ok, include is replaced in place by the files it names, relative to the including file, in glob order, with their own file and line', () => {
  const { tree, notes } = parse({
    '/k/keepalived.conf': 'global_defs {\n}\ninclude conf.d/*.conf\nvrrp_instance Z {\n}',
    '/k/conf.d/b.conf': 'vrrp_instance B {\n include ../more/x.conf\n}',
    '/k/conf.d/a.conf': '\nvrrp_instance A {\n}',
    '/k/more/x.conf': 'priority 7',
  });
  assert.deepEqual(notes, []);
  assert.deepEqual(shape(tree), ['global_defs', ['vrrp_instance A', []], ['vrrp_instance B', ['priority 7']], ['vrrp_instance Z', []]].map((x) => (typeof x === 'string' ? [x, []] : x)));
  assert.deepEqual(tree.map((s) => `${s.file}:${s.line}`), ['/k/keepalived.conf:1', '/k/conf.d/a.conf:2', '/k/conf.d/b.conf:1', '/k/keepalived.conf:4']);
});

test('bad, an include cycle (a → b → a) is refused with the include line, and a self-include too', () => {
  const cycle = parse({ '/k/keepalived.conf': 'include a.conf', '/k/a.conf': 'x 1\ninclude b.conf', '/k/b.conf': 'include a.conf' });
  assert.deepEqual(cycle.notes.map((n) => [n.code, n.file, n.line]), [['CARPD_KEEPALIVED_INCLUDE', '/k/b.conf', 1]]);
  assert.deepEqual(shape(cycle.tree), ['x 1']);
  const self = parse({ '/k/keepalived.conf': 'include keepalived.conf' });
  assert.deepEqual(self.notes.map((n) => [n.kind, n.code, n.line]), [['error', 'CARPD_KEEPALIVED_INCLUDE', 1]]);
});

test('ok, one file included twice without a cycle (a diamond) is read twice', () => {
  const { tree, notes } = parse({ '/k/keepalived.conf': 'include a.conf\ninclude b.conf', '/k/a.conf': 'include c.conf', '/k/b.conf': 'include c.conf', '/k/c.conf': 'x 1' });
  assert.deepEqual(notes, []);
  assert.deepEqual(shape(tree), ['x 1', 'x 1']);
});

test(`bad, includes nested deeper than ${MAX_INCLUDE_DEPTH} are refused`, () => {
  const files: Record<string, string> = { '/k/keepalived.conf': 'include f0.conf' };
  for (let i = 0; i < MAX_INCLUDE_DEPTH + 3; i++) files[`/k/f${i}.conf`] = `include f${i + 1}.conf`;
  const { notes } = parse(files);
  assert.deepEqual(notes.map((n) => [n.kind, n.code]), [['error', 'CARPD_KEEPALIVED_INCLUDE']]);
});

test('an include that matches nothing is named as left out with its line (keepalived ignores it too)', () => {
  const { notes } = parse({ '/k/keepalived.conf': '\ninclude nothing/*.conf' });
  assert.deepEqual(notes.map((n) => [n.kind, n.code, n.line, n.what]), [['left-out', 'CARPD_KEEPALIVED_NOT_CONVERTED', 2, 'include nothing/*.conf']]);
});

test('@ lines, definitions and their uses are named with their lines; a block opened by one is skipped whole', () => {
  const { tree, notes } = parse({ '/k/keepalived.conf': '$P=1\n@node1 vrrp_instance A {\n priority 1\n}\nvrrp_instance B {\n priority $P\n priority 2\n}' });
  assert.deepEqual(notes.map((n) => [n.code, n.line]), [['CARPD_KEEPALIVED_NOT_CONVERTED', 1], ['CARPD_KEEPALIVED_NOT_CONVERTED', 2], ['CARPD_KEEPALIVED_NOT_CONVERTED', 6]]);
  assert.deepEqual(shape(tree), [['vrrp_instance B', ['priority 2']]]);
});
