/**
 * Errors that stop carpd from starting (exit status 2) or end it after start. Each carries a
 * stable code from the catalogue (config/error-codes.ts, docs/errors.md) and names the real
 * cause: the errno of the step that failed, with the path or address it was about.
 */

/** An error the operator must fix (exit status 2): bad input, missing interface, a busy resource. */
export class StartupError extends Error {
  override name = 'StartupError';
  constructor(
    message: string,
    readonly code = 'CARPD_STARTUP',
  ) {
    super(message);
  }
}

/** Explains a filesystem errno in words, keeping the errno name for searches. */
export function describeErrno(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const words: Record<string, string> = {
    EROFS: 'read-only file system',
    ENOTDIR: 'a path component is not a directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EEXIST: 'already exists',
    ENOENT: 'no such file or directory',
    EISDIR: 'is a directory',
    EMFILE: 'too many open files in carpd',
    ENFILE: 'too many open files on the system',
    EADDRINUSE: 'address already in use',
    EADDRNOTAVAIL: 'address not available on this host',
    ENAMETOOLONG: 'path too long',
  };
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return `${words[code] ?? (error instanceof Error ? error.message : String(error))} (${code})`;
}
