/**
 * Metrics: rendering from a hand-built StatusReport (exact lines, label escaping), a
 * promtool-style format check, and real scrapes over 127.0.0.1 on a random port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { GroupStatus, StatusReport } from '../../src/control/control-types.ts';
import { emptyDropCounts } from '../../src/wire/drop-reason.ts';
import { escapeLabelValue, renderMetrics } from '../../src/metrics/prometheus.ts';
import { parseListenAddress, startMetricsServer } from '../../src/metrics/metrics-server.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { sampleGroup } from '../helpers/fake-daemon-control.ts';

/** sampleGroup as a MASTER with this file's counters and checks: the expected lines below use both. */
function group(overrides: Partial<GroupStatus> = {}): GroupStatus {
  return sampleGroup({
    name: 'eth0/vhid7',
    state: 'MASTER',
    since: '2026-01-01T00:00:00.000Z',
    reason: 'master-down-timeout',
    addresses: ['192.0.2.100'],
    master: null,
    counters: { advertsSent: 120, advertsReceived: 3, sendErrors: 1, transitions: 2, drops: { ...emptyDropCounts(), 'bad-auth': 4 } },
    scripts: { runs: 2, failures: 1, timeouts: 0, superseded: 0, lastDurationMs: 250 },
    checks: [
      { name: 'nginx', kind: 'http', healthy: false, weight: 50, lastResult: 'HTTP 503' },
      { name: 'uplink', kind: 'interface', healthy: true, weight: 50, lastResult: 'link up' },
    ],
    ...overrides,
  });
}

const STATUS: StatusReport = {
  version: '0.1.0',
  pid: 1234,
  startedAt: '2026-01-01T00:00:00.500Z',
  groups: [group(), group({ name: 'weird "name"\\\nx', interface: 'eth1', vhid: 8, state: 'BACKUP', checks: [], scripts: { runs: 0, failures: 0, timeouts: 0, superseded: 0 } })],
  unattributedDrops: { eth0: { ...emptyDropCounts(), 'unknown-vhid': 9 } },
};

test('exact lines for a few metrics', () => {
  const lines = renderMetrics(STATUS).split('\n');
  for (const line of [
    'carpd_info{version="0.1.0"} 1',
    'carpd_start_time_seconds 1767225600.5',
    'carpd_group_state{group="eth0/vhid7",protocol="carp",interface="eth0",vhid="7",state="INIT"} 0',
    'carpd_group_state{group="eth0/vhid7",protocol="carp",interface="eth0",vhid="7",state="BACKUP"} 0',
    'carpd_group_state{group="eth0/vhid7",protocol="carp",interface="eth0",vhid="7",state="MASTER"} 1',
    'carpd_group_transitions_total{group="eth0/vhid7",protocol="carp"} 2',
    'carpd_adverts_sent_total{group="eth0/vhid7",protocol="carp"} 120',
    'carpd_adverts_received_total{group="eth0/vhid7",protocol="carp"} 3',
    'carpd_advert_send_errors_total{group="eth0/vhid7",protocol="carp"} 1',
    'carpd_drops_total{group="eth0/vhid7",protocol="carp",interface="eth0",reason="bad-auth"} 4',
    'carpd_drops_total{group="eth0/vhid7",protocol="carp",interface="eth0",reason="replay"} 0',
    'carpd_drops_total{group="",protocol="",interface="eth0",reason="unknown-vhid"} 9',
    'carpd_script_runs_total{group="eth0/vhid7",protocol="carp"} 2',
    'carpd_script_failures_total{group="eth0/vhid7",protocol="carp"} 1',
    'carpd_script_timeouts_total{group="eth0/vhid7",protocol="carp"} 0',
    'carpd_script_last_duration_seconds{group="eth0/vhid7",protocol="carp"} 0.25',
    'carpd_check_healthy{group="eth0/vhid7",protocol="carp",check="nginx",kind="http"} 0',
    'carpd_check_healthy{group="eth0/vhid7",protocol="carp",check="uplink",kind="interface"} 1',
    'carpd_group_demotion{group="eth0/vhid7",protocol="carp"} 50',
    'carpd_group_advertised_advskew{group="eth0/vhid7",protocol="carp"} 50',
    '# TYPE carpd_drops_total counter',
    '# TYPE carpd_group_state gauge',
  ]) {
    assert.ok(lines.includes(line), `missing: ${line}`);
  }
});

