/** The namespace-lab demo end to end: real daemons, a crash failover and a graceful handover. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../../src/lab/lab.ts';
import { runLabDemo } from '../../src/demo/lab-demo.ts';

const skip = await Lab.available();

/** The timeline cut at the demo's three events, so each check looks only at its own act. */
function acts(timeline: string): { election: string; crash: string; rejoin: string; graceful: string } {
  const markers = ['alpha loses power', 'alpha powers up again', 'alpha stops gracefully'];
  const at = markers.map((m) => timeline.indexOf(m));
  assert.ok(at.every((i, k) => i >= 0 && (k === 0 || i > (at[k - 1] ?? 0))), `the demo's acts in order:\n${timeline}`);
  const [crashAt = 0, rejoinAt = 0, gracefulAt = 0] = at;
  return {
    election: timeline.slice(0, crashAt),
    crash: timeline.slice(crashAt, rejoinAt),
    rejoin: timeline.slice(rejoinAt, gracefulAt),
    graceful: timeline.slice(gracefulAt),
  };
}

test('lab demo: crash failover, preemption, graceful handover, one master at the end', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const lines: string[] = [];
  const ok = await runLabDemo((line) => lines.push(line));
  const timeline = lines.join('\n');
  for (const line of lines) t.diagnostic(line);
  assert.equal(ok, true, timeline);
  const { election, crash, rejoin, graceful } = acts(timeline);
  // Which daemon's Node starts first is up to the machine: a worse node that comes up well before
  // alpha may be master for a moment, and alpha then preempts it. Either way alpha ends up master.
  assert.match(election, /alpha +BACKUP -> MASTER \((master-down-timeout|preempting-worse-master)/, timeline);
  if (/(bravo|charlie) +BACKUP -> MASTER/.test(election)) {
    assert.match(election, /alpha +BACKUP -> MASTER \(preempting-worse-master/, timeline);
    assert.match(election, /started before alpha and heard no master/, timeline);
  }
  assert.match(crash, /bravo +BACKUP -> MASTER \(master-down-timeout\)/, 'crash failover to bravo');
  assert.doesNotMatch(crash, /charlie +BACKUP -> MASTER/, 'charlie stays backup');
  assert.match(rejoin, /alpha +BACKUP -> MASTER \(preempting-worse-master/, 'alpha preempts on its return');
  assert.match(graceful, /bravo +BACKUP -> MASTER \(master-bowed-out/, 'graceful handover to bravo');
  assert.match(timeline, /crash \(power cut\): +bravo master after \d+ ms, client outage \d+ ms/);
  assert.match(timeline, /graceful \(bow-out\): +bravo master after \d+ ms, client outage \d+ ms/);
});
