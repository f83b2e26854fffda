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
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({ options: { outdir: { type: 'string' }, 'no-maps': { type: 'boolean' } } });
const outdir = flags.outdir === undefined ? join(root, 'dist') : resolve(flags.outdir);
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { carpd: 'src/cli/carpd.ts', carpctl: 'src/cli/carpctl.ts' },
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
const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
const shown = relative(root, outdir).startsWith('..') ? outdir : relative(root, outdir);
process.stdout.write(`built ${outputs.length} files into ${shown}/\n`);
