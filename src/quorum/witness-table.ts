/**
 * The witness's state: one voter (voter.ts) per quorum group, keyed by the group's member-list
 * hash, which the group's messages carry (docs/partitions.md "Messages", "The vote"). Bounded:
 * at most `maxGroups` groups, members with an index above MAX_MEMBERS refused, every refusal
 * of input counted under a closed reason. A group whose promise is still running is never
 * evicted (forgetting it could let a second holder in); a group with no running promise is, when
 * room is needed, the least recently used first. No disk state: every voter starts with the
 * witness's start time, so nothing is granted until the start hold-off has passed.
 */
import { Buffer } from 'node:buffer';
import { decodeQuorumMessage, encodeQuorumMessage, type QuorumDecodeError, type QuorumMessage } from './quorum-codec.ts';
import { MAX_MEMBERS, WITNESS_INDEX, quorumKey } from './quorum-key.ts';
import { judgeSequence, type SenderSequence } from './sender-sequence.ts';
import { DEFAULT_MARGINS, type SafetyMargins } from './quorum-timing.ts';
import { activePromise, initialVoter, stepVoter, type VoterAction, type VoterState } from './voter.ts';

export type WitnessDrop = QuorumDecodeError | 'group-cap' | 'bad-sender' | 'replay' | 'not-a-request';

interface WitnessGroup {
  readonly key: Buffer;
  voter: VoterState;
  readonly sequences: Map<number, SenderSequence>;
  lastUsed: number;
  /** The member last granted a lease, so the command can log a grant to a new holder once. */
  lastHolder: number | undefined;
}

export interface WitnessOptions {
  readonly passphrase: Buffer;
  readonly startedAt: number;
  readonly incarnation: bigint;
  readonly maxGroups?: number;
  readonly margins?: SafetyMargins;
}

/** A grant the reply carries: the group (its member-list hash, hex), the holder, and whether it is another holder than the last. */
export interface WitnessGrant {
  readonly group: string;
  readonly to: number;
  readonly newHolder: boolean;
}

/** What the witness does with one datagram: the reply to send back (and the grant in it), or why it was dropped. */
export type WitnessOutcome = { readonly reply: Buffer | undefined; readonly grant?: WitnessGrant } | { readonly drop: WitnessDrop };

export const DEFAULT_MAX_WITNESS_GROUPS = 4096;

export class WitnessTable {
  private readonly groups = new Map<string, WitnessGroup>();
  private readonly maxGroups: number;
  private readonly margins: SafetyMargins;
  private seq = 0n;
  /** Drops by reason (each a metric label). */
  readonly drops = new Map<WitnessDrop, number>();

  constructor(private readonly options: WitnessOptions) {
    this.maxGroups = options.maxGroups ?? DEFAULT_MAX_WITNESS_GROUPS;
    this.margins = options.margins ?? DEFAULT_MARGINS;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  /** Handles one datagram received at `now` (the witness's monotonic clock, µs). */
  receive(bytes: Uint8Array, now: number): WitnessOutcome {
    let found: WitnessGroup | undefined;
    let created = false;
    const decoded = decodeQuorumMessage(bytes, (listHash) => {
      found = this.groups.get(listHash.toString('hex'));
      if (found !== undefined) return found.key;
      // A new group is kept only once its message authenticates (and there is room).
      created = true;
      found = { key: quorumKey(this.options.passphrase, listHash), voter: initialVoter(this.options.startedAt, this.margins), sequences: new Map(), lastUsed: now, lastHolder: undefined };
      return found.key;
    });
    if (!decoded.ok) return this.dropped(decoded.error);
    const group = found as WitnessGroup | undefined;
    if (group === undefined) return this.dropped('group-mismatch');
    const message = decoded.message;
    if (message.sender >= MAX_MEMBERS) return this.dropped('bad-sender');
    if (created) {
      if (this.groups.size >= this.maxGroups && !this.evictOne(now)) return this.dropped('group-cap');
      this.groups.set(message.listHash.toString('hex'), group);
    }
    if (message.sender >= MAX_MEMBERS) return this.dropped('bad-sender');
    const judged = judgeSequence(group.sequences.get(message.sender), message.incarnation, message.seq);
    if (judged.verdict === 'replay') return this.dropped('replay');
    if (judged.next !== undefined) group.sequences.set(message.sender, judged.next);
    group.lastUsed = now;
    return this.apply(group, message, now);
  }

  private apply(group: WitnessGroup, message: QuorumMessage, now: number): WitnessOutcome {
    if (message.type === 'beacon') {
      const event = message.released
        ? ({ type: 'released', member: message.sender, epoch: message.epoch } as const)
        : message.state === 'master'
          ? ({ type: 'heard-master', member: message.sender, advertIntervalUs: message.advertIntervalUs } as const)
          : ({ type: 'heard-not-master', member: message.sender } as const);
      group.voter = stepVoter(group.voter, event, now).state;
      return { reply: undefined };
    }
    if (message.type !== 'request') {
      this.count('not-a-request');
      return { reply: undefined };
    }
    const step = stepVoter(group.voter, { type: 'request', from: message.sender, nonce: message.nonce, epoch: message.epoch, kind: message.kind, leaseUs: message.leaseUs }, now);
    group.voter = step.state;
    const action = step.actions[0];
    if (action === undefined) return { reply: undefined };
    const reply = encodeQuorumMessage(this.replyOf(message.listHash, action), group.key);
    if (action.type !== 'grant') return { reply };
    const grant: WitnessGrant = { group: message.listHash.toString('hex'), to: action.to, newHolder: group.lastHolder !== action.to };
    group.lastHolder = action.to;
    return { reply, grant };
  }

  private replyOf(listHash: Buffer, action: VoterAction): QuorumMessage {
    this.seq += 1n;
    const envelope = { listHash, sender: WITNESS_INDEX, incarnation: this.options.incarnation, seq: this.seq };
    return action.type === 'grant'
      ? { ...envelope, type: 'grant', nonce: action.nonce, to: action.to, epoch: action.epoch, leaseUs: action.leaseUs }
      : { ...envelope, type: 'refusal', nonce: action.nonce, to: action.to, reason: action.reason, remainingUs: action.remainingUs, holder: action.holder, holderEpoch: action.holderEpoch };
  }

  /** Forgets the least recently used group with no running promise; false when every group has one. */
  private evictOne(now: number): boolean {
    let oldest: string | undefined;
    let oldestUse = Number.POSITIVE_INFINITY;
    for (const [name, group] of this.groups) {
      if (activePromise(group.voter, now) === undefined && group.lastUsed < oldestUse) {
        oldest = name;
        oldestUse = group.lastUsed;
      }
    }
    if (oldest === undefined) return false;
    this.groups.delete(oldest);
    return true;
  }

  private dropped(reason: WitnessDrop): WitnessOutcome {
    this.count(reason);
    return { drop: reason };
  }

  private count(reason: WitnessDrop): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }
}