test('label values are escaped: backslash, double quote, line feed', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const text = renderMetrics(STATUS);
  assert.ok(text.includes('carpd_group_state{group="weird \\"name\\"\\\\\\nx",protocol="carp",interface="eth1",vhid="8",state="BACKUP"} 1\n'));
  // No sample line is broken by the newline in the name.
  assert.ok(text.split('\n').every((line) => line === '' || line.startsWith('#') || line.startsWith('carpd_')));
});

test('a group without a script run has no last-duration sample', () => {
  const text = renderMetrics(STATUS);
  assert.equal(text.split('\n').filter((l) => l.startsWith('carpd_script_last_duration_seconds{')).length, 1);
});

test('format sanity, as promtool check metrics: HELP and TYPE once per family, before its samples', () => {
  const text = renderMetrics(STATUS);
  assert.ok(text.endsWith('\n'));
  const help = new Map<string, number>();
  const type = new Map<string, string>();
  const sampleRe = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'HELP') help.set(name, (help.get(name) ?? 0) + 1);
      else {
        assert.equal(type.has(name), false, `TYPE twice for ${name}`);
        assert.ok(['counter', 'gauge'].includes(rest));
        type.set(name, rest);
      }
      continue;
    }
    const sample = sampleRe.exec(line);
    assert.ok(sample !== null, `malformed sample: ${line}`);
    const name = sample[1] ?? '';
    assert.ok(type.has(name) && help.has(name), `sample before HELP/TYPE: ${line}`);
    if (type.get(name) === 'counter') assert.ok(name.endsWith('_total'), `counter without _total: ${name}`);
    if (name.endsWith('_total')) assert.equal(type.get(name), 'counter');
  }
  for (const [name, count] of help) assert.equal(count, 1, `HELP ${count} times for ${name}`);
  assert.deepEqual([...help.keys()].sort(), [...type.keys()].sort());
  assert.equal(type.size, 25);
});

test('foreign masters: adverts for the group\'s id it cannot hear and the re-announcements they caused', () => {
  const text = renderMetrics({ ...STATUS, groups: [group({ foreign: { adverts: 31, reannouncements: 4, last: { peer: '192.0.2.9', kind: 'vrrp-v2', heardAt: '2026-01-01T00:00:09.000Z' } } })] });
  const lines = text.split('\n');
  assert.ok(lines.includes('carpd_foreign_master_adverts_total{group="eth0/vhid7",protocol="carp"} 31'), text);
  assert.ok(lines.includes('carpd_foreign_master_reannouncements_total{group="eth0/vhid7",protocol="carp"} 4'), text);
  // A status without the block (an older daemon's) has no sample.
  assert.equal(renderMetrics(STATUS).split('\n').filter((l) => l.startsWith('carpd_foreign_master_adverts_total{')).length, 0);
});

test('family loss (issue 19 item 8): 1 while a dual-stack CARP group hears its master in one family only, 0 otherwise, absent without the field', () => {
  const text = renderMetrics({ ...STATUS, groups: [group({ state: 'BACKUP', familyLoss: { family: 'ipv6', since: '2026-01-01T00:00:09.000Z', heardIn: ['ipv4'] } }), group({ name: 'other', familyLoss: null })] });
  const lines = text.split('\n');
  assert.ok(lines.includes('carpd_group_family_loss{group="eth0/vhid7",protocol="carp"} 1'), text);
  assert.ok(lines.includes('carpd_group_family_loss{group="other",protocol="carp"} 0'), text);
  assert.equal(renderMetrics(STATUS).split('\n').filter((l) => l.startsWith('carpd_group_family_loss{')).length, 0);
});

