/**
 * keepalived.conf's lexical grammar (docs/migration.md "The converter"), as a pure function of a
 * file's text: words separated by blanks, `{` and `}` as tokens of their own, comments from `#`
 * or `!` to the end of the line (anywhere outside quotes), and quoted strings between `"` or `'`
 * joined to the unquoted text around them, with keepalived's backslash escapes inside quotes.
 * A line is the unit keepalived reads: a statement ends at the end of its line.
 *
 * Lines this converter does not evaluate are returned as `special`, so the converter can name
 * them: `@NAME …` / `@^NAME …` (lines for one config_id only), `$NAME=…` (definitions), `~SEQ(…)`
 * (generated lines). A word that uses a definition (`${…}` or `$NAME`) is marked too.
 */

/** One token of a line. */
export type LexToken =
  | { readonly kind: 'word'; readonly text: string; readonly quoted: boolean; readonly substitutes: boolean }
  | { readonly kind: 'open' }
  | { readonly kind: 'close' };

/** One line of a file, as tokens; `special` says which keepalived feature it uses, when it is one the converter does not evaluate. */
export interface LexLine {
  /** 1-based line number. */
  readonly line: number;
  readonly tokens: readonly LexToken[];
  readonly special?: 'conditional' | 'definition' | 'sequence';
  /** The line's text (without its comment), at most 200 characters, for messages. */
  readonly text: string;
}

/** Longest word kept; keepalived's own limit on a configuration line is smaller. */
const MAX_WORD = 4096;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Splits a file's text into lines of tokens. Never throws; quotes left open end at the end of the line. */
export function lexKeepalived(text: string): LexLine[] {
  const out: LexLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const lexed = lexLine(raw);
    if (lexed.tokens.length === 0) continue;
    const trimmed = raw.trimStart();
    const special = trimmed.startsWith('@') ? 'conditional' : /^\$[A-Za-z_][A-Za-z0-9_]*\s*=/.test(trimmed) ? 'definition' : trimmed.startsWith('~SEQ') ? 'sequence' : undefined;
    out.push({ line: i + 1, tokens: lexed.tokens, text: lexed.text.trim().slice(0, 200), ...(special === undefined ? {} : { special }) });
  }
  return out;
}

/** One line: its tokens and its text up to the comment. */
function lexLine(raw: string): { tokens: LexToken[]; text: string } {
  const tokens: LexToken[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  let substitutes = false;
  let quote: string | undefined;
  let end = raw.length;
  const flush = () => {
    if (inWord) tokens.push({ kind: 'word', text: word.slice(0, MAX_WORD), quoted, substitutes });
    word = '';
    inWord = false;
    quoted = false;
    substitutes = false;
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && i + 1 < raw.length) {
        const escaped = unescape(raw, i + 1);
        word += escaped.value;
        i = escaped.next - 1;
      } else word += c;
      continue;
    }
    if (c === '#' || c === '!') {
      end = i;
      break;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      quoted = true;
      continue;
    }
    if (c === ' ' || c === '\t') {
      flush();
      continue;
    }
    if (c === '{' || c === '}') {
      flush();
      tokens.push({ kind: c === '{' ? 'open' : 'close' });
      continue;
    }
    if (c === '$') substitutes = true;
    word += c;
    inWord = true;
  }
  flush();
  return { tokens, text: raw.slice(0, end) };
}

/** A backslash escape inside quotes starting at `at` (just after the backslash): its value and the index after it. */
function unescape(raw: string, at: number): { value: string; next: number } {
  const c = raw[at] as string;
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return { value: simple, next: at + 1 };
  const octal = /^[0-7]{1,3}/.exec(raw.slice(at, at + 3));
  if (octal !== null) return { value: String.fromCharCode(parseInt(octal[0], 8) & 0xff), next: at + octal[0].length };
  if (c === 'x') {
    const hex = /^[0-9a-fA-F]{1,2}/.exec(raw.slice(at + 1, at + 3));
    if (hex !== null) return { value: String.fromCharCode(parseInt(hex[0], 16)), next: at + 1 + hex[0].length };
  }
  if (c === 'c' && at + 1 < raw.length) return { value: String.fromCharCode((raw.charCodeAt(at + 1) & 0x1f)), next: at + 2 };
  return { value: c, next: at + 1 };
}

/**
 * Splits a script string (`script "/usr/bin/pidof haproxy"`) into its argv as keepalived does:
 * unquoted blanks separate the arguments; single or double quotes keep blanks inside one.
 */
export function splitCommand(command: string): string[] {
  const args: string[] = [];
  let current = '';
  let started = false;
  let quote: string | undefined;
  for (const c of command) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      started = true;
    } else if (c === ' ' || c === '\t') {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (started) args.push(current);
  return args;
}
