import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { decodeQuorumMessage, encodeQuorumMessage, encodedLength, type QuorumMessage } from '../../src/quorum/quorum-codec.ts';
import { memberIndex, memberListHash, quorumKey } from '../../src/quorum/quorum-key.ts';

const identity = { protocol: 'carp', vhid: 7, members: ['198.51.100.12', '198.51.100.11', '198.51.100.13'], witness: '198.51.100.30:8112' };
const listHash = memberListHash(identity);
const key = quorumKey(Buffer.from('correct horse'), listHash);
const keyFor = (hash: Buffer): Buffer | undefined => (hash.equals(listHash) ? key : undefined);
const envelope = { listHash, sender: 1, incarnation: 0x0123456789abcdefn, seq: 42n };

const samples: QuorumMessage[] = [
  { ...envelope, type: 'beacon', state: 'master', follows: 1, epoch: 19, advertIntervalUs: 1_000_000, released: false },
  { ...envelope, type: 'beacon', state: 'backup', follows: 254, epoch: 0, advertIntervalUs: 100_000, released: true },
  { ...envelope, type: 'request', nonce: 0xfedcba9876543210n, epoch: 35, kind: 'claim', leaseUs: 3_500_000, advertIntervalUs: 1_390_625 },
  { ...envelope, type: 'request', nonce: 1n, epoch: 35, kind: 'renew', leaseUs: 3_500_000, advertIntervalUs: 1_000_000 },
  { ...envelope, sender: 255, type: 'grant', nonce: 99n, to: 2, epoch: 35, leaseUs: 3_500_000 },
  { ...envelope, sender: 0, type: 'refusal', nonce: 99n, to: 2, reason: 'promised-other', remainingUs: 1_234_567, holder: 1, holderEpoch: 19 },
];

test('codec: every message type round-trips, with its stated length', () => {
  for (const message of samples) {
    const bytes = encodeQuorumMessage(message, key);
    assert.equal(bytes.length, encodedLength(message.type));
    assert.deepEqual(decodeQuorumMessage(bytes, keyFor), { ok: true, message });
  }
});

test('codec: a flipped bit anywhere is refused (bad-auth after the header checks), another group is group-mismatch', () => {
  const bytes = encodeQuorumMessage(samples[2]!, key);
  for (let at = 4; at < bytes.length; at += 1) {
    const tampered = Buffer.from(bytes);
    tampered[at]! ^= 0x01;
    const result = decodeQuorumMessage(tampered, keyFor);
    assert.equal(result.ok, false);
    if (!result.ok) assert.ok(['bad-auth', 'group-mismatch'].includes(result.error), `byte ${at}: ${result.error}`);
  }
  const otherKey = quorumKey(Buffer.from('another passphrase'), listHash);
  assert.deepEqual(decodeQuorumMessage(encodeQuorumMessage(samples[0]!, otherKey), keyFor), { ok: false, error: 'bad-auth' });
  const otherList = memberListHash({ ...identity, members: ['198.51.100.11', '198.51.100.12'] });
  assert.deepEqual(decodeQuorumMessage(encodeQuorumMessage({ ...samples[0]!, listHash: otherList }, key), keyFor), { ok: false, error: 'group-mismatch' });
});

test('codec: header errors are typed', () => {
  const bytes = encodeQuorumMessage(samples[0]!, key);
  const cases: [string, (b: Buffer) => Buffer, string][] = [
    ['short', (b) => b.subarray(0, 40), 'short'],
    ['magic', (b) => (b.writeUInt16BE(0, 0), b), 'bad-magic'],
    ['version', (b) => ((b[2] = 9), b), 'bad-version'],
    ['type', (b) => ((b[3] = 7), b), 'bad-type'],
    ['length', (b) => Buffer.concat([b, Buffer.alloc(1)]), 'bad-length'],
  ];
  for (const [name, change, error] of cases) assert.deepEqual(decodeQuorumMessage(change(Buffer.from(bytes)), keyFor), { ok: false, error }, name);
});

test('codec: an authenticated but out-of-range field is bad-field', () => {
  const bytes = encodeQuorumMessage(samples[0]!, key);
  bytes[53] = 9; // state
  const resigned = encodeRaw(bytes);
  assert.deepEqual(decodeQuorumMessage(resigned, keyFor), { ok: false, error: 'bad-field' });
});

/** Re-signs changed bytes as a sender holding the key would. */
function encodeRaw(bytes: Buffer): Buffer {
  const macAt = bytes.length - 32;
  createHmac('sha256', key).update(bytes.subarray(0, macAt)).digest().copy(bytes, macAt);
  return bytes;
}

test('codec: random bytes and mutated messages never throw, always a typed result', () => {
  const valid = samples.map((message) => encodeQuorumMessage(message, key));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.tuple(fc.constantFrom(...valid), fc.nat(200), fc.integer({ min: 0, max: 255 })).map(([bytes, at, value]) => {
      const copy = Buffer.from(bytes);
      if (at < copy.length) copy[at] = value;
      return copy;
    })), (bytes) => {
      const result = decodeQuorumMessage(bytes, keyFor);
      assert.equal(typeof result.ok, 'boolean');
    }),
    { numRuns: 2000 },
  );
});

test('key: the member list names the group in any order; this node\'s index is its sorted position', () => {
  assert.ok(memberListHash({ ...identity, members: [...identity.members].reverse() }).equals(listHash));
  assert.ok(!memberListHash({ ...identity, vhid: 8 }).equals(listHash));
  assert.ok(!memberListHash({ ...identity, witness: undefined }).equals(listHash));
  assert.equal(memberIndex(identity.members, '198.51.100.11'), 0);
  assert.equal(memberIndex(identity.members, '198.51.100.13'), 2);
  assert.equal(memberIndex(identity.members, '198.51.100.99'), undefined);
});
