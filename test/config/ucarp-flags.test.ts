/**
 * ucarp 1.5.2's command line: the exact lines of test/fixtures/PROVENANCE.md that made the ucarp
 * capture test/fixtures/ucarp-vhid7-secret-pass.pcap (V1), every flag in its long, short and
 * abbreviated spellings, and the errors. Errors are matched on the flag they name, not on prose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUcarpFlags } from '../../src/config/ucarp-flags.ts';
import type { CarpdConfig, CarpGroupConfig } from '../../src/config/config-types.ts';
import { carpGroup } from './group-view.ts';

/** The V1 command lines, split as a shell would. */
const V1_A = '--interface=msVA0 --srcip=192.0.2.1 --vhid=7 --pass=secret-pass --addr=192.0.2.100 --advbase=1 --advskew=0 --upscript=vip-up.sh --downscript=vip-down.sh --xparam=msVA --shutdown'.split(' ');
const V1_B = '--interface=msVB0 --srcip=192.0.2.2 --vhid=7 --pass=secret-pass --addr=192.0.2.100 --advbase=1 --advskew=50 --upscript=vip-up.sh --downscript=vip-down.sh --xparam=msVB --shutdown'.split(' ');
const MINIMAL = ['-i', 'eth0', '-s', '10.0.0.1', '-v', '1', '-p', 'pw', '-a', '10.0.0.100'];

function ok(args: string[]): { config: CarpdConfig; group: CarpGroupConfig; notes: string[] } {
  const result = parseUcarpFlags(args);
  assert.ok(result.ok, `expected success, got ${JSON.stringify(result)}`);
  const group = carpGroup(result.config.groups[0]);
  assert.ok(group !== undefined);
  return { config: result.config, group, notes: result.notes };
}

function errorsOf(args: string[]): string[] {
  const result = parseUcarpFlags(args);
  assert.equal(result.ok, false, `expected errors for ${args.join(' ')}`);
  return result.ok ? [] : result.errors;
}

/** Asserts that exactly one error names `flag`. */
function assertErrorNames(args: string[], flag: string): void {
  const errors = errorsOf(args);
  assert.equal(errors.filter((e) => e.startsWith(flag) || e.includes(`(${flag})`)).length, 1, `${flag} in ${JSON.stringify(errors)}`);
}

test('V1 node A parses into the ucarp-mode group', () => {
  const { config, group } = ok(V1_A);
  assert.equal(config.groups.length, 1);
  assert.equal(config.logLevel, 'info');
  assert.equal(config.controlSocket, '/run/carpd/ucarp-msVA0-vhid7.sock');
  assert.equal(group.name, 'msVA0/vhid7');
  assert.equal(group.interface, 'msVA0');
  assert.equal(group.vhid, 7);
  assert.deepEqual(group.addresses.map((a) => [a.address.text, a.prefixLength]), [['192.0.2.100', undefined]]);
  assert.deepEqual(group.passphrase, { kind: 'inline', value: 'secret-pass' });
  assert.equal(group.advbase, 1);
  assert.equal(group.advskew, 0);
  assert.equal(group.preempt, false);
  assert.equal(group.masterDown, 'ucarp');
  assert.equal(group.deadRatio, 3);
  assert.equal(group.sourceAddress?.text, '192.0.2.1');
  assert.equal(group.vmac, false);
  assert.equal(group.manageAddresses, false);
  assert.deepEqual(group.replay, { mode: 'compat', windowSeconds: 300 });
  assert.deepEqual(group.scripts, { master: 'vip-up.sh', backup: 'vip-down.sh', timeoutSeconds: 30, style: 'ucarp', extraParameter: 'msVA', neutral: false });
  assert.deepEqual(group.peers, []);
  assert.deepEqual(group.track, { interfaces: [], checks: [] });
});

test('V1 node B parses with advskew 50', () => {
  const { group } = ok(V1_B);
  assert.equal(group.interface, 'msVB0');
  assert.equal(group.advskew, 50);
  assert.equal(group.sourceAddress?.text, '192.0.2.2');
  assert.equal(group.scripts.extraParameter, 'msVB');
});

test('the same line in short options, separate values and a bundle', () => {
  const { group } = ok(['-i', 'msVA0', '-s192.0.2.1', '-v', '7', '-p', 'secret-pass', '-a', '192.0.2.100', '-b', '1', '-k0', '-u', 'vip-up.sh', '-d', 'vip-down.sh', '-x', 'msVA', '-zPn']);
  assert.equal(group.vhid, 7);
  assert.equal(group.preempt, true);
  assert.equal(group.scripts.neutral, true);
  assert.equal(group.scripts.master, 'vip-up.sh');
  assert.equal(group.scripts.extraParameter, 'msVA');
});

