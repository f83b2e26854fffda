/**
 * FakeHostNetlink, the in-memory kernel the daemon's unit tests run on: its answers and errnos
 * (checked against Linux by route-netlink.test.ts), the events each change emits and when, the
 * overflow simulation, failure injection and closing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeHostNetlink } from '../../src/linux/netlink/fake-host-netlink.ts';
import type { AddressEvent, LinkEvent, LinkInfo } from '../../src/ports/host-netlink.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

const V4 = parseIpAddress('198.51.100.7');
const V6 = parseIpAddress('2001:db8::7');
const MAC = '00:00:5e:00:01:07';

/** A host with eth0 (ifindex 1, up and running) and its fake. */
function host(): { nl: FakeHostNetlink; eth0: LinkInfo } {
  const nl = new FakeHostNetlink();
  return { nl, eth0: nl.addLink({ name: 'eth0' }) };
}

/** Every event both watchers see, in order, as short text. */
function record(nl: FakeHostNetlink): { log: string[]; resyncs: () => number } {
  const log: string[] = [];
  let resyncs = 0;
  nl.watchLinks((e: LinkEvent) => log.push(`link ${e.type} ${e.link.name} ${e.link.up ? 'up' : 'down'}${e.link.running ? ' running' : ''}`));
  nl.watchAddresses(
    (e: AddressEvent) => log.push(`addr ${e.type} ${e.address.ifindex} ${e.address.address.text}/${e.address.prefixLength}`),
    () => resyncs++,
  );
  return { log, resyncs: () => resyncs };
}

const texts = (nl: FakeHostNetlink): string[] => nl.addresses().map((a) => `${a.ifindex} ${a.address.text}/${a.prefixLength}`);

