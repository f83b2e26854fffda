/**
 * The quorum side channel's messages (docs/partitions.md "Messages"): beacon, request (claim or
 * renew), grant and refusal. Encode and decode side by side; decode is total: it returns a
 * message or a typed error for any bytes, and checks the HMAC before it reads a field.
 *
 * Layout (big-endian): magic "CQ" (2), version (1), type (1), member-list hash (32), sender
 * index (1), incarnation (8), sequence (8), body (per type), HMAC-SHA256 over all before it (32).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { LIST_HASH_BYTES } from './quorum-key.ts';

export const QUORUM_VERSION = 1;
const MAGIC = 0x4351; // "CQ"
const HEADER_BYTES = 2 + 1 + 1 + LIST_HASH_BYTES + 1 + 8 + 8;
const MAC_BYTES = 32;
const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffff_ffff;

export type MemberState = 'init' | 'backup' | 'master';
const STATES: readonly MemberState[] = ['init', 'backup', 'master'];
export type RefusalReason = 'promised-other' | 'live-master' | 'starting' | 'stale-epoch';
const REASONS: readonly RefusalReason[] = ['promised-other', 'live-master', 'starting', 'stale-epoch'];
export type RequestKind = 'claim' | 'renew';
const KINDS: readonly RequestKind[] = ['claim', 'renew'];
/** "Follows nobody" / "no holder" in a member-index field. */
export const NOBODY = 254;

export interface Envelope {
  readonly listHash: Buffer;
  readonly sender: number;
  readonly incarnation: bigint;
  readonly seq: bigint;
}
export interface Beacon extends Envelope {
  readonly type: 'beacon';
  readonly state: MemberState;
  readonly follows: number;
  readonly epoch: number;
  readonly advertIntervalUs: number;
  /** The sender gave up its lease for `epoch` and its addresses are gone. */
  readonly released: boolean;
}
export interface LeaseRequest extends Envelope {
  readonly type: 'request';
  readonly nonce: bigint;
  readonly epoch: number;
  readonly kind: RequestKind;
  readonly leaseUs: number;
  readonly advertIntervalUs: number;
}
export interface Grant extends Envelope {
  readonly type: 'grant';
  readonly nonce: bigint;
  readonly to: number;
  readonly epoch: number;
  readonly leaseUs: number;
}
export interface Refusal extends Envelope {
  readonly type: 'refusal';
  readonly nonce: bigint;
  readonly to: number;
  readonly reason: RefusalReason;
  /** How long the voter's promise to another member (or its hold-off) still runs, µs. */
  readonly remainingUs: number;
  readonly holder: number;
  readonly holderEpoch: number;
}
export type QuorumMessage = Beacon | LeaseRequest | Grant | Refusal;
const TYPES: readonly QuorumMessage['type'][] = ['beacon', 'request', 'grant', 'refusal'];
const BODY_BYTES: Record<QuorumMessage['type'], number> = { beacon: 11, request: 22, grant: 17, refusal: 19 };

export type QuorumDecodeError = 'short' | 'bad-magic' | 'bad-version' | 'bad-type' | 'bad-length' | 'group-mismatch' | 'bad-auth' | 'bad-field';
export type DecodeResult = { readonly ok: true; readonly message: QuorumMessage } | { readonly ok: false; readonly error: QuorumDecodeError };

/** Bytes of an encoded message of this type. */
export function encodedLength(type: QuorumMessage['type']): number {
  return HEADER_BYTES + BODY_BYTES[type] + MAC_BYTES;
}

/** Encodes and signs a message with the group's key. */
export function encodeQuorumMessage(message: QuorumMessage, key: Buffer): Buffer {
  const out = Buffer.alloc(encodedLength(message.type));
  out.writeUInt16BE(MAGIC, 0);
  out[2] = QUORUM_VERSION;
  out[3] = TYPES.indexOf(message.type) + 1;
  message.listHash.copy(out, 4, 0, LIST_HASH_BYTES);
  out[36] = message.sender;
  out.writeBigUInt64BE(BigInt.asUintN(64, message.incarnation), 37);
  out.writeBigUInt64BE(BigInt.asUintN(64, message.seq), 45);
  writeBody(out, HEADER_BYTES, message);
  const macAt = out.length - MAC_BYTES;
  createHmac('sha256', key).update(out.subarray(0, macAt)).digest().copy(out, macAt);
  return out;
}