test('long options with separate values, abbreviations and permuted order', () => {
  const { group } = ok(['--vhid', '9', '--int', 'eth1', '--src', '10.0.0.1', '--pass', 'pw', '--addr', '10.0.0.9', '--advs', '20', '--pree']);
  assert.equal(group.interface, 'eth1');
  assert.equal(group.vhid, 9);
  assert.equal(group.advskew, 20);
  assert.equal(group.preempt, true);
});

test('every flag, one at a time', async (t) => {
  const cases: { name: string; extra: string[]; check: (c: CarpdConfig, g: CarpGroupConfig, notes: string[]) => void }[] = [
    { name: '--preempt / -P', extra: ['-P'], check: (_c, g) => assert.equal(g.preempt, true) },
    { name: '--neutral / -n', extra: ['--neutral'], check: (_c, g) => assert.equal(g.scripts.neutral, true) },
    { name: '--advbase / -b', extra: ['-b', '3'], check: (_c, g) => assert.equal(g.advbase, 3) },
    { name: '--advbase 0 with a skew', extra: ['--advbase=0', '--advskew=100'], check: (_c, g) => assert.deepEqual([g.advbase, g.advskew], [0, 100]) },
    { name: '--advskew hex, as strtoul base 0', extra: ['-k', '0x10'], check: (_c, g) => assert.equal(g.advskew, 16) },
    { name: '--advskew octal, as strtoul base 0', extra: ['-k', '010'], check: (_c, g) => assert.equal(g.advskew, 8) },
    { name: '--advskew 255 is taken as 254 with a note', extra: ['-k', '255'], check: (_c, g, n) => { assert.equal(g.advskew, 254); assert.ok(n.some((x) => x.startsWith('--advskew'))); } },
    { name: '--upscript / -u', extra: ['-u', '/etc/up.sh'], check: (_c, g) => assert.equal(g.scripts.master, '/etc/up.sh') },
    { name: '--downscript / -d', extra: ['--downscript', '/etc/down.sh'], check: (_c, g) => assert.equal(g.scripts.backup, '/etc/down.sh') },
    { name: '--deadratio / -r', extra: ['-r', '5'], check: (_c, g) => assert.equal(g.deadRatio, 5) },
    { name: '--xparam / -x', extra: ['-x', 'foo bar'], check: (_c, g) => assert.equal(g.scripts.extraParameter, 'foo bar') },
    { name: '--passfile / -o', extra: ['-o', '/etc/ucarp.pass'], check: (_c, g) => assert.deepEqual(g.passphrase, { kind: 'file', path: '/etc/ucarp.pass' }) },
    { name: '--mcast 224.0.0.18 is accepted', extra: ['--mcast=224.0.0.18'], check: (_c, g) => assert.equal(g.vhid, 1) },
    { name: '--mcastip (ucarp\'s real long name)', extra: ['--mcastip', '224.0.0.18'], check: (_c, g) => assert.equal(g.vhid, 1) },
    { name: '-m 224.0.0.18', extra: ['-m', '224.0.0.18'], check: (_c, g) => assert.equal(g.vhid, 1) },
    { name: '--debug / -D', extra: ['-D'], check: (c, _g, n) => { assert.equal(c.logLevel, 'debug'); assert.ok(n.some((x) => x.startsWith('--debug'))); } },
    { name: '--shutdown / -z', extra: ['-z'], check: (_c, _g, n) => assert.ok(n.some((x) => x.startsWith('--shutdown'))) },
    { name: '--daemonize / -B', extra: ['-B'], check: (_c, _g, n) => assert.ok(n.some((x) => x.startsWith('--daemonize'))) },
    { name: '--ignoreifstate / -S', extra: ['--ignoreifstate'], check: (_c, _g, n) => assert.ok(n.some((x) => x.startsWith('--ignoreifstate'))) },
    { name: '--nomcast / -M', extra: ['-M'], check: (_c, _g, n) => assert.ok(n.some((x) => x.startsWith('--nomcast'))) },
    { name: '--facility / -f', extra: ['-f', 'local3'], check: (_c, _g, n) => assert.ok(n.some((x) => x.startsWith('--facility'))) },
    { name: 'a later --pass wins', extra: ['--pass=other'], check: (_c, g) => assert.deepEqual(g.passphrase, { kind: 'inline', value: 'other' }) },
    { name: 'a later --passfile replaces --pass', extra: ['--passfile=/p'], check: (_c, g) => assert.equal(g.passphrase.kind, 'file') },
    { name: '-- ends the options', extra: ['--'], check: (_c, g) => assert.equal(g.vhid, 1) },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const { config, group, notes } = ok([...MINIMAL, ...c.extra]);
      c.check(config, group, notes);
    });
  }
});

