/** A failed advert send is counted in sendErrors, never in advertsSent, and logged without flooding. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupRunner } from '../../src/protocols/carp/carp-group-runner.ts';
import { makeGroupSettings } from '../../src/protocols/carp/carp-group-settings.ts';
import { noGroupEffects } from '../../src/ports/group-effects.ts';
import { MemoryGroupStateStore } from '../../src/ports/group-state-store.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import type { PacketTransport } from '../../src/ports/packet-transport.ts';
import { parseIpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

/** A transport whose sends fail with ENOBUFS while `failing` is set. */
function flakyTransport(): PacketTransport & { failing: boolean; sent: number; failed: number } {
  const own = parseIpAddress('198.51.100.10');
  return {
    failing: false,
    sent: 0,
    failed: 0,
    send(_family: IpFamily) {
      if (this.failing) this.failed++;
      if (this.failing) throw Object.assign(new Error('send: ENOBUFS'), { code: 'ENOBUFS' });
      this.sent++;
    },
    sourceAddress: (family) => (family === 4 ? own : undefined),
    setOwnAddresses: () => [],
    isOwnAddress: (address) => address.text === own.text,
    onDatagram() {},
    onMalformed() {},
    close() {},
  };
}

test('advert send errors: counted as errors, not as sent; logged once per 10 s', () => {
  const clock = new VirtualClock();
  const transport = flakyTransport();
  const logger = new MemoryLogger();
  const settings = makeGroupSettings({ vhid: 7, key: new Uint8Array(20), addresses: [parseIpAddress('198.51.100.100')], advbase: 1, advskew: 0 });
  const runner = new GroupRunner(settings, { clock, transport, effects: noGroupEffects, logger, stateStore: new MemoryGroupStateStore() });
  runner.start();
  clock.advanceTo(4_000_000); // master after 3 s: one advert at the transition, then one per second
  assert.equal(runner.state.phase, 'master');
  const sentBefore = runner.stats.advertsSent;
  assert.equal(sentBefore, transport.sent);
  transport.failing = true;
  clock.advanceTo(24_000_000); // every advert failing (it resigns after master-down, retries alone: send-fault.ts)
  assert.equal(runner.stats.advertsSent, sentBefore, 'failed sends are not counted as sent');
  assert.ok(transport.failed >= 10, `${transport.failed} failed sends`);
  assert.equal(runner.stats.sendErrors, transport.failed);
  const warnings = logger.records.filter((r) => r.message === 'advert send failed');
  assert.ok(warnings.length >= 2 && warnings.length <= 3, `rate-limited log: ${warnings.length} warnings for 20 failures`);
  transport.failing = false;
  const errors = runner.stats.sendErrors;
  clock.advanceTo(40_000_000);
  assert.equal(runner.state.phase, 'master', 'alone, MASTER again once sends work');
  assert.ok(runner.stats.advertsSent > sentBefore);
  assert.equal(runner.stats.sendErrors, errors);
});
