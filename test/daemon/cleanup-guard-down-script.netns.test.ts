/**
 * The cleanup guard where the scripts own the address (ucarp mode): on the daemon's death it runs
 * the down script with ucarp's arguments and exactly the environment it was given, only while the
 * address is still on the interface, and kills a hung one at its timeout. Real guard process, real
 * kernel, in a network namespace of the test's own (nothing in the host namespace). Needs root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGuardSpec, type GuardSpec } from '../../src/daemon/cleanup-guard.ts';
import type { CleanupDownScript } from '../../src/daemon/cleanup-script.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { runGuardProcess } from '../helpers/guard-process.ts';
import { hostTestRangeAddresses, ip, TestNamespaces } from '../helpers/netns.ts';

const VIP = '198.51.100.77';

function vips(ns: string): string[] {
  const [info] = JSON.parse(ip('-n', ns, '-j', 'addr', 'show', 'dev', 'eth0')) as { addr_info: { family: string; local: string }[] }[];
  return (info?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local);
}

test('cleanup guard, script-owned addresses: the down script runs (ucarp arguments, only the given environment) while the address is there, and is killed at its timeout', { timeout: 60_000 }, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root (network namespaces)');
  const clashes = hostTestRangeAddresses();
  if (clashes.length > 0) return t.skip(`refusing to run: the host holds test-range addresses ${clashes.join(', ')}`);
  const ns = `cgd${randomBytes(4).toString('hex')}`;
  const namespaces = new TestNamespaces();
  const failure = namespaces.tryAdd(ns);
  if (failure !== undefined) return t.skip(failure);
  // A directory with a space: the path crosses the pipe percent-encoded.
  const dir = mkdtempSync(join(tmpdir(), 'carpd guard-'));
  try {
    ip('-n', ns, 'link', 'add', 'name', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'addr', 'add', '198.51.100.10/24', 'dev', 'eth0');
    const log = join(dir, 'down.log');
    const down = join(dir, 'down script.sh');
    writeFileSync(down, `#!/bin/sh\n{ printf '%s|' "$@"; echo; env | sort; } > "${log}"\nip addr del "$2/24" dev "$1"\n`);
    chmodSync(down, 0o755);
    const hung = join(dir, 'hung.sh');
    writeFileSync(hung, `#!/bin/sh\necho "$$" > "${log}"\nsleep 300\n`);
    chmodSync(hung, 0o755);
    const script = (path: string, timeoutMs: number): CleanupDownScript => ({
      group: 'eth0/vhid7',
      interfaceName: 'eth0',
      address: parseIpAddress(VIP),
      path,
      args: ['eth0', VIP, 'x 100%'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', CARP_STATE: 'BACKUP', CARP_REASON: 'cleanup', CARP_GROUP: 'eth0/vhid7' },
      timeoutMs,
    });
    const spec = (path: string, timeoutMs = 10_000): GuardSpec => ({ items: [], downScripts: [script(path, timeoutMs)] });

    await t.test('the address is there: the down script runs with ucarp\'s arguments and exactly the given environment, and removes it', async () => {
      ip('-n', ns, 'addr', 'add', `${VIP}/24`, 'dev', 'eth0');
      const exit = await runGuardProcess(encodeGuardSpec(spec(down)), { endStdin: true, netns: ns });
      assert.equal(exit.code, 0, exit.stderr);
      assert.deepEqual(vips(ns), ['198.51.100.10'], 'the VIP is gone');
      const [args, ...env] = readFileSync(log, 'utf8').trim().split('\n');
      assert.equal(args, `eth0|${VIP}|x 100%|`);
      // sh adds PWD (the working directory, /), SHLVL and _ itself; nothing else of the guard's environment.
      assert.deepEqual(env.filter((l) => !/^(PWD|SHLVL|_)=/.test(l)), ['CARP_GROUP=eth0/vhid7', 'CARP_REASON=cleanup', 'CARP_STATE=BACKUP', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin']);
      assert.ok(env.includes('PWD=/'), env.join('\n'));
    });

    await t.test('the address is not there (this node was BACKUP): nothing runs', async () => {
      rmSync(log, { force: true });
      const exit = await runGuardProcess(encodeGuardSpec(spec(down)), { endStdin: true, netns: ns });
      assert.equal(exit.code, 0, exit.stderr);
      assert.equal(existsSync(log), false, 'the down script did not run');
    });

    await t.test('"done" (a clean stop): nothing runs even though the address is there', async () => {
      ip('-n', ns, 'addr', 'add', `${VIP}/24`, 'dev', 'eth0');
      rmSync(log, { force: true });
      const exit = await runGuardProcess(`${encodeGuardSpec(spec(down))}done\n`, { endStdin: true, netns: ns });
      assert.equal(exit.code, 0, exit.stderr);
      assert.equal(existsSync(log), false);
      assert.deepEqual(vips(ns), ['198.51.100.10', VIP]);
    });

    await t.test('garbled input: an item with an argument not taken is not run; lines after a refused down line belong to no item', async () => {
      rmSync(log, { force: true });
      const [head, ...rest] = encodeGuardSpec(spec(down)).trimEnd().split('\n').slice(1, -1);
      const lines = (body: string[]) => `spec\n${body.join('\n')}\nend\n`;
      const garbled = await runGuardProcess(lines([head as string, 'arg %ZZ', ...rest]), { endStdin: true, netns: ns });
      assert.equal(garbled.code, 1);
      assert.ok(guardLog(garbled.stderr).some((l) => l['level'] === 'error' && l['script'] === down), garbled.stderr);
      assert.equal(existsSync(log), false, 'not run with a missing argument');
      assert.deepEqual(vips(ns), ['198.51.100.10', VIP]);
      // A refused item (not an address) and its lines; the valid item before it runs with its own arguments only.
      const mixed = await runGuardProcess(lines([head as string, ...rest, `down eth0 not-an-address 1000 ${hung}`, 'arg extra']), { endStdin: true, netns: ns });
      assert.equal(mixed.code, 0, mixed.stderr);
      assert.equal(readFileSync(log, 'utf8').split('\n')[0], `eth0|${VIP}|x 100%|`);
      assert.deepEqual(vips(ns), ['198.51.100.10']);
    });

    await t.test('script_user: with a user line the down script runs as that uid/gid, with no supplementary groups', async () => {
      ip('-n', ns, 'addr', 'add', `${VIP}/24`, 'dev', 'eth0');
      const who = join(dir, 'who.sh');
      writeFileSync(who, `#!/bin/sh\nid -u > "${log}"; id -g >> "${log}"; id -G >> "${log}"\n`);
      chmodSync(who, 0o755);
      chmodSync(dir, 0o777);
      rmSync(log, { force: true });
      const exit = await runGuardProcess(encodeGuardSpec({ items: [], downScripts: [{ ...script(who, 10_000), user: { uid: 65534, gid: 65534 } }] }), { endStdin: true, netns: ns });
      assert.equal(exit.code, 0, exit.stderr);
      assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['65534', '65534', '65534']);
      chmodSync(dir, 0o700);
      ip('-n', ns, 'addr', 'del', `${VIP}/24`, 'dev', 'eth0');
    });

    await t.test('a hung down script: SIGTERM to its process group at the timeout; the guard exits 1', async () => {
      ip('-n', ns, 'addr', 'add', `${VIP}/24`, 'dev', 'eth0');
      const started = Date.now();
      const exit = await runGuardProcess(encodeGuardSpec(spec(hung, 300)), { endStdin: true, netns: ns });
      const elapsed = Date.now() - started;
      assert.equal(exit.code, 1, exit.stderr);
      const ended = guardLog(exit.stderr).find((l) => l['script'] === hung && l['signal'] !== undefined);
      assert.deepEqual([ended?.['msg'], ended?.['signal']], ['the down script was killed at its timeout', 15], exit.stderr);
      assert.ok(elapsed < 2_500, `bounded by the timeout (${elapsed} ms)`);
      const pid = Number(readFileSync(log, 'utf8').trim());
      assert.ok(!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z', 'the script is gone');
    });
  } finally {
    namespaces.deleteAll(t);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The guard's JSON log lines (stderr is a pipe here, so every line is JSON). */
function guardLog(stderr: string): Record<string, unknown>[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}
