/** The result of a decode: the value, or a typed error that says what was wrong and where. */
export type DecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DecodeError };

/** Why a decode failed; `code` is stable and meant for counters and tests, `detail` for humans. */
export interface DecodeError {
  readonly code: DecodeErrorCode;
  readonly detail: string;
}

/** Closed set of decode failure codes. */
export type DecodeErrorCode =
  | 'short'
  | 'bad-ip-version'
  | 'bad-ip-header-length'
  | 'bad-ip-total-length'
  | 'bad-ip-checksum'
  | 'ipv4-fragment'
  | 'unsupported-ipv6-extension'
  | 'bad-pcap'
  | 'unsupported-link-type';

/** Builds a successful result. */
export function decoded<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

/** Builds a failed result. */
export function decodeFailed<T>(code: DecodeErrorCode, detail: string): DecodeResult<T> {
  return { ok: false, error: { code, detail } };
}
