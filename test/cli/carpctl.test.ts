import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ago, formatStatus } from '../../src/cli/carpctl-status.ts';
import { ControlServer } from '../../src/control/control-server.ts';
import type { ControlEvent } from '../../src/control/control-types.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import { FakeDaemonControl, sampleGroup, sampleStatus, transitionEvent } from '../helpers/fake-daemon-control.ts';

const CARPCTL = fileURLToPath(new URL('../../bin/carpctl', import.meta.url));

/** What one carpctl process did. */
interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs bin/carpctl as a subprocess (asynchronously: the server under test shares this event loop). */
function carpctl(args: string[], onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(CARPCTL, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      onStdout?.(stdout, (signal) => child.kill(signal));
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('carpctl against a server with a fake daemon', () => {
  let dir: string;
  let path: string;
  let control: FakeDaemonControl;
  let server: ControlServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carpctl-'));
    path = join(dir, 'carpd.sock');
    control = new FakeDaemonControl();
    server = await ControlServer.listen(path, control, silentLogger);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    control.calls.length = 0;
    control.reloadResult = { ok: true, message: 'reloaded: nothing changed' };
  });

  it('ok, status prints a table with the group, its state and non-zero drops only', async () => {
    const run = await carpctl(['--control', path, 'status']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^GROUP\s+INTERFACE\s+VHID\s+STATE/m);
    assert.match(run.stdout, /^web\s+eth0\s+7\s+BACKUP\s+/m);
    assert.match(run.stdout, /drops\s+bad-auth 3\n/);
    assert.doesNotMatch(run.stdout, /replay 0/);
    assert.match(run.stdout, /nginx \(http\) FAILING, weight 50: HTTP 503/);
  });

  it('ok, status --json prints the StatusReport', async () => {
    const run = await carpctl(['--control', path, 'status', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), sampleStatus());
  });

  const commands = [
    { name: 'ok, demote with N', args: ['demote', 'web', '5'], code: 0, call: { method: 'demote', args: ['web', 5] } },
    { name: 'ok, demote defaults to 1', args: ['demote', 'web'], code: 0, call: { method: 'demote', args: ['web', 1] } },
    { name: 'ok, promote all', args: ['promote', 'all', '2'], code: 0, call: { method: 'promote', args: ['all', 2] } },
    { name: 'ok, maintenance on', args: ['maintenance', 'on', 'web'], code: 0, call: { method: 'maintenance', args: ['web', true] } },
    { name: 'ok, maintenance off', args: ['maintenance', 'off', 'web'], code: 0, call: { method: 'maintenance', args: ['web', false] } },
    { name: 'ok, reload', args: ['reload'], code: 0, call: { method: 'reload', args: [] } },
    { name: 'refused, demote an unknown group', args: ['demote', 'nope'], code: 1, call: { method: 'demote', args: ['nope', 1] } },
  ];
  for (const c of commands) {
    it(c.name, async () => {
      const run = await carpctl(['--control', path, ...c.args]);
      assert.equal(run.code, c.code, run.stderr);
      assert.deepEqual(control.calls, [c.call]);
      if (c.code === 0) assert.notEqual(run.stdout, '');
      else assert.match(run.stderr, /^carpctl: no group "nope" \(CARPD_NO_GROUP\)$/m);
    });
  }

  it('refused, a failed reload exits 1 with its message', async () => {
    control.reloadResult = { ok: false, code: 'CARPD_RELOAD_INVALID', message: 'groups[0].vhid: 300 is outside 1..255 [CARPD_CONFIG_RANGE]' };
    const run = await carpctl(['--control', path, 'reload']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /groups\[0\]\.vhid: 300 is outside 1\.\.255/);
  });

  const usage = [
    { name: 'bad usage, no command', args: [] },
    { name: 'bad usage, unknown command', args: ['shutdown'] },
    { name: 'bad usage, unknown option', args: ['--frobnicate', 'status'] },
    { name: 'bad usage, demote without a group', args: ['demote'] },
    { name: 'bad usage, demote N not a number', args: ['demote', 'web', 'lots'] },
    { name: 'bad usage, demote N out of range', args: ['demote', 'web', '256'] },
    { name: 'bad usage, maintenance without on/off', args: ['maintenance', 'web'] },
    { name: 'bad usage, maintenance maybe', args: ['maintenance', 'maybe', 'web'] },
    { name: 'bad usage, --json with demote', args: ['demote', 'web', '--json'] },
    { name: 'bad usage, status with an argument', args: ['status', 'web'] },
    { name: 'bad usage, handover without a group', args: ['handover'] },
    { name: 'bad usage, --timeout with status', args: ['status', '--timeout', '5'] },
    { name: 'bad usage, --timeout not a number', args: ['handover', 'web', '--timeout', 'soon'] },
    { name: 'bad usage, --control without a value', args: ['status', '--control'] },
  ];
  for (const c of usage) {
    it(c.name, async () => {
      const run = await carpctl(['--control', path, ...c.args]);
      assert.equal(run.code, 2, run.stderr);
      // One line: what is wrong, in carpctl's words, and where to look.
      assert.match(run.stderr, /^carpctl: [^\n]+; see carpctl --help\n$/);
      assert.doesNotMatch(run.stderr, /positional|ERR_PARSE_ARGS/);
      assert.deepEqual(control.calls, []);
    });
  }

  it('ok, --help exits 0', async () => {
    const run = await carpctl(['--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /usage: carpctl/);
  });

  it('unreachable, no socket exits 3', async () => {
    const missing = join(dir, 'nothing-here.sock');
    const run = await carpctl(['--control', missing, 'status']);
    assert.equal(run.code, 3);
    assert.equal(run.stderr, `carpctl: is carpd running? no socket at ${missing}\n`);
  });

  it('ok, events prints streamed events until interrupted, a refused reload (ok: false) among them', async () => {
    const refusedReload: ControlEvent = { type: 'reload', at: '2024-05-01T12:10:00.000Z', ok: false, added: [], removed: [], changed: [], errors: ['groups[0].vhid: 300 is outside 1..255 [CARPD_CONFIG_RANGE]'] };
    const sent = [transitionEvent(1), refusedReload, transitionEvent(2)];
    const subscribed = control.subscribers(1).then(() => sent.forEach((e) => control.emit(e)));
    const run = await carpctl(['--control', path, 'events'], (stdout, kill) => {
      if (stdout.split('\n').length > sent.length) kill('SIGINT');
    });
    await subscribed;
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown), sent);
    await control.subscribers(0);
  });

  it('unreachable, events ends with exit 3 and "carpd stopped" when the daemon goes away', async () => {
    const stoppingPath = join(dir, 'stopping.sock');
    const stopping = new FakeDaemonControl();
    const stoppingServer = await ControlServer.listen(stoppingPath, stopping, silentLogger);
    const closed = stopping.subscribers(1).then(() => {
      stopping.emit(transitionEvent(3));
      return stoppingServer.close();
    });
    const run = await carpctl(['--control', stoppingPath, 'events']);
    assert.equal(run.code, 3, run.stderr);
    await closed;
    assert.deepEqual(JSON.parse(run.stdout), transitionEvent(3));
    assert.equal(run.stderr, `carpctl: carpd stopped: it closed the event stream on ${stoppingPath}\n`);
  });
});

