/**
 * `carpd --from-keepalived FILE [--secrets-dir DIR] [--write-secrets]`: the file-system adapter
 * of the keepalived converter (src/config/keepalived/convert.ts; docs/migration.md "The
 * converter"). It reads the file and its includes, prints carpd.yaml on stdout and the notes on
 * stderr, and writes the passphrase files (mode 0600, never over another file) or prints the
 * commands that do.
 *
 * Exit status: 0 everything converted; 3 converted, with something left out (named on stderr
 * and in the YAML); 1 the file could not be read or parsed, or a passphrase file could not be
 * written (nothing on stdout); 2 usage error.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, statSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { convertKeepalived } from '../config/keepalived/convert.ts';
import { formatNote } from '../config/keepalived/notes.ts';
import type { IncludedFile, IncludeReader } from '../config/keepalived/parse.ts';
import { renderConversion } from '../config/keepalived/render.ts';
import type { Secret } from '../config/keepalived/instance.ts';
import type { ConfigErrorCode } from '../config/error-codes.ts';

/** Exit status when the output leaves something out (docs/migration.md). */
export const EXIT_PARTIAL = 3;
/** Largest file read (keepalived.conf or an include). */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Most files one include pattern may name. */
const MAX_MATCHES = 256;

export const FROM_KEEPALIVED_USAGE = `usage: carpd --from-keepalived FILE [--secrets-dir DIR] [--write-secrets]
  converts keepalived.conf's vrrp_instance blocks into carpd.yaml on stdout; names on stderr
  (and in the YAML's comments) every keyword it left out, with FILE:LINE.
  --secrets-dir DIR   where the passphrase files of VRRPv2 PASS groups go (default /etc/carpd)
  --write-secrets     write them (mode 0600, never over another file); without it, print the
                      commands that do
exit status: 0 converted everything, 3 something left out, 1 unreadable or unparsable file, 2 usage
`;

/** Where the command writes. */
export interface FromKeepalivedIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: FromKeepalivedIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** Runs the command with its arguments (after `--from-keepalived` or `from-keepalived`). */
export function runFromKeepalived(args: readonly string[], io: FromKeepalivedIo = processIo): number {
  const parsed = parseArgs(args);
  if ('help' in parsed) {
    io.stdout(FROM_KEEPALIVED_USAGE);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr(`carpd --from-keepalived: ${parsed.error}; see carpd --from-keepalived --help [CARPD_USAGE]\n`);
    return 2;
  }
  let text: string;
  try {
    text = readBounded(parsed.file);
  } catch (error) {
    io.stderr(`carpd --from-keepalived: ${parsed.file}: ${(error as Error).message} [CARPD_CONFIG_READ]\n`);
    return 1;
  }
  const conversion = convertKeepalived(parsed.file, text, fileIncludeReader, { secretsDir: parsed.secretsDir });
  for (const note of conversion.notes) io.stderr(`${formatNote(note)}\n`);
  if (!conversion.ok) {
    io.stderr('carpd --from-keepalived: not converted (errors above)\n');
    return 1;
  }
  if (conversion.secrets.length > 0) {
    const written = parsed.writeSecrets ? writeSecrets(conversion.secrets, io) : printSecretCommands(conversion.secrets, io);
    if (!written) return 1;
  }
  io.stdout(renderConversion(parsed.file, conversion));
  const leftOut = conversion.notes.filter((n) => n.kind === 'left-out').length;
  io.stderr(`carpd --from-keepalived: ${conversion.config.groups.length} group(s); ${leftOut === 0 ? 'everything converted' : `${leftOut} item(s) not converted (exit status ${EXIT_PARTIAL})`}\n`);
  return leftOut === 0 ? 0 : EXIT_PARTIAL;
}

type Parsed = { file: string; secretsDir: string; writeSecrets: boolean } | { error: string } | { help: true };

/** The command's arguments (test/cli/docs-commands.test.ts parses the docs' command lines with it). */
export function parseArgs(args: readonly string[]): Parsed {
  let file: string | undefined;
  let secretsDir = '/etc/carpd';
  let writeSecrets = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-h' || arg === '--help') return { help: true };
    if (arg === '--write-secrets') writeSecrets = true;
    else if (arg === '--secrets-dir' || arg.startsWith('--secrets-dir=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
      if (value === undefined || !isAbsolute(value)) return { error: '--secrets-dir needs an absolute directory' };
      secretsDir = value;
    } else if (arg.startsWith('-') && arg !== '-') return { error: `unknown option ${JSON.stringify(arg)}` };
    else if (file !== undefined) return { error: 'give one keepalived.conf' };
    else file = arg;
  }
  if (file === undefined) return { error: 'give the keepalived.conf to convert' };
  return { file, secretsDir, writeSecrets };
}

