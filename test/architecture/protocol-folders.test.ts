/**
 * One protocol's folder imports no other protocol's folder (src/protocols/carp/ and
 * src/protocols/vrrp/): what both machines share is in the lifecycle core, src/fsm/lifecycle.ts
 * (docs/state-machine.md "The lifecycle core"), and what every protocol shares otherwise in the
 * top-level src/protocols/*.ts files. The imports are read with layer-rules.ts's importsOf; a
 * synthetic file shows the check can fail.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importsOf } from './layer-rules.ts';

const repository = fileURLToPath(new URL('../..', import.meta.url));

/** The protocol folder a path under src/protocols/ lies in (`carp`), or undefined for a top-level file or any other path. */
function protocolFolderOf(path: string): string | undefined {
  const parts = path.split('/');
  return parts[0] === 'src' && parts[1] === 'protocols' && parts.length > 3 ? parts[2] : undefined;
}

/** Every import of `path` that reaches into another protocol's folder. */
function crossProtocolImports(path: string, text: string): string[] {
  const own = protocolFolderOf(path);
  if (own === undefined) return [];
  return importsOf(path, text)
    .map((use) => use.specifier)
    .filter((specifier) => {
      if (!specifier.startsWith('.')) return false;
      const target = protocolFolderOf(posix.normalize(posix.join(posix.dirname(path), specifier)));
      return target !== undefined && target !== own;
    });
}

test('no file of a protocol\'s folder imports another protocol\'s folder', () => {
  const root = join(repository, 'src/protocols');
  const folders = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.ok(folders.includes('carp') && folders.includes('vrrp'), `read ${folders.join(', ')}`);
  const breaches = folders.flatMap((folder) =>
    readdirSync(join(root, folder))
      .filter((name) => name.endsWith('.ts'))
      .flatMap((name) => {
        const path = `src/protocols/${folder}/${name}`;
        return crossProtocolImports(path, readFileSync(join(repository, path), 'utf8')).map((what) => `${path} imports ${what}`);
      }),
  );
  assert.deepEqual(breaches, []);
});

test('the check finds an import of another protocol\'s folder, and allows the shared layers', () => {
  const text = [
    "import { masterDownTimer } from '../carp/carp-step.ts';",
    "import type { X } from '../../protocols/carp/carp-machine-types.ts';",
    "import { y } from './vrrp-election.ts';",
    "import { z } from '../protocol-module.ts';",
    "import { Lifecycle } from '../../fsm/lifecycle.ts';",
  ].join('\n');
  assert.deepEqual(crossProtocolImports('src/protocols/vrrp/vrrp-step.ts', text), ['../carp/carp-step.ts', '../../protocols/carp/carp-machine-types.ts']);
  assert.deepEqual(crossProtocolImports('src/protocols/index.ts', "import { carpModule } from './carp/carp-module.ts';"), [], 'the registry at the top may import every protocol');
});
