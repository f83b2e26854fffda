// An IncludeReader over an in-memory map of files, for the keepalived converter's tests.
import { posix } from 'node:path';
import type { IncludeReader } from '../../../src/config/keepalived/parse.ts';

/** An include reader over a map of files: `dir/*.conf` globs by prefix and suffix, relative to the including file's directory. */
export function mapReader(files: Record<string, string>): IncludeReader {
  return {
    expand(pattern, fromFile) {
      const dir = fromFile.slice(0, fromFile.lastIndexOf('/') + 1);
      const full = posix.normalize(pattern.startsWith('/') ? pattern : dir + pattern);
      const [head, tail] = full.split('*');
      const paths = Object.keys(files).filter((p) => (tail === undefined ? p === full : p.startsWith(head as string) && p.endsWith(tail))).sort();
      if (paths.length === 0) return { ok: false, reason: 'matches no file' };
      return { ok: true, files: paths.map((path) => ({ path, text: files[path] as string })) };
    },
  };
}

