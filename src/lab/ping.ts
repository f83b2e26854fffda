// Parsing of iputils `ping -D -n` output into per-reply timestamps, so tests can measure outages.

/** One echo reply as printed by `ping -D -n`. */
export interface PingReply {
  /** Wall-clock receive time in milliseconds since the epoch (from the `-D` prefix). */
  atMs: number;
  /** The ICMP sequence number. */
  seq: number;
  /** The replying address as printed (an IPv6 link-local keeps its `%if` suffix). */
  from: string;
  /** Round-trip time in milliseconds. */
  rttMs: number;
  /** True for a `(DUP!)` line: a second reply to the same request (e.g. multicast pings). */
  duplicate: boolean;
}

/** What one ping run produced. */
export interface PingResult {
  /** Requests sent (from ping's summary line; 0 when it printed none). */
  sent: number;
  /** Distinct requests answered (duplicates excluded). */
  received: number;
  /** 1 - received / sent, or 1 when nothing was sent. */
  lossRatio: number;
  /** Every reply line, in order. */
  replies: PingReply[];
  /**
   * Longest time between consecutive non-duplicate replies in milliseconds: the outage a client
   * saw. With fewer than two replies it is the whole run (the caller's durationMs, or 0).
   */
  longestGapMs: number;
}

const REPLY_LINE =
  /^\[(\d+\.\d+)\] \d+ bytes from ([^ ]+?):? icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms( \(DUP!\))?/;
const SUMMARY_LINE = /^(\d+) packets transmitted, (\d+) received/;

/** Parses `ping -D -n` output. `durationMs` is what the gap defaults to when replies are too few. */
export function parsePingOutput(output: string, durationMs = 0): PingResult {
  const replies: PingReply[] = [];
  let sent = 0;
  for (const line of output.split('\n')) {
    const reply = REPLY_LINE.exec(line);
    if (reply !== null) {
      replies.push({
        atMs: Number(reply[1]) * 1000,
        from: (reply[2] ?? '').replace(/:$/, ''),
        seq: Number(reply[3]),
        rttMs: Number(reply[4]),
        duplicate: reply[5] !== undefined,
      });
      continue;
    }
    const summary = SUMMARY_LINE.exec(line);
    if (summary !== null) sent = Number(summary[1]);
  }
  const unique = replies.filter((reply) => !reply.duplicate);
  const received = new Set(unique.map((reply) => reply.seq)).size;
  let longestGapMs = unique.length < 2 ? durationMs : 0;
  for (let i = 1; i < unique.length; i += 1) {
    const gap = (unique[i]?.atMs ?? 0) - (unique[i - 1]?.atMs ?? 0);
    if (gap > longestGapMs) longestGapMs = gap;
  }
  const lossRatio = sent === 0 ? 1 : 1 - received / sent;
  return { sent, received, lossRatio, replies, longestGapMs };
}
