/**
 * RouteNetlink and the sysctl helpers against the real kernel, in a network namespace of the
 * test's own: a veth pair is created inside it and a peer process (route-netlink-peer.ts) runs
 * there and reports what it saw. Nothing is created or configured in the host namespace
 * (docs/development.md "Test networks"). Needs root; skips itself otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { hostTestRangeAddresses, ip, TestNamespaces } from '../helpers/netns.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PEER = fileURLToPath(new URL('./route-netlink-peer.ts', import.meta.url));

/** Runs the peer in the namespace and resolves with its JSON report (kills it at the deadline). */
function runPeer(ns: string, args: object, timeoutMs: number): Promise<Record<string, unknown>> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', PEER, JSON.stringify(args)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`peer did not finish within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout) as Record<string, unknown>);
      } catch {
        reject(new Error(`peer printed no report; stdout: ${stdout} stderr: ${stderr}`));
      }
    });
  });
}

test('RouteNetlink and sysctls in a network namespace', { timeout: 90_000 }, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root (network namespaces, netlink writes)');
  const clashes = hostTestRangeAddresses();
  if (clashes.length > 0) return t.skip(`refusing to run: the host holds test-range addresses ${clashes.join(', ')}`);
  const ns = `cdn${process.pid}${randomBytes(3).toString('hex')}`;
  const namespaces = new TestNamespaces();
  const failure = namespaces.tryAdd(ns);
  if (failure !== undefined) return t.skip(failure);
  try {
    // "a" alone would be read by ip as an abbreviation of "address": name the ends explicitly.
    ip('netns', 'exec', ns, 'ip', 'link', 'add', 'name', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    const r = await runPeer(ns, { veth: 'va', peer: 'vb' }, 60_000);
    assert.equal(r.fatal, undefined, `peer failed: ${String(r.fatal)}`);

    await t.test('links', () => {
      assert.deepEqual(r.linkNames, ['lo', 'va', 'vb']);
      assert.equal(r.vethKind, 'veth');
      assert.equal(r.missingLink, null);
      assert.equal(r.vethUp, true);
    });

    await t.test('addresses: add, read back, remove', () => {
      assert.equal(r.addTwiceCode, 'resolved', 'adding a present address (EEXIST) is success');
      const withoutLinkLocal = (list: unknown): string[] => (list as string[]).filter((a) => !a.startsWith('fe80:'));
      assert.deepEqual(withoutLinkLocal(r.afterAdd), ['198.51.100.1/24', '2001:db8::1/64']);
      assert.deepEqual(withoutLinkLocal(r.afterAddViaIp), ['198.51.100.1/24', '2001:db8::1/64 nodad']);
      assert.deepEqual(withoutLinkLocal(r.afterRemove), []);
      assert.equal(r.removeMissingCode, 'resolved', 'removing an absent IPv4 address is success');
      assert.equal(r.removeMissing6Code, 'resolved', 'removing an absent IPv6 address is success');
      assert.equal(r.addMissingIfCode, 'ENODEV');
      assert.match(String(r.addMissingIfMessage), /^add 198\.51\.100\.1\/24 on ifindex 99999: ENODEV/);
    });

    await t.test('macvlan: created with kind, MAC, parent, bridge mode, no link-local', () => {
      assert.equal(r.macvlanIndexMatches, true);
      assert.deepEqual(r.macvlan, { name: 'carp7', mac: '00:00:5e:00:01:07', up: false, running: false, kind: 'macvlan', parentIndex: r.parentIndex });
      assert.equal(r.createTwiceCode, 'EEXIST');
      assert.deepEqual(r.macvlanViaIp, { mode: 'bridge', addrGenMode: 'none' });
      assert.deepEqual((r.macvlanUp as { up: boolean }).up, true);
      assert.deepEqual(r.macvlanAddressesAfterUp, [], 'addrgenmode none: no fe80:: from the virtual MAC');
      assert.deepEqual(r.macvlanAddresses, ['198.51.100.7/24', '2001:db8::7/64']);
      assert.deepEqual((r.macvlanDown as { up: boolean }).up, false);
      // Kernel behaviour (keep_addr_on_down=0): global IPv6 addresses go with the link.
      assert.deepEqual(r.macvlanAddressesAfterDown, ['198.51.100.7/24']);
      assert.equal(r.macvlanAfterDelete, null);
      assert.equal(r.deleteTwiceCode, 'ENODEV');
    });

    await t.test('sysctls inside the namespace', () => {
      assert.deepEqual(r.sysctlChanges, [
        'net/ipv4/conf/va/arp_ignore=1 (was 0)',
        'net/ipv4/conf/va/arp_announce=2 (was 0)',
        'net/ipv4/conf/carp7/arp_ignore=1 (was 0)',
        'net/ipv4/conf/carp7/arp_announce=2 (was 0)',
      ]);
      assert.deepEqual(r.sysctlAfterPrepare, ['1', '1', '2']);
      assert.deepEqual(r.sysctlAfterRestore, ['0', '0']);
      assert.equal(r.sysctlWritten, '2');
      assert.equal(r.sysctlMissing, null);
      assert.equal(r.sysctlMissingWrite, 'ENOENT');
    });

    await t.test('link events, and recovery from overflow', () => {
      const events = r.events as string[];
      assert.ok(events.includes('new va down'), `events: ${events.join(', ')}`);
      assert.ok(events.indexOf('new va up') > events.indexOf('new va down'), `events: ${events.join(', ')}`);
      assert.ok(events.includes('new carp8 down') && events.includes('del carp8 down'), `events: ${events.join(', ')}`);
      assert.deepEqual(r.macvlanDelEvent, { indexMatches: true, kind: 'macvlan', parentMatches: true }, 'the del event describes the deleted macvlan');
      assert.equal(r.overflowLogged, true, 'ENOBUFS reported and logged');
      assert.equal(r.overflowSawAllLinks, true, 'links re-dumped after the overflow');
      assert.equal(r.eventAfterOverflow, true, 'the watcher still receives events after the overflow');
      assert.deepEqual(r.errorsLogged, []);
    });

    await t.test('address events, and recovery from overflow', () => {
      // In order within a family only: the kernel announces an IPv6 address from its addrconf
      // work queue (even with nodad), so it may come after a later IPv4 change.
      const events = r.addressEvents as string[];
      assert.deepEqual(events.filter((e) => !e.includes(':')), ['new 198.51.100.1/24', 'del 198.51.100.1/24']);
      assert.deepEqual(events.filter((e) => e.includes(':')), ['new 2001:db8::1/64', 'del 2001:db8::1/64']);
      assert.equal(r.addressResyncsWithoutOverflow, 0);
      assert.equal(r.addressOverflowResynced, true, 'resynced() called after ENOBUFS');
      assert.equal(r.addressOverflowLogged, true, 'ENOBUFS reported and logged');
    });
  } finally {
    namespaces.deleteAll(t);
  }
});
