/**
 * keepalived.conf as a tree of statements (docs/migration.md "The converter"): a statement is
 * a keyword with its words on one line, and the statements of the `{ … }` block it opens, if
 * any. `include` lines (and keepalived's variants includer, includem, includew, includeb,
 * includea) are replaced by the files they name, read through an IncludeReader, which the CLI
 * implements with the file system: relative to the including file's directory, with globs,
 * at most MAX_INCLUDE_DEPTH deep; a file that includes itself, directly or not, is refused.
 */
import { lexKeepalived, type LexLine, type LexToken } from './lex.ts';
import { NoteSink, type Place } from './notes.ts';

/** A word of a statement. */
export interface Word {
  readonly text: string;
  readonly quoted: boolean;
}

/** One statement: `keyword args…`, with the statements of its block when it opens one. */
export interface Statement extends Place {
  readonly keyword: string;
  readonly args: readonly Word[];
  readonly children?: readonly Statement[];
}

/** One file an include pattern names. */
export interface IncludedFile {
  /** The file's canonical path (cycles are found by it). */
  readonly path: string;
  readonly text: string;
}

/** Reads what an include line names. The CLI's adapter uses the file system; tests use a map. */
export interface IncludeReader {
  /** The files `pattern` (a glob) names, relative to the directory of `fromFile`, in glob order; or why none could be read. */
  expand(pattern: string, fromFile: string): { readonly ok: true; readonly files: readonly IncludedFile[] } | { readonly ok: false; readonly reason: string };
}

/** Deepest nesting of includes followed. */
export const MAX_INCLUDE_DEPTH = 8;
/** Most files read in all. */
export const MAX_INCLUDED_FILES = 256;
/** Deepest nesting of blocks kept (keepalived's own grammar needs 4). */
export const MAX_BLOCK_DEPTH = 32;

const INCLUDE_KEYWORDS = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea']);

/** A line with the file it is in. */
interface SourcedLine {
  readonly file: string;
  readonly lex: LexLine;
}

/** The tree of a file and its includes. Errors (unbalanced braces, include cycles) are notes of kind `error`. */
export function parseKeepalived(file: string, text: string, reader: IncludeReader, sink: NoteSink): Statement[] {
  const lines: SourcedLine[] = [];
  const budget = { files: 1 };
  collectLines(file, text, [file], reader, sink, lines, budget);
  return buildTree(lines, sink);
}

