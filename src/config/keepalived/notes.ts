/**
 * What the keepalived converter tells its user (docs/migration.md "The converter"): every
 * keyword or block it left out, every difference in behaviour it knows of, and the errors that
 * stop it, each with the file and line it comes from. Codes are in src/config/error-codes.ts.
 */
import type { ConfigErrorCode } from '../error-codes.ts';

/**
 * `error`: the file cannot be converted (nothing is written). `left-out`: a keyword, block or
 * value is not in the output. `differs`: converted, but carpd behaves otherwise in a way the
 * user should know of.
 */
export type NoteKind = 'error' | 'left-out' | 'differs';

/** One message of the converter. */
export interface KeepalivedNote {
  readonly kind: NoteKind;
  readonly code: ConfigErrorCode;
  /** The file, as given or as included. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** The keyword or block named (`virtual_server 198.51.100.1 80`, `label eth0:1`). */
  readonly what: string;
  /** What happened to it and why, in a few words. */
  readonly detail: string;
}

/** Where a note comes from. */
export interface Place {
  readonly file: string;
  readonly line: number;
}

/** Most notes kept; a file that would produce more gets one note saying how many were cut. */
export const MAX_NOTES = 2000;

/** Collects notes, bounded in number (bad input must not grow memory or output without bound). */
export class NoteSink {
  readonly notes: KeepalivedNote[] = [];
  private dropped = 0;

  add(kind: NoteKind, code: ConfigErrorCode, at: Place, what: string, detail: string): void {
    if (this.notes.length >= MAX_NOTES) {
      this.dropped++;
      return;
    }
    this.notes.push({ kind, code, file: at.file, line: at.line, what: redact(what.slice(0, 200)), detail });
  }

  leftOut(at: Place, what: string, detail: string): void {
    this.add('left-out', 'CARPD_KEEPALIVED_NOT_CONVERTED', at, what, detail);
  }

  differs(at: Place, what: string, detail: string): void {
    this.add('differs', 'CARPD_KEEPALIVED_DIFFERS', at, what, detail);
  }

  /** The notes, with one more at the end when some were cut. */
  all(): KeepalivedNote[] {
    if (this.dropped === 0) return this.notes;
    const last = this.notes[this.notes.length - 1];
    return [...this.notes, { kind: 'left-out', code: 'CARPD_KEEPALIVED_NOT_CONVERTED', file: last?.file ?? '', line: last?.line ?? 0, what: `${this.dropped} more notes`, detail: `not listed (at most ${MAX_NOTES})` }];
  }
}

/** `FILE:LINE: what: detail [CODE]`, as compilers write it. */
export function formatNote(note: KeepalivedNote): string {
  return `${note.file}:${note.line}: ${note.what}: ${note.detail} [${note.code}]`;
}

/** A note's text without a password: a named line (an @ line, say) may be `auth_pass SECRET`. */
function redact(text: string): string {
  return text.replace(/(auth_pass\s+)\S.*$/i, '$1(not shown)');
}
