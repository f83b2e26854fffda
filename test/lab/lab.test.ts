// Self-test of the netns lab: pure helpers always, the real lab when root and tools allow.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { Lab } from '../../src/lab/lab.ts';
import { labRuleset } from '../../src/lab/nft.ts';
import { parsePingOutput } from '../../src/lab/ping.ts';
import { labRangeConflicts } from '../../src/lab/ranges.ts';

test('labRangeConflicts', () => {
  const cases: { name: string; addresses: string[]; conflicts: string[] }[] = [
    { name: 'ok, a build host as in docs/development.md "Test networks"', addresses: ['127.0.0.1/8', '192.0.2.2/24', '::1/128', 'fd00::2/64', 'fe80::1/64'], conflicts: [] },
    { name: 'bad, host address in 198.51.100.0/24', addresses: ['192.0.2.2/24', '198.51.100.7/24'], conflicts: ['198.51.100.7/24'] },
    { name: 'bad, VIP range 203.0.113.0/24', addresses: ['203.0.113.255'], conflicts: ['203.0.113.255'] },
    { name: 'ok, neighbours of the ranges', addresses: ['198.51.101.1/24', '198.51.99.255/32', '203.0.112.1/24', '203.0.114.1/24'], conflicts: [] },
    { name: 'bad, 2001:db8::/32', addresses: ['2001:db8::10/64', '2001:DB8:ffff::1/48', '2001:0db8:1::/64'], conflicts: ['2001:db8::10/64', '2001:DB8:ffff::1/48', '2001:0db8:1::/64'] },
    { name: 'ok, near misses in IPv6', addresses: ['2001:db9::1/64', '2001::db8/64', '2001:db80::1/32', 'fd00::db8/64'], conflicts: [] },
    { name: 'bad, IPv4-mapped lab address', addresses: ['::ffff:198.51.100.1/128'], conflicts: ['::ffff:198.51.100.1/128'] },
    { name: 'ok, garbage is not a conflict', addresses: ['', 'x', '1.2.3', '999.51.100.1'], conflicts: [] },
  ];
  for (const c of cases) assert.deepEqual(labRangeConflicts(c.addresses), c.conflicts, c.name);
});

test('labRuleset', () => {
  assert.equal(labRuleset({ lossPercent: 0, partition: [] }), 'table bridge lab {}\ndelete table bridge lab\n');
  const script = labRuleset({ lossPercent: 30, partition: [['p0'], ['p1', 'p2']] });
  assert.match(script, /iifname \{ "p0" \} oifname \{ "p1", "p2" \} drop/);
  assert.match(script, /iifname \{ "p1", "p2" \} oifname \{ "p0" \} drop/);
  assert.match(script, /numgen random mod 100 < 30 drop/);
  // One group alone partitions nothing.
  assert.equal(labRuleset({ lossPercent: 0, partition: [['p0', 'p1']] }), 'table bridge lab {}\ndelete table bridge lab\n');
});

