/**
 * Replay protection end to end on the simulated LAN: real encoders, HMAC, acceptance, replay
 * guard and state machines, with an attacker who captured every packet on the segment.
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
import { buildSimCluster } from '../../src/sim/cluster-builder.ts';
import type { TappedPacket } from '../../src/sim/sim-lan.ts';
import { SimLan } from '../../src/sim/sim-lan.ts';
import { SimTransport } from '../../src/sim/sim-transport.ts';
import { seededRandom } from '../../src/sim/random.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const SECOND = 1_000_000;

function pair() {
  const clock = new VirtualClock();
  const cluster = buildSimCluster(
    {
      vhid: 9,
      passphrase: 'replay-test',
      virtualAddresses: ['198.51.100.100'],
      nodes: [
        { name: 'master', address: '198.51.100.1', advskew: 0 },
        { name: 'backup', address: '198.51.100.2', advskew: 100 },
      ],
    },
    clock,
  );
  const captured: TappedPacket[] = [];
  cluster.lan.tap((p) => captured.push(p));
  return { clock, cluster, captured };
}

test('replay: adverts captured from a dead master do not keep it alive; the backup takes over on time', () => {
  const { clock, cluster, captured } = pair();
  cluster.startAll();
  clock.advanceBy(10 * SECOND);
  assert.deepEqual(cluster.masters(9), ['master']);
  const fromMaster = captured.filter((p) => p.from === 'master');
  const crashAt = clock.nowMicros();
  cluster.crash('master');
  // The attacker re-injects every captured advert, one every 100 ms, for 10 s.
  for (let i = 0; i < 100; i++) {
    clock.advanceBy(100_000);
    cluster.lan.inject((fromMaster[i % fromMaster.length] as TappedPacket).bytes, ['backup']);
  }
  clock.advanceBy(1_000); // the last injected packet is still in flight
  assert.deepEqual(cluster.masters(9), ['backup']);
  const takeover = cluster.host('backup').effects.find((e) => e.effect === 'add-addresses' && e.at > crashAt);
  assert.ok(takeover !== undefined);
  // backup's master-down: 3 × (1 + 100/256) s = 4.172 s after the last genuine advert.
  assert.ok(takeover.at - crashAt <= 4_171_875 + 1_000, `took ${takeover.at - crashAt} µs`);
  const runner = cluster.host('backup').runners.get(9);
  assert.ok(runner !== undefined && runner.stats.drops.replay === 100);
  assert.equal(runner.state.phase, 'master', 'and it stays master');
});

test('replay: a restarted master is accepted at once (its counter restarts above the old ones); its old adverts are not', () => {
  const { clock, cluster, captured } = pair();
  cluster.startAll();
  clock.advanceBy(10 * SECOND);
  const oldAdverts = captured.filter((p) => p.from === 'master').map((p) => p.bytes);
  cluster.crash('master');
  clock.advanceBy(10 * SECOND);
  assert.deepEqual(cluster.masters(9), ['backup']);
  // The old master comes back with only its disk (the state store). Preemption is off, so it must
  // stay backup, which requires it to accept the current master's adverts and vice versa.
  cluster.start('master');
  clock.advanceBy(10 * SECOND);
  assert.deepEqual(cluster.masters(9), ['backup']);
  const master = cluster.host('master').runners.get(9);
  assert.ok(master !== undefined && master.stats.advertsReceived >= 6, 'the restarted node accepts the current master');
  const backupRunner = cluster.host('backup').runners.get(9);
  assert.ok(backupRunner !== undefined);
  const phaseBefore = backupRunner.state;
  for (const bytes of oldAdverts) cluster.host('backup').transport?.receive(bytes);
  assert.equal(backupRunner.state, phaseBefore);
  assert.equal(backupRunner.stats.drops.replay, oldAdverts.length);
});

test('replay: a sender whose counters go backwards (ucarp-style random counters) is named once in the log', () => {
  for (const mode of ['strict', 'compat'] as const) {
    const clock = new VirtualClock();
    const lan = new SimLan(clock, seededRandom(3));
    const key = carpKeyFromPassphrase('secret-pass');
    const vip = parseIpAddress('198.51.100.100');
    const own = parseIpAddress('198.51.100.2');
    const transport = new SimTransport(lan, 'carpd', [own]);
    const logger = new MemoryLogger();
    const node = new CarpNode(transport, logger, clock);
    const runner = new GroupRunner(
      makeGroupSettings({ vhid: 7, key, addresses: [vip], advskew: 100, sourceAddresses: { 4: own }, replayMode: mode }),
      { clock, transport, effects: noGroupEffects, logger, stateStore: new MemoryGroupStateStore() },
    );
    node.addGroup(runner);
    runner.start();
    // A ucarp-like master that has never heard a peer: a random counter in every advert.
    const peer = parseIpAddress('198.51.100.1');
    const auth = new CarpAuthenticator(key, 7, [vip]);
    const random = seededRandom(99);
    const base = clock.wallclockMicros();
    for (let i = 0; i < 10; i++) {
      clock.advanceBy(SECOND);
      const counter = i === 0 ? (base << 8n) + 10n ** 12n : BigInt(Math.floor(random() * 2 ** 50)) // below the first: random, like ucarp's;
      const payload = encodeCarpHeader({ vhid: 7, advbase: 1, advskew: 0, demote: 0, counter, digest: auth.sign(counter) });
      transport.receive(encodeIpv4Packet({ source: peer, destination: parseIpAddress('224.0.0.18'), payload }));
    }
    const warnings = logger.records.filter((r) => r.level === 'warn' && r.fields['peer'] === '198.51.100.1');
    assert.equal(warnings.length, 1, `${mode}: exactly one warning naming the peer`);
    if (mode === 'strict') {
      assert.equal(runner.stats.drops.replay, 9);
      assert.match(warnings[0]?.message ?? '', /compat/);
    } else {
      assert.equal(runner.stats.advertsReceived, 10);
      assert.equal(runner.state.phase, 'backup');
    }
  }
});
