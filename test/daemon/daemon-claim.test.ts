/**
 * Confirmed claims, on fakes (issue 9): a group that becomes MASTER but cannot configure its
 * addresses after the retries leaves mastership with a bow-out, fully demoted for a hold-down,
 * and competes again once it is over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOW_OUT_VALUE } from '../../src/protocols/carp/carp-header.ts';
import { groupConfig, makeDaemon, simPeer } from '../helpers/fake-platform.ts';

test('a lone group becomes MASTER and holds its VIP on carp7', async () => {
  const rig = makeDaemon({ groups: [groupConfig()] });
  await rig.daemon.start();
  await rig.becomeMaster();
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.equal(status?.fault, null);
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24'], 'the prefix of eth0 subnet');
  assert.equal(rig.link('carp7')?.up, true);
  assert.deepEqual(
    rig.events.filter((e) => e.type === 'transition').map((e) => (e.type === 'transition' ? `${e.from}->${e.to} ${e.reason}` : '')),
    ['INIT->BACKUP started', 'BACKUP->MASTER master-down-timeout'],
  );
  assert.ok(rig.platform.frames.some((f) => f.bytes[12] === 0x08 && f.bytes[13] === 0x06), 'a gratuitous ARP went out');
  await rig.daemon.stop();
  assert.deepEqual(rig.vips(), []);
  assert.equal(rig.link('carp7'), undefined);
  const last = rig.platform.adverts().at(-1);
  assert.equal(last?.advskew, BOW_OUT_VALUE, 'stopping as MASTER bows out');
});

test('ok, the scripts run on each transition, carpd style', async () => {
  const scripts = { ...groupConfig().scripts, master: '/etc/carpd/master', backup: '/etc/carpd/backup' };
  const rig = makeDaemon({ groups: [groupConfig({ scripts })] });
  await rig.daemon.start();
  await rig.becomeMaster();
  await rig.daemon.stop();
  assert.deepEqual(
    rig.scripts.jobs.map((j) => `${j.path} ${j.args.join(' ')}`),
    ['/etc/carpd/backup eth0 7 BACKUP', '/etc/carpd/master eth0 7 MASTER', '/etc/carpd/backup eth0 7 BACKUP'],
    'INIT->BACKUP, BACKUP->MASTER, and MASTER->INIT at the stop (the backup script)',
  );
  assert.equal(rig.scripts.jobs[1]?.env['CARP_VIRTUAL_INTERFACE'], 'carp7');
});

test('ok, without --vmac the VIP goes on eth0 itself, and a stop takes it off', async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vmac: false })] });
  await rig.daemon.start();
  await rig.becomeMaster();
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  assert.deepEqual(rig.vips(), ['eth0 198.51.100.7/24']);
  assert.equal(rig.link('carp7'), undefined);
  assert.ok(rig.platform.adverts().length > 0, 'adverts through the transport');
  await rig.daemon.stop();
  assert.deepEqual(rig.vips(), []);
  assert.equal(rig.link('eth0')?.up, true, 'the parent is never set down');
});

test('bad, addAddress fails every time: BACKUP (claim-failed), fully demoted, bowed out, no VIP; then back', async () => {
  const rig = makeDaemon({ groups: [groupConfig()], faultHoldDownsMs: [200, 300] });
  await rig.daemon.start();
  const failure = rig.netlink.failWhen((op) => (op === 'addAddress' ? 'EPERM' : undefined));
  await rig.becomeMaster();

  const attempts = rig.netlink.calls.filter((c) => c.op === 'addAddress').length;
  assert.equal(attempts, 3, 'one attempt and two retries');
  const status = rig.daemon.status().groups[0];
  assert.ok(status);
  assert.equal(status.state, 'BACKUP');
  assert.equal(status.reason, 'claim-failed');
  assert.ok(status.fault, 'fault set');
  assert.equal(status.fault.failures, 1);
  assert.match(status.fault.reason, /EPERM/);
  assert.equal(status.demotion.total, 255);
  assert.equal(status.demotion.fault, true);
  assert.equal(status.effects?.claimFailures, 1);
  assert.deepEqual(rig.vips(), []);
  assert.equal(rig.link('carp7')?.up, false, 'carp7 down again');
  const bowOut = rig.platform.adverts().find((a) => a.advbase === BOW_OUT_VALUE && a.advskew === BOW_OUT_VALUE);
  assert.ok(bowOut, 'a bow-out advert was sent');
  assert.ok(rig.logger.records.some((r) => r.level === 'error' && r.fields['group'] === 'eth0/vhid7' && r.fields['code'] === 'EPERM'));
  assert.deepEqual(
    rig.events.filter((e) => e.type === 'transition').map((e) => (e.type === 'transition' ? `${e.to} ${e.reason}` : '')),
    ['BACKUP started', 'MASTER master-down-timeout', 'BACKUP claim-failed'],
  );

  // Alone on the segment it takes over again after master-down, fails again, and holds down longer.
  await rig.advance(6_000_000);
  const again = rig.daemon.status().groups[0];
  assert.equal(again?.reason, 'claim-failed');
  assert.equal(again?.fault?.failures, 2);
  assert.equal(again?.effects?.claimFailures, 2);
  assert.deepEqual(rig.vips(), []);

  failure.close();
  await rig.advance(350_000); // the second hold-down (300 ms), on the daemon's clock
  assert.equal(rig.daemon.status().groups[0]?.demotion.total, 0, 'hold-down over');
  // The master-down timer was armed while fully demoted: 3 × (1 + 240/256) s, the demoted advskew
  // being capped at 240 (intervals.ts).
  await rig.advance(6_000_000);
  const after = rig.daemon.status().groups[0];
  assert.equal(after?.state, 'MASTER');
  assert.equal(after?.fault, null);
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  await rig.daemon.stop();
});

test('bad, the first claim attempt fails, a retry succeeds: MASTER with the VIP, no fault', async () => {
  const rig = makeDaemon({ groups: [groupConfig()] });
  await rig.daemon.start();
  rig.netlink.failNext('addAddress', 'EBUSY');
  await rig.becomeMaster();
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.equal(status?.fault, null);
  assert.equal(status?.effects?.claimFailures, 0);
  assert.deepEqual(rig.vips(), ['carp7 198.51.100.7/24']);
  assert.ok(rig.logger.records.some((r) => r.level === 'warn' && r.fields['code'] === 'EBUSY'), 'the failed attempt is logged');
  await rig.daemon.stop();
});

test('bad, a failed claim bows out: a backup peer on the segment takes over after its own skew time, and the group stays BACKUP', async () => {
  const rig = makeDaemon({ groups: [groupConfig()] });
  await rig.daemon.start();
  const peer = simPeer(rig, { address: '198.51.100.11', advskew: 100 });
  rig.netlink.failWhen((op) => (op === 'addAddress' ? 'EPERM' : undefined));
  await rig.becomeMaster(); // 3.1 s: ours is the shorter master-down; the peer's is 3 × (1 + 100/256) s
  assert.equal(rig.daemon.status().groups[0]?.reason, 'claim-failed');
  await rig.advance(10_000); // the bow-out reaches the peer, which waits its takeover delay
  assert.equal(peer.state.phase, 'backup', 'graded: a better backup, if any, would go first');
  await rig.advance(390_625); // skew 100: 100/256 s
  assert.equal(peer.state.phase, 'master', 'after its skew time, long before its own master-down (4.17 s)');
  // The bow-out also carries the fault's demote byte 255, which the election looks at first.
  assert.equal(peer.state.reason, 'master-more-demoted');
  assert.ok(rig.clock.nowMicros() < 3_600_000);
  await rig.advance(5_000_000);
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'BACKUP');
  assert.equal(status?.master?.address, '198.51.100.11');
  assert.deepEqual(rig.vips(), []);
  await rig.daemon.stop();
  peer.shutdown();
});
