import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { WitnessServer, DROP_LOG_INTERVAL_US, type DatagramPeer, type DatagramSocket } from '../../src/cli/witness-server.ts';
import { WitnessTable } from '../../src/quorum/witness-table.ts';
import { decodeQuorumMessage, encodeQuorumMessage, type QuorumMessage } from '../../src/quorum/quorum-codec.ts';
import { memberListHash, quorumKey } from '../../src/quorum/quorum-key.ts';
import { QUORUM_LEASE_US, startHoldOffUs } from '../../src/quorum/quorum-timing.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

const PASS = Buffer.from('witness passphrase');
const HOLD = startHoldOffUs();

/** The DatagramSocket port in memory: datagrams are delivered by the test, replies recorded. */
class FakeSocket implements DatagramSocket {
  readonly sent: { bytes: Uint8Array; to: DatagramPeer }[] = [];
  closed = false;
  private handler: ((bytes: Uint8Array, from: DatagramPeer) => void) | undefined;
  onDatagram(handler: (bytes: Uint8Array, from: DatagramPeer) => void): void {
    this.handler = handler;
  }
  send(bytes: Uint8Array, to: DatagramPeer): void {
    this.sent.push({ bytes, to });
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  deliver(bytes: Uint8Array, from: DatagramPeer): void {
    assert.ok(this.handler, 'the server listens');
    this.handler(bytes, from);
  }
}

const groupOf = (vhid: number) => {
  const listHash = memberListHash({ protocol: 'carp', vhid, members: ['198.51.100.11', '198.51.100.12'], witness: '198.51.100.30:8112' });
  return { listHash, key: quorumKey(PASS, listHash) };
};
type Group = ReturnType<typeof groupOf>;
let seq = 0n;
function request(group: Group, sender: number, nonce: bigint, epoch: number, options: { seq?: bigint } = {}): Buffer {
  seq += 1n;
  const message: QuorumMessage = { type: 'request', listHash: group.listHash, sender, incarnation: 1n, seq: options.seq ?? seq, nonce, epoch, kind: 'claim', leaseUs: QUORUM_LEASE_US, advertIntervalUs: 1_000_000 };
  return encodeQuorumMessage(message, group.key);
}
function answer(bytes: Uint8Array, group: Group): string {
  const decoded = decodeQuorumMessage(bytes, (hash) => (hash.equals(group.listHash) ? group.key : undefined));
  assert.ok(decoded.ok);
  const m = decoded.message;
  return m.type === 'grant' ? `grant ${m.to} ${m.nonce}` : m.type === 'refusal' ? `refuse ${m.to} ${m.reason}` : m.type;
}

function setUp(options: { maxGroups?: number } = {}) {
  const clock = new VirtualClock();
  const startedAt = clock.nowMicros();
  const socket = new FakeSocket();
  const logger = new MemoryLogger();
  const table = new WitnessTable({ passphrase: PASS, startedAt, incarnation: 5n, ...options });
  const server = new WitnessServer({ socket, clock, logger, table, startedAt, holdOffUs: HOLD, listen: '198.51.100.30:8112' });
  server.start();
  return { clock, socket, logger, table, server, startedAt };
}
const A: DatagramPeer = { address: '198.51.100.11', port: 40001 };
const B: DatagramPeer = { address: '198.51.100.12', port: 40002 };
const messages = (logger: MemoryLogger) => logger.records.map((r) => r.message);

test('witness server: refuses during the hold-off (logged at start and when over), then grants to one holder and refuses the other, replying to the sender', () => {
  const { clock, socket, logger, startedAt } = setUp();
  const g = groupOf(7);
  assert.deepEqual(messages(logger), ['witness started']);
  clock.advanceTo(startedAt + HOLD - 1);
  socket.deliver(request(g, 0, 1n, 16), A);
  assert.equal(answer(socket.sent[0]!.bytes, g), 'refuse 0 starting');
  assert.deepEqual(socket.sent[0]!.to, A);
  clock.advanceTo(startedAt + HOLD);
  assert.ok(messages(logger).includes('witness hold-off over: granting leases'));
  socket.deliver(request(g, 0, 2n, 16), A);
  assert.equal(answer(socket.sent[1]!.bytes, g), 'grant 0 2');
  socket.deliver(request(g, 1, 3n, 17), B);
  assert.equal(answer(socket.sent[2]!.bytes, g), 'refuse 1 promised-other');
  assert.deepEqual(socket.sent[2]!.to, B);
  // A renewal by the same holder is granted again but logged once (a grant to a new holder only).
  clock.advanceBy(500_000);
  socket.deliver(request(g, 0, 4n, 16), A);
  assert.equal(answer(socket.sent[3]!.bytes, g), 'grant 0 4');
  assert.equal(messages(logger).filter((m) => m === 'witness granted a lease to a new holder').length, 1);
  const grantLine = logger.records.find((r) => r.message === 'witness granted a lease to a new holder');
  assert.equal(grantLine?.fields.holder, 0);
});

test('witness server: a replayed request gets no reply, and drops are logged as one summary line per interval however many', () => {
  const { clock, socket, logger, startedAt } = setUp();
  const g = groupOf(7);
  clock.advanceTo(startedAt + HOLD);
  const first = request(g, 0, 1n, 16);
  socket.deliver(first, A);
  assert.equal(socket.sent.length, 1);
  for (let i = 0; i < 1000; i += 1) socket.deliver(first, A);
  for (let i = 0; i < 10; i += 1) socket.deliver(Buffer.from('garbage'), B);
  assert.equal(socket.sent.length, 1, 'no reply to a replay or garbage');
  assert.equal(logger.records.filter((r) => r.level === 'warn').length, 0, 'not logged per datagram');
  clock.advanceBy(DROP_LOG_INTERVAL_US);
  const warns = logger.records.filter((r) => r.level === 'warn');
  assert.equal(warns.length, 1);
  assert.deepEqual(warns[0]!.fields.drops, { replay: 1000, short: 10 });
  clock.advanceBy(DROP_LOG_INTERVAL_US * 3);
  assert.equal(logger.records.filter((r) => r.level === 'warn').length, 1, 'nothing new, nothing logged');
});

test('witness server: groups are bounded: at the cap, a new group is dropped (group-cap) while every lease runs', () => {
  const { clock, socket, table, startedAt } = setUp({ maxGroups: 3 });
  clock.advanceTo(startedAt + HOLD);
  const groups = [1, 2, 3, 4].map(groupOf);
  groups.forEach((g, i) => socket.deliver(request(g, 0, BigInt(i + 1), 16), A));
  assert.deepEqual(socket.sent.map((s, i) => answer(s.bytes, groups[i]!)), ['grant 0 1', 'grant 0 2', 'grant 0 3']);
  assert.equal(table.groupCount, 3);
  assert.equal(table.drops.get('group-cap'), 1);
});

test('witness server: stop closes the socket, ignores later datagrams and logs the drops not yet summarised', async () => {
  const { clock, socket, logger, server, startedAt } = setUp();
  const g = groupOf(7);
  clock.advanceTo(startedAt + HOLD);
  socket.deliver(Buffer.from('garbage'), B);
  await server.stop();
  assert.ok(socket.closed);
  socket.deliver(request(g, 0, 1n, 16), A);
  assert.equal(socket.sent.length, 0);
  assert.deepEqual(messages(logger).slice(-2), ['witness dropped datagrams', 'witness stopped']);
});

test('witness server: a restart forgets every lease but grants nothing to another requester until its own hold-off has passed', () => {
  const first = setUp();
  const g = groupOf(7);
  first.clock.advanceTo(first.startedAt + HOLD);
  first.socket.deliver(request(g, 0, 1n, 16), A);
  assert.equal(answer(first.socket.sent[0]!.bytes, g), 'grant 0 1');
  // The restarted witness: a new table, its start now; member 1 asks at once and keeps asking.
  const second = setUp();
  second.socket.deliver(request(g, 1, 2n, 17), B);
  second.clock.advanceTo(second.startedAt + HOLD - 1);
  second.socket.deliver(request(g, 1, 3n, 17), B);
  assert.deepEqual(second.socket.sent.map((s) => answer(s.bytes, g)), ['refuse 1 starting', 'refuse 1 starting']);
  second.clock.advanceTo(second.startedAt + HOLD);
  second.socket.deliver(request(g, 1, 4n, 17), B);
  assert.equal(answer(second.socket.sent[2]!.bytes, g), 'grant 1 4');
});
