import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_ADVERT_INTERVAL_CENTIS,
  MAX_ADVERT_INTERVAL_CENTIS,
  MICROS_PER_CENTISECOND,
  centisToMicros,
  learnableIntervalCentis,
  masterDownIntervalMicros,
  skewTimeMicros,
} from '../../src/protocols/vrrp/vrrp-intervals.ts';

describe('centisToMicros', () => {
  it('1 cs is 10 ms', () => assert.equal(MICROS_PER_CENTISECOND, 10_000));
  it('the default 100 cs is one second', () => assert.equal(centisToMicros(DEFAULT_ADVERT_INTERVAL_CENTIS), 1_000_000));
  it('the 12-bit maximum 4095 cs is 40.95 s', () => assert.equal(centisToMicros(MAX_ADVERT_INTERVAL_CENTIS), 40_950_000));
});

describe('skewTimeMicros: ((256 − Priority) × Master_Adver_Interval) / 256', () => {
  const cases: { name: string; priority: number; centis: number; want: number }[] = [
    { name: 'RFC example, priority 100 at 100 cs: 156/256 s = 60.9375 cs, exact', priority: 100, centis: 100, want: 609_375 },
    { name: 'priority 200 at 100 cs: 56/256 s = 218750 µs', priority: 200, centis: 100, want: 218_750 },
    { name: 'priority 254 at 100 cs: 7812.5 µs, truncated', priority: 254, centis: 100, want: 7_812 },
    { name: 'owner 255 at 100 cs: 1/256 s, truncated (keepalived uses 256 − 255 = 1 too)', priority: 255, centis: 100, want: 3_906 },
    { name: 'priority 1 at 100 cs: 255/256 s, truncated', priority: 1, centis: 100, want: 996_093 },
    { name: 'priority 100 at 1 cs: 6093.75 µs, truncated', priority: 100, centis: 1, want: 6_093 },
    { name: 'priority 100 at 50 cs: 304687.5 µs, truncated', priority: 100, centis: 50, want: 304_687 },
    { name: 'priority 100 at 4095 cs: 24953906.25 µs, truncated', priority: 100, centis: 4095, want: 24_953_906 },
    { name: 'priority 128 at 100 cs: exactly half a second', priority: 128, centis: 100, want: 500_000 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(skewTimeMicros(c.priority, c.centis), c.want));
});

describe('masterDownIntervalMicros: 3 × Master_Adver_Interval + Skew_Time', () => {
  const cases: { name: string; priority: number; centis: number; want: number }[] = [
    { name: 'RFC example, priority 100 at 100 cs: 3.609375 s', priority: 100, centis: 100, want: 3_609_375 },
    { name: 'owner at 100 cs: 3 s + 3906 µs', priority: 255, centis: 100, want: 3_003_906 },
    { name: 'priority 200 at 20 cs: 600 ms + 43750 µs', priority: 200, centis: 20, want: 643_750 },
    { name: 'priority 100 at 200 cs (a learned slower master): 6 s + 1.21875 s', priority: 100, centis: 200, want: 7_218_750 },
    { name: 'priority 100 at 1 cs: 30 ms + 6093 µs', priority: 100, centis: 1, want: 36_093 },
    { name: 'priority 1 at 4095 cs, the longest: 122.85 s + 40790039 µs', priority: 1, centis: 4095, want: 163_640_039 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(masterDownIntervalMicros(c.priority, c.centis), c.want));

  const priority = fc.integer({ min: 1, max: 255 });
  const centis = fc.integer({ min: 1, max: 4095 });

  it('property: between 3 and 4 intervals, so a master that misses two adverts is not yet replaced', () => {
    fc.assert(
      fc.property(priority, centis, (p, c) => {
        const md = masterDownIntervalMicros(p, c);
        assert.ok(md > 3 * centisToMicros(c) && md < 4 * centisToMicros(c));
      }),
    );
  });

  it('property: a higher priority always waits strictly less (the best backup takes over first)', () => {
    fc.assert(
      fc.property(priority, priority, centis, (a, b, c) => {
        if (a > b) assert.ok(masterDownIntervalMicros(a, c) < masterDownIntervalMicros(b, c));
      }),
    );
  });
});

describe('learnableIntervalCentis', () => {
  const cases: { name: string; input: number; want: number }[] = [
    { name: '0 (a broken peer) is learned as 1 cs', input: 0, want: 1 },
    { name: '1 cs stays', input: 1, want: 1 },
    { name: '100 cs stays', input: 100, want: 100 },
    { name: '4095 cs, the 12-bit maximum, stays', input: 4095, want: 4095 },
    { name: 'above 4095 is capped', input: 5000, want: 4095 },
    { name: 'a fraction is truncated', input: 150.7, want: 150 },
    { name: 'NaN is learned as 1 cs', input: Number.NaN, want: 1 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(learnableIntervalCentis(c.input), c.want));
});
