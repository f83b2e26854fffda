import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeSequence } from '../../src/quorum/sender-sequence.ts';

test('sender sequence: newer is new, not newer is a replay, another incarnation is a restart', () => {
  const cases: [string, { incarnation: bigint; seq: bigint } | undefined, bigint, bigint, string][] = [
    ['first message', undefined, 5n, 1n, 'new'],
    ['next', { incarnation: 5n, seq: 1n }, 5n, 2n, 'new'],
    ['same again', { incarnation: 5n, seq: 2n }, 5n, 2n, 'replay'],
    ['older', { incarnation: 5n, seq: 9n }, 5n, 3n, 'replay'],
    ['restart: new incarnation, sequence from 1', { incarnation: 5n, seq: 9n }, 6n, 1n, 'restart'],
  ];
  for (const [name, last, incarnation, seq, verdict] of cases) assert.equal(judgeSequence(last, incarnation, seq).verdict, verdict, name);
  assert.deepEqual(judgeSequence({ incarnation: 5n, seq: 9n }, 5n, 3n).next, { incarnation: 5n, seq: 9n }, 'a replay changes nothing');
});
