/** protocols/carp/key-change-twin.ts: which failed adverts are the other-key copy of a rolling key change. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKeyChangeTwin, TWIN_MAX_DELAY_MICROS, TWIN_MAX_SEQUENCE_GAP } from '../../src/protocols/carp/key-change-twin.ts';

const LANE = 12n;
/** A carpd counter: sequence (µs of the sender's clock) · 256 + lane. */
const counter = (sequence: bigint, lane = LANE): bigint => (sequence << 8n) | lane;
const T = 1_767_225_600_000_000n;
const accepted = { counter: counter(T), at: 50_000_000 };
const RECENT = 3_000_000;

test('key-change twins: table', () => {
  const rows: [name: string, failed: { counter: bigint; at: number; signedWithRetiredKey: boolean }, last: typeof accepted | undefined, twin: boolean][] = [
    ['ok, the new-key copy 40 µs after the old-key one was accepted', { counter: counter(T + 40n), at: accepted.at + 150, signedWithRetiredKey: false }, accepted, true],
    ['ok, at the gap and delay limits', { counter: counter(T + TWIN_MAX_SEQUENCE_GAP), at: accepted.at + TWIN_MAX_DELAY_MICROS, signedWithRetiredKey: false }, accepted, true],
    ['bad, nothing accepted from this sender', { counter: counter(T + 40n), at: accepted.at + 150, signedWithRetiredKey: false }, undefined, false],
    ['bad, the same counter (a replay of the accepted one, altered)', { counter: counter(T), at: accepted.at + 150, signedWithRetiredKey: false }, accepted, false],
    ['bad, below the accepted counter', { counter: counter(T - 40n), at: accepted.at + 150, signedWithRetiredKey: false }, accepted, false],
    ['bad, another lane (another node behind the same address)', { counter: counter(T + 40n, 13n), at: accepted.at + 150, signedWithRetiredKey: false }, accepted, false],
    ['bad, sequence too far ahead (a later advert of a node with another key)', { counter: counter(T + TWIN_MAX_SEQUENCE_GAP + 1n), at: accepted.at + 150, signedWithRetiredKey: false }, accepted, false],
    ['bad, arrived too late after the accepted one', { counter: counter(T + 40n), at: accepted.at + TWIN_MAX_DELAY_MICROS + 1, signedWithRetiredKey: false }, accepted, false],
    ['ok, signed with our retired key, sender accepted recently (our window ended first)', { counter: counter(T - 40n), at: accepted.at + 100, signedWithRetiredKey: true }, accepted, true],
    ['ok, retired key, at the recent limit', { counter: counter(T + 999_999_999n), at: accepted.at + RECENT, signedWithRetiredKey: true }, accepted, true],
    ['bad, retired key but nothing accepted for longer (a node never reloaded)', { counter: counter(T + 40n), at: accepted.at + RECENT + 1, signedWithRetiredKey: true }, accepted, false],
    ['bad, retired key and nothing ever accepted', { counter: counter(T + 40n), at: accepted.at, signedWithRetiredKey: true }, undefined, false],
  ];
  for (const [name, failed, last, twin] of rows) assert.equal(isKeyChangeTwin(failed, last, RECENT), twin, name);
});
