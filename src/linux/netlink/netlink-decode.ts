/** Results of the netlink decoders: the value, or a typed error (never a throw). */

/** Closed set of netlink decode failure codes (stable, for tests and counters). */
export type NetlinkDecodeErrorCode =
  | 'short'
  | 'bad-message-length'
  | 'bad-attribute'
  | 'bad-address'
  | 'unsupported-family';

/** Why a netlink decode failed; `detail` is for humans. */
export interface NetlinkDecodeError {
  readonly code: NetlinkDecodeErrorCode;
  readonly detail: string;
}

/** The result of a netlink decode. */
export type NetlinkDecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: NetlinkDecodeError };

/** Builds a successful result. */
export function ok<T>(value: T): NetlinkDecodeResult<T> {
  return { ok: true, value };
}

/** Builds a failed result. */
export function failed<T>(code: NetlinkDecodeErrorCode, detail: string): NetlinkDecodeResult<T> {
  return { ok: false, error: { code, detail } };
}
