// keepalived.conf → carpd groups, keyword by keyword (src/config/keepalived/convert.ts; docs/migration.md "The converter").
// Each case names the notes it expects by kind, code and line; message prose is not asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { convertKeepalived, type Conversion } from '../../../src/config/keepalived/convert.ts';
import { renderConversion } from '../../../src/config/keepalived/render.ts';
import { mapReader } from './map-reader.ts';

const FILE = '/k/keepalived.conf';

function convert(text: string, files: Record<string, string> = {}): Conversion {
  return convertKeepalived(FILE, text, mapReader({ [FILE]: text, ...files }), { secretsDir: '/etc/carpd' });
}

/**
 * One instance on eth0, VRID 7, 198.51.100.1/24, with `body` from line 7 on and `after` after
 * it. Lines: 1 vrrp_instance, 2 interface, 3 virtual_router_id, 4-6 virtual_ipaddress.
 */
function instance(body: string, after = '', before = ''): string {
  return `${before}vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n  198.51.100.1/24\n }\n${body}\n}\n${after}`;
}

/** The notes as "kind CODE line". */
function notes(conversion: Conversion): string[] {
  return conversion.notes.map((n) => `${n.kind} ${n.code.replace('CARPD_KEEPALIVED_', '')} ${n.line}`);
}

function only(conversion: Conversion): Record<string, unknown> {
  assert.equal(conversion.config.groups.length, 1, JSON.stringify(conversion.config));
  return conversion.config.groups[0] as Record<string, unknown>;
}

test('ok, a default instance: VRRPv2 (keepalived\'s default), priority 100, 1 s, /prefix kept, no vmac; nothing left out', () => {
  const c = convert(instance(''));
  assert.deepEqual(only(c), { name: 'VI_1', protocol: 'vrrp', vrrp_version: 2, interface: 'eth0', vrid: 7, priority: 100, advert_interval: 1, addresses: ['198.51.100.1/24'], vmac: false, accept_mode: true });
  assert.deepEqual(notes(c), []);
  assert.ok(c.ok);
});

test('ok, vrrp_version in global_defs and version in the instance choose v2 or v3; accept mode reported as keepalived accepts', () => {
  const v3 = only(convert(`global_defs {\n vrrp_version 3\n}\n${instance('')}`));
  assert.equal(v3['vrrp_version'], undefined);
  assert.equal(v3['accept_mode'], true);
  assert.equal(only(convert(instance(' version 3')))['vrrp_version'], undefined);
  assert.equal(only(convert(`global_defs {\n vrrp_version 3\n}\n${instance(' version 2')}`))['vrrp_version'], 2);
});

test('ok, priority, advert_int, nopreempt, preempt_delay', () => {
  const g = only(convert(instance(' priority 150\n advert_int 2\n nopreempt\n preempt_delay 30')));
  assert.deepEqual([g['priority'], g['advert_interval'], g['preempt'], g['preempt_delay']], [150, 2, false, 30]);
  assert.equal(only(convert(instance(' preempt')))['preempt'], undefined);
});

test('differs, intervals rounded to what the protocol carries: v2 whole seconds, v3 centiseconds; preempt_delay whole seconds', () => {
  const v2 = convert(instance(' advert_int 0.5\n preempt_delay 2.5'));
  assert.deepEqual([only(v2)['advert_interval'], only(v2)['preempt_delay']], [1, 3]);
  assert.deepEqual(notes(v2), ['differs DIFFERS 1', 'differs DIFFERS 1']);
  assert.equal(only(convert(instance(' version 3\n advert_int 0.015')))['advert_interval'], 0.02);
});

test('differs, state is named: carpd elects by priority', () => {
  const c = convert(instance(' state MASTER'));
  assert.deepEqual(notes(c), ['differs DIFFERS 7']);
  assert.deepEqual(c.notes.map((n) => n.what), ['state MASTER']);
});