describe('carpctl formatting', () => {
  const now = new Date('2024-05-01T12:03:12.000Z');
  const cases = [
    { name: 'seconds', iso: '2024-05-01T12:03:07.000Z', want: '5s ago' },
    { name: 'minutes and seconds', iso: '2024-05-01T12:00:00.000Z', want: '3m12s ago' },
    { name: 'hours and minutes', iso: '2024-05-01T10:00:00.000Z', want: '2h03m ago' },
    { name: 'days and hours', iso: '2024-04-29T09:00:00.000Z', want: '2d3h ago' },
    { name: 'clock skew: in the future', iso: '2024-05-01T12:03:20.000Z', want: 'in 8s' },
    { name: 'not a date: shown as is', iso: 'whenever', want: 'whenever' },
  ];
  for (const c of cases) it(`ago, ${c.name}`, () => assert.equal(ago(c.iso, now), c.want));

  it('status, the master as this node, demotion parts, no checks', () => {
    const group = sampleGroup({
      state: 'MASTER',
      master: null,
      checks: [],
      demotion: { total: 240, manual: 0, maintenance: true, health: 0, syncSet: { name: 'dc1', demotion: 240 } },
    });
    const text = formatStatus({ ...sampleStatus(), groups: [group] }, now);
    assert.match(text, /master\s+this node/);
    assert.match(text, /demotion\s+240 \(manual 0, health 0, maintenance, sync set dc1 240\)/);
    assert.match(text, /checks\s+none/);
    assert.match(text, /drops no group claimed:\n\s+eth0\s+unknown-vhid 5/);
  });
});