test('the defaults', () => {
  const { group, notes } = ok(MINIMAL);
  assert.deepEqual([group.advbase, group.advskew, group.deadRatio, group.preempt], [1, 0, 3, false]);
  assert.equal(group.scripts.master, undefined);
  assert.equal(group.scripts.extraParameter, undefined);
  assert.equal(notes.filter((n) => n.startsWith('no --upscript') || n.startsWith('no --downscript')).length, 2);
});

test('-h / --help asks for the usage, even among errors', () => {
  assert.deepEqual(parseUcarpFlags(['-h']), { ok: false, errors: [], help: true });
  assert.deepEqual(parseUcarpFlags(['--bogus', '--help']), { ok: false, errors: [], help: true });
});

test('errors name the flag', async (t) => {
  const cases: { name: string; args: string[]; flag: string }[] = [
    { name: 'missing interface', args: ['-s', '10.0.0.1', '-v', '1', '-p', 'pw', '-a', '10.0.0.100'], flag: '--interface' },
    { name: 'missing srcip', args: ['-i', 'eth0', '-v', '1', '-p', 'pw', '-a', '10.0.0.100'], flag: '--srcip' },
    { name: 'missing vhid', args: ['-i', 'eth0', '-s', '10.0.0.1', '-p', 'pw', '-a', '10.0.0.100'], flag: '--vhid' },
    { name: 'missing password', args: ['-i', 'eth0', '-s', '10.0.0.1', '-v', '1', '-a', '10.0.0.100'], flag: '--pass' },
    { name: 'missing addr', args: ['-i', 'eth0', '-s', '10.0.0.1', '-v', '1', '-p', 'pw'], flag: '--addr' },
    { name: 'vhid 0', args: [...MINIMAL, '-v', '0'], flag: '-v' },
    { name: 'vhid 256', args: [...MINIMAL, '--vhid=256'], flag: '--vhid' },
    { name: 'vhid with junk', args: [...MINIMAL, '--vhid=7x'], flag: '--vhid' },
    { name: 'advskew 256 (ucarp would wrap it)', args: [...MINIMAL, '-k', '256'], flag: '-k' },
    { name: 'advbase 255', args: [...MINIMAL, '--advbase=255'], flag: '--advbase' },
    { name: 'advbase 0 and advskew 0', args: [...MINIMAL, '--advbase=0'], flag: '--advbase' },
    { name: 'deadratio 0', args: [...MINIMAL, '--deadratio=0'], flag: '--deadratio' },
    { name: 'another multicast group', args: [...MINIMAL, '--mcast=239.1.1.1'], flag: '--mcast' },
    { name: 'an IPv6 addr', args: [...MINIMAL, '--addr=2001:db8::1'], flag: '--addr' },
    { name: 'an addr with a prefix', args: [...MINIMAL, '--addr=10.0.0.100/24'], flag: '--addr' },
    { name: 'a bad srcip', args: [...MINIMAL, '-s', '10.0.0'], flag: '-s' },
    { name: 'a password over 19 bytes', args: [...MINIMAL, '-p', '12345678901234567890'], flag: '-p' },
    { name: 'an unknown facility', args: [...MINIMAL, '--facility=nope'], flag: '--facility' },
    { name: 'an unknown long option', args: [...MINIMAL, '--bogus'], flag: '--bogus' },
    { name: 'an ambiguous abbreviation', args: [...MINIMAL, '--p=x'], flag: '--p=x' },
    { name: 'an unknown short option', args: [...MINIMAL, '-q'], flag: '-q' },
    { name: 'a value for a flag that takes none', args: [...MINIMAL, '--preempt=yes'], flag: '--preempt' },
    { name: 'a missing value at the end', args: [...MINIMAL, '--upscript'], flag: '--upscript' },
    { name: 'a stray argument', args: [...MINIMAL, 'extra'], flag: '"extra"' },
    { name: 'an interface name too long', args: [...MINIMAL, '-i', 'a-very-long-interface'], flag: '--interface' },
  ];
  for (const c of cases) await t.test(c.name, () => assertErrorNames(c.args, c.flag));
});

test('a rejected password is never echoed', () => {
  const errors = errorsOf([...MINIMAL, '-p', 'my-secret-is-too-long!']);
  assert.ok(errors.every((e) => !e.includes('my-secret')));
});
