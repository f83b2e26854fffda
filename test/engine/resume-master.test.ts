/**
 * The 'resume-master' start mode through the engine runners (GroupRunner, VrrpGroupRunner) on a
 * simulated LAN: the runner is MASTER at once, its first advert on the wire at the start time,
 * the addresses claimed and announced, one transition reported (protocol-switch); afterwards a
 * better peer of the same protocol takes over by the normal rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupRunner, type TransitionEvent } from '../../src/protocols/carp/carp-group-runner.ts';
import { makeGroupSettings } from '../../src/protocols/carp/carp-group-settings.ts';
import { InterfaceNode } from '../../src/protocols/interface-node.ts';
import { VrrpGroupRunner } from '../../src/protocols/vrrp/vrrp-group-runner.ts';
import { makeVrrpGroupSettings } from '../../src/protocols/vrrp/vrrp-group-settings.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import type { GroupEffects } from '../../src/ports/group-effects.ts';
import { MemoryGroupStateStore } from '../../src/ports/group-state-store.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { SimLan, type TappedPacket } from '../../src/sim/sim-lan.ts';
import { SimTransport } from '../../src/sim/sim-transport.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const S = 1_000_000;
const VIP = '198.51.100.100';
const KEY = new Uint8Array(20).fill(7);

interface Host {
  readonly effects: string[];
  readonly transitions: TransitionEvent[];
}

function recording(host: Host): GroupEffects {
  return {
    addAddresses: () => void host.effects.push('add'),
    removeAddresses: () => void host.effects.push('remove'),
    announce: () => void host.effects.push('announce'),
    runScript: (phase) => void host.effects.push(`script ${phase}`),
  };
}

function segment(): { clock: VirtualClock; lan: SimLan; packets: TappedPacket[] } {
  const clock = new VirtualClock();
  const lan = new SimLan(clock, () => 0, { delayMicros: 100, jitterMicros: 0 });
  const packets: TappedPacket[] = [];
  lan.tap((packet) => packets.push(packet));
  return { clock, lan, packets };
}

function vrrpHost(seg: ReturnType<typeof segment>, name: string, address: string, priority: number): { runner: VrrpGroupRunner; host: Host } {
  const host: Host = { effects: [], transitions: [] };
  const logger = new MemoryLogger();
  const transport = new SimTransport(seg.lan, name, [parseIpAddress(address)]);
  const runner = new VrrpGroupRunner(makeVrrpGroupSettings({ name: 'gw', vrid: 7, addresses: [parseIpAddress(VIP)], priority }), { clock: seg.clock, transport, effects: recording(host), logger });
  runner.onTransition((event) => host.transitions.push(event));
  new InterfaceNode(transport, logger, seg.clock).addGroup(runner);
  return { runner, host };
}

function carpHost(seg: ReturnType<typeof segment>, name: string, address: string, advskew: number): { runner: GroupRunner; host: Host } {
  const host: Host = { effects: [], transitions: [] };
  const logger = new MemoryLogger();
  const transport = new SimTransport(seg.lan, name, [parseIpAddress(address)]);
  const runner = new GroupRunner(makeGroupSettings({ name: 'gw', vhid: 7, key: KEY, addresses: [parseIpAddress(VIP)], advskew, preempt: true }), {
    clock: seg.clock,
    transport,
    effects: recording(host),
    logger,
    stateStore: new MemoryGroupStateStore(),
  });
  runner.onTransition((event) => host.transitions.push(event));
  new InterfaceNode(transport, logger, seg.clock).addGroup(runner);
  return { runner, host };
}

test('VRRP runner started with resume-master: advert on the wire at once, addresses and announcement, master script, protocol-switch; a higher priority started later takes over', () => {
  const seg = segment();
  seg.clock.advanceBy(S);
  const a = vrrpHost(seg, 'a', '198.51.100.1', 100);
  a.runner.start('resume-master');
  assert.equal(a.runner.state.phase, 'master');
  assert.deepEqual(seg.packets.map((p) => [p.from, p.at]), [['a', S]], 'the first advert at the start time');
  assert.deepEqual(a.host.effects, ['add', 'announce', 'script master']);
  assert.deepEqual(a.host.transitions.map((t) => [t.from, t.to, t.reason, t.at]), [['init', 'master', 'protocol-switch', S]]);
  seg.clock.advanceBy(3 * S);
  assert.equal(a.runner.state.phase, 'master', 'keeps advertising as MASTER');
  const b = vrrpHost(seg, 'b', '198.51.100.2', 200);
  b.runner.start();
  seg.clock.advanceBy(5 * S);
  assert.deepEqual([a.runner.state.phase, b.runner.state.phase], ['backup', 'master']);
  assert.equal(a.host.transitions.at(-1)?.reason, 'outranked-by-peer');
});

test('CARP runner started with resume-master: the same, and a better advskew with preempt takes over', () => {
  const seg = segment();
  seg.clock.advanceBy(S);
  const a = carpHost(seg, 'a', '198.51.100.1', 100);
  a.runner.start('resume-master');
  assert.equal(a.runner.state.phase, 'master');
  assert.deepEqual(seg.packets.map((p) => [p.from, p.at]), [['a', S]]);
  assert.deepEqual(a.host.effects, ['add', 'announce', 'script master']);
  assert.deepEqual(a.host.transitions.map((t) => [t.from, t.to, t.reason]), [['init', 'master', 'protocol-switch']]);
  const b = carpHost(seg, 'b', '198.51.100.2', 0);
  b.runner.start();
  seg.clock.advanceBy(5 * S);
  assert.deepEqual([a.runner.state.phase, b.runner.state.phase], ['backup', 'master']);
});
