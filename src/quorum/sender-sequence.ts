/**
 * Replay protection for beacons and requests (docs/partitions.md "Messages"): per sender, the
 * incarnation (random at each start) and the highest sequence seen. A message not newer than that
 * within the same incarnation is a replay; another incarnation replaces the entry (a restart).
 * Grants and refusals are not checked here: they answer a nonce (claimant.ts).
 */

export interface SenderSequence {
  readonly incarnation: bigint;
  readonly seq: bigint;
}

export type SequenceVerdict = 'new' | 'restart' | 'replay';

/** The verdict on (incarnation, seq) from a sender last seen at `last`, and what to remember. */
export function judgeSequence(last: SenderSequence | undefined, incarnation: bigint, seq: bigint): { verdict: SequenceVerdict; next: SenderSequence | undefined } {
  if (last === undefined) return { verdict: 'new', next: { incarnation, seq } };
  if (last.incarnation !== incarnation) return { verdict: 'restart', next: { incarnation, seq } };
  if (seq <= last.seq) return { verdict: 'replay', next: last };
  return { verdict: 'new', next: { incarnation, seq } };
}
