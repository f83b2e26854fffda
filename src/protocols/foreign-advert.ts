/**
 * What a protocol-112 advert that a group cannot hear (another protocol or version on its id, a
 * failed authentication, another vhid) still tells about its sender, read by shape alone
 * (protocol-112.ts): whether it is a farewell (CARP's bow-out 255/255, VRRP's priority 0) and how
 * often its sender advertises. The group's re-announcing (fsm/foreign-master.ts) uses both: a
 * farewell ends the conflict at once, the interval says when the sender has fallen silent.
 * Nothing here is authenticated; a forged value costs at most one extra announcement.
 */
import { BOW_OUT_VALUE } from './carp/carp-header.ts';
import { classifyProtocol112 } from './protocol-112.ts';

/** Which kind of speaker a foreign advert comes from, as status and metrics name it. */
export type ForeignAdvertKind =
  /** A VRRPv2 router on a VRRPv3 group's VRID (keepalived's default `vrrp_version 2`). */
  | 'vrrp-v2'
  /** A VRRPv3 router on a VRRPv2 group's VRID. */
  | 'vrrp-v3'
  /** A CARP node on a VRRP group's VRID. */
  | 'carp'
  /** A VRRP router (v2 or v3) on a CARP group's vhid. */
  | 'vrrp'
  /** A CARP node with this group's passphrase and addresses under another vhid (changed on one side). */
  | 'other-vhid'
  /** A CARP advert for this group's vhid that fails authentication (not a key-change twin), or a VRRPv2 one with another password or auth type. */
  | 'bad-auth';

/** The foreign kinds, for metric labels and docs. */
export const FOREIGN_ADVERT_KINDS: readonly ForeignAdvertKind[] = ['vrrp-v2', 'vrrp-v3', 'carp', 'vrrp', 'other-vhid', 'bad-auth'];

/** What an unheard advert says about its sender. */
export interface ForeignAdvertSummary {
  /** 2 or 3 for VRRP, 2 for CARP (as in the version nibble). */
  readonly version: number;
  /** CARP's bow-out (advbase and advskew 255) or VRRP's priority 0: the sender is leaving mastership. */
  readonly farewell: boolean;
  /** Its advertisement interval in µs, when the advert carries a usable one. */
  readonly intervalMicros?: number;
}

const MICROS_PER_SECOND = 1_000_000;

/** Reads a CARP, VRRPv2 or VRRPv3 payload's farewell flag and interval; undefined when too short. */
export function summarizeForeignAdvert(payload: Uint8Array): ForeignAdvertSummary | undefined {
  if (payload.length < 6) return undefined;
  const kind = classifyProtocol112(payload);
  const byte = (i: number): number => payload[i] as number;
  if (kind === 'carp' || kind === 'carp-oversized') {
    // CARP (docs/protocol-carp.md "The 36-byte header"): byte 2 advskew, byte 5 advbase.
    const advskew = byte(2);
    const advbase = byte(5);
    const farewell = advbase === BOW_OUT_VALUE && advskew === BOW_OUT_VALUE;
    const interval = advbase * MICROS_PER_SECOND + Math.floor((advskew * MICROS_PER_SECOND) / 256);
    return { version: 2, farewell, ...(farewell || interval === 0 ? {} : { intervalMicros: interval }) };
  }
  if (kind === 'vrrp-v2' || kind === 'short') {
    // VRRPv2 (RFC 3768 §5.1): byte 2 priority, byte 5 Adver Int in seconds.
    const seconds = byte(5);
    return { version: 2, farewell: byte(2) === 0, ...(seconds === 0 ? {} : { intervalMicros: seconds * MICROS_PER_SECOND }) };
  }
  if (kind === 'vrrp-v3') {
    // VRRPv3 (RFC 5798 §5.1): byte 2 priority, 12 bits of Max Adver Int in centiseconds.
    const centis = ((byte(4) & 0x0f) << 8) | byte(5);
    return { version: 3, farewell: byte(2) === 0, ...(centis === 0 ? {} : { intervalMicros: centis * 10_000 }) };
  }
  return undefined;
}
