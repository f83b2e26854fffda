/**
 * `carpd demo --sim --protocol vrrp [--vrrp-version 2]`: the same scenario as sim-demo.test.ts
 * with VRRP groups, on a virtual clock, and the demo's argument parsing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseDemoArgs } from '../../src/cli/demo.ts';
import { runSimDemo } from '../../src/demo/sim-demo.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SECOND = 1_000_000;

for (const version of [3, 2] as const) {
  test(`demo scenario with VRRPv${version} on a virtual clock: crash failover within Master_Down, graceful within Skew_Time`, async () => {
    const clock = new VirtualClock();
    const lines: string[] = [];
    const result = await runSimDemo(clock, async (at) => clock.advanceTo(at), (line) => lines.push(line), { protocol: 'vrrp', version });
    const timeline = lines.join('\n');
    assert.equal(result.ok, true, timeline);
    assert.equal(result.finalMaster, 'bravo');
    // bravo (priority 204) waits 3 × 1 s + (256 - 204)/256 s = 3.203 s after alpha's last advert.
    assert.ok(result.crashFailoverMicros !== undefined && result.crashFailoverMicros <= 3 * SECOND + 203_125 + 1_000, timeline);
    // After alpha's priority-0 advert bravo waits only its Skew_Time, 52/256 s.
    assert.ok(result.gracefulFailoverMicros !== undefined && result.gracefulFailoverMicros <= 203_125 + 1_000, timeline);
    assert.match(timeline, new RegExp(`VRRPv${version} VRID 1`));
    assert.match(timeline, /bravo +198\.51\.100\.2 +interval 1 s +priority 204 +master-down 3\.203 s/);
    assert.match(timeline, /alpha +BACKUP -> MASTER \(preempting-worse-master/);
    assert.match(timeline, /bravo +BACKUP -> MASTER \(master-bowed-out/);
    assert.doesNotMatch(timeline, /advert-send-failed/);
  });
}

test('demo arguments: --protocol and --vrrp-version; CARP by default; usage errors named', () => {
  assert.deepEqual(parseDemoArgs([]), { sim: false });
  assert.deepEqual(parseDemoArgs(['--sim']), { sim: true });
  assert.deepEqual(parseDemoArgs(['--sim', '--protocol', 'vrrp']), { sim: true, protocol: 'vrrp' });
  assert.deepEqual(parseDemoArgs(['--protocol', 'vrrp', '--vrrp-version', '2', '--sim']), { sim: true, protocol: 'vrrp', version: 2 });
  assert.deepEqual(parseDemoArgs(['--protocol', 'carp']), { sim: false, protocol: 'carp' });
  for (const bad of [['--protocol', 'ospf'], ['--protocol'], ['--vrrp-version', '2'], ['--protocol', 'carp', '--vrrp-version', '2'], ['--protocol', 'vrrp', '--vrrp-version', '4'], ['--protocol', 'vrrp', '--vrrp-version', 'two'], ['--simulate']]) {
    assert.ok('error' in parseDemoArgs(bad), JSON.stringify(bad));
  }
});

test('carpd demo with a bad argument exits 2 with the usage, before any demo runs', () => {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'carpd'), 'demo', '--sim', '--protocol', 'vrrp', '--vrrp-version', '4'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /usage: carpd demo .*--protocol/);
  assert.equal(run.stdout, '');
});
