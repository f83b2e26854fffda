/**
 * The peers a group has heard, for `carpctl status`: per source address, what it last advertised
 * (when it authenticated), and how many of its adverts were accepted, failed authentication or
 * were refused as replays. An operator sees at once which node has the wrong passphrase, or which
 * one the split brain is with. Bounded: a sender forging many source addresses pushes out the
 * least recently heard entries, never grows the table. Pure: the caller passes the time.
 */

/** One heard peer. */
export interface HeardPeer {
  readonly address: string;
  /** What its last authentic advert carried (absent while none authenticated). */
  readonly advbase?: number;
  readonly advskew?: number;
  readonly demote?: number;
  /** VRRP groups: the priority and Max Adver Int (centiseconds) of its last accepted advert. */
  readonly priority?: number;
  readonly advertIntervalCentis?: number;
  readonly ok: number;
  readonly badAuth: number;
  readonly replay: number;
  /** Copies signed with the other key of a rolling key change (protocols/carp/key-change-twin.ts): expected, not bad-auth. */
  readonly keyChangeTwins: number;
  /** Monotonic µs of the last key-change twin (absent while none). */
  readonly lastKeyChangeTwinAt?: number;
  /** The counter of its last authentic advert (CARP), for recognising key-change twins. */
  readonly lastOkCounter?: bigint;
  /** Monotonic µs of the last advert of any kind, and of the last authentic one. */
  readonly lastHeardAt: number;
  readonly lastOkAt?: number;
  /** Whether its last advert authenticated. */
  readonly authenticates: boolean;
}

/** How many peers a group remembers. */
export const MAX_HEARD_PEERS = 32;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The table of one group. */
export class PeerTable {
  private readonly peers = new Map<string, Mutable<HeardPeer>>();

  constructor(private readonly max = MAX_HEARD_PEERS) {}

  /** An authentic, fresh advert. */
  accepted(address: string, fields: { advbase: number; advskew: number; demote: number; counter?: bigint }, now: number): void {
    const peer = this.touch(address, now);
    peer.ok++;
    if (fields.counter !== undefined) peer.lastOkCounter = fields.counter;
    peer.advbase = fields.advbase;
    peer.advskew = fields.advskew;
    peer.demote = fields.demote;
    peer.lastOkAt = now;
    peer.authenticates = true;
  }

  /** An accepted VRRPv3 advert (VRRPv3 has no authentication: accepted means it passed every check). */
  acceptedVrrp(address: string, fields: { priority: number; advertIntervalCentis: number }, now: number): void {
    const peer = this.touch(address, now);
    peer.ok++;
    peer.priority = fields.priority;
    peer.advertIntervalCentis = fields.advertIntervalCentis;
    peer.lastOkAt = now;
    peer.authenticates = true;
  }

  /** An advert that failed authentication. */
  badAuth(address: string, now: number): void {
    const peer = this.touch(address, now);
    peer.badAuth++;
    peer.authenticates = false;
  }

  /** A key-change twin: the copy signed with the key this node does not (or no longer) use; it still authenticates. */
  keyChangeTwin(address: string, now: number): void {
    const peer = this.touch(address, now);
    peer.keyChangeTwins++;
    peer.lastKeyChangeTwinAt = now;
  }

  /** What we last accepted from `address` (counter and time), without touching it. */
  lastAccepted(address: string): { counter: bigint; at: number } | undefined {
    const peer = this.peers.get(address);
    return peer?.lastOkCounter === undefined || peer.lastOkAt === undefined ? undefined : { counter: peer.lastOkCounter, at: peer.lastOkAt };
  }

  /** The last authentic advbase/advskew heard from `address`, without touching it. */
  lastFields(address: string): { advbase: number; advskew: number } | undefined {
    const peer = this.peers.get(address);
    return peer?.advbase === undefined || peer.advskew === undefined ? undefined : { advbase: peer.advbase, advskew: peer.advskew };
  }

  /** An authentic advert refused as a replay. */
  replay(address: string, now: number): void {
    this.touch(address, now).replay++;
  }

  /** Every remembered peer, most recently heard first. */
  entries(): HeardPeer[] {
    return [...this.peers.values()].map((p) => ({ ...p })).reverse();
  }

  private touch(address: string, now: number): Mutable<HeardPeer> {
    let peer = this.peers.get(address);
    if (peer === undefined) {
      if (this.peers.size >= this.max) {
        const oldest = this.peers.keys().next().value;
        if (oldest !== undefined) this.peers.delete(oldest);
      }
      peer = { address, ok: 0, badAuth: 0, replay: 0, keyChangeTwins: 0, lastHeardAt: now, authenticates: false };
    } else {
      this.peers.delete(address);
    }
    peer.lastHeardAt = now;
    // Map order is insertion order: re-inserting keeps it least recently heard first.
    this.peers.set(address, peer);
    return peer;
  }
}
