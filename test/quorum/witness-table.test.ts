import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { WitnessTable, type WitnessOutcome } from '../../src/quorum/witness-table.ts';
import { decodeQuorumMessage, encodeQuorumMessage, type QuorumMessage } from '../../src/quorum/quorum-codec.ts';
import { memberListHash, quorumKey } from '../../src/quorum/quorum-key.ts';
import { QUORUM_LEASE_US, startHoldOffUs } from '../../src/quorum/quorum-timing.ts';

const PASS = Buffer.from('witness passphrase');
const HOLD = startHoldOffUs();
const groupOf = (vhid: number) => {
  const listHash = memberListHash({ protocol: 'carp', vhid, members: ['198.51.100.11', '198.51.100.12'], witness: '198.51.100.30:8112' });
  return { listHash, key: quorumKey(PASS, listHash) };
};
let seq = 0n;
function request(group: { listHash: Buffer; key: Buffer }, sender: number, nonce: bigint, epoch: number, options: { incarnation?: bigint; seq?: bigint; key?: Buffer } = {}): Buffer {
  seq += 1n;
  const message: QuorumMessage = { type: 'request', listHash: group.listHash, sender, incarnation: options.incarnation ?? 1n, seq: options.seq ?? seq, nonce, epoch, kind: 'claim', leaseUs: QUORUM_LEASE_US, advertIntervalUs: 1_000_000 };
  return encodeQuorumMessage(message, options.key ?? group.key);
}
function replyType(outcome: WitnessOutcome, group: { listHash: Buffer; key: Buffer }): string {
  if ('drop' in outcome) return `drop ${outcome.drop}`;
  if (outcome.reply === undefined) return 'none';
  const decoded = decodeQuorumMessage(outcome.reply, (hash) => (hash.equals(group.listHash) ? group.key : undefined));
  assert.ok(decoded.ok);
  const message = decoded.message;
  return message.type === 'grant' ? `grant ${message.to} ${message.nonce}` : message.type === 'refusal' ? `refuse ${message.to} ${message.reason}` : message.type;
}

test('witness: nothing granted for K·L + 100 ms after its start; then one holder per group, answering the nonce', () => {
  const table = new WitnessTable({ passphrase: PASS, startedAt: 0, incarnation: 9n });
  const g = groupOf(7);
  assert.equal(replyType(table.receive(request(g, 0, 1n, 16), HOLD - 1), g), 'refuse 0 starting');
  assert.equal(replyType(table.receive(request(g, 0, 2n, 16), HOLD), g), 'grant 0 2');
  assert.equal(replyType(table.receive(request(g, 1, 3n, 17), HOLD + 10), g), 'refuse 1 promised-other');
});

test('witness: groups are independent: same vhid with other members, or another vhid, is another lease', () => {
  const table = new WitnessTable({ passphrase: PASS, startedAt: 0, incarnation: 9n });
  const a = groupOf(7);
  const b = groupOf(8);
  assert.equal(replyType(table.receive(request(a, 0, 1n, 16), HOLD), a), 'grant 0 1');
  assert.equal(replyType(table.receive(request(b, 1, 2n, 17), HOLD), b), 'grant 1 2');
  assert.equal(table.groupCount, 2);
});

test('witness: replayed requests, forged ones and out-of-range senders are dropped and counted; no group is created for them', () => {
  const table = new WitnessTable({ passphrase: PASS, startedAt: 0, incarnation: 9n });
  const g = groupOf(7);
  const first = request(g, 0, 1n, 16);
  assert.equal(replyType(table.receive(first, HOLD), g), 'grant 0 1');
  assert.equal(replyType(table.receive(first, HOLD + 1), g), 'drop replay');
  const forged = groupOf(9);
  assert.equal(replyType(table.receive(request(forged, 0, 2n, 16, { key: Buffer.alloc(32) }), HOLD), forged), 'drop bad-auth');
  assert.equal(replyType(table.receive(request(g, 20, 3n, 16), HOLD), g), 'drop bad-sender');
  assert.equal(replyType(table.receive(Buffer.from('not a quorum message at all, just bytes..'), HOLD), g), 'drop short');
  assert.equal(table.groupCount, 1);
  assert.deepEqual(Object.fromEntries(table.drops), { replay: 1, 'bad-auth': 1, 'bad-sender': 1, short: 1 });
  // A restarted member (new incarnation, sequence from 1 again) is heard.
  assert.equal(replyType(table.receive(request(g, 0, 4n, 16, { incarnation: 2n, seq: 1n }), HOLD + 2), g), 'grant 0 4');
});

test('witness: memory is bounded: at the cap an idle group is evicted, a group with a running promise never', () => {
  const table = new WitnessTable({ passphrase: PASS, startedAt: 0, incarnation: 9n, maxGroups: 2 });
  const [a, b, c] = [groupOf(1), groupOf(2), groupOf(3)];
  assert.equal(replyType(table.receive(request(a, 0, 1n, 16), HOLD), a), 'grant 0 1');
  assert.equal(replyType(table.receive(request(b, 0, 2n, 16), HOLD), b), 'grant 0 2');
  assert.equal(replyType(table.receive(request(c, 0, 3n, 16), HOLD + 1), c), 'drop group-cap');
  assert.equal(table.groupCount, 2);
  // Once a's and b's promises have run out, c evicts the least recently used.
  const later = HOLD + 2 * QUORUM_LEASE_US;
  assert.equal(replyType(table.receive(request(c, 0, 4n, 16), later), c), 'grant 0 4');
  assert.equal(table.groupCount, 2);
});