test('ok, addresses: no prefix is keepalived\'s /32 or /128; dev of the instance\'s interface is kept; excluded addresses join (noted)', () => {
  const c = convert(`vrrp_instance V {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n  198.51.100.1\n  198.51.100.2/25 dev eth0\n }\n virtual_ipaddress_excluded {\n  198.51.100.3\n }\n}`);
  assert.deepEqual(only(c)['addresses'], ['198.51.100.1/32', '198.51.100.2/25', '198.51.100.3/32']);
  assert.deepEqual(notes(c), ['differs DIFFERS 9']);
  const v6 = only(convert(`vrrp_instance V {\n interface eth0\n virtual_router_id 7\n native_ipv6\n virtual_ipaddress {\n  2001:db8::1\n }\n}`));
  assert.deepEqual([v6['addresses'], v6['vrrp_version']], [['2001:db8::1/128'], undefined]);
});

test('left out, an address on another interface (dev), a label or scope (address kept), and a bad address, each with its line', () => {
  const c = convert(`vrrp_instance V {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n  198.51.100.1/24 label eth0:1 scope global\n  198.51.100.2/24 dev eth1\n  300.1.1.1\n  198.51.100.4/40\n }\n}`);
  assert.deepEqual(only(c)['addresses'], ['198.51.100.1/24']);
  assert.deepEqual(notes(c), ['left-out NOT_CONVERTED 5', 'left-out NOT_CONVERTED 6', 'left-out NOT_CONVERTED 7', 'left-out NOT_CONVERTED 8']);
});

test('ok, an instance with IPv4 and IPv6 addresses becomes two groups in one sync set; the IPv6 one speaks v3', () => {
  const c = convert(`vrrp_instance DS {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n  198.51.100.1/24\n }\n virtual_ipaddress_excluded {\n  2001:db8::1/64\n }\n unicast_peer {\n  198.51.100.3\n }\n}`);
  assert.deepEqual(c.config.groups.map((g) => [g.name, g['vrrp_version'], g['addresses'], g['sync_set'], g['peers']]), [
    ['DS', 2, ['198.51.100.1/24'], 'DS', ['198.51.100.3']],
    ['DS-v6', undefined, ['2001:db8::1/64'], 'DS', undefined],
  ]);
  assert.deepEqual(notes(c), ['differs DIFFERS 1', 'differs DIFFERS 1', 'differs DIFFERS 8']);
});

test('ok, unicast_src_ip and unicast_peer become source_address, peers and unicast_ttl any; min_ttl is left out', () => {
  const c = convert(instance(' unicast_src_ip 198.51.100.2\n unicast_peer {\n  198.51.100.3\n  198.51.100.4 min_ttl 250\n }'));
  const g = only(c);
  assert.deepEqual([g['source_address'], g['peers'], g['unicast_ttl']], ['198.51.100.2', ['198.51.100.3', '198.51.100.4'], 'any']);
  assert.deepEqual(notes(c), ['left-out NOT_CONVERTED 10']);
  assert.equal(only(convert(instance(' mcast_src_ip 198.51.100.2')))['source_address'], '198.51.100.2');
});

test('ok, use_vmac (with a name) and vmac_xmit_base (noted); a MAC of its own is left out', () => {
  assert.deepEqual(only(convert(instance(' use_vmac')))['vmac'], true);
  const named = convert(instance(' use_vmac vrrp.7\n vmac_xmit_base'));
  assert.deepEqual([only(named)['vmac'], only(named)['virtual_interface']], [true, 'vrrp.7']);
  assert.deepEqual(notes(named), ['differs DIFFERS 8']);
  assert.deepEqual(notes(convert(instance(' use_vmac 02:00:00:00:00:07'))), ['left-out NOT_CONVERTED 7']);
});

test('ok, authentication PASS on v2 becomes a passphrase file (first 8 bytes), never the password in the YAML', () => {
  const c = convert(instance(' authentication {\n  auth_type PASS\n  auth_pass secret1234\n }'));
  assert.equal(only(c)['passphrase_file'], '/etc/carpd/VI_1.pass');
  assert.deepEqual(c.secrets, [{ path: '/etc/carpd/VI_1.pass', value: 'secret12', group: 'VI_1' }]);
  assert.deepEqual(notes(c), ['differs DIFFERS 7']);
  const yaml = renderConversion(FILE, c);
  assert.doesNotMatch(yaml, /secret1/);
  assert.equal(convertKeepalived(FILE, 'x', mapReader({}), { secretsDir: '/srv/keys/' }).secrets.length, 0);
  assert.equal(convertKeepalived(FILE, instance(' authentication {\n  auth_pass abc\n }'), mapReader({}), { secretsDir: '/srv/keys/' }).config.groups[0]?.['passphrase_file'], '/srv/keys/VI_1.pass');
});

