/**
 * Where carpd's files are, whether it runs from the sources (src/**), from the build (dist/*.js)
 * or from an unpacked package: the nearest directory above this module that holds `bin/carpd`.
 * Everything carpd finds at run time (the native addon, the launcher it starts the guard with)
 * is relative to it, so the tree is relocatable.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

/** The package's root directory. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'bin', 'carpd'))) return (root = dir);
    if (dirname(dir) === dir) throw new Error(`carpd: cannot find its package root above ${import.meta.dirname}`);
  }
}
