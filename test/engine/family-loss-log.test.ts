/**
 * engine/family-loss-log.ts (issue 19 item 8): a dual-stack master heard in one family only is
 * named once per episode, its end once, and at most one warning per family every 10 minutes
 * (later episodes counted into the next). Asserts on levels and fields, not on prose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILY_LOSS_WARNING_INTERVAL_MICROS, FamilyLossLog } from '../../src/engine/family-loss-log.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

const S = 1_000_000;
const master = parseIpAddress('198.51.100.1');
const at = (now: number) => ({ group: 'web', vhid: 7, now, master });
const silent6 = { type: 'family-silent' as const, family: 6 as const, heardIn: [4 as const], silentForMicros: 3 * S };
const back6 = (silentForMicros: number) => ({ type: 'family-heard-again' as const, family: 6 as const, silentForMicros });

test('family loss log: one warning per episode with family, heardIn, master; one info line when the family is back', () => {
  const logger = new MemoryLogger();
  const log = new FamilyLossLog(logger);
  log.note(silent6, at(10 * S));
  log.note(back6(8 * S), at(15 * S));
  assert.deepEqual(
    logger.records.map((r) => [r.level, r.fields]),
    [
      ['warn', { group: 'web', vhid: 7, family: 6, heardIn: [4], master: '198.51.100.1', episodes: 1 }],
      ['info', { group: 'web', vhid: 7, family: 6, silentForMs: 8000 }],
    ],
  );
});

test('family loss log: episodes within 10 minutes are not logged again, but counted into the next warning', () => {
  const logger = new MemoryLogger();
  const log = new FamilyLossLog(logger);
  log.note(silent6, at(0));
  log.note(back6(4 * S), at(S));
  for (let i = 1; i <= 50; i++) {
    log.note(silent6, at(i * 10 * S));
    log.note(back6(4 * S), at(i * 10 * S + S));
  }
  assert.deepEqual(logger.records.map((r) => r.level), ['warn', 'info'], 'the repeats within the interval add nothing');
  log.note(silent6, at(FAMILY_LOSS_WARNING_INTERVAL_MICROS + S));
  const last = logger.records.at(-1);
  assert.equal(last?.level, 'warn');
  assert.equal(last?.fields['episodes'], 51, 'the 50 unlogged episodes and this one');
});

test('family loss log: the families are limited separately; a transition ends the episode without a "back" line', () => {
  const logger = new MemoryLogger();
  const log = new FamilyLossLog(logger);
  log.note(silent6, at(0));
  log.note({ type: 'family-silent', family: 4, heardIn: [6], silentForMicros: 3 * S }, at(S));
  assert.deepEqual(logger.records.map((r) => [r.level, r.fields['family']]), [['warn', 6], ['warn', 4]]);
  log.reset();
  log.note(back6(5 * S), at(2 * S));
  assert.equal(logger.records.length, 2);
});
