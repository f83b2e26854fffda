/**
 * The one warning about a peer whose counters go backwards names the likely cause as a field:
 * a carpd peer whose clock went back (fix the clock) is told apart from a peer with random or
 * constant counters (ucarp, FreeBSD, OpenBSD: replay mode "compat"). Real runner, HMAC and
 * replay guard on the simulated LAN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeGroupSettings } from '../../src/protocols/carp/carp-group-settings.ts';
import { GroupRunner } from '../../src/protocols/carp/carp-group-runner.ts';
import { CarpNode } from '../../src/protocols/carp/carp-node.ts';
import { encodeCarpHeader } from '../../src/protocols/carp/carp-header.ts';
import { CarpAuthenticator } from '../../src/protocols/carp/carp-hmac.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { encodeIpv4Packet } from '../../src/wire/ip-packet.ts';
import { MemoryGroupStateStore } from '../../src/ports/group-state-store.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { noGroupEffects } from '../../src/ports/group-effects.ts';
import { SimLan } from '../../src/sim/sim-lan.ts';
import { SimTransport } from '../../src/sim/sim-transport.ts';
import { seededRandom } from '../../src/sim/random.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const SECOND = 1_000_000;
const PEER = '198.51.100.1';

/** Feeds authentic adverts from PEER with the counters given (base: our wall clock in µs); returns the warnings naming the peer. */
function warningsFor(mode: 'strict' | 'compat', counters: (base: bigint) => bigint[]) {
  const clock = new VirtualClock();
  const lan = new SimLan(clock, seededRandom(3));
  const key = carpKeyFromPassphrase('secret-pass');
  const vip = parseIpAddress('198.51.100.100');
  const own = parseIpAddress('198.51.100.2');
  const transport = new SimTransport(lan, 'carpd', [own]);
  const logger = new MemoryLogger();
  const node = new CarpNode(transport, logger, clock);
  const runner = new GroupRunner(makeGroupSettings({ vhid: 7, key, addresses: [vip], advskew: 100, sourceAddresses: { 4: own }, replayMode: mode }), {
    clock,
    transport,
    effects: noGroupEffects,
    logger,
    stateStore: new MemoryGroupStateStore(),
  });
  node.addGroup(runner);
  runner.start();
  const auth = new CarpAuthenticator(key, 7, [vip]);
  for (const counter of counters(clock.wallclockMicros())) {
    clock.advanceBy(SECOND);
    const payload = encodeCarpHeader({ vhid: 7, advbase: 1, advskew: 0, demote: 0, counter, digest: auth.sign(counter) });
    transport.receive(encodeIpv4Packet({ source: parseIpAddress(PEER), destination: parseIpAddress('224.0.0.18'), payload }));
  }
  return logger.records.filter((r) => r.level === 'warn' && r.fields['peer'] === PEER);
}

for (const mode of ['strict', 'compat'] as const) {
  test(`backwards counters, ${mode}: a carpd peer whose clock stepped back 2 s is named with likelyCause peer-clock-stepped-back`, () => {
    // Lane 1 (the peer's last byte), µs since the epoch near ours; then a restart with the clock 2 s back.
    const warnings = warningsFor(mode, (base) => [((base + 5n * 1_000_000n) << 8n) | 1n, ((base + 6n * 1_000_000n) << 8n) | 1n, ((base + 4n * 1_000_000n) << 8n) | 1n]);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.fields['likelyCause'], 'peer-clock-stepped-back');
  });

  test(`backwards counters, ${mode}: random counters (ucarp) are named with likelyCause peer-counters-not-clock-based`, () => {
    const random = seededRandom(99);
    const warnings = warningsFor(mode, (base) => [(base << 8n) + 10n ** 12n, ...Array.from({ length: 9 }, () => BigInt(Math.floor(random() * 2 ** 50)))]);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.fields['likelyCause'], 'peer-counters-not-clock-based');
  });
}

test('backwards counters, strict: a constant counter (OpenBSD) is named with likelyCause peer-counters-not-clock-based', () => {
  const warnings = warningsFor('strict', (base) => [(base << 8n) | 1n, (base << 8n) | 1n, (base << 8n) | 1n]);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]?.fields['likelyCause'], 'peer-counters-not-clock-based');
});
