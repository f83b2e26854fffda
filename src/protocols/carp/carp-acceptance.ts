/**
 * Whether a received protocol-112 datagram is an acceptable CARP advert: one pure function,
 * checks in one documented order (the first failure names the drop):
 *
 *   1. protocol 112                      wrong-protocol
 *   2. TTL / hop limit 255               bad-ttl     (skipped for unicast groups that allow it, docs/protocol-carp.md "Unicast")
 *   3. shape: ≥ 36 bytes                 short
 *   4. shape: CARP, not VRRP             vrrp, bad-version, bad-length   (docs/protocol-carp.md "CARP or VRRP on protocol 112")
 *   5. checksum over 36 bytes            bad-checksum
 *   6. type 1                            bad-type
 *   7. vhid configured here              unknown-vhid
 *   8. unicast peer list                 unexpected-source
 *   9. not our own advert                own-advert
 *  10. HMAC-SHA1 (both variants)         bad-auth
 *  11. counter (replay-guard.ts)         replay      — stateful, run by the engine right after
 *
 * The TTL check comes before the more expensive ones, as in ip_carp.c. The vhid is needed for
 * the key, so it precedes authentication.
 */
import { carpChecksumValid, decodeCarpHeader, CARP_TYPE_ADVERTISEMENT, type CarpHeader } from './carp-header.ts';
import type { DropReason } from '../../wire/drop-reason.ts';
import { ipAddressEquals, isMulticast, type IpAddress } from '../../wire/ip-address.ts';
import { IPPROTO_CARP, type Datagram } from '../../wire/ip-packet.ts';
import { classifyProtocol112 } from '../protocol-112.ts';

/** What acceptance needs to know about one group. */
export interface GroupAcceptance {
  /** Verifies the digest for this counter (CarpAuthenticator.verify). */
  verify(counter: bigint, digest: Uint8Array): boolean;
  /** When false, a unicast advert (non-multicast destination) may arrive with any TTL. */
  readonly requireTtl255ForUnicast: boolean;
  /** When set, only these sources are accepted (unicast peers). */
  readonly allowedSources?: readonly IpAddress[];
}

/** What acceptance needs to know about the node. */
export interface AcceptanceContext {
  group(vhid: number): GroupAcceptance | undefined;
  isOwnAddress(address: IpAddress): boolean;
}

/** An accepted advert, before the replay check. */
export interface AcceptedAdvert {
  readonly datagram: Datagram;
  readonly header: CarpHeader;
  readonly group: GroupAcceptance;
}

/** The outcome: the advert, or the drop reason (with the vhid when it was readable). */
export type Acceptance = { readonly ok: true; readonly advert: AcceptedAdvert } | { readonly ok: false; readonly reason: DropReason; readonly vhid?: number };

function drop(reason: DropReason, vhid?: number): Acceptance {
  return vhid === undefined ? { ok: false, reason } : { ok: false, reason, vhid };
}

/** Runs checks 1–10 on a datagram. */
export function acceptAdvert(datagram: Datagram, context: AcceptanceContext): Acceptance {
  if (datagram.protocol !== IPPROTO_CARP) return drop('wrong-protocol');
  const payload = datagram.payload;
  const vhidByte = payload.length >= 2 ? payload[1] : undefined;
  const group = vhidByte === undefined ? undefined : context.group(vhidByte);
  const multicast = isMulticast(datagram.destination);
  const ttlRequired = multicast || group === undefined || group.requireTtl255ForUnicast;
  if (ttlRequired && datagram.ttl !== 255) return drop('bad-ttl', vhidByte);
  const shapeDrop = classifyDrop(payload);
  if (shapeDrop !== undefined) return drop(shapeDrop, vhidByte);
  if (!carpChecksumValid(payload)) return drop('bad-checksum', vhidByte);
  const decoded = decodeCarpHeader(payload);
  if (!decoded.ok) return drop('short', vhidByte);
  const header = decoded.value;
  if (header.type !== CARP_TYPE_ADVERTISEMENT) return drop('bad-type', header.vhid);
  if (group === undefined) return drop('unknown-vhid', header.vhid);
  if (group.allowedSources !== undefined && !group.allowedSources.some((a) => ipAddressEquals(a, datagram.source))) return drop('unexpected-source', header.vhid);
  if (context.isOwnAddress(datagram.source)) return drop('own-advert', header.vhid);
  if (!group.verify(header.counter, header.digest)) return drop('bad-auth', header.vhid);
  return { ok: true, advert: { datagram, header, group } };
}

function classifyDrop(payload: Uint8Array): DropReason | undefined {
  switch (classifyProtocol112(payload)) {
    case 'carp':
      return undefined;
    case 'short':
      return 'short';
    case 'vrrp-v2':
    case 'vrrp-v3':
      return 'vrrp';
    case 'other-version':
      return 'bad-version';
    case 'carp-oversized':
      return 'bad-length';
  }
}
