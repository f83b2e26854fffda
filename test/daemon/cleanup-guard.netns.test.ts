/**
 * The guard against the real kernel, in a network namespace of the test's own: it is started
 * with one spec, updated over the pipe, and on the pipe closing without "done" removes what the
 * *updated* spec names (an address on eth0, the carp7 stand-in with its ifindex) and nothing
 * else. Nothing is created in the host namespace (docs/development.md "Test networks"). Needs root;
 * skips itself otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { encodeGuardSpec, type GuardSpec } from '../../src/daemon/cleanup-guard.ts';
import { runGuardProcess } from '../helpers/guard-process.ts';
import { hostTestRangeAddresses, ip, TestNamespaces } from '../helpers/netns.ts';


/** Runs the guard in the namespace, writes the lines, closes stdin; resolves with its exit code. */
async function runGuardIn(ns: string, spec: GuardSpec, lines: readonly string[]): Promise<number | null> {
  return (await runGuardProcess(`${encodeGuardSpec(spec)}${lines.map((l) => `${l}\n`).join('')}`, { endStdin: true, netns: ns })).code;
}

/** Adds an address in the namespace as carpd does: with carpd's mark (test/helpers/add-marked-address.ts). */
function addMarked(ns: string, link: string, text: string): void {
  const [address, prefix] = text.split('/') as [string, string];
  const helper = join(import.meta.dirname, '..', 'helpers', 'add-marked-address.ts');
  execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', helper, link, address, prefix], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

/** The IPv4 addresses on a link in the namespace, as "IP/prefix". */
function addresses(ns: string, link: string): string[] {
  const [info] = JSON.parse(ip('-n', ns, '-j', 'addr', 'show', 'dev', link)) as { addr_info: { family: string; local: string; prefixlen: number }[] }[];
  return (info?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

function links(ns: string): string[] {
  return (JSON.parse(ip('-n', ns, '-j', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname).sort();
}

function ifindex(ns: string, link: string): number {
  const [info] = JSON.parse(ip('-n', ns, '-j', 'link', 'show', 'dev', link)) as { ifindex: number }[];
  return info?.ifindex as number;
}

test('cleanup guard in a network namespace', { timeout: 90_000 }, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root (network namespaces, netlink writes)');
  const clashes = hostTestRangeAddresses();
  if (clashes.length > 0) return t.skip(`refusing to run: the host holds test-range addresses ${clashes.join(', ')}`);
  const ns = `cg${randomBytes(4).toString('hex')}`;
  const namespaces = new TestNamespaces();
  const failure = namespaces.tryAdd(ns);
  if (failure !== undefined) return t.skip(failure);
  try {
    // The dummy driver is not in every kernel (not in this test machine's): a veth end stands for the parent.
    ip('-n', ns, 'link', 'add', 'name', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    // .10 and .12 are the host's own (unmarked); .11 is a VIP carpd added (marked).
    for (const a of ['198.51.100.10/24', '198.51.100.12/24']) ip('-n', ns, 'addr', 'add', a, 'dev', 'eth0');
    addMarked(ns, 'eth0', '198.51.100.11/24');
    // Stand-ins for --vmac interfaces: carp7 is the dead daemon's, carp8 "a restarted daemon's" (another ifindex).
    ip('-n', ns, 'link', 'add', 'link', 'eth0', 'name', 'carp7', 'type', 'macvlan', 'mode', 'bridge');
    ip('-n', ns, 'link', 'add', 'link', 'eth0', 'name', 'carp8', 'type', 'macvlan', 'mode', 'bridge');
    const initial: GuardSpec = { items: [{ interfaceName: 'eth0', addresses: ['198.51.100.10/24'] }] };

    await t.test('"done": nothing is touched', async () => {
      assert.equal(await runGuardIn(ns, initial, ['done']), 0);
      assert.deepEqual(addresses(ns, 'eth0').sort(), ['198.51.100.10/24', '198.51.100.11/24', '198.51.100.12/24']);
    });

    await t.test('the pipe closed after an update: what the updated spec names is removed, only that', async () => {
      const updated: GuardSpec = {
        items: [
          { interfaceName: 'eth0', addresses: ['198.51.100.11/24'] },
          { interfaceName: 'eth0', virtualInterface: 'carp7', virtualInterfaceIndex: ifindex(ns, 'carp7'), addresses: [] },
          { interfaceName: 'eth0', virtualInterface: 'carp8', virtualInterfaceIndex: ifindex(ns, 'carp8') + 100, addresses: [] },
        ],
      };
      assert.equal(await runGuardIn(ns, initial, [encodeGuardSpec(updated).trimEnd()]), 0);
      assert.deepEqual(addresses(ns, 'eth0'), ['198.51.100.10/24', '198.51.100.12/24']);
      assert.deepEqual(links(ns), ['carp8', 'eth0', 'lo', 'peer0']);
    });

    await t.test("item 3: an address in the spec without carpd's mark (the host's own) is left in place", async () => {
      const run = await runGuardProcess(encodeGuardSpec({ items: [{ interfaceName: 'eth0', addresses: ['198.51.100.10/24', '198.51.100.12/24'] }] }), { endStdin: true, netns: ns });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(addresses(ns, 'eth0'), ['198.51.100.10/24', '198.51.100.12/24'], 'both unmarked addresses stay');
      const lines = run.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(lines.filter((l) => l['msg'] === "left an address without carpd's mark in place").map((l) => l['address']), ['198.51.100.10', '198.51.100.12']);
    });
  } finally {
    namespaces.deleteAll(t);
  }
});
