// keepalived.conf's lexical grammar (src/config/keepalived/lex.ts; docs/migration.md "The converter").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lexKeepalived, splitCommand } from '../../../src/config/keepalived/lex.ts';

/** The tokens of each line as strings: words as they are, braces as { and }. */
function words(text: string): string[][] {
  return lexKeepalived(text).map((line) => line.tokens.map((t) => (t.kind === 'word' ? t.text : t.kind === 'open' ? '{' : '}')));
}

const cases: [string, string, string[][]][] = [
  ['ok, words and a block', 'vrrp_instance VI_1 {\n  priority 100\n}', [['vrrp_instance', 'VI_1', '{'], ['priority', '100'], ['}']]],
  ['ok, # and ! comments anywhere in a line', '! header\npriority 100 # the priority\nstate MASTER!x', [['priority', '100'], ['state', 'MASTER']]],
  ['ok, braces attached to words are tokens of their own', 'track_script {chk}', [['track_script', '{', 'chk', '}']]],
  ['ok, a quoted string keeps blanks and comment characters', 'script "pidof # haproxy"', [['script', 'pidof # haproxy']]],
  ['ok, quotes join the text around them into one word', `a'bc" d'"e f"g`, [['abc" de fg']]],
  ['ok, escapes inside quotes', String.raw`x "a\tb\x41\101\"c"`, [['x', 'a\tbAA"c']]],
  ['ok, an unterminated quote ends at the end of its line', 'x "abc\ny', [['x', 'abc'], ['y']]],
  ['ok, blank and comment-only lines give nothing', '\n   \n# x\n', []],
  ['ok, CRLF line ends', 'a 1\r\nb 2\r\n', [['a', '1'], ['b', '2']]],
];

for (const [name, text, expected] of cases) test(name, () => assert.deepEqual(words(text), expected));

test('line numbers count every line, blank and comment lines too', () => {
  assert.deepEqual(lexKeepalived('\n# c\nx\n\ny').map((l) => l.line), [3, 5]);
});

test('conditional (@), definition ($X=) and ~SEQ lines are marked; $-words are marked as substituting', () => {
  const lines = lexKeepalived('@node1 priority 150\n@^node1 priority 100\n$PRIO=100\n~SEQ(i,1,1,3) x\npriority $PRIO\npriority 100');
  assert.deepEqual(lines.map((l) => l.special), ['conditional', 'conditional', 'definition', 'sequence', undefined, undefined]);
  const [, word] = lines[4]?.tokens ?? [];
  assert.ok(word?.kind === 'word' && word.substitutes);
});

test('splitCommand splits on blanks and keeps quoted blanks', () => {
  assert.deepEqual(splitCommand('/usr/bin/pidof haproxy'), ['/usr/bin/pidof', 'haproxy']);
  assert.deepEqual(splitCommand(`/bin/sh -c 'pidof haproxy || exit 1'`), ['/bin/sh', '-c', 'pidof haproxy || exit 1']);
  assert.deepEqual(splitCommand('  a   "b c"  '), ['a', 'b c']);
  assert.deepEqual(splitCommand(`x ''`), ['x', '']);
});
