#!/usr/bin/env node
// `npm run build`: bundles the TypeScript sources into dist/ with esbuild (README, "Design"):
// one ES module per entry point (carpd, carpctl), the code of each subcommand split into chunks
// loaded on first use, the npm dependencies (yaml, zod) bundled in, so a run needs no
// node_modules and no TypeScript. Syntax and whitespace are minified (a smaller bundle compiles
// faster at every start: exec → BACKUP 191 → 178 ms here); names are kept, so stack traces stay
// readable. The native addon stays a separate file, found at run time
// from the package root (src/package-root.ts).
// `--outdir DIR` builds elsewhere than dist/ and `--no-maps` leaves out the source maps (they
// name src/ paths): scripts/package.mjs builds into its staging tree that way, so packaging
// never replaces the dist/ that running tests and daemons use.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--run-from DIR`: where the output will run from, as the code cache names it (the package's
// /usr/lib/carpd/dist); by default where it is built.
const { values: flags } = parseArgs({ options: { outdir: { type: 'string' }, 'no-maps': { type: 'boolean' }, 'run-from': { type: 'string' } } });
const outdir = flags.outdir === undefined ? join(root, 'dist') : resolve(flags.outdir);
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { carpd: 'src/cli/carpd.ts', carpctl: 'src/cli/carpctl.ts', 'code-cache': 'src/cli/code-cache.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: flags['no-maps'] === true ? false : 'linked',
  minifySyntax: true,
  minifyWhitespace: true,
  chunkNames: 'chunks/[name]-[hash]',
  // The addon is loaded with createRequire at run time, by a computed path.
  external: ['*.node'],
  // Bundled CommonJS dependencies (yaml) call require(): give ES modules one.
  banner: { js: "import { createRequire as __carpdCreateRequire } from 'node:module'; const require = __carpdCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
});
// What each output holds and imports (statically or on first use): test/cli/entry-points.test.ts
// checks from it that `carpd --version` and carpctl load no daemon code.
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
// The daemon command once more, as one CommonJS file with V8's code cache beside it
// (src/cli/code-cache.ts): ES modules are compiled from source at every start in Node 20, and
// this is the code every daemon start compiles (exec → BACKUP).
const daemonFile = join(outdir, 'daemon-command.cjs');
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/daemon-command.ts'],
  outfile: daemonFile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: flags['no-maps'] === true ? false : 'linked',
  minifySyntax: true,
  minifyWhitespace: true,
  external: ['*.node'],
  // import.meta does not exist in CommonJS: the same values from the file's own path.
  define: { 'import.meta.url': '__carpdModuleUrl', 'import.meta.dirname': '__dirname' },
  banner: { js: "const __carpdModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
// --predictable: V8 otherwise seeds its string hashes at random in every process, and the cache
// holds hash tables, so two builds of one commit differed (docs/package.md, "Reproducible build");
// V8 leaves the flag out of the cache's flag check, so a normal `node` still accepts the cache
// (test/cli/entry-points.test.ts).
const cacheBytes = execFileSync(
  process.execPath,
  ['--predictable', '--input-type=module', '-e', 'const { writeCodeCache } = await import(process.argv[1]); process.stdout.write(String(writeCodeCache(process.argv[2], process.argv[3])));', pathToFileURL(join(outdir, 'code-cache.js')).href, daemonFile, join(flags['run-from'] ?? outdir, 'daemon-command.cjs')],
  { encoding: 'utf8' },
);
const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
const shown = relative(root, outdir).startsWith('..') ? outdir : relative(root, outdir);
process.stdout.write(`built ${outputs.length} files and daemon-command.cjs (code cache ${Math.round(Number(cacheBytes) / 1024)} KiB) into ${shown}/\n`);