/** A file's text, refusing what is not a regular file or is too large to be a configuration. */
function readBounded(path: string): string {
  const stat = statSync(path);
  if (!stat.isFile()) throw new Error('is not a regular file');
  if (stat.size > MAX_FILE_BYTES) throw new Error(`is larger than ${MAX_FILE_BYTES} bytes`);
  return readFileSync(path, 'utf8');
}

/** keepalived's include on the file system: relative to the including file's directory, with globs and brace lists. */
const fileIncludeReader: IncludeReader = {
  expand(pattern, fromFile) {
    const base = resolve(dirname(fromFile));
    const paths = expandBraces(pattern).flatMap((p) => globPaths(isAbsolute(p) ? p : join(base, p)));
    if (paths.length === 0) return { ok: false, reason: 'matches no file' };
    if (paths.length > MAX_MATCHES) return { ok: false, reason: `matches more than ${MAX_MATCHES} files` };
    const files: IncludedFile[] = [];
    for (const path of paths) {
      try {
        files.push({ path: realpathSync(path), text: readBounded(path) });
      } catch (error) {
        return { ok: false, reason: `${path}: ${(error as Error).message}` };
      }
    }
    return { ok: true, files };
  },
};

/** `a{b,c}d` → abd, acd (nested lists too), at most MAX_MATCHES results. */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      const starts = [open, ...commas];
      const parts = starts.map((start, k) => pattern.slice(start + 1, commas[k] ?? i));
      const rest = expandBraces(pattern.slice(i + 1));
      return parts.flatMap((part) => expandBraces(pattern.slice(0, open) + part).flatMap((head) => rest.map((tail) => head + tail))).slice(0, MAX_MATCHES + 1);
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  return [pattern];
}

/** The regular files an absolute glob names (`*`, `?`, `[…]` in any segment), sorted. */
function globPaths(pattern: string): string[] {
  let current = ['/'];
  for (const segment of pattern.split('/').filter((s) => s !== '')) {
    if (!/[*?[]/.test(segment)) {
      current = current.map((dir) => join(dir, segment));
      continue;
    }
    const matcher = segmentRegExp(segment);
    current = current.flatMap((dir) => {
      try {
        return readdirSync(dir).filter((name) => matcher.test(name) && (segment.startsWith('.') || !name.startsWith('.'))).sort().map((name) => join(dir, name));
      } catch {
        return [];
      }
    }).slice(0, MAX_MATCHES + 1);
  }
  return current.filter((path) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

function segmentRegExp(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) source += '\\[';
      else {
        const body = segment.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Writes each passphrase file (mode 0600); one that exists with other content is left alone and is an error. */
function writeSecrets(secrets: readonly Secret[], io: FromKeepalivedIo): boolean {
  let ok = true;
  for (const secret of secrets) {
    const content = Buffer.from(`${secret.value}\n`, 'latin1');
    try {
      mkdirSync(dirname(secret.path), { recursive: true, mode: 0o700 });
      const fd = openSync(secret.path, 'wx', 0o600);
      try {
        writeSync(fd, content);
      } finally {
        closeSync(fd);
      }
      io.stderr(`carpd --from-keepalived: wrote ${secret.path} (mode 0600) for group ${secret.group}\n`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && sameContent(secret.path, content)) continue;
      const problem: ConfigErrorCode = 'CARPD_KEEPALIVED_SECRET_EXISTS';
      io.stderr(code === 'EEXIST'
        ? `carpd --from-keepalived: ${secret.path} exists with other content; left as it was (remove it or choose --secrets-dir) [${problem}]\n`
        : `carpd --from-keepalived: ${secret.path}: ${(error as Error).message}\n`);
      ok = false;
    }
  }
  return ok;
}

function sameContent(path: string, content: Buffer): boolean {
  try {
    return readFileSync(path).equals(content);
  } catch {
    return false;
  }
}

/** The shell commands that create the passphrase files, refusing to overwrite (set -C), readable by root only. */
function printSecretCommands(secrets: readonly Secret[], io: FromKeepalivedIo): boolean {
  io.stderr('carpd --from-keepalived: the groups read their VRRPv2 password from these files; create them (or run again with --write-secrets):\n');
  for (const secret of secrets) io.stderr(`  ${secretCommand(secret)}\n`);
  return true;
}

/** One file's command: `(umask 077 && mkdir -p DIR && set -C && printf … > FILE)`. */
export function secretCommand(secret: Secret): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const printable = /^[\x20-\x7e]*$/.test(secret.value);
  const printf = printable ? `printf '%s\\n' ${quote(secret.value)}` : `printf '${[...secret.value].map((c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`).join('')}\\n'`;
  return `(umask 077 && mkdir -p ${quote(dirname(secret.path))} && set -C && ${printf} > ${quote(secret.path)})`;
}
