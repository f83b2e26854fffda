/** Results of the netlink decoders: the value, or a typed error (never a throw). */
import type { DecodeError, DecodeResult } from '../../wire/decode-result.ts';

/** Closed set of netlink decode failure codes (stable, for tests and counters). */
export type NetlinkDecodeErrorCode =
  | 'short'
  | 'bad-message-length'
  | 'bad-attribute'
  | 'bad-address'
  | 'unsupported-family';

/** Why a netlink decode failed; `detail` is for humans. */
export type NetlinkDecodeError = DecodeError<NetlinkDecodeErrorCode>;

/** The result of a netlink decode. */
export type NetlinkDecodeResult<T> = DecodeResult<T, NetlinkDecodeErrorCode>;
