/**
 * A group's status rendered from its parts (daemon/group-status-report.ts): a group before its
 * runner exists, and the times read from `now`, not from the machine's clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderGroupStatus, type GroupStatusParts } from '../../src/daemon/group-status-report.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { groupConfig, vrrpGroupConfig } from '../helpers/fake-platform.ts';

function parts(overrides: Partial<GroupStatusParts> = {}): GroupStatusParts {
  return {
    name: 'web',
    interfaceName: 'eth0',
    config: groupConfig({ advskew: 30, peers: [parseIpAddress('198.51.100.20')] }),
    runner: undefined,
    addresses: [{ address: parseIpAddress('198.51.100.7'), prefixLength: 24 }],
    demotion: { total: 0, manual: 0, maintenance: false, health: 0, fault: false },
    checks: [],
    fault: null,
    effects: { claimFailures: 1, repairs: 2, conflicts: 3 },
    vmac: undefined,
    scripts: { runs: 4, failures: 1, timeouts: 0, superseded: 0 },
    ...overrides,
  };
}

const NOW = { monotonicMicros: 5_000_000, wallclockMs: Date.parse('2026-01-01T00:00:10.000Z') };

test('before the runner exists: INIT since now, the configured values, the parts as given', () => {
  const status = renderGroupStatus(parts(), NOW);
  assert.equal(status.state, 'INIT');
  assert.equal(status.reason, 'started');
  assert.equal(status.since, '2026-01-01T00:00:10.000Z');
  assert.equal(status.protocol, 'carp');
  assert.equal(status.advskew, 30);
  assert.deepEqual(status.addresses, ['198.51.100.7/24']);
  assert.deepEqual(status.peers, ['198.51.100.20']);
  assert.deepEqual(status.effects, { claimFailures: 1, repairs: 2, conflicts: 3 });
  assert.deepEqual(status.counters, { advertsSent: 0, advertsReceived: 0, sendErrors: 0, transitions: 0, drops: {} });
  assert.equal(status.vmac, undefined);
  assert.equal('vmac' in status, false, 'no vmac field without a macvlan');
  assert.equal(status.fault, null);
  assert.deepEqual(status.scripts, { runs: 4, failures: 1, timeouts: 0, superseded: 0 });
});

test('a macvlan and a fault show; a VRRP group shows its vrrp block and no CARP fields', () => {
  const fault = { reason: 'could not configure the addresses: EPERM', since: '2026-01-01T00:00:05.000Z', until: '2026-01-01T00:00:15.000Z', failures: 1 };
  const status = renderGroupStatus(parts({ config: vrrpGroupConfig({ priority: 120 }), vmac: 'vrrp9 00:00:5e:00:01:09', fault }), NOW);
  assert.equal(status.protocol, 'vrrp');
  assert.equal(status.vmac, 'vrrp9 00:00:5e:00:01:09');
  assert.deepEqual(status.fault, fault);
  assert.equal(status.vrrp?.priority, 120);
  assert.equal(status.advskew, undefined);
});