/** Appends the lines of one file, with its includes expanded in place. */
function collectLines(file: string, text: string, stack: readonly string[], reader: IncludeReader, sink: NoteSink, out: SourcedLine[], budget: { files: number }): void {
  for (const lex of lexKeepalived(text)) {
    const [first, pattern] = lex.tokens;
    if (first?.kind !== 'word' || first.quoted || !INCLUDE_KEYWORDS.has(first.text) || lex.special !== undefined) {
      out.push({ file, lex });
      continue;
    }
    const at = { file, line: lex.line };
    if (pattern?.kind !== 'word') {
      sink.add('error', 'CARPD_KEEPALIVED_SYNTAX', at, first.text, 'names no file');
      continue;
    }
    if (stack.length > MAX_INCLUDE_DEPTH) {
      sink.add('error', 'CARPD_KEEPALIVED_INCLUDE', at, `${first.text} ${pattern.text}`, `includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
      continue;
    }
    const found = reader.expand(pattern.text, file);
    if (!found.ok) {
      sink.leftOut(at, `${first.text} ${pattern.text}`, found.reason);
      continue;
    }
    for (const included of found.files) {
      if (stack.includes(included.path)) {
        sink.add('error', 'CARPD_KEEPALIVED_INCLUDE', at, `${first.text} ${pattern.text}`, `${included.path} includes itself (${[...stack.slice(stack.indexOf(included.path)), included.path].join(' -> ')})`);
        continue;
      }
      if (++budget.files > MAX_INCLUDED_FILES) {
        sink.add('error', 'CARPD_KEEPALIVED_INCLUDE', at, `${first.text} ${pattern.text}`, `more than ${MAX_INCLUDED_FILES} files included`);
        return;
      }
      collectLines(included.path, included.text, [...stack, included.path], reader, sink, out, budget);
    }
  }
}

/** A block being filled. */
interface OpenBlock {
  readonly statements: Statement[];
  readonly at: Place;
}

/** Builds the statement tree from the lines; skips (and names) the lines the converter does not evaluate, and the blocks they open. */
function buildTree(lines: readonly SourcedLine[], sink: NoteSink): Statement[] {
  const root: OpenBlock = { statements: [], at: { file: '', line: 0 } };
  const stack: OpenBlock[] = [root];
  let skipDepth = 0;
  const defined = definedNames(lines);
  for (const { file, lex } of lines) {
    const at = { file, line: lex.line };
    if (skipDepth > 0) {
      skipDepth = Math.max(0, skipDepth + braceBalance(lex.tokens));
      continue;
    }
    const skip = skipReason(lex, defined);
    if (skip !== undefined) {
      sink.leftOut(at, lex.text, skip);
      skipDepth = Math.max(0, braceBalance(lex.tokens));
      continue;
    }
    let words: Word[] = [];
    const flush = (opens: boolean): void => {
      const top = stack[stack.length - 1] as OpenBlock;
      if (words.length === 0) {
        if (!opens) return;
        // `{` on a line of its own opens the block of the statement before it.
        const previous = top.statements[top.statements.length - 1];
        if (previous !== undefined && previous.children === undefined && previous.file === file) {
          const children: Statement[] = [];
          top.statements[top.statements.length - 1] = { ...previous, children };
          stack.push({ statements: children, at: previous });
        } else {
          sink.add('error', 'CARPD_KEEPALIVED_SYNTAX', at, '{', 'a block with no keyword');
          stack.push({ statements: [], at });
        }
        return;
      }
      const [keyword, ...args] = words;
      const children: Statement[] | undefined = opens ? [] : undefined;
      top.statements.push({ keyword: (keyword as Word).text, args, file, line: lex.line, ...(children === undefined ? {} : { children }) });
      if (children !== undefined) stack.push({ statements: children, at });
      words = [];
    };
    for (const token of lex.tokens) {
      if (token.kind === 'word') words.push({ text: token.text, quoted: token.quoted });
      else if (token.kind === 'open') {
        if (stack.length > MAX_BLOCK_DEPTH) {
          sink.add('error', 'CARPD_KEEPALIVED_SYNTAX', at, '{', `blocks nested deeper than ${MAX_BLOCK_DEPTH}`);
          return root.statements;
        }
        flush(true);
      } else {
        flush(false);
        if (stack.length === 1) sink.add('error', 'CARPD_KEEPALIVED_SYNTAX', at, '}', 'closes no block');
        else stack.pop();
      }
    }
    flush(false);
  }
  for (const open of stack.slice(1)) sink.add('error', 'CARPD_KEEPALIVED_SYNTAX', open.at, 'block', 'is not closed (missing })');
  return root.statements;
}

/** Why a line is not evaluated, or undefined. */
function skipReason(lex: LexLine, defined: ReadonlySet<string>): string | undefined {
  if (lex.special === 'conditional') return 'a line for one config_id (@): not evaluated, put the lines for this node in the file without @';
  if (lex.special === 'definition') return 'a definition ($NAME=): not evaluated';
  if (lex.special === 'sequence') return 'a ~SEQ line: not evaluated';
  if (lex.tokens.some((t) => t.kind === 'word' && t.substitutes && usesDefinition(t.text, defined))) return 'uses a definition ($NAME, ${NAME}): not evaluated';
  return undefined;
}

/** The names defined by `$NAME=` lines anywhere in the files. */
function definedNames(lines: readonly SourcedLine[]): Set<string> {
  const names = new Set<string>();
  for (const { lex } of lines) {
    const first = lex.tokens[0];
    const match = lex.special === 'definition' && first?.kind === 'word' ? /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(first.text) : null;
    if (match !== null) names.add(match[1] as string);
  }
  return names;
}

/**
 * Whether a word would be changed by keepalived's substitution: `${_ENV …}` and the other
 * predefined `${_…}` forms, or `$NAME` / `${NAME}` of a defined name. Any other `$` is literal
 * text (a password may hold one).
 */
function usesDefinition(word: string, defined: ReadonlySet<string>): boolean {
  if (word.includes('${_')) return true;
  for (const match of word.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) if (defined.has(match[1] as string)) return true;
  return false;
}

/** Blocks opened minus blocks closed on a line. */
function braceBalance(tokens: readonly LexToken[]): number {
  let balance = 0;
  for (const token of tokens) balance += token.kind === 'open' ? 1 : token.kind === 'close' ? -1 : 0;
  return balance;
}