/** The code of a rejected promise, or 'resolved'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: { code?: string }) => String(error.code),
  );
}

test('answers and errnos, as Linux gives them', async (t) => {
  const cases: { name: string; act: (nl: FakeHostNetlink, eth0: LinkInfo) => Promise<unknown>; code: string }[] = [
    { name: 'bad, createMacvlan on a missing parent', act: (nl) => nl.createMacvlan({ name: 'carp7', parentIndex: 99, mac: MAC }), code: 'ENODEV' },
    { name: 'bad, createMacvlan with a taken name', act: (nl, eth0) => nl.createMacvlan({ name: 'eth0', parentIndex: eth0.index, mac: MAC }), code: 'EEXIST' },
    { name: 'bad, createMacvlan with a 16-character name', act: (nl, eth0) => nl.createMacvlan({ name: 'carp567890123456', parentIndex: eth0.index, mac: MAC }), code: 'EINVAL' },
    { name: 'bad, createMacvlan with a malformed MAC', act: (nl, eth0) => nl.createMacvlan({ name: 'carp7', parentIndex: eth0.index, mac: '00:00:5e' }), code: 'EINVAL' },
    { name: 'bad, setLinkUp on a missing link', act: (nl) => nl.setLinkUp(99, true), code: 'ENODEV' },
    { name: 'bad, deleteLink on a missing link', act: (nl) => nl.deleteLink(99), code: 'ENODEV' },
    { name: 'bad, addAddress on a missing link', act: (nl) => nl.addAddress(99, V4, 24), code: 'ENODEV' },
    { name: 'ok, addAddress already present (EEXIST is done)', act: (nl, eth0) => nl.addAddress(eth0.index, parseIpAddress('192.0.2.1'), 24), code: 'resolved' },
    { name: 'ok, addAddress of a present IPv6 address with another prefix', act: (nl, eth0) => nl.addAddress(eth0.index, parseIpAddress('2001:db8::1'), 48), code: 'resolved' },
    { name: 'ok, removeAddress absent', act: (nl, eth0) => nl.removeAddress(eth0.index, V4, 24), code: 'resolved' },
    { name: 'ok, removeAddress with another prefix leaves it', act: (nl, eth0) => nl.removeAddress(eth0.index, parseIpAddress('192.0.2.1'), 25), code: 'resolved' },
    { name: 'ok, removeAddress on a missing link', act: (nl) => nl.removeAddress(99, V4, 24), code: 'resolved' },
    { name: 'ok, setLinkUp to the state it has', act: (nl, eth0) => nl.setLinkUp(eth0.index, true), code: 'resolved' },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const { nl, eth0 } = host();
      nl.addHostAddress(eth0.index, '192.0.2.1', 24);
      nl.addHostAddress(eth0.index, '2001:db8::1', 64);
      const before = { links: nl.links(), addresses: nl.addresses() };
      const { log } = record(nl);
      assert.equal(await outcome(c.act(nl, eth0)), c.code);
      await nl.settled();
      assert.deepEqual({ links: nl.links(), addresses: nl.addresses() }, before, 'nothing changed');
      assert.deepEqual(log, [], 'no events');
    });
  }
});

test('errors are NetlinkErrors naming the operation and the interface', async () => {
  const { nl, eth0 } = host();
  await assert.rejects(nl.createMacvlan({ name: 'eth0', parentIndex: eth0.index, mac: MAC }), {
    name: 'NetlinkError',
    code: 'EEXIST',
    operation: 'create macvlan eth0 (00:00:5e:00:01:07) on eth0',
  });
  await assert.rejects(nl.setLinkUp(42, false), { code: 'ENODEV', operation: 'set ifindex 42 down' });
});

test('lookups: ifindexes increase, names, filtered address lists', async () => {
  const { nl, eth0 } = host();
  const eth1 = nl.addLink({ name: 'eth1', mac: '52:54:00:AB:CD:EF', up: false });
  const carp = await nl.createMacvlan({ name: 'carp7', parentIndex: eth0.index, mac: '00:00:5E:00:01:07' });
  assert.deepEqual([eth0.index, eth1.index, carp], [1, 2, 3]);
  assert.deepEqual(await nl.linkByName('eth1'), { index: 2, name: 'eth1', mac: '52:54:00:ab:cd:ef', up: false, running: false });
  assert.equal(await nl.linkByName('eth9'), undefined);
  assert.deepEqual(
    (await nl.listLinks()).map((l) => l.name),
    ['eth0', 'eth1', 'carp7'],
  );
  nl.addHostAddress(eth0.index, '192.0.2.1', 24);
  await nl.addAddress(carp, V4, 24);
  await nl.addAddress(carp, V6, 64, { nodad: true });
  assert.deepEqual(
    (await nl.listAddresses(carp)).map((a) => a.address.text),
    ['198.51.100.7', '2001:db8::7'],
  );
  assert.equal((await nl.listAddresses()).length, 3);
  assert.deepEqual(await nl.listAddresses(99), []);
});

test('state: the macvlan, going down, deleting', async (t) => {
  await t.test('a created macvlan is down, kind macvlan, on its parent, with the MAC given', async () => {
    const { nl, eth0 } = host();
    const index = await nl.createMacvlan({ name: 'carp7', parentIndex: eth0.index, mac: '00:00:5E:00:01:07' });
    assert.deepEqual(await nl.linkByName('carp7'), { index, name: 'carp7', mac: MAC, up: false, running: false, kind: 'macvlan', parentIndex: eth0.index });
  });

  const running: { name: string; parent: { up?: boolean; running?: boolean }; macvlanUp: boolean; running: boolean }[] = [
    { name: 'up on a running parent: running', parent: {}, macvlanUp: true, running: true },
    { name: 'down on a running parent: not running', parent: {}, macvlanUp: false, running: false },
    { name: 'up on a parent without carrier: not running', parent: { running: false }, macvlanUp: true, running: false },
    { name: 'up on a parent that is down: not running', parent: { up: false }, macvlanUp: true, running: false },
  ];
  for (const c of running) {
    await t.test(`macvlan ${c.name}`, async () => {
      const { nl, eth0 } = host();
      const index = await nl.createMacvlan({ name: 'carp7', parentIndex: eth0.index, mac: MAC });
      await nl.setLinkUp(index, c.macvlanUp);
      nl.setLinkStateExternally('eth0', c.parent);
      const link = await nl.linkByName('carp7');
      assert.deepEqual([link?.up, link?.running], [c.macvlanUp, c.running]);
    });
  }

  await t.test('going down drops the IPv6 addresses (keep_addr_on_down=0), keeps IPv4', async () => {
    const { nl, eth0 } = host();
    const index = await nl.createMacvlan({ name: 'carp7', parentIndex: eth0.index, mac: MAC });
    await nl.setLinkUp(index, true);
    await nl.addAddress(index, V4, 24);
    await nl.addAddress(index, V6, 64);
    nl.addHostAddress(eth0.index, '2001:db8::1', 64);
    await nl.setLinkUp(index, false);
    assert.deepEqual(texts(nl), ['2 198.51.100.7/24', '1 2001:db8::1/64']);
    nl.setLinkStateExternally('eth0', { up: false });
    assert.deepEqual(texts(nl), ['2 198.51.100.7/24']);
  });

  await t.test('deleting a link takes its addresses and the macvlans on it', async () => {
    const { nl, eth0 } = host();
    const eth1 = nl.addLink({ name: 'eth1' });
    const index = await nl.createMacvlan({ name: 'carp7', parentIndex: eth0.index, mac: MAC });
    await nl.addAddress(index, V4, 24);
    nl.addHostAddress(eth0.index, '192.0.2.1', 24);
    nl.addHostAddress(eth1.index, '192.0.2.2', 24);
    await nl.deleteLink(eth0.index);
    assert.deepEqual(
      nl.links().map((l) => l.name),
      ['eth1'],
    );
    assert.deepEqual(texts(nl), ['2 192.0.2.2/24']);
  });
});

test('events: what each change reports, in order', async (t) => {
  const cases: { name: string; act: (nl: FakeHostNetlink, eth0: LinkInfo) => Promise<void> | void; log: string[] }[] = [
    {
      name: 'the macvlan lifecycle',
      act: async (nl, eth0) => {
        const index = await nl.createMacvlan({ name: 'carp7', parentIndex: eth0.index, mac: MAC });
        await nl.setLinkUp(index, true);
        await nl.addAddress(index, V4, 24);
        await nl.addAddress(index, V6, 64);
        await nl.setLinkUp(index, false);
        await nl.deleteLink(index);
      },
      log: [
        'link new carp7 down',
        'link new carp7 up running',
        'addr new 2 198.51.100.7/24',
        'addr new 2 2001:db8::7/64',
        'addr del 2 2001:db8::7/64',
        'link new carp7 down',
        'addr del 2 198.51.100.7/24',
        'link del carp7 down',
      ],
    },
    {
      name: 'a parent deleted by the operator: its macvlan first, then its addresses, then itself',
      act: async (nl, eth0) => {
        const index = await nl.createMacvlan({ name: 'carp7', parentIndex: eth0.index, mac: MAC });
        await nl.setLinkUp(index, true);
        nl.addHostAddress(eth0.index, '192.0.2.1', 24);
        nl.removeLinkExternally('eth0');
      },
      log: ['link new carp7 down', 'link new carp7 up running', 'addr new 1 192.0.2.1/24', 'link del carp7 up running', 'addr del 1 192.0.2.1/24', 'link del eth0 up running'],
    },
    {
      name: 'the parent losing carrier: the macvlan stops running too',
      act: async (nl, eth0) => {
        const index = await nl.createMacvlan({ name: 'carp7', parentIndex: eth0.index, mac: MAC });
        await nl.setLinkUp(index, true);
        nl.setLinkStateExternally('eth0', { running: false });
        nl.setLinkStateExternally('eth0', { running: false });
      },
      log: ['link new carp7 down', 'link new carp7 up running', 'link new eth0 up', 'link new carp7 up'],
    },
    {
      name: 'the operator removing an address, whatever its prefix',
      act: (nl, eth0) => {
        nl.addHostAddress(eth0.index, '192.0.2.1', 24);
        nl.addHostAddress(eth0.index, '192.0.2.1', 25);
        nl.removeAddressExternally(eth0.index, '192.0.2.1');
      },
      log: ['addr new 1 192.0.2.1/24', 'addr new 1 192.0.2.1/25', 'addr del 1 192.0.2.1/24', 'addr del 1 192.0.2.1/25'],
    },
    { name: 'an operator adding a link', act: (nl) => void nl.addLink({ name: 'eth1', up: false }), log: ['link new eth1 down'] },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const { nl, eth0 } = host();
      const { log } = record(nl);
      await c.act(nl, eth0);
      await nl.settled();
      assert.deepEqual(log, c.log);
    });
  }

  await t.test('delivery is later than the change, and only to watchers present at the change', async () => {
    const { nl, eth0 } = host();
    const early = record(nl);
    await nl.setLinkUp(eth0.index, false);
    const late = record(nl);
    assert.deepEqual(early.log, [], 'not delivered synchronously');
    await nl.settled();
    assert.deepEqual(early.log, ['link new eth0 down']);
    assert.deepEqual(late.log, []);
  });

  await t.test('a throwing listener is recorded and the others still receive', async () => {
    const { nl, eth0 } = host();
    nl.watchLinks(() => {
      throw new Error('listener bug');
    });
    const { log } = record(nl);
    await nl.setLinkUp(eth0.index, false);
    await nl.settled();
    assert.equal(nl.listenerErrors.length, 1);
    assert.deepEqual(log, ['link new eth0 down']);
  });

  await t.test('a closed subscription receives nothing more', async () => {
    const { nl, eth0 } = host();
    const log: string[] = [];
    const watcher = nl.watchLinks((e) => log.push(e.link.name));
    await nl.setLinkUp(eth0.index, false);
    watcher.close();
    await nl.settled();
    assert.deepEqual(log, []);
  });
});

test('simulateOverflow: undelivered events are lost, links are re-reported, address watchers resync', async () => {
  const { nl, eth0 } = host();
  nl.addLink({ name: 'eth1', up: false });
  const { log, resyncs } = record(nl);
  await nl.addAddress(eth0.index, V4, 24);
  nl.simulateOverflow();
  await nl.settled();
  assert.deepEqual(log, ['link new eth0 up running', 'link new eth1 down']);
  assert.equal(resyncs(), 1);
});

test('failure injection: failNext, failWhen, and the calls record', async (t) => {
  await t.test('failNext fails that many calls of that op, before any change', async () => {
    const { nl, eth0 } = host();
    nl.failNext('addAddress', 'EPERM', 2);
    assert.equal(await outcome(nl.addAddress(eth0.index, V4, 24)), 'EPERM');
    assert.equal(await outcome(nl.setLinkUp(eth0.index, true)), 'resolved', 'other ops are unaffected');
    assert.equal(await outcome(nl.addAddress(eth0.index, V4, 24)), 'EPERM');
    assert.deepEqual(nl.addresses(), []);
    assert.equal(await outcome(nl.addAddress(eth0.index, V4, 24)), 'resolved');
    assert.deepEqual(texts(nl), ['1 198.51.100.7/24']);
  });

  await t.test('failWhen fails what its predicate names, until closed', async () => {
    const { nl, eth0 } = host();
    const rule = nl.failWhen((op, args) => (op === 'addAddress' && (args[1] as typeof V6).family === 6 ? 'EACCES' : undefined));
    assert.equal(await outcome(nl.addAddress(eth0.index, V6, 64)), 'EACCES');
    assert.equal(await outcome(nl.addAddress(eth0.index, V4, 24)), 'resolved');
    rule.close();
    assert.equal(await outcome(nl.addAddress(eth0.index, V6, 64)), 'resolved');
  });

  await t.test('a failing watch throws, as a socket that cannot be opened does', () => {
    const { nl } = host();
    nl.failNext('watchAddresses', 'ENOBUFS');
    assert.throws(() => nl.watchAddresses(() => undefined), { code: 'ENOBUFS' });
  });

  await t.test('calls records every port call in order, failed ones too; mutations only the changes', async () => {
    const { nl, eth0 } = host();
    nl.failNext('createMacvlan', 'ENOMEM');
    nl.watchLinks(() => undefined);
    await nl.linkByName('eth0');
    await outcome(nl.createMacvlan({ name: 'carp7', parentIndex: eth0.index, mac: MAC }));
    await nl.addAddress(eth0.index, V4, 24, { nodad: true });
    nl.close();
    assert.deepEqual(nl.calls, [
      { op: 'watchLinks', args: [] },
      { op: 'linkByName', args: ['eth0'] },
      { op: 'createMacvlan', args: [{ name: 'carp7', parentIndex: 1, mac: MAC }] },
      { op: 'addAddress', args: [1, V4, 24, { nodad: true }] },
      { op: 'close', args: [] },
    ]);
    assert.deepEqual(
      nl.mutations().map((c) => c.op),
      ['createMacvlan', 'addAddress'],
    );
  });
});

test('close: every op rejects with ECANCELED, watchers stop, pending events are dropped', async () => {
  const { nl, eth0 } = host();
  const { log } = record(nl);
  await nl.setLinkUp(eth0.index, false);
  nl.close();
  assert.equal(nl.closed, true);
  const ops: Promise<unknown>[] = [
    nl.listLinks(),
    nl.linkByName('eth0'),
    nl.listAddresses(),
    nl.addAddress(eth0.index, V4, 24),
    nl.removeAddress(eth0.index, V4, 24),
    nl.createMacvlan({ name: 'carp7', parentIndex: eth0.index, mac: MAC }),
    nl.deleteLink(eth0.index),
    nl.setLinkUp(eth0.index, true),
  ];
  assert.deepEqual(await Promise.all(ops.map(outcome)), Array(ops.length).fill('ECANCELED'));
  assert.throws(() => nl.watchLinks(() => undefined), { code: 'ECANCELED' });
  nl.removeLinkExternally('eth0');
  await nl.settled();
  assert.deepEqual(log, []);
});

test('test helpers refuse misuse', () => {
  const { nl, eth0 } = host();
  assert.throws(() => nl.addLink({ name: 'eth0' }));
  assert.throws(() => nl.addHostAddress(99, '192.0.2.1', 24));
  assert.throws(() => nl.removeLinkExternally('eth9'));
  assert.throws(() => nl.setLinkStateExternally('eth9', { up: false }));
  assert.throws(() => nl.removeAddressExternally(eth0.index, '192.0.2.1'));
});
