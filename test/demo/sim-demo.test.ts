import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimDemo } from '../../src/demo/sim-demo.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

test('demo scenario on a virtual clock: crash failover within master-down, graceful within skew time', async () => {
  const clock = new VirtualClock();
  const lines: string[] = [];
  const result = await runSimDemo(clock, async (at) => clock.advanceTo(at), (line) => lines.push(line));
  assert.equal(result.ok, true, lines.join('\n'));
  assert.equal(result.finalMaster, 'bravo');
  // bravo's master-down is 3 × (1 + 50/256) s = 3.586 s after alpha's last advert.
  assert.ok(result.crashFailoverMicros !== undefined && result.crashFailoverMicros <= 3_585_937 + 1_000);
  // After a bow-out bravo waits only its own skew, 50/256 s.
  assert.ok(result.gracefulFailoverMicros !== undefined && result.gracefulFailoverMicros <= 195_312 + 1_000);
  const timeline = lines.join('\n');
  assert.match(timeline, /alpha +BACKUP -> MASTER \(preempting-worse-master/);
  assert.match(timeline, /bravo +BACKUP -> MASTER \(master-bowed-out/);
});
