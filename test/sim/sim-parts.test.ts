/**
 * The protocols' sim parts (protocols/protocol-sim-part.ts) reached through the registry: how a
 * neutral spec maps to each protocol (rank, interval, version, passphrase), what each refuses, and
 * that a leaving MASTER's farewell advert is reported as such in both protocols.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { protocolModule } from '../../src/protocols/index.ts';
import type { SimGroupSpec } from '../../src/protocols/protocol-sim-part.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { buildSimCluster } from '../../src/sim/cluster-builder.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';

const SECOND = 1_000_000;
const OWN = parseIpAddress('198.51.100.1');
const spec = (over: Partial<SimGroupSpec> = {}): SimGroupSpec => ({
  name: 'g',
  id: 5,
  virtualAddresses: [parseIpAddress('198.51.100.100')],
  sourceAddresses: { 4: OWN },
  rank: 50,
  intervalSeconds: 1,
  preempt: true,
  ...over,
});

test('Master_Down per protocol: CARP 3 × (advbase + advskew/256); VRRPv3 3 × interval + (256 - priority)/256 × interval; VRRPv2 the skew in seconds', () => {
  const carp = protocolModule('carp').sim;
  const vrrp = protocolModule('vrrp').sim;
  // 3 × (1 s + ⌊50 × 1 s / 256⌋ µs).
  assert.equal(carp.masterDownMicros(spec()), 3 * (SECOND + 195_312));
  // rank 50 is priority 204: skew 52/256.
  assert.equal(vrrp.masterDownMicros(spec()), 3 * SECOND + 203_125);
  assert.equal(vrrp.masterDownMicros(spec({ intervalSeconds: 2 })), 6 * SECOND + 406_250);
  assert.equal(vrrp.masterDownMicros(spec({ intervalSeconds: 2, version: 2 })), 6 * SECOND + 203_125);
  assert.equal(vrrp.describe(spec()), 'interval 1 s  priority 204');
  assert.equal(carp.describe(spec()), 'advbase 1  advskew  50');
  assert.equal(vrrp.groupLabel(spec({ version: 2 })), 'VRRPv2 VRID 5');
  assert.deepEqual(vrrp.versions, [3, 2]);
  assert.equal(carp.versions, undefined);
});

test('what the parts refuse: a VRRP rank beyond priority 1, an unknown version, a VRRPv2 password over 8 bytes, two families in one VRRP group, a CARP version', () => {
  const build = (protocol: 'carp' | 'vrrp', over: Partial<SimGroupSpec>) => () =>
    buildSimCluster({ protocol, vhid: 5, passphrase: over.passphrase ?? 'pw', virtualAddresses: (over.virtualAddresses ?? [parseIpAddress('198.51.100.100')]).map((a) => a.text), nodes: [{ name: 'a', address: '198.51.100.1', advskew: over.rank ?? 0 }], ...(over.version === undefined ? {} : { version: over.version }) }, new VirtualClock()).startAll();
  assert.throws(build('vrrp', { rank: 254 }), RangeError);
  assert.throws(build('vrrp', { version: 4 }), RangeError);
  assert.throws(build('vrrp', { version: 2, passphrase: 'nine-byte' }), RangeError);
  assert.throws(build('vrrp', { virtualAddresses: [parseIpAddress('198.51.100.100'), parseIpAddress('2001:db8::100')] }), RangeError);
  assert.throws(build('carp', { version: 3 }), RangeError);
  assert.doesNotThrow(build('vrrp', { rank: 253, version: 2, passphrase: 'eight-by' }));
});

for (const protocol of ['carp', 'vrrp'] as const) {
  test(`${protocol}: adverts are reported, the stopping MASTER's last ones as farewells, and only those`, () => {
    const clock = new VirtualClock();
    const c = buildSimCluster({ protocol, vhid: 5, passphrase: 'pw', virtualAddresses: ['198.51.100.100'], nodes: [{ name: 'a', address: '198.51.100.1', advskew: 0 }, { name: 'b', address: '198.51.100.2', advskew: 50 }] }, clock);
    const sent: { host: string; at: number; farewell: boolean }[] = [];
    c.onEvent((e) => {
      if (e.kind === 'advert-sent') sent.push({ host: e.host, at: e.at, farewell: e.bowOut });
    });
    c.startAll();
    clock.advanceTo(10 * SECOND);
    assert.deepEqual(c.masters(5), ['a']);
    assert.ok(sent.filter((s) => s.host === 'a' && !s.farewell).length >= 6, 'a advertises each second');
    assert.deepEqual(sent.filter((s) => s.farewell), []);
    c.stop('a');
    clock.advanceTo(12 * SECOND);
    const farewells = sent.filter((s) => s.farewell);
    assert.ok(farewells.length >= 1 && farewells.every((s) => s.host === 'a' && s.at >= 10 * SECOND), JSON.stringify(farewells));
    assert.deepEqual(c.masters(5), ['b']);
  });
}
