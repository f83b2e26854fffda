/**
 * Announcer against the real kernel: the frames it sends from one network namespace must update
 * the neighbour table of another, i.e. the kernel accepts them as a gratuitous ARP and an
 * unsolicited NA. Needs root; skips itself otherwise. Nothing touches the host namespace: the
 * veth is created inside the first namespace with its peer moved straight into the second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ip, TestNamespaces } from '../helpers/netns.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HELPER = fileURLToPath(new URL('./announce-once.ts', import.meta.url));
const VMAC = '00:00:5e:00:01:07';
const STALE_MAC = '02:00:00:00:00:99';
const VIP4 = '198.51.100.7';
const VIP6 = '2001:db8::7';

/** Polls until `ready` holds, or fails after `timeoutMs`. */
async function waitFor(ready: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the IPv6 multicast route');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Neighbour {
  readonly dst: string;
  readonly lladdr?: string;
  readonly router?: unknown;
  readonly state?: string[];
}

test('Announcer: gratuitous ARP and unsolicited NA update a neighbour table across a veth', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root (network namespaces, AF_PACKET)');
  const suffix = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const nsA = `carpd-ann-a-${suffix}`;
  const nsB = `carpd-ann-b-${suffix}`;
  const namespaces = new TestNamespaces();
  try {
    const failure = namespaces.tryAdd(nsA, nsB);
    if (failure !== undefined) return t.skip(failure);
    ip('-n', nsA, 'link', 'add', 'carp0', 'type', 'veth', 'peer', 'name', 'carp0', 'netns', nsB);
    for (const [ns, v4, v6] of [
      [nsA, '198.51.100.1', '2001:db8::1'],
      [nsB, '198.51.100.2', '2001:db8::2'],
    ] as const) {
      ip('-n', ns, 'link', 'set', 'carp0', 'addrgenmode', 'none');
      ip('-n', ns, 'addr', 'add', `${v4}/24`, 'dev', 'carp0');
      ip('-n', ns, 'addr', 'add', `${v6}/64`, 'dev', 'carp0', 'nodad');
      ip('-n', ns, 'link', 'set', 'carp0', 'up');
    }
    // B already knows the VIPs at an old MAC, as after a failover; announcements must override it.
    ip('-n', nsB, 'neigh', 'add', VIP4, 'lladdr', STALE_MAC, 'dev', 'carp0', 'nud', 'stale');
    ip('-n', nsB, 'neigh', 'add', VIP6, 'lladdr', STALE_MAC, 'dev', 'carp0', 'nud', 'stale');
    // ARP updates within locktime of the last update may be ignored; the entry was just made.
    ip('-n', nsB, 'ntable', 'change', 'name', 'arp_cache', 'dev', 'carp0', 'locktime', '0');

    // Until the link's ff00::/8 local route exists, B drops multicast to ff02::1 (Ip6InNoRoutes).
    await waitFor(() => ip('-n', nsB, '-6', 'route', 'show', 'table', 'local', 'ff00::/8', 'dev', 'carp0').trim() !== '', 5000);

    const out = execFileSync(
      'ip',
      ['netns', 'exec', nsA, process.execPath, '--import', 'tsx', HELPER, JSON.stringify({ ifname: 'carp0', mac: VMAC, router: true, addresses: [VIP4, VIP6] })],
      { cwd: ROOT, encoding: 'utf8', timeout: 20_000 },
    );
    const result = JSON.parse(out.trim().split('\n').at(-1) as string) as { stats: { sent: number; errors: number } };
    assert.deepEqual(result.stats, { sent: 2, errors: 0 });

    let neighbours: Neighbour[] = [];
    for (let i = 0; i < 50; i++) {
      neighbours = JSON.parse(ip('-n', nsB, '-j', 'neigh', 'show', 'dev', 'carp0')) as Neighbour[];
      if (neighbours.filter((n) => n.lladdr === VMAC).length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const v4 = neighbours.find((n) => n.dst === VIP4);
    const v6 = neighbours.find((n) => n.dst === VIP6);
    assert.equal(v4?.lladdr, VMAC, JSON.stringify(neighbours));
    assert.equal(v6?.lladdr, VMAC, JSON.stringify(neighbours));
    assert.ok(v6?.router !== undefined, `the NA's Router flag reached the neighbour entry: ${JSON.stringify(v6)}`);
  } finally {
    namespaces.deleteAll(t);
  }
});