test('left out, AH authentication, PASS without a password, and authentication on a v3 instance', () => {
  const ah = convert(instance(' authentication {\n  auth_type AH\n  auth_pass x\n }'));
  assert.deepEqual([only(ah)['passphrase_file'], notes(ah)], [undefined, ['left-out NOT_CONVERTED 7']]);
  assert.deepEqual(notes(convert(instance(' authentication {\n  auth_type PASS\n }'))), ['left-out NOT_CONVERTED 7']);
  const v3 = convert(instance(' version 3\n authentication {\n  auth_type PASS\n  auth_pass x\n }'));
  assert.deepEqual([v3.secrets.length, notes(v3)], [0, ['left-out NOT_CONVERTED 8']]);
});

test('ok, track_interface: no weight (FAULT) is 255, a negative weight its size, a positive one raises the base priority; reverse is left out', () => {
  const c = convert(instance(' priority 100\n track_interface {\n  eth1\n  eth2 weight -20\n  eth3 weight 10\n  eth4 weight 5 reverse\n }'));
  const g = only(c);
  assert.deepEqual(g['track'], { interfaces: [{ interface: 'eth1', weight: 255 }, { interface: 'eth2', weight: 20 }, { interface: 'eth3', weight: 10 }] });
  assert.equal(g['priority'], 110);
  assert.deepEqual(notes(c), ['differs DIFFERS 9', 'left-out NOT_CONVERTED 12']);
});

test('ok, track_script with vrrp_script: command split, interval, rise, fall, weight; keepalived\'s defaults made explicit; the instance\'s weight wins', () => {
  const scripts = 'vrrp_script chk_web {\n script "/usr/bin/curl -sf \'http://127.0.0.1/health\'"\n interval 2\n timeout 1\n rise 2\n fall 3\n weight -30\n}\nvrrp_script chk_db {\n script /bin/true\n}\n';
  const c = convert(instance(' track_script {\n  chk_web\n  chk_db weight -40\n }', '', scripts));
  assert.deepEqual(only(c)['track'], {
    checks: [
      { name: 'chk_web', command: ['/usr/bin/curl', '-sf', 'http://127.0.0.1/health'], interval_seconds: 2, timeout_seconds: 1, rise: 2, fall: 3, weight: 30 },
      { name: 'chk_db', command: ['/bin/true'], interval_seconds: 1, timeout_seconds: 0.9, rise: 1, fall: 1, weight: 40 },
    ],
  });
  // chk_db's timeout (keepalived: the interval) is shortened for carpd.
  assert.deepEqual(notes(c), ['differs DIFFERS 20']);
});

test('left out, a track_script naming no vrrp_script, a script with reverse or user, a vrrp_script without script', () => {
  const c = convert(instance(' track_script {\n  nosuch\n  rev\n }', '', 'vrrp_script rev {\n script /bin/true\n weight 10 reverse\n user nobody\n}\nvrrp_script empty {\n interval 1\n}\n'));
  assert.deepEqual(notes(c), ['left-out NOT_CONVERTED 4', 'left-out NOT_CONVERTED 6', 'left-out NOT_CONVERTED 16', 'left-out NOT_CONVERTED 17']);
  assert.equal(only(c)['track'], undefined);
});

test('ok, notify_master / notify_backup / notify_stop become scripts, noted for their arguments; arguments and users in the line are left out', () => {
  const c = convert(instance(' notify_master /etc/k/master.sh\n notify_backup "/etc/k/backup.sh VI_1"\n notify_stop /etc/k/stop.sh root'));
  assert.deepEqual(only(c)['scripts'], { master: '/etc/k/master.sh', backup: '/etc/k/backup.sh', stop: '/etc/k/stop.sh' });
  assert.deepEqual(notes(c), ['differs DIFFERS 7', 'left-out NOT_CONVERTED 8', 'left-out NOT_CONVERTED 9', 'differs DIFFERS 9']);
});