test('a VRRP group: protocol="vrrp" on its samples, its priority and mismatch counters, no advskew', () => {
  const vrrp = group({
    name: 'gw',
    protocol: 'vrrp',
    vhid: 9,
    advbase: undefined,
    advskew: undefined,
    advertisedAdvskew: undefined,
    demoteByte: undefined,
    replayMode: undefined,
    vrrp: { priority: 150, effectivePriority: 100, owner: false, advertInterval: 1, masterAdvertInterval: 1, masterPriority: null, acceptMode: false, checksumMode: 'compatible', mismatches: { interval: 3, addresses: 0, legacyChecksum: 1 } },
  });
  const lines = renderMetrics({ ...STATUS, groups: [group(), vrrp] }).split('\n');
  for (const line of [
    'carpd_group_state{group="gw",protocol="vrrp",interface="eth0",vhid="9",state="MASTER"} 1',
    'carpd_adverts_sent_total{group="gw",protocol="vrrp"} 120',
    'carpd_drops_total{group="gw",protocol="vrrp",interface="eth0",reason="carp"} 0',
    'carpd_vrrp_priority{group="gw",protocol="vrrp"} 100',
    'carpd_vrrp_mismatches_total{group="gw",protocol="vrrp",kind="interval"} 3',
    'carpd_vrrp_mismatches_total{group="gw",protocol="vrrp",kind="addresses"} 0',
    'carpd_vrrp_mismatches_total{group="gw",protocol="vrrp",kind="legacy-checksum"} 1',
    'carpd_group_advertised_advskew{group="eth0/vhid7",protocol="carp"} 50',
  ]) {
    assert.ok(lines.includes(line), `missing: ${line}`);
  }
  assert.ok(!lines.some((l) => l.startsWith('carpd_group_advertised_advskew{group="gw"')), 'no advskew for a VRRP group');
  assert.ok(!lines.some((l) => l.startsWith('carpd_vrrp_priority{group="eth0/vhid7"')), 'no VRRP priority for a CARP group');
});

test('parseListenAddress: IPv4, IPv6 in brackets, names; malformed is undefined', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:9406'), { host: '127.0.0.1', port: 9406 });
  assert.deepEqual(parseListenAddress('[::1]:9406'), { host: '::1', port: 9406 });
  assert.deepEqual(parseListenAddress('localhost:0'), { host: 'localhost', port: 0 });
  for (const bad of ['::1:9406', '127.0.0.1', '127.0.0.1:65536', ':9406', '[::1]', 'a:b']) assert.equal(parseListenAddress(bad), undefined, bad);
});

function fetchRaw(port: number, method: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('scrapes over 127.0.0.1 on a random port: 200, 404, 405, 500', async () => {
  const logger = new MemoryLogger();
  let fail = false;
  // cacheTtlMs 0: every request renders, so the failing render below is reached (the cache has its own tests, metrics-bounds.test.ts).
  const server = startMetricsServer('127.0.0.1:0', () => {
    if (fail) throw new Error('boom');
    return STATUS;
  }, logger, { cacheTtlMs: 0 });
  try {
    const { port } = await server.listening;
    assert.ok(port > 0);
    const ok = await fetchRaw(port, 'GET', '/metrics');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(ok.body, renderMetrics(STATUS));
    assert.equal((await fetchRaw(port, 'GET', '/metrics?x=1')).status, 200);
    const head = await fetchRaw(port, 'HEAD', '/metrics');
    assert.deepEqual([head.status, head.body], [200, '']);
    assert.equal((await fetchRaw(port, 'GET', '/')).status, 404);
    assert.equal((await fetchRaw(port, 'POST', '/other')).status, 404);
    const post = await fetchRaw(port, 'POST', '/metrics');
    assert.equal(post.status, 405);
    assert.equal(post.headers['allow'], 'GET, HEAD');
    fail = true;
    assert.equal((await fetchRaw(port, 'GET', '/metrics')).status, 500);
    assert.ok(logger.records.some((r) => r.level === 'error'));
  } finally {
    await server.close();
  }
});

test('a listen error rejects `listening` and is logged; a malformed address throws', async () => {
  const first = startMetricsServer('127.0.0.1:0', () => STATUS, new MemoryLogger());
  try {
    const { port } = await first.listening;
    const logger = new MemoryLogger();
    const second = startMetricsServer(`127.0.0.1:${port}`, () => STATUS, logger);
    await assert.rejects(second.listening, { code: 'EADDRINUSE' });
    assert.ok(logger.records.some((r) => r.level === 'error'));
    await second.close().catch(() => {});
  } finally {
    await first.close();
  }
  assert.throws(() => startMetricsServer('nonsense', () => STATUS, new MemoryLogger()), RangeError);
});
