/**
 * The one protocol switch of a group (daemon/protocol-runner.ts), on a SimLan transport: which
 * runner a config gets, the VRRP source check before anything changes, a reload reaching the
 * runner in its own terms, and the protocol's part of the status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterfaceHost } from '../../src/daemon/interface-host.ts';
import { planRunner, protocolStatusOf, reconfigureRunner, type RunnerPorts } from '../../src/daemon/protocol-runner.ts';
import { StartupError } from '../../src/daemon/startup-error.ts';
import { noGroupEffects } from '../../src/ports/group-effects.ts';
import { MemoryGroupStateStore } from '../../src/ports/group-state-store.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { SimLan } from '../../src/sim/sim-lan.ts';
import { SimTransport } from '../../src/sim/sim-transport.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { groupConfig, PARENT, vrrpGroupConfig } from '../helpers/fake-platform.ts';

const resolved = (texts: readonly string[]) => texts.map((text) => ({ address: parseIpAddress(text), prefixLength: 24 }));

function rig(ownAddresses: readonly string[]) {
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  const lan = new SimLan(clock, () => 0, { delayMicros: 100, jitterMicros: 0 });
  const own = ownAddresses.map(parseIpAddress);
  const transport = new SimTransport(lan, 'eth0', own);
  const link = { index: 2, name: PARENT.name, mac: PARENT.mac, up: true, running: true };
  const sockets = {
    transport,
    openPacketSocket: () => {
      throw new Error('no packet socket in this test');
    },
  };
  const host = new InterfaceHost(link as never, own, [4, 6], sockets, logger, clock);
  const ports: RunnerPorts = { clock, transport, effects: noGroupEffects, logger };
  return { clock, logger, host, ports, store: new MemoryGroupStateStore() };
}

test('a CARP group gets the CARP runner, with its settings from the config and the key', () => {
  const { host, ports, store, logger } = rig([PARENT.address]);
  const config = groupConfig({ advskew: 40 });
  const plan = planRunner(config, new Uint8Array(20), resolved(['198.51.100.7']), host, store, logger);
  assert.equal(plan.protocol, 'carp');
  const runner = plan.build(ports);
  assert.equal(runner.protocol, 'carp');
  assert.equal(protocolStatusOf(config, runner, () => 'now').protocol.advskew, 40);
});

test('a VRRP group gets the VRRP runner; accept_mode false is said once, at info', () => {
  const { host, ports, store, logger } = rig([PARENT.address]);
  const config = vrrpGroupConfig({ priority: 150 });
  const plan = planRunner(config, new Uint8Array(0), resolved(['198.51.100.9']), host, store, logger);
  assert.equal(plan.protocol, 'vrrp');
  const runner = plan.build(ports);
  assert.equal(runner.protocol, 'vrrp');
  assert.equal(protocolStatusOf(config, runner, () => 'now').protocol.vrrp?.priority, 150);
  assert.equal(logger.records.filter((r) => r.level === 'info' && r.fields['group'] === config.name).length, 1);
});

test('a VRRP group with no address of its family to send from is refused before anything is built (CARPD_VRRP_NO_SOURCE)', () => {
  const { host, store, logger } = rig(['2001:db8::10']);
  assert.throws(
    () => planRunner(vrrpGroupConfig(), new Uint8Array(0), resolved(['198.51.100.9']), host, store, logger),
    (error: unknown) => error instanceof StartupError && error.code === 'CARPD_VRRP_NO_SOURCE',
  );
});

test('a reload reaches each runner in its own terms', () => {
  const { host, ports, store, logger } = rig([PARENT.address]);
  const carp = groupConfig();
  const carpRunner = planRunner(carp, new Uint8Array(20), resolved(['198.51.100.7']), host, store, logger).build(ports);
  reconfigureRunner(carpRunner, { ...carp, advskew: 77 }, new Uint8Array(20), resolved(['198.51.100.7']));
  assert.equal(carpRunner.protocol === 'carp' ? carpRunner.settings.machine.advskew : undefined, 77);
  const vrrp = vrrpGroupConfig();
  const vrrpRunner = planRunner(vrrp, new Uint8Array(0), resolved(['198.51.100.9']), host, store, logger).build(ports);
  const louder = vrrpGroupConfig({ priority: 200 });
  reconfigureRunner(vrrpRunner, louder, new Uint8Array(0), resolved(['198.51.100.9']));
  assert.equal(vrrpRunner.protocol === 'vrrp' ? vrrpRunner.settings.priority : undefined, 200);
});

test('before a runner exists, the status shows the configured values and no key change', () => {
  const config = groupConfig({ advskew: 12 });
  const status = protocolStatusOf(config, undefined, () => 'now');
  assert.equal(status.protocol.protocol, 'carp');
  assert.equal(status.protocol.advskew, 12);
  assert.equal(status.keyChange, undefined);
});
