/**
 * What a protocol-112 advert that a group cannot hear (another protocol or version on its id, a
 * failed authentication, another vhid) still tells about its sender, read by shape alone
 * (protocol-112.ts): whether it is a farewell (CARP's bow-out 255/255, VRRP's priority 0) and how
 * often its sender advertises. The group's re-announcing (fsm/foreign-master.ts) uses both: a
 * farewell ends the conflict at once, the interval says when the sender has fallen silent.
 * Nothing here is authenticated; a forged value costs at most one extra announcement.
 */
import type { ForeignAdvertKind, ForeignAdvertSummary } from '../engine/foreign-master-watch.ts';
import { PROTOCOL_MODULES } from './index.ts';
import { classifyProtocol112, type Protocol112Kind } from './protocol-112.ts';

declare module '../engine/foreign-master-watch.ts' {
  /** Which kind of speaker a foreign advert comes from, as status and metrics name it. */
  interface ForeignAdvertKinds {
    /** A VRRPv2 router on a VRRPv3 group's VRID (keepalived's default `vrrp_version 2`). */
    'vrrp-v2': true;
    /** A VRRPv3 router on a VRRPv2 group's VRID. */
    'vrrp-v3': true;
    /** A CARP node on a VRRP group's VRID. */
    carp: true;
    /** A VRRP router (v2 or v3) on a CARP group's vhid. */
    vrrp: true;
    /** A CARP node with this group's passphrase and addresses under another vhid (changed on one side). */
    'other-vhid': true;
    /** A CARP advert for this group's vhid that fails authentication (not a key-change twin), or a VRRPv2 one with another password or auth type. */
    'bad-auth': true;
  }
}

export type { ForeignAdvertKind, ForeignAdvertSummary } from '../engine/foreign-master-watch.ts';

/** The foreign kinds, for metric labels and docs. */
export const FOREIGN_ADVERT_KINDS: readonly ForeignAdvertKind[] = ['vrrp-v2', 'vrrp-v3', 'carp', 'vrrp', 'other-vhid', 'bad-auth'];

/**
 * Reads a payload's farewell flag and interval, by the protocol whose shape it has (each
 * protocol's wire part, protocol-wire-part.ts); undefined when too short or of no protocol's shape.
 */
export function summarizeForeignAdvert(payload: Uint8Array): ForeignAdvertSummary | undefined {
  if (payload.length < 6) return undefined;
  const kind = classifyProtocol112(payload);
  const owner = PROTOCOL_MODULES.find((module) => (module.wire.payloadKinds as readonly Protocol112Kind[]).includes(kind));
  return owner?.wire.summarizeForeign(payload, kind);
}
