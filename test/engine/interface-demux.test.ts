/**
 * The interface demultiplexer (src/engine/interface-demux.ts) on its own, with recording nodes in
 * place of the protocols': its header's table, row by row, for a default protocol ("c", CARP's
 * place) and one that judges some shapes first ("v", VRRP's place: version-3 payloads), and the
 * same rule with a third protocol; the unattributed drops are the sum of every node's and the
 * malformed packets. The real nodes behind the real table: vrrp-runner.test.ts and the others here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InterfaceDemux } from '../../src/engine/interface-demux.ts';
import type { ProtocolNode, ProtocolNodeSpec } from '../../src/engine/protocol-node.ts';
import type { ProtocolRunner } from '../../src/engine/runner-core.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import type { PacketTransport } from '../../src/ports/packet-transport.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { emptyDropCounts, type DropReason } from '../../src/wire/drop-reason.ts';
import { parseIpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import type { Datagram } from '../../src/wire/ip-packet.ts';

/** A node that keeps its ids, records what it receives and counts every datagram as unattributed 'short'. */
class RecordingNode implements ProtocolNode {
  readonly ids = new Set<number>();
  readonly received: Datagram[] = [];
  readonly unattributedDrops = emptyDropCounts(['short', 'bad-ttl']);
  has(_family: IpFamily, id: number): boolean {
    return this.ids.has(id);
  }
  get size(): number {
    return this.ids.size;
  }
  addGroup(runner: ProtocolRunner): void {
    this.ids.add(runner.vhid);
  }
  removeGroup(runner: ProtocolRunner): void {
    this.ids.delete(runner.vhid);
  }
  receive(datagram: Datagram): void {
    this.received.push(datagram);
    this.unattributedDrops.short++;
  }
}

function transport(): PacketTransport & { deliver(d: Datagram): void; malformed(): void } {
  let onDatagram: (d: Datagram) => void = () => {};
  let onMalformed: (code: string) => void = () => {};
  return {
    send() {},
    sourceAddress: () => undefined,
    setOwnAddresses: () => [],
    isOwnAddress: () => false,
    onDatagram: (handler) => (onDatagram = handler),
    onMalformed: (handler) => (onMalformed = handler),
    close() {},
    deliver: (d) => onDatagram(d),
    malformed: () => onMalformed('bad-ip'),
  };
}

function rig(names: string[], firstFor: Record<string, number>) {
  const nodes = new Map<string, RecordingNode>();
  const specs: ProtocolNodeSpec[] = names.map((protocol) => ({
    protocol,
    judgesFirst: (payload) => firstFor[protocol] !== undefined && (payload[0] ?? 0) >> 4 === firstFor[protocol],
    createNode: () => {
      const node = new RecordingNode();
      nodes.set(protocol, node);
      return node;
    },
  }));
  const t = transport();
  const reasons: DropReason[] = ['bad-ip', 'short', 'bad-ttl'];
  const demux = new InterfaceDemux(t, silentLogger, new VirtualClock(), undefined, specs, reasons);
  const group = (protocol: string, id: number) => demux.addGroup({ protocol, vhid: id } as ProtocolRunner);
  /** Which protocol a payload of this version and id goes to. */
  const routeOf = (version: number, id: number): string => {
    const datagram = { family: 4, source: parseIpAddress('198.51.100.2'), destination: parseIpAddress('198.51.100.1'), ttl: 255, protocol: 112, payload: Uint8Array.from([version << 4, id]) } as Datagram;
    t.deliver(datagram);
    return [...nodes].filter(([, node]) => node.received.at(-1) === datagram).map(([name]) => name).join(',');
  };
  return { demux, t, nodes, group, routeOf };
}

test("the header's table: version 3 goes to v first when v owns the id, everything else to c first", () => {
  const r = rig(['c', 'v'], { v: 3 });
  // No groups at all: the default judge, c, for every shape.
  assert.equal(r.routeOf(3, 9), 'c');
  assert.equal(r.routeOf(2, 9), 'c');
  r.group('v', 1); // only v groups
  assert.equal(r.routeOf(3, 9), 'v', 'v3, nobody owns it, v groups run: v');
  assert.equal(r.routeOf(2, 9), 'v', 'other shape, nobody owns it, no c groups: v');
  r.group('c', 2);
  assert.equal(r.routeOf(3, 1), 'v', 'v3, v owns');
  assert.equal(r.routeOf(3, 2), 'c', 'v3, only c owns: c (dropped there as another protocol)');
  assert.equal(r.routeOf(3, 9), 'v', 'v3, nobody owns, v groups run');
  assert.equal(r.routeOf(2, 2), 'c', 'other shape, c owns');
  assert.equal(r.routeOf(2, 1), 'v', 'other shape, only v owns');
  assert.equal(r.routeOf(2, 9), 'c', 'other shape, nobody owns, c groups run');
  r.group('c', 1); // both own id 1
  assert.equal(r.routeOf(3, 1), 'v', 'v3, both own: v');
  assert.equal(r.routeOf(2, 1), 'c', 'other shape, both own: c');
  r.demux.removeGroup({ protocol: 'v', vhid: 1 } as ProtocolRunner);
  assert.equal(r.routeOf(3, 9), 'c', 'v3, nobody owns, no v groups left: c');
});

test('the same rule with a third protocol: its shapes first, then the list order', () => {
  const r = rig(['c', 'v', 'x'], { v: 3, x: 4 });
  r.group('x', 5);
  assert.equal(r.routeOf(4, 7), 'x');
  assert.equal(r.routeOf(2, 5), 'x', 'only x owns id 5');
  r.group('v', 5);
  assert.equal(r.routeOf(2, 5), 'v', 'c owns nothing: the owners in list order');
  assert.equal(r.routeOf(4, 5), 'x', "x's own shape: x first");
});

test('unattributed drops: the malformed packets plus every node\'s, on the full reason list', () => {
  const r = rig(['c', 'v'], { v: 3 });
  r.t.malformed();
  r.t.malformed();
  r.routeOf(2, 1);
  r.group('v', 1);
  r.routeOf(3, 1);
  r.routeOf(3, 1);
  assert.deepEqual(r.demux.unattributedDrops, { 'bad-ip': 2, short: 3, 'bad-ttl': 0 });
  assert.throws(() => r.demux.addGroup({ protocol: 'y', vhid: 1 } as ProtocolRunner), /no y node/);
});
