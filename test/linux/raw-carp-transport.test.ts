/**
 * RawCarpTransport against the real kernel: two network namespaces joined by a veth pair, one
 * peer process in each (carp-peer.ts). Needs root; skips itself otherwise. Nothing is attached
 * to or configured in the host namespace: the veth is created inside the first namespace with
 * its peer end moved straight into the second (docs/development.md "Test networks").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { hostTestRangeAddresses, ip, TestNamespaces } from '../helpers/netns.ts';
import { testAdvert } from './carp-advert-fixture.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PEER = fileURLToPath(new URL('./carp-peer.ts', import.meta.url));
const ADVERTS = 5;
const VHID = 42;

interface PeerLine {
  readonly event: string;
  readonly family?: number;
  readonly source?: string;
  readonly destination?: string;
  readonly ttl?: number;
  readonly protocol?: number;
  readonly payload?: string;
  readonly code?: string;
  readonly tos?: number;
  readonly flags?: number;
  readonly ifindex?: number;
}

/** Runs a peer inside a namespace; resolves with its JSON lines when it exits (or kills it at the deadline). */
function runPeer(ns: string, args: object, timeoutMs: number, onLine?: (line: PeerLine) => void): Promise<PeerLine[]> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', PEER, JSON.stringify(args)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: PeerLine[] = [];
  let pending = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
      const line = JSON.parse(pending.slice(0, i)) as PeerLine;
      pending = pending.slice(i + 1);
      lines.push(line);
      onLine?.(line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`peer in ${ns} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(lines);
      else reject(new Error(`peer in ${ns} exited with ${code}; stderr: ${stderr}`));
    });
  });
}

test('raw CARP transport between two network namespaces', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root (network namespaces, raw sockets)');
  const clashes = hostTestRangeAddresses();
  if (clashes.length > 0) return t.skip(`refusing to run: the host holds test-range addresses ${clashes.join(', ')}`);
  const tag = `cdt${process.pid}${randomBytes(3).toString('hex')}`;
  const [nsA, nsB] = [`${tag}a`, `${tag}b`];
  const namespaces = new TestNamespaces();
  try {
    const failure = namespaces.tryAdd(nsA, nsB);
    if (failure !== undefined) return t.skip(failure);
    // Created inside A with the peer end moved into B at once: never a link in the host namespace.
    ip('-n', nsA, 'link', 'add', 'carp0', 'type', 'veth', 'peer', 'name', 'carp0', 'netns', nsB);
    const plan = [
      { ns: nsA, v4: '198.51.100.1', v6: '2001:db8::1', ll: 'fe80::a' },
      { ns: nsB, v4: '198.51.100.2', v6: '2001:db8::2', ll: 'fe80::b' },
    ];
    for (const { ns, v4, v6, ll } of plan) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      // A fixed link-local without DAD: the kernel's own would stay tentative for a while.
      ip('-n', ns, 'link', 'set', 'carp0', 'addrgenmode', 'none');
      ip('-n', ns, 'addr', 'add', `${v4}/24`, 'dev', 'carp0');
      ip('-n', ns, 'addr', 'add', `${v6}/64`, 'dev', 'carp0', 'nodad');
      ip('-n', ns, 'addr', 'add', `${ll}/64`, 'dev', 'carp0', 'nodad');
      ip('-n', ns, 'link', 'set', 'carp0', 'up');
    }
    const [a, b] = plan as [(typeof plan)[0], (typeof plan)[0]];
    // IPv6 multicast input needs the ff00::/8 route that addrconf adds only once the carrier
    // change has gone through linkwatch (up to ~1 s after `link set up`); until then the
    // kernel drops ff02::12 as Ip6InNoRoutes.
    for (const { ns } of plan) {
      await waitFor(() => ip('-n', ns, '-6', 'route', 'show', 'table', 'local', 'ff00::/8', 'dev', 'carp0').trim() !== '', 5000, `IPv6 multicast route in ${ns}`);
    }

    // B listens (it pins its own source too, which must not stop group reception), A sends.
    const expected = 2 * ADVERTS + 2;
    let readyB: () => void = () => {};
    const bReady = new Promise<void>((resolve) => (readyB = resolve));
    const receiver = runPeer(
      nsB,
      { ifname: 'carp0', addresses: [b.v4, b.v6, b.ll], send: 0, unicast: [], expect: expected, lingerMs: 8000, vhid: VHID, rawHeader: true },
      10_000,
      (line) => line.event === 'ready' && readyB(),
    );
    receiver.catch(() => {}); // awaited below; this only stops an early failure becoming an unhandled rejection
    await Promise.race([bReady, receiver.then(() => assert.fail('receiver exited before it was ready'))]);
    const senderLines = await runPeer(
      nsA,
      { ifname: 'carp0', addresses: [a.v4, a.v6, a.ll], send: ADVERTS, unicast: [b.v4, b.v6], expect: 0, lingerMs: 8000, vhid: VHID },
      10_000,
    );
    const receiverLines = await receiver;
    // IPTOS_LOWDELAY and DF (flags 0b010), as OpenBSD and ucarp send; received on the veth.
    const ifindexB = (JSON.parse(ip('-n', nsB, '-j', 'link', 'show', 'carp0')) as { ifindex: number }[])[0]?.ifindex;
    assert.deepEqual(receiverLines.filter((l) => l.event === 'ipv4-header'), [{ event: 'ipv4-header', tos: 0x10, flags: 0b010, ifindex: ifindexB }]);
    const received = receiverLines.filter((line) => !['ready', 'sent', 'ipv4-header'].includes(line.event));

    assert.deepEqual(received.filter((l) => l.event !== 'datagram'), [], 'no errors or malformed packets');
    const expectedLines: PeerLine[] = [];
    let counter = 0;
    for (let i = 0; i < ADVERTS; i++) {
      expectedLines.push(datagram(4, a.v4, '224.0.0.18', ++counter));
      expectedLines.push(datagram(6, a.ll, 'ff02::12', ++counter));
    }
    expectedLines.push(datagram(4, a.v4, b.v4, ++counter), datagram(6, a.ll, b.v6, ++counter));
    // IPv4 and IPv6 arrive on two sockets: each family in order, but the interleaving of the two
    // is the event loop's (one CI run read an IPv6 datagram before the IPv4 one sent first).
    for (const family of [4, 6]) {
      assert.deepEqual(
        received.filter((l) => l.family === family),
        expectedLines.filter((l) => l.family === family),
        `IPv${family} datagrams, in order`,
      );
    }
    assert.equal(received.length, expectedLines.length);
    // Loop off: the sender never sees its own adverts.
    assert.deepEqual(senderLines.filter((l) => l.event === 'datagram' || l.event === 'error'), []);
  } finally {
    namespaces.deleteAll(t);
  }
});

/** Polls a condition every 20 ms; throws after timeoutMs. */
async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The line the receiver prints for advert `counter`: TTL/hop limit 255, protocol 112, exact bytes. */
function datagram(family: number, source: string, destination: string, counter: number): PeerLine {
  const payload = Buffer.from(testAdvert(VHID, counter)).toString('hex');
  return { event: 'datagram', family, source, destination, ttl: 255, protocol: 112, payload };
}
