/**
 * The groups' health monitors (daemon/health-monitors.ts) on a VirtualClock, with tracked
 * interfaces (no probes run): one per tracking group, fed the known link state at start and
 * every change after, replaced on reload with its verdicts carried over, stopped with the group.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthMonitors, tracksNothing } from '../../src/daemon/health-monitors.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { groupConfig } from '../helpers/fake-platform.ts';

function rig(links: Record<string, boolean>) {
  const clock = new VirtualClock();
  const changes: [string, number][] = [];
  const monitors = new HealthMonitors({
    logger: new MemoryLogger(),
    clock,
    currentConfig: (config) => config,
    linkState: (name) => links[name],
    onChange: (group, health) => changes.push([group, health]),
    onCheckChange: () => {},
  });
  return { clock, monitors, changes };
}

const tracking = (weight: number) => groupConfig({ track: { interfaces: [{ interface: 'uplink', weight }], checks: [] } });

test('a group that tracks nothing gets no monitor', () => {
  const { monitors } = rig({});
  assert.equal(tracksNothing(groupConfig()), true);
  monitors.start(groupConfig());
  assert.equal(monitors.size, 0);
});

test('a tracked interface: its known state at start, then every change', () => {
  const { monitors, changes } = rig({ uplink: true });
  monitors.start(tracking(50));
  assert.equal(monitors.size, 1);
  const healthy = changes.at(-1)?.[1] ?? 0;
  assert.equal(healthy, 0);
  monitors.setInterfaceState('uplink', false);
  assert.deepEqual(changes.at(-1), ['eth0/vhid7', 50]);
  monitors.setInterfaceState('uplink', true);
  assert.deepEqual(changes.at(-1), ['eth0/vhid7', 0]);
});

test('replace: the new monitor starts from the link state known now; stop ends the monitor', () => {
  const links = { uplink: true };
  const { monitors, changes } = rig(links);
  monitors.start(tracking(50));
  links.uplink = false;
  monitors.setInterfaceState('uplink', false);
  monitors.replace(tracking(80));
  assert.deepEqual(changes.at(-1), ['eth0/vhid7', 80], 'the new weight, the link still down');
  monitors.stop('eth0/vhid7');
  assert.equal(monitors.size, 0);
  const count = changes.length;
  monitors.setInterfaceState('uplink', true);
  assert.equal(changes.length, count, 'a stopped monitor hears nothing');
});
