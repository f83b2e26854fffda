/**
 * The result of a decode: the value, or a typed error that says what was wrong and where. One
 * shape for every codec (advert path, layer 2, netlink); each family of codecs has its own closed
 * set of codes (`Code`), so that a counter or a test only meets the codes its codec can return.
 */
export type DecodeResult<T, Code extends string = DecodeErrorCode> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: DecodeError<Code> };

/** Why a decode failed; `code` is stable and meant for counters and tests, `detail` for humans. */
export interface DecodeError<Code extends string = DecodeErrorCode> {
  readonly code: Code;
  readonly detail: string;
}

/** Closed set of decode failure codes of the advert path (IP, CARP, pcap). */
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

/** Builds a successful result; it fits any family's result type, having no error to carry. */
export function decoded<T>(value: T): DecodeResult<T, never> {
  return { ok: true, value };
}

/** Builds a failed result; the code must belong to the family of the result it is returned as. */
export function decodeFailed<T, Code extends string = DecodeErrorCode>(code: Code, detail: string): DecodeResult<T, Code> {
  return { ok: false, error: { code, detail } };
}