test('ok, notify_fault is the backup script when there is none, else left out; notify is both scripts unless they are set', () => {
  assert.deepEqual(only(convert(instance(' notify_fault /etc/k/f.sh')))['scripts'], { backup: '/etc/k/f.sh' });
  const both = convert(instance(' notify_backup /etc/k/b.sh\n notify_fault /etc/k/f.sh'));
  assert.deepEqual([only(both)['scripts'], notes(both)], [{ backup: '/etc/k/b.sh' }, ['differs DIFFERS 7', 'left-out NOT_CONVERTED 8']]);
  assert.deepEqual(only(convert(instance(' notify /etc/k/n.sh')))['scripts'], { master: '/etc/k/n.sh', backup: '/etc/k/n.sh' });
  assert.deepEqual(notes(convert(instance(' notify_master /etc/k/m.sh\n notify /etc/k/n.sh'))), ['differs DIFFERS 7', 'left-out NOT_CONVERTED 8']);
  assert.deepEqual(notes(convert(instance(' notify_master master.sh'))), ['left-out NOT_CONVERTED 7']);
});

test('ok, vrrp_sync_group becomes sync_set on its members; its own notify and unknown members are left out', () => {
  const c = convert(`vrrp_sync_group VG {\n group {\n  VI_1\n  NOPE\n }\n notify_master /x.sh\n}\n${instance('')}`);
  assert.equal(only(c)['sync_set'], 'VG');
  assert.deepEqual(notes(c), ['left-out NOT_CONVERTED 4', 'left-out NOT_CONVERTED 6']);
});

test('ok, garp_master_refresh is the announce interval; the other garp_* are left out, in the instance and in global_defs', () => {
  const c = convert(instance(' garp_master_refresh 60\n garp_master_delay 5\n garp_master_repeat 3', '', 'global_defs {\n vrrp_garp_master_delay 10\n}\n'));
  assert.deepEqual(only(c)['announce'], { interval_seconds: 60 });
  assert.deepEqual(notes(c), ['left-out NOT_CONVERTED 2', 'left-out NOT_CONVERTED 11', 'left-out NOT_CONVERTED 12']);
});

test('accept / no_accept / strict: accept_mode reported; no_accept and strict mode cannot be enforced and are named', () => {
  assert.equal(only(convert(instance(' version 3\n accept')))['accept_mode'], true);
  const no = convert(instance(' version 3\n no_accept'));
  assert.deepEqual([only(no)['accept_mode'], notes(no)], [undefined, ['left-out NOT_CONVERTED 1']]);
  const strict = convert(`global_defs {\n vrrp_strict\n}\n${instance(' version 3')}`);
  assert.deepEqual([only(strict)['accept_mode'], notes(strict)], [undefined, ['left-out NOT_CONVERTED 4']]);
  assert.equal(only(convert(instance(' version 3\n priority 255')))['accept_mode'], undefined);
  const instanceStrict = convert(instance(' strict_mode on'));
  assert.deepEqual([only(instanceStrict)['accept_mode'], notes(instanceStrict)], [undefined, ['left-out NOT_CONVERTED 1']]);
});

test('out of scope: LVS and BFD blocks; other top-level blocks and unknown instance keywords are left out with their lines', () => {
  const c = convert(instance(' dont_track_primary\n track_file {\n  f\n }', 'virtual_server 198.51.100.1 80 {\n real_server 198.51.100.9 80 {\n }\n}\nbfd_instance b {\n}\nstatic_ipaddress {\n}\n'));
  assert.deepEqual(notes(c), ['left-out NOT_CONVERTED 7', 'left-out NOT_CONVERTED 8', 'left-out OUT_OF_SCOPE 12', 'left-out OUT_OF_SCOPE 16', 'left-out NOT_CONVERTED 18']);
});

test('global_defs: script_user carried over, its group and router_id left out, enable_script_security noted', () => {
  const c = convert(`global_defs {\n router_id r1\n script_user keepalived_script users\n enable_script_security\n}\n${instance('')}`);
  assert.equal(c.config.script_user, 'keepalived_script');
  assert.deepEqual(notes(c), ['left-out NOT_CONVERTED 2', 'left-out NOT_CONVERTED 3', 'differs DIFFERS 4']);
});