it('formatStatus: a dual-stack master by both its addresses', () => {
  const now = new Date('2024-05-01T12:03:12.000Z');
  const master = { address: 'fe80::2', advbase: 1, advskew: 0, demote: 0, heardAt: '2024-05-01T12:03:11.000Z', addresses: { ipv4: '198.51.100.2', ipv6: 'fe80::2' } };
  const text = formatStatus({ ...sampleStatus(), groups: [sampleGroup({ master })] }, now);
  assert.match(text, /master\s+198\.51\.100\.2 \(IPv6 fe80::2\) advbase 1 advskew 0 demote 0, heard 1s ago/);
});

it('formatStatus: every node heard, one line each; one that fails authentication stands out', () => {
  const now = new Date('2024-05-01T12:03:12.000Z');
  const text = formatStatus(sampleStatus(), now);
  assert.match(text, /heard\s+192\.0\.2\.2 advbase 1 advskew 0 demote 0, authenticates; ok 812; last 1s ago/);
  assert.match(text, /\n\s+192\.0\.2\.9 never authenticated, FAILS AUTHENTICATION \(passphrase or address list differs\); ok 0, bad-auth 14; last 2s ago/);
});

it('formatStatus: a peer rolling a key change shows as authenticating with its twin count, not FAILS AUTHENTICATION', () => {
  const now = new Date('2024-05-01T12:03:12.000Z');
  const peer = { address: '192.0.2.2', advbase: 1, advskew: 0, demote: 0, authenticates: true, ok: 30, badAuth: 0, replay: 0, keyChangeTwins: 30, lastHeard: '2024-05-01T12:03:11.000Z' };
  const text = formatStatus({ ...sampleStatus(), groups: [sampleGroup({ heard: [{ ...peer, lastKeyChangeTwin: '2024-05-01T12:03:11.000Z' }] })] }, now);
  assert.match(text, /heard\s+192\.0\.2\.2 advbase 1 advskew 0 demote 0, authenticates, key change in progress; ok 30, key-change-twin 30; last 1s ago/);
  assert.doesNotMatch(text, /FAILS AUTHENTICATION/);
  // Long after the roll-out: the count stays, "in progress" goes.
  const later = formatStatus({ ...sampleStatus(), groups: [sampleGroup({ heard: [{ ...peer, lastKeyChangeTwin: '2024-05-01T11:03:11.000Z' }] })] }, now);
  assert.match(later, /192\.0\.2\.2 advbase 1 advskew 0 demote 0, authenticates; ok 30, key-change-twin 30; last 1s ago/);
});

it('formatStatus: a foreign master (VRRPv2 on our VRID) is a FOREIGN line naming the sender and `vrrp_version 3`; none without one', () => {
  const now = new Date('2024-05-01T12:03:12.000Z');
  const foreign = { adverts: 31, reannouncements: 28, last: { peer: '198.51.100.11', kind: 'vrrp-v2', heardAt: '2024-05-01T12:03:11.000Z' } };
  const text = formatStatus({ ...sampleStatus(), groups: [sampleGroup({ foreign })] }, now);
  assert.match(text, /FOREIGN\s+198\.51\.100\.11, a VRRPv2 router on this VRID: set `vrrp_version 3` on it; 31 advert\(s\), last 1s ago; re-announced 28 time\(s\)/);
  assert.doesNotMatch(formatStatus({ ...sampleStatus(), groups: [sampleGroup({ foreign: { adverts: 0, reannouncements: 0, last: null } })] }, now), /FOREIGN/);
});

