import { it } from 'node:test';
import assert from 'node:assert/strict';
import { formatStatus } from '../../src/cli/carpctl-status.ts';
import { emptyDropCounts } from '../../src/wire/drop-reason.ts';
import { sampleGroup, sampleStatus } from '../helpers/fake-daemon-control.ts';

it('formatStatus: a VRRPv2 group says its version, that its password goes in clear, and the password mismatches it dropped', () => {
  const now = new Date('2024-05-01T12:03:12.000Z');
  const base = sampleGroup();
  const group = sampleGroup({
    name: 'gw',
    protocol: 'vrrp',
    vhid: 51,
    advbase: undefined,
    advskew: undefined,
    advertisedAdvskew: undefined,
    demoteByte: undefined,
    replayMode: undefined,
    vrrp: { priority: 100, effectivePriority: 100, owner: false, advertInterval: 1, masterAdvertInterval: 1, masterPriority: null, acceptMode: false, checksumMode: 'compatible', mismatches: { interval: 0, addresses: 0, legacyChecksum: 0 }, version: 2, authType: 'pass' },
    master: null,
    heard: [],
    counters: { ...base.counters, drops: { ...emptyDropCounts(), 'password-mismatch': 17 } },
  });
  const text = formatStatus({ ...sampleStatus(), groups: [group] }, now);
  assert.match(text, /gw \(eth0 VRRPv2 VRID 51\)/);
  assert.match(text, /version\s+VRRPv2 \(RFC 3768\), authentication simple password \(sent in clear\)/);
  assert.match(text, /dropped\s+password-mismatch 17 \(see the log\)/);
});