test('left out, an instance without interface or virtual_router_id or address, and a file with no instance', () => {
  assert.deepEqual(notes(convert('vrrp_instance A {\n virtual_router_id 1\n virtual_ipaddress {\n  198.51.100.1\n }\n}')), ['left-out NOT_CONVERTED 1', 'left-out NOT_CONVERTED 1']);
  assert.deepEqual(notes(convert('vrrp_instance A {\n interface eth0\n virtual_router_id 300\n}')), ['left-out NOT_CONVERTED 1', 'left-out NOT_CONVERTED 1', 'left-out NOT_CONVERTED 3']);
  const none = convert('global_defs {\n}\n');
  assert.deepEqual([none.config.groups, notes(none), none.ok], [[], ['left-out NOT_CONVERTED 1'], true]);
});

test('a conditional (@) instance is named and skipped; a syntax error makes the conversion fail', () => {
  const c = convert(`@node1 ${instance('')}`);
  assert.deepEqual([c.config.groups, notes(c)], [[], ['left-out NOT_CONVERTED 1', 'left-out NOT_CONVERTED 1']]);
  const bad = convert(instance('', '}'));
  assert.deepEqual([bad.ok, notes(bad)], [false, ['error SYNTAX 9']]);
});

test('the YAML names the source and every note with FILE:LINE in comments, each group with its instance, and parses back to the config', () => {
  const c = convert(instance(' state BACKUP\n smtp_alert', 'virtual_server 198.51.100.1 80 {\n}\n'));
  const yaml = renderConversion(FILE, c);
  for (const n of c.notes) assert.ok(yaml.includes(`#   ${n.file}:${n.line}: ${n.what}`), n.what);
  assert.match(yaml, /# from vrrp_instance VI_1 \(\/k\/keepalived\.conf:1\)/);
  assert.deepEqual(parseYaml(yaml), c.config);
});

test('check timeouts stay below the interval at every interval (carpd refuses timeout >= interval)', () => {
  for (const [interval, timeout, expected] of [['0.2', '', 0.1], ['0.25', '', 0.2], ['0.5', '', 0.4], ['1', '0.97', 0.9], ['3', '5', 2.7], ['2', '1', 1]] as const) {
    const c = convert(instance(' track_script {\n  s\n }', '', `vrrp_script s {\n script /bin/true\n interval ${interval}\n${timeout === '' ? '' : ` timeout ${timeout}\n`}}\n`));
    const [check] = (only(c)['track'] as { checks: { interval_seconds: number; timeout_seconds: number }[] }).checks;
    assert.ok(check !== undefined && check.timeout_seconds < check.interval_seconds, `${interval}/${timeout}: ${JSON.stringify(check)}`);
    assert.equal(check.timeout_seconds, expected, `${interval}/${timeout}`);
  }
});

test('a $ in a password is literal unless it names a definition; a password never reaches a note', () => {
  const literal = convert(instance(' authentication {\n  auth_pass pa$word\n }'));
  assert.deepEqual([literal.secrets[0]?.value, notes(literal)], ['pa$word', []]);
  const defined = convert(`$word=x\n${instance(' authentication {\n  auth_pass pa$word\n }')}`);
  assert.deepEqual(notes(defined), ['left-out NOT_CONVERTED 1', 'left-out NOT_CONVERTED 8', 'left-out NOT_CONVERTED 9']);
  const conditional = convert(instance(' authentication {\n@lb1  auth_pass s3cr3tpw\n }'));
  assert.doesNotMatch(JSON.stringify(conditional.notes) + renderConversion(FILE, conditional), /s3cr3t/);
  assert.deepEqual(notes(conditional), ['left-out NOT_CONVERTED 7', 'left-out NOT_CONVERTED 8']);
});

test('instance names carpd cannot use are cleaned, and two that clean to one name are told apart', () => {
  const two = `vrrp_instance "VI 1" {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  198.51.100.1\n }\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n  198.51.100.2\n }\n}`;
  const c = convert(two);
  assert.deepEqual([c.config.groups.map((g) => g.name), notes(c)], [['VI_1', 'VI_1-2'], ['differs DIFFERS 8']]);
});

test('a use_vmac name longer than an interface name can be is left out', () => {
  const c = convert(instance(' use_vmac averyveryverylongname'));
  assert.deepEqual([only(c)['vmac'], only(c)['virtual_interface'], notes(c)], [true, undefined, ['left-out NOT_CONVERTED 7']]);
});
