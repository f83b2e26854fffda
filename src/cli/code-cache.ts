/**
 * The daemon's code, loaded with V8's code cache. Node 20 compiles every ES module from source at
 * each start (module.enableCompileCache() arrives in Node 22), and the daemon's code with yaml and
 * zod is about half a megabyte: compiling it was the largest part of exec → BACKUP after Node's
 * own boot. So the build also writes the daemon command as one CommonJS file
 * (dist/daemon-command.cjs) and, by running it once, V8's cache of its compiled code beside it
 * (daemon-command.cjs.cache). Here that file is compiled with the cache: V8 checks that the cache
 * matches the source, its own version and flags, and otherwise compiles normally
 * (`rejected`), so a stale or foreign cache costs time, never correctness.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** The CommonJS wrapper, the same at build and at run time (the cache is tied to the exact source). */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/** What loading gave: the module's exports, and whether V8 refused the cache (or there was none). */
export interface CachedLoad<T> {
  readonly exports: T;
  readonly cache: 'used' | 'rejected' | 'absent';
}

/** Compiles and runs a CommonJS file with its `.cache` when there is one. */
export function loadWithCodeCache<T>(file: string): CachedLoad<T> {
  const { script, cache } = compile(file, true);
  run(script, file);
  return { exports: moduleOf.get(script) as T, cache };
}

/**
 * The build's step: runs the file's top level once (module initialisation compiles what every
 * start needs: the schemas, the codecs' tables) and writes V8's cache of everything compiled.
 * The cache holds the script's name: scriptName is where the file will run from (the Debian
 * package's /usr/lib/carpd/dist/..., not its staging directory), so the bytes do not depend on
 * where the build ran (docs/package.md, "Reproducible build").
 */
export function writeCodeCache(file: string, scriptName: string = file): number {
  const { script } = compile(file, false, scriptName);
  run(script, file);
  const data = script.createCachedData();
  writeFileSync(`${file}.cache`, data);
  return data.length;
}

const moduleOf = new WeakMap<Script, unknown>();

function compile(file: string, useCache: boolean, scriptName: string = file): { script: Script; cache: CachedLoad<unknown>['cache'] } {
  let cachedData: Buffer | undefined;
  if (useCache) {
    try {
      cachedData = readFileSync(`${file}.cache`);
    } catch {
      // No cache (a build without it, or removed): compile from source.
    }
  }
  const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: scriptName, ...(cachedData === undefined ? {} : { cachedData }) });
  const cache = cachedData === undefined ? 'absent' : script.cachedDataRejected === true ? 'rejected' : 'used';
  return { script, cache };
}

function run(script: Script, file: string): void {
  const module = { exports: {} as unknown };
  const init = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  init(module.exports, createRequire(file), module, file, dirname(file));
  moduleOf.set(script, module.exports);
}