test('labRuleset: one family\'s protocol blocked (issue 19 item 8: IPv6 CARP dropped at the bridge)', () => {
  const script = labRuleset({ lossPercent: 0, partition: [], blockedProtocols: [{ family: 6, protocol: 112 }] });
  assert.match(script, /chain forward \{\n\s+type filter hook forward priority 0; policy accept;\n\s+ether type ip6 ip6 nexthdr 112 drop\n/);
  assert.doesNotMatch(script, /ip protocol/);
  assert.match(labRuleset({ lossPercent: 0, partition: [], blockedProtocols: [{ family: 4, protocol: 112 }] }), /ether type ip ip protocol 112 drop/);
});

test('parsePingOutput', () => {
  const out = [
    'PING 224.0.0.1 (224.0.0.1) from 198.51.100.10 eth0: 56(84) bytes of data.',
    '[1000.000100] 64 bytes from 198.51.100.10: icmp_seq=1 ttl=64 time=0.193 ms',
    '[1000.000200] 64 bytes from 198.51.100.11: icmp_seq=1 ttl=64 time=0.233 ms (DUP!)',
    '[1000.500100] 64 bytes from fe80::1%eth0: icmp_seq=3 ttl=64 time=0.051 ms',
    '',
    '--- 224.0.0.1 ping statistics ---',
    '4 packets transmitted, 2 received, +1 duplicates, 50% packet loss, time 202ms',
  ].join('\n');
  const result = parsePingOutput(out, 1000);
  assert.equal(result.sent, 4);
  assert.equal(result.received, 2);
  assert.equal(result.lossRatio, 0.5);
  assert.deepEqual(result.replies.map((r) => [r.from, r.seq, r.duplicate]), [
    ['198.51.100.10', 1, false],
    ['198.51.100.11', 1, true],
    ['fe80::1%eth0', 3, false],
  ]);
  assert.ok(Math.abs(result.longestGapMs - 500) < 1e-6);
  assert.equal(parsePingOutput('', 1234).longestGapMs, 1234);
  assert.equal(parsePingOutput('', 1234).lossRatio, 1);
});

/** Distinct non-self sources answering a multicast ping from `from`. */
async function multicastResponders(lab: Lab, from: string, group: string): Promise<Set<string>> {
  const result = await lab.exec(from, ['ping', '-D', '-n', '-c', '3', '-i', '0.2', '-W', '1', '-I', 'eth0', group], { timeoutMs: 5000 });
  return new Set(parsePingOutput(result.stdout).replies.map((reply) => reply.from));
}

test('netns lab', async (t) => {
  const reason = await Lab.available();
  if (reason !== undefined) {
    t.skip(reason);
    return;
  }
  const started = Date.now();
  const lab = await Lab.create({ hosts: ['a', 'b', 'c'], ipv6: true });
  t.diagnostic(`create: ${Date.now() - started} ms (prefix ${lab.prefix})`);
  try {
    await t.test('hosts are set up as documented', async () => {
      const a = lab.host('a');
      assert.equal(a.netns, `${lab.prefix}-a`);
      assert.equal(a.ipv4, '198.51.100.10');
      assert.equal(lab.host('c').ipv6, '2001:db8::12');
      assert.match(a.mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      const addresses = await lab.addresses('b');
      assert.ok(addresses.includes('198.51.100.11/24'), addresses.join(' '));
      assert.ok(addresses.includes('2001:db8::11/64'), addresses.join(' '));
      const links = await lab.links('b');
      assert.deepEqual(links.map((l) => l.name).sort(), ['eth0', 'lo']);
      assert.throws(() => lab.host('zz'));
    });

    await t.test('unicast IPv4 and IPv6 between every pair', async () => {
      for (const from of ['a', 'b', 'c']) {
        for (const to of ['a', 'b', 'c']) {
          if (from === to) continue;
          for (const family of [4, 6] as const) {
            const result = await lab.ping(from, to, { intervalMs: 20, durationMs: 60, family });
            assert.ok(result.received >= 2, `${from}->${to} v${family}: ${result.received}/${result.sent}`);
          }
        }
      }
    });

    await t.test('multicast floods to every host', async () => {
      const v4 = await multicastResponders(lab, 'a', '224.0.0.1');
      for (const h of lab.allHosts()) assert.ok(v4.has(h.ipv4), `224.0.0.1: ${[...v4].join(' ')}`);
      const v6 = await multicastResponders(lab, 'a', 'ff02::1');
      assert.ok(v6.size >= 3, `ff02::1: ${[...v6].join(' ')}`);
    });

    await t.test('setLoss drops about the asked share of frames', async () => {
      await lab.setLoss(30);
      const lossy = await lab.ping('a', 'b', { intervalMs: 5, durationMs: 1000 });
      // Each echo crosses the bridge twice (request and reply), so it survives with (1-p)^2.
      const perFrame = 1 - Math.sqrt(lossy.received / lossy.sent);
      t.diagnostic(`loss 30: ${lossy.received}/${lossy.sent} echoes answered, per-frame loss ${(perFrame * 100).toFixed(1)} %`);
      assert.equal(lossy.sent, 200);
      assert.ok(perFrame >= 0.15 && perFrame <= 0.45, `per-frame loss ${perFrame}`);
      await lab.setLoss(0);
      const clean = await lab.ping('a', 'b', { intervalMs: 5, durationMs: 250 });
      assert.equal(clean.received, clean.sent);
    });

    await t.test('cutLink stops reachability, restoreLink restores it', async () => {
      await lab.cutLink('c');
      const cut = await lab.ping('a', 'c', { intervalMs: 50, durationMs: 300 });
      assert.equal(cut.received, 0);
      const cLink = (await lab.links('c')).find((l) => l.name === 'eth0');
      t.diagnostic(`c eth0 while cut: ${cLink?.state}; addresses ${(await lab.addresses('c')).join(' ')}`);
      await lab.restoreLink('c');
      let back = false;
      for (let attempt = 0; attempt < 20 && !back; attempt += 1) {
        const r4 = await lab.ping('a', 'c', { intervalMs: 50, durationMs: 100 });
        const r6 = await lab.ping('a', 'c', { intervalMs: 50, durationMs: 100, family: 6 });
        back = r4.received > 0 && r6.received > 0;
      }
      assert.ok(back, 'c reachable again over IPv4 and IPv6');
    });

    await t.test('partition splits the segment, heal joins it', async () => {
      await lab.partition([['a'], ['b', 'c']]);
      assert.equal((await lab.ping('a', 'b', { intervalMs: 20, durationMs: 100 })).received, 0);
      assert.equal((await lab.ping('b', 'a', { intervalMs: 20, durationMs: 100, family: 6 })).received, 0);
      assert.ok((await lab.ping('b', 'c', { intervalMs: 20, durationMs: 100 })).received > 0);
      const seen = await multicastResponders(lab, 'b', '224.0.0.1');
      assert.ok(seen.has('198.51.100.12') && !seen.has('198.51.100.10'), `multicast across partition: ${[...seen].join(' ')}`);
      await lab.heal();
      assert.ok((await lab.ping('a', 'b', { intervalMs: 20, durationMs: 100 })).received > 0);
    });

    await t.test('exec is bounded, spawn collects lines and is killable', async () => {
      const begun = Date.now();
      const slow = await lab.exec('a', ['sleep', '5'], { timeoutMs: 200 });
      assert.equal(slow.code, null);
      assert.ok(Date.now() - begun < 2000);
      const echoed = await lab.exec('a', ['cat'], { input: 'hello\n' });
      assert.deepEqual(echoed, { code: 0, stdout: 'hello\n', stderr: '' });
      const child = lab.spawn('b', ['sh', '-c', 'echo "ns $(ip -br addr show eth0)"; echo to-stderr >&2; exec sleep 30']);
      assert.match(await child.waitForLine(/^ns eth0/, 2000), /198\.51\.100\.11/);
      await child.waitForLine(/to-stderr/, 2000);
      await child.kill();
      assert.equal((await child.exited).signal, 'SIGKILL');
      const lingering = lab.spawn('c', ['sleep', '30']);
      assert.ok(lingering.pid > 0);
    });

    await t.test('capture writes a pcap from the bridge', async () => {
      const capture = await lab.startCapture('bridge', 'icmp');
      await lab.ping('a', 'b', { intervalMs: 20, durationMs: 100 });
      const path = await capture.stop();
      const read = await lab.exec('a', ['tcpdump', '-n', '-r', path]);
      assert.ok(read.stdout.split('\n').filter((l) => l.includes('ICMP echo')).length >= 4, read.stdout + read.stderr);
    });
  } finally {
    await lab.destroy();
  }
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  assert.ok(!left.includes(lab.prefix), left);
  t.diagnostic(`total: ${Date.now() - started} ms`);
});