it('formatStatus: a fault, drift repairs and a key change under way are shown', () => {
  const now = new Date('2024-05-01T12:05:00.000Z');
  const group = sampleGroup({
    state: 'BACKUP',
    reason: 'claim-failed',
    demotion: { total: 255, manual: 0, maintenance: false, health: 0, fault: true },
    fault: { reason: 'could not configure the addresses: add 198.51.100.7/24 on carp7: EPERM', since: '2024-05-01T12:04:55.000Z', until: '2024-05-01T12:05:05.000Z', failures: 1 },
    effects: { claimFailures: 1, repairs: 2, conflicts: 0 },
    keyChange: { previousAddresses: ['198.51.100.7'], until: '2024-05-01T12:15:00.000Z' },
  });
  const text = formatStatus({ ...sampleStatus(), groups: [group] }, now);
  assert.match(text, /demotion\s+255 \(.*fault\)/);
  assert.match(text, /FAULT\s+could not configure the addresses: .*EPERM; fully demoted until 2024-05-01T12:05:05.000Z \(1 failed claim/);
  assert.match(text, /effects\s+failed claims 1, repairs 2, address conflicts 0/);
  assert.match(text, /key change\s+also signing with the previous key and addresses \(198\.51\.100\.7\) until 2024-05-01T12:15:00.000Z/);
});

it('formatStatus: a VRRP group beside a CARP group: a PROTOCOL column, priorities and intervals instead of advbase/advskew', () => {
  const now = new Date('2024-05-01T12:03:12.000Z');
  const vrrp = sampleGroup({
    name: 'gw',
    protocol: 'vrrp',
    vhid: 9,
    addresses: ['198.51.100.9/24'],
    advbase: undefined,
    advskew: undefined,
    advertisedAdvskew: undefined,
    demoteByte: undefined,
    replayMode: undefined,
    demotion: { total: 20, manual: 20, maintenance: false, health: 0 },
    vmac: 'vrrp9 00:00:5e:00:01:09',
    vrrp: { priority: 120, effectivePriority: 100, owner: false, advertInterval: 1, masterAdvertInterval: 0.5, masterPriority: 150, acceptMode: false, checksumMode: 'compatible', mismatches: { interval: 4, addresses: 0, legacyChecksum: 0 } },
    master: { address: '198.51.100.3', heardAt: '2024-05-01T12:03:11.000Z', addresses: { ipv4: '198.51.100.3' } },
    heard: [{ address: '198.51.100.3', priority: 150, advertInterval: 0.5, authenticates: true, ok: 40, badAuth: 0, replay: 0, lastHeard: '2024-05-01T12:03:11.000Z' }],
  });
  const text = formatStatus({ ...sampleStatus(), groups: [sampleGroup(), vrrp] }, now);
  assert.match(text, /GROUP\s+INTERFACE\s+PROTOCOL\s+VHID\s+STATE/);
  assert.match(text, /\nweb\s+eth0\s+carp\s+7\s+BACKUP/);
  assert.match(text, /\ngw\s+eth0\s+vrrp\s+9\s+BACKUP/);
  assert.match(text, /gw \(eth0 VRRP VRID 9\): BACKUP/);
  assert.match(text, /advertised\s+priority 100 \(configured 120\), interval 1 s, preempt\n/);
  assert.match(text, /master\s+198\.51\.100\.3 priority 150 interval 0\.5 s, heard 1s ago/);
  assert.match(text, /mismatches\s+interval 4, addresses 0, legacy checksum 0 \(accepted, see the log\)/);
  assert.match(text, /heard\s+198\.51\.100\.3 priority 150 interval 0\.5 s; ok 40; last 1s ago/);
  assert.doesNotMatch(text.slice(text.indexOf('gw (eth0')), /advbase|authenticat/);
  // A CARP-only daemon prints no protocol column, as before.
  assert.doesNotMatch(formatStatus(sampleStatus(), now), /PROTOCOL/);
});

it('formatStatus: a dual-stack master heard in IPv4 only is a FAMILY LOSS line naming IPv6; none while familyLoss is null (issue 19 item 8)', () => {
  const now = new Date('2024-05-01T12:03:12.000Z');
  const familyLoss = { family: 'ipv6' as const, since: '2024-05-01T12:02:52.000Z', heardIn: ['ipv4' as const] };
  const text = formatStatus({ ...sampleStatus(), groups: [sampleGroup({ familyLoss })] }, now);
  assert.match(text, /FAMILY LOSS\s+the master's IPv6 adverts stopped 20s ago, its IPv4 adverts arrive: not taking over/);
  assert.doesNotMatch(formatStatus({ ...sampleStatus(), groups: [sampleGroup({ familyLoss: null })] }, now), /FAMILY LOSS/);
});
