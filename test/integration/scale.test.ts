/** 255 groups on one interface in one process: all become MASTER, advertise, and stop cleanly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../../src/lab/lab.ts';
import { runScale } from '../../bench/scale-groups.ts';

const skip = await Lab.available();

test('lab: 255 groups in one process reach MASTER, advertise ~255/s, stop cleanly', { skip: skip ?? false, timeout: 240_000 }, async (t) => {
  const result = await runScale({ groups: 255, steadySeconds: 5 });
  t.diagnostic(JSON.stringify(result));
  assert.equal(result.exitCode, 0);
  assert.equal(result.leftoverLinks, 0, 'every carp<vhid> deleted on stop');
  assert.ok(result.advertsPerSecond >= 200 && result.advertsPerSecond <= 300, `adverts/s ${result.advertsPerSecond}`);
});