function writeBody(out: Buffer, at: number, message: QuorumMessage): void {
  switch (message.type) {
    case 'beacon':
      out[at] = STATES.indexOf(message.state);
      out[at + 1] = message.follows;
      out.writeUInt32BE(message.epoch, at + 2);
      out.writeUInt32BE(message.advertIntervalUs, at + 6);
      out[at + 10] = message.released ? 1 : 0;
      return;
    case 'request':
      out.writeBigUInt64BE(BigInt.asUintN(64, message.nonce), at);
      out.writeUInt32BE(message.epoch, at + 8);
      out[at + 12] = KINDS.indexOf(message.kind);
      out.writeUInt32BE(message.leaseUs, at + 13);
      out.writeUInt32BE(message.advertIntervalUs, at + 17);
      out[at + 21] = 0;
      return;
    case 'grant':
      out.writeBigUInt64BE(BigInt.asUintN(64, message.nonce), at);
      out[at + 8] = message.to;
      out.writeUInt32BE(message.epoch, at + 9);
      out.writeUInt32BE(message.leaseUs, at + 13);
      return;
    case 'refusal':
      out.writeBigUInt64BE(BigInt.asUintN(64, message.nonce), at);
      out[at + 8] = message.to;
      out[at + 9] = REASONS.indexOf(message.reason);
      out.writeUInt32BE(Math.min(message.remainingUs, U32_MAX), at + 10);
      out[at + 14] = message.holder;
      out.writeUInt32BE(message.holderEpoch, at + 15);
      return;
  }
}

/**
 * Decodes and authenticates. `keyFor` gives the key of a member-list hash this receiver serves,
 * or undefined (another group's list: `group-mismatch`, which a member logs by name).
 */
export function decodeQuorumMessage(bytes: Uint8Array, keyFor: (listHash: Buffer) => Buffer | undefined): DecodeResult {
  if (bytes.length < HEADER_BYTES + MAC_BYTES) return { ok: false, error: 'short' };
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (data.readUInt16BE(0) !== MAGIC) return { ok: false, error: 'bad-magic' };
  if (data[2] !== QUORUM_VERSION) return { ok: false, error: 'bad-version' };
  const type = TYPES[(data[3] as number) - 1];
  if (type === undefined) return { ok: false, error: 'bad-type' };
  if (data.length !== encodedLength(type)) return { ok: false, error: 'bad-length' };
  const listHash = Buffer.from(data.subarray(4, 4 + LIST_HASH_BYTES));
  const key = keyFor(listHash);
  if (key === undefined) return { ok: false, error: 'group-mismatch' };
  const macAt = data.length - MAC_BYTES;
  const expected = createHmac('sha256', key).update(data.subarray(0, macAt)).digest();
  if (!timingSafeEqual(expected, data.subarray(macAt))) return { ok: false, error: 'bad-auth' };
  const envelope: Envelope = { listHash, sender: data[36] as number, incarnation: data.readBigUInt64BE(37), seq: data.readBigUInt64BE(45) };
  const message = readBody(data, HEADER_BYTES, type, envelope);
  return message === undefined ? { ok: false, error: 'bad-field' } : { ok: true, message };
}

function readBody(data: Buffer, at: number, type: QuorumMessage['type'], envelope: Envelope): QuorumMessage | undefined {
  switch (type) {
    case 'beacon': {
      const state = STATES[data[at] as number];
      const released = data[at + 10] as number;
      if (state === undefined || released > 1) return undefined;
      return { ...envelope, type, state, follows: data[at + 1] as number, epoch: data.readUInt32BE(at + 2), advertIntervalUs: data.readUInt32BE(at + 6), released: released === 1 };
    }
    case 'request': {
      const kind = KINDS[data[at + 12] as number];
      if (kind === undefined || data[at + 21] !== 0) return undefined;
      return { ...envelope, type, nonce: data.readBigUInt64BE(at), epoch: data.readUInt32BE(at + 8), kind, leaseUs: data.readUInt32BE(at + 13), advertIntervalUs: data.readUInt32BE(at + 17) };
    }
    case 'grant':
      return { ...envelope, type, nonce: data.readBigUInt64BE(at), to: data[at + 8] as number, epoch: data.readUInt32BE(at + 9), leaseUs: data.readUInt32BE(at + 13) };
    case 'refusal': {
      const reason = REASONS[data[at + 9] as number];
      if (reason === undefined) return undefined;
      return { ...envelope, type, nonce: data.readBigUInt64BE(at), to: data[at + 8] as number, reason, remainingUs: data.readUInt32BE(at + 10), holder: data[at + 14] as number, holderEpoch: data.readUInt32BE(at + 15) };
    }
  }
}

/** Whether a 64-bit field value fits (for validating constructors in the daemon). */
export function fitsU64(value: bigint): boolean {
  return value >= 0n && value <= U64_MAX;
}
