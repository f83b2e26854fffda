/**
 * Who should be master: the protocol's ordering of advertisers and the named predicates the
 * state machine uses. Ordering (best first): lower demote byte, then lower timevalue
 * (advbase·256 + advskew), then the tie rule below.
 *
 * Tie rule (equal demote, advbase and advskew — a misconfiguration, but it must be stable):
 * the lower source address wins. IPv4 addresses are compared as ucarp does on little-endian
 * hosts — the 32-bit value with its bytes reversed, i.e. the last octet most significant
 * (docs/protocol-carp.md "Ties", checked on the wire) — so carpd and ucarp agree on the winner. IPv6
 * addresses compare bytewise. BSD masters yield on every tie, so any consistent rule is stable
 * against them. When either address is unknown the incumbent keeps its role.
 */
import { compareBytes, type IpAddress } from '../../wire/ip-address.ts';
import { masterWillTimeOut, timevalue } from './carp-intervals.ts';

/** What an advertiser offers, as carried in its advert (or as we would advertise). */
export interface Offer {
  readonly advbase: number;
  readonly advskew: number;
  readonly demote: number;
  /** The advertiser's source address in this family, when known. */
  readonly address?: IpAddress;
}

/** Compares the tie-break addresses: negative when `a` wins, 0 when undecidable or equal. */
export function compareTieBreak(a: IpAddress | undefined, b: IpAddress | undefined): number {
  if (a === undefined || b === undefined || a.family !== b.family) return 0;
  if (a.family === 6) return compareBytes(a.bytes, b.bytes);
  return compareBytes(Uint8Array.from(a.bytes).reverse(), Uint8Array.from(b.bytes).reverse());
}

/** Total order of offers: negative when `a` is the better master. */
export function compareOffers(a: Offer, b: Offer): number {
  if (a.demote !== b.demote) return a.demote < b.demote ? -1 : 1;
  const tvA = timevalue(a.advbase, a.advskew);
  const tvB = timevalue(b.advbase, b.advskew);
  if (tvA !== tvB) return tvA < tvB ? -1 : 1;
  return compareTieBreak(a.address, b.address);
}

/** True for the bow-out advert a stopping OpenBSD master (or carpd) sends: advbase 255, advskew 255. */
export function isBowOutOffer(offer: Pick<Offer, 'advbase' | 'advskew'>): boolean {
  return offer.advbase === 255 && offer.advskew === 255;
}

/** MASTER: the advert comes from a better master, so we step down (OpenBSD rules plus the tie rule). */
export function peerOutranksUs(own: Offer, peer: Offer): boolean {
  return !isBowOutOffer(peer) && compareOffers(peer, own) < 0;
}

/** BACKUP with preemption: we are strictly better than the current master. */
export function shouldPreempt(preempt: boolean, own: Offer, peer: Offer): boolean {
  return preempt && compareOffers(own, peer) < 0;
}

/** BACKUP: the master advertises a worse demote byte, which OpenBSD honours even without preemption. */
export function masterIsMoreDemoted(own: Offer, peer: Offer): boolean {
  return peer.demote > own.demote;
}

/** BACKUP: the master's interval is so long that it will time out anyway (see carp-intervals.ts). */
export function masterIsGuaranteedToTimeOut(own: Offer, peer: Offer, multiplier: number): boolean {
  return masterWillTimeOut(own, peer, multiplier);
}
