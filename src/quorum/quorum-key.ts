/**
 * A quorum group's identity and key (docs/partitions.md "Messages"). The member-list hash names
 * the group: protocol, vhid, the sorted member addresses and the witness; members with different
 * lists derive different hashes and refuse each other. The HMAC key is derived from the
 * passphrase and that hash, so one witness passphrase serves many groups, each with its own key.
 */
import { createHash, createHmac } from 'node:crypto';
import { Buffer } from 'node:buffer';

/** Bytes of a member-list hash (SHA-256). */
export const LIST_HASH_BYTES = 32;
/** The sender index of the witness (members are 0 .. n − 1 in sorted order). */
export const WITNESS_INDEX = 255;
/** Members a quorum group may have (indexes fit a byte below WITNESS_INDEX; odd sizes make sense up to 7). */
export const MAX_MEMBERS = 15;

/** What names a quorum group. */
export interface QuorumGroupIdentity {
  readonly protocol: string;
  readonly vhid: number;
  /** Member addresses as configured (this node included); sorted here. */
  readonly members: readonly string[];
  /** `ADDR:PORT` of the witness, or undefined. */
  readonly witness: string | undefined;
}

/** The members in canonical order: a node's index is its position here. */
export function canonicalMembers(members: readonly string[]): string[] {
  return [...new Set(members.map((member) => member.trim().toLowerCase()))].sort();
}

/** SHA-256 over the group's canonical description. */
export function memberListHash(identity: QuorumGroupIdentity): Buffer {
  const text = ['carpd-quorum-v1', identity.protocol, String(identity.vhid), `members:${canonicalMembers(identity.members).join(',')}`, `witness:${identity.witness ?? '-'}`].join('\n');
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The HMAC-SHA256 key of a group: derived from the passphrase and its member-list hash. */
export function quorumKey(passphrase: Buffer, listHash: Buffer): Buffer {
  return createHmac('sha256', passphrase).update('carpd quorum key\n').update(listHash).digest();
}

/** This node's index among the members, or undefined when it is not one of them. */
export function memberIndex(members: readonly string[], self: string): number | undefined {
  const index = canonicalMembers(members).indexOf(self.trim().toLowerCase());
  return index < 0 ? undefined : index;
}
