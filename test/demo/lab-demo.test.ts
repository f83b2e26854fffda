/** The namespace-lab demo end to end: real daemons, a crash failover and a graceful handover. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../../src/lab/lab.ts';
import { runLabDemo } from '../../src/demo/lab-demo.ts';

const skip = await Lab.available();

test('lab demo: crash failover, preemption, graceful handover, one master at the end', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const lines: string[] = [];
  const ok = await runLabDemo((line) => lines.push(line));
  const timeline = lines.join('\n');
  for (const line of lines) t.diagnostic(line);
  assert.equal(ok, true, timeline);
  assert.match(timeline, /alpha +BACKUP -> MASTER \(master-down-timeout\)/);
  assert.match(timeline, /alpha loses power/);
  assert.match(timeline, /bravo +BACKUP -> MASTER \(master-down-timeout\)/, 'crash failover to bravo');
  assert.match(timeline, /alpha +BACKUP -> MASTER \(preempting-worse-master/, 'alpha preempts on its return');
  assert.match(timeline, /bravo +BACKUP -> MASTER \(master-bowed-out/, 'graceful handover to bravo');
  assert.match(timeline, /crash \(power cut\): +bravo master after \d+ ms, client outage \d+ ms/);
  assert.match(timeline, /graceful \(bow-out\): +bravo master after \d+ ms, client outage \d+ ms/);
});
