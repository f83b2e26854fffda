import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { followedIntervalCentis, masterDownIntervalMicros, skewTimeMicros } from '../../src/protocols/vrrp/vrrp-intervals.ts';
import { initialVrrpState, stepVrrp } from '../../src/protocols/vrrp/vrrp-step.ts';
import type { VrrpConfig, VrrpState } from '../../src/protocols/vrrp/vrrp-machine-types.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

describe('VRRPv2 timers (RFC 3768 §6.1): Skew_Time is (256 − Priority)/256 s, not scaled by the interval', () => {
  const table: { priority: number; intervalCentis: number; skewMicros: number; masterDownMicros: number }[] = [
    { priority: 100, intervalCentis: 100, skewMicros: 609_375, masterDownMicros: 3_609_375 },
    { priority: 100, intervalCentis: 500, skewMicros: 609_375, masterDownMicros: 15_609_375 },
    { priority: 254, intervalCentis: 100, skewMicros: 7_812, masterDownMicros: 3_007_812 },
    { priority: 1, intervalCentis: 25_500, skewMicros: 996_093, masterDownMicros: 765_996_093 },
  ];
  for (const row of table) {
    it(`ok, priority ${row.priority}, ${row.intervalCentis / 100} s`, () => {
      assert.equal(skewTimeMicros(row.priority, row.intervalCentis, 2), row.skewMicros);
      assert.equal(masterDownIntervalMicros(row.priority, row.intervalCentis, 2), row.masterDownMicros);
    });
  }

  it('ok, VRRPv3 at 5 s scales the skew: 5 × 609375 µs', () => {
    assert.equal(skewTimeMicros(100, 500, 3), 3_046_875);
    assert.equal(skewTimeMicros(100, 500), 3_046_875, 'the default version is 3');
  });

  it('ok, a VRRPv2 backup keeps its own interval; a VRRPv3 one follows the master', () => {
    assert.equal(followedIntervalCentis(100, 300, 2), 100);
    assert.equal(followedIntervalCentis(100, 300, 3), 300);
  });
});

describe('stepVrrp, version 2: no interval learning, v2 Master_Down_Interval', () => {
  const config: VrrpConfig = { vrid: 7, family: 4, version: 2, priority: 100, advertIntervalCentis: 100, preempt: true, acceptMode: false, primaryAddress: parseIpAddress('192.0.2.2') };
  const started = (): VrrpState => stepVrrp(config, initialVrrpState(config, 0), { type: 'start' }, 0).state;

  it('ok, a BACKUP at start arms Master_Down_Interval 3.609375 s', () => {
    const state = started();
    assert.equal(state.phase, 'backup');
    assert.equal(state.masterDownAt, 3_609_375);
  });

  it('ok, an advert from a better master re-arms 3.609375 s from now, whatever interval it carries', () => {
    const now = 1_000_000;
    const result = stepVrrp(config, started(), { type: 'advert', advert: { family: 4, source: parseIpAddress('192.0.2.1'), priority: 150, maxAdvertIntervalCentis: 300 } }, now);
    assert.equal(result.state.masterAdverIntervalCentis, 100);
    assert.equal(result.state.masterDownAt, now + 3_609_375);
  });

  it('ok, a priority-0 advert shortens the timer to the v2 Skew_Time', () => {
    const now = 2_000_000;
    const result = stepVrrp(config, started(), { type: 'advert', advert: { family: 4, source: parseIpAddress('192.0.2.1'), priority: 0, maxAdvertIntervalCentis: 500 } }, now);
    assert.equal(result.state.masterDownAt, now + 609_375);
  });
});
