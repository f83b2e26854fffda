/**
 * Netlink message framing (linux/netlink.h): struct nlmsghdr { u32 len; u16 type; u16 flags;
 * u32 seq; u32 pid } then the payload, messages padded to 4 bytes and packed back to back in
 * one datagram. Also the two control messages every request ends with: NLMSG_ERROR (an ack
 * when its error is 0) and NLMSG_DONE (the end of a dump).
 */
import { align, decodeAttributes, findAttribute, readString } from './netlink-attributes.ts';
import { decoded, decodeFailed } from '../../wire/decode-result.ts';
import type { NetlinkDecodeResult } from './netlink-decode.ts';
import { errnoName } from './errno-names.ts';

/** Size of struct nlmsghdr. */
export const NLMSG_HDRLEN = 16;

/** Control message types. */
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

/** nlmsg_flags. */
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
/** GET requests: NLM_F_ROOT | NLM_F_MATCH. */
export const NLM_F_DUMP = 0x300;
/** NEW requests. */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
/** On NLMSG_ERROR: the echoed request was cut to its header / extended-ack TLVs follow. */
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

/** Extended-ack attribute carrying the kernel's error text (NLMSGERR_ATTR_MSG). */
const NLMSGERR_ATTR_MSG = 1;

/** One netlink message. */
export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  /** Sender port id: 0 for the kernel. */
  readonly pid: number;
  readonly payload: Uint8Array;
}

/** The encoded length of a message (nlmsg_len: header plus payload, without trailing padding). */
export function netlinkMessageLength(payloadLength: number): number {
  return NLMSG_HDRLEN + payloadLength;
}

/** Encodes one message, padded to 4 bytes so that several may be concatenated. */
export function encodeNetlinkMessage(message: NetlinkMessage): Uint8Array {
  const length = netlinkMessageLength(message.payload.length);
  const out = new Uint8Array(align(length));
  const view = new DataView(out.buffer);
  view.setUint32(0, length, true);
  view.setUint16(4, message.type, true);
  view.setUint16(6, message.flags, true);
  view.setUint32(8, message.seq >>> 0, true);
  view.setUint32(12, message.pid >>> 0, true);
  out.set(message.payload, NLMSG_HDRLEN);
  return out;
}

/** Splits a datagram into its messages; any message whose length is impossible fails the whole. */
export function decodeNetlinkMessages(datagram: Uint8Array): NetlinkDecodeResult<NetlinkMessage[]> {
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const messages: NetlinkMessage[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    if (datagram.length - offset < NLMSG_HDRLEN) {
      return decodeFailed('short', `${datagram.length - offset} bytes left at ${offset}, a header needs ${NLMSG_HDRLEN}`);
    }
    const length = view.getUint32(offset, true);
    if (length < NLMSG_HDRLEN || length > datagram.length - offset) {
      return decodeFailed('bad-message-length', `message at ${offset} claims ${length} bytes, ${datagram.length - offset} left`);
    }
    messages.push({
      type: view.getUint16(offset + 4, true),
      flags: view.getUint16(offset + 6, true),
      seq: view.getUint32(offset + 8, true),
      pid: view.getUint32(offset + 12, true),
      payload: datagram.subarray(offset + NLMSG_HDRLEN, offset + length),
    });
    offset += align(length);
  }
  return decoded(messages);
}

/** A decoded NLMSG_ERROR or NLMSG_DONE: errno 0 is success (an ack, or a clean end of dump). */
export interface NetlinkStatus {
  /** Positive errno, 0 for success. */
  readonly errno: number;
  /** Its name ('EEXIST' ...), or 'OK' for 0. */
  readonly code: string;
  /** The kernel's extended-ack text, when it sent one. */
  readonly kernelMessage?: string;
}

/**
 * Decodes an NLMSG_ERROR payload: struct nlmsgerr { int error; struct nlmsghdr msg; } then the
 * rest of the echoed request (unless NLM_F_CAPPED), then extended-ack attributes (if NLM_F_ACK_TLVS).
 */
export function decodeNetlinkError(message: NetlinkMessage): NetlinkDecodeResult<NetlinkStatus> {
  const { payload } = message;
  if (payload.length < 4 + NLMSG_HDRLEN) {
    return decodeFailed('short', `NLMSG_ERROR payload of ${payload.length} bytes, needs ${4 + NLMSG_HDRLEN}`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const errno = positiveErrno(view.getInt32(0, true));
  let kernelMessage: string | undefined;
  if ((message.flags & NLM_F_ACK_TLVS) !== 0) {
    const echoed = (message.flags & NLM_F_CAPPED) !== 0 ? NLMSG_HDRLEN : align(view.getUint32(4, true));
    const start = 4 + Math.max(echoed, NLMSG_HDRLEN);
    const tlvs = start <= payload.length ? decodeAttributes(payload.subarray(start)) : undefined;
    if (tlvs?.ok === true) kernelMessage = readString(findAttribute(tlvs.value, NLMSGERR_ATTR_MSG));
  }
  return decoded(statusOf(errno, kernelMessage));
}

/** Decodes an NLMSG_DONE payload: an int error (0, or a negative errno when a dump failed). */
export function decodeNetlinkDone(message: NetlinkMessage): NetlinkDecodeResult<NetlinkStatus> {
  // Some old kernels sent NLMSG_DONE without a payload: treat that as success.
  if (message.payload.length < 4) return decoded(statusOf(0, undefined));
  const view = new DataView(message.payload.buffer, message.payload.byteOffset, 4);
  return decoded(statusOf(positiveErrno(view.getInt32(0, true)), undefined));
}

function statusOf(errno: number, kernelMessage: string | undefined): NetlinkStatus {
  const code = errno === 0 ? 'OK' : errnoName(errno);
  return kernelMessage === undefined || kernelMessage === '' ? { errno, code } : { errno, code, kernelMessage };
}

/** The kernel sends -errno; 0 stays 0 (not -0). */
function positiveErrno(error: number): number {
  return error === 0 ? 0 : -error;
}
