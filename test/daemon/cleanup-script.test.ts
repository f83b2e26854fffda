/**
 * What the cleanup (guard and `carpd cleanup`) runs for script-owned addresses, and how the guard
 * is told: cleanupDownScript from a real `carpd ucarp` command line, and encodeGuardSpec's down
 * items (never half an item; fields percent-encoded).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUcarpFlags } from '../../src/config/ucarp-flags.ts';
import { parseConfigText } from '../../src/config/config-file.ts';
import { encodeGuardSpec, guardField } from '../../src/daemon/cleanup-guard.ts';
import { cleanupDownScript, type CleanupDownScript } from '../../src/daemon/cleanup-script.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

const UCARP = ['--interface=eth0', '--srcip=198.51.100.1', '--vhid=7', '--pass=secret', '--addr=198.51.100.77', '--upscript=/etc/up.sh', '--downscript=/etc/down.sh', '--xparam=extra'];

test('ucarp mode: the downscript, with ucarp\'s arguments, BACKUP after MASTER, CARP_REASON=cleanup, PATH and nothing else', () => {
  const parsed = parseUcarpFlags(UCARP);
  assert.ok(parsed.ok);
  const group = parsed.config.groups[0];
  assert.ok(group !== undefined);
  assert.deepEqual(cleanupDownScript(group, '/bin'), {
    group: group.name,
    interfaceName: 'eth0',
    address: parseIpAddress('198.51.100.77'),
    path: '/etc/down.sh',
    args: ['eth0', '198.51.100.77', 'extra'],
    env: {
      PATH: '/bin',
      CARP_INTERFACE: 'eth0',
      CARP_VHID: '7',
      CARP_STATE: 'BACKUP',
      CARP_PREVIOUS_STATE: 'MASTER',
      CARP_ADDRESSES: '198.51.100.77',
      CARP_GROUP: group.name,
      CARP_PROTOCOL: 'carp',
      CARP_REASON: 'cleanup',
    },
    timeoutMs: 30_000,
  });
});

test('ucarp mode without --downscript: nothing to run', () => {
  const parsed = parseUcarpFlags(UCARP.filter((f) => !f.startsWith('--downscript')));
  assert.ok(parsed.ok);
  assert.equal(cleanupDownScript(parsed.config.groups[0]!), undefined);
});

test('a file with manage_addresses: false and scripts.stop: the stop script (what a clean stop would run), told INIT; carpd-managed addresses: none', () => {
  const text = [
    'groups:',
    '  - interface: eth0', '    vhid: 8', '    addresses: [198.51.100.8/24]', '    passphrase: x', '    manage_addresses: false',
    '    scripts: { backup: /etc/down.sh, stop: /etc/stop.sh }',
    '  - interface: eth0', '    vhid: 9', '    addresses: [198.51.100.9/24]', '    passphrase: x', '    scripts: { backup: /etc/down.sh }',
    '',
  ].join('\n');
  const result = parseConfigText(text, { env: {} });
  assert.ok(result.ok);
  const [owned, managed] = result.config.groups;
  const down = cleanupDownScript(owned!, '/bin');
  assert.deepEqual([down?.path, ...(down?.args ?? []), down?.env['CARP_STATE']], ['/etc/stop.sh', 'eth0', '8', 'INIT', 'INIT']);
  assert.equal(cleanupDownScript(managed!), undefined);
});

const down = (overrides: Partial<CleanupDownScript> = {}): CleanupDownScript => ({
  group: 'g',
  interfaceName: 'eth0',
  address: parseIpAddress('198.51.100.77'),
  path: '/etc/my scripts/down.sh',
  args: ['eth0', '198.51.100.77', '50% off\n'],
  env: { PATH: '/bin', CARP_REASON: 'cleanup' },
  timeoutMs: 30_000,
  ...overrides,
});

test('encodeGuardSpec: a down item, its arguments and variables, percent-encoded, inside the spec block', () => {
  assert.equal(
    encodeGuardSpec({ items: [], downScripts: [down()] }),
    ['spec', 'down eth0 198.51.100.77 30000 /etc/my%20scripts/down.sh', 'arg eth0', 'arg 198.51.100.77', 'arg 50%25%20off%0A', 'env PATH=/bin', 'env CARP_REASON=cleanup', 'end', ''].join('\n'),
  );
  assert.equal(guardField('a\tb\u0000c%'), 'a%09b%00c%25');
});

test('encodeGuardSpec: a down item with script_user carries a user line (the guard switches to it)', () => {
  const lines = encodeGuardSpec({ items: [], downScripts: [down({ user: { uid: 65534, gid: 65534 } })] }).split('\n');
  assert.deepEqual(lines.slice(1, 6), ['down eth0 198.51.100.77 30000 /etc/my%20scripts/down.sh', 'arg eth0', 'arg 198.51.100.77', 'arg 50%25%20off%0A', 'user 65534 65534']);
});

test('encodeGuardSpec: an item the guard could not take whole is left out; a variable too long for a line is dropped alone', () => {
  const empty = 'spec\nend\n';
  assert.equal(encodeGuardSpec({ items: [], downScripts: [down({ interfaceName: 'eth 0' })] }), empty);
  assert.equal(encodeGuardSpec({ items: [], downScripts: [down({ path: `/${'x'.repeat(600)}` })] }), empty);
  assert.equal(encodeGuardSpec({ items: [], downScripts: [down({ args: Array.from({ length: 9 }, () => 'a') })] }), empty);
  const long = encodeGuardSpec({ items: [], downScripts: [down({ env: { PATH: '/bin', CARP_ADDRESSES: 'x'.repeat(600) } })] });
  assert.match(long, /^env PATH=\/bin$/m);
  assert.doesNotMatch(long, /CARP_ADDRESSES/);
});

test('script_user: the guard is told to switch only to a user other than the daemon\'s own (an unprivileged carpd could not switch)', () => {
  const parsed = parseUcarpFlags(UCARP);
  assert.ok(parsed.ok);
  const base = parsed.config.groups[0]!;
  const withUser = (uid: number, gid: number) => ({ ...base, scripts: { ...base.scripts, user: { name: 'u', uid, gid } } });
  const self = { uid: 1000, gid: 1000 };
  assert.equal(cleanupDownScript(withUser(1000, 1000), '/bin', self)?.user, undefined, 'its own user: no switch');
  assert.deepEqual(cleanupDownScript(withUser(65534, 65534), '/bin', self)?.user, { uid: 65534, gid: 65534 });
  assert.equal(cleanupDownScript(base, '/bin', self)?.user, undefined, 'no script_user: the daemon\'s own');
});
