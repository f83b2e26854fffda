/**
 * The simulator and the demo know no protocol (issue 21 item 1): src/sim/ and src/demo/ reach a
 * protocol only through the registry and the interfaces at the top of src/protocols/
 * (protocols/index.ts, protocols/protocol-sim-part.ts), never a file of a protocol's folder. A
 * synthetic file shows the check fails.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importsOf } from './layer-rules.ts';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const LAYERS = ['src/sim', 'src/demo'];

/** The imports of a file (path relative to the repository) that name a file under src/protocols/<folder>/. */
function protocolFolderImports(path: string, text: string): string[] {
  return importsOf(path, text)
    .map((use) => use.specifier)
    .filter((specifier) => specifier.startsWith('.'))
    .filter((specifier) => /^src\/protocols\/[^/]+\//.test(posix.normalize(posix.join(posix.dirname(path), specifier))));
}

test('src/sim/ and src/demo/ import no file of a protocol folder, only the registry and the part interfaces', () => {
  let files = 0;
  const breaches: string[] = [];
  for (const layer of LAYERS) {
    for (const name of readdirSync(join(repository, layer)).filter((n) => n.endsWith('.ts'))) {
      const path = `${layer}/${name}`;
      files++;
      for (const specifier of protocolFolderImports(path, readFileSync(join(repository, path), 'utf8'))) breaches.push(`${path}: ${specifier}`);
    }
  }
  assert.ok(files >= 8, `read ${files} files`);
  assert.deepEqual(breaches, []);
});

test('the check fails a file that imports a protocol folder, and passes the registry and a part interface', () => {
  assert.deepEqual(protocolFolderImports('src/sim/x.ts', "import { CarpNode } from '../protocols/carp/carp-node.ts';"), ['../protocols/carp/carp-node.ts']);
  assert.deepEqual(protocolFolderImports('src/demo/x.ts', "import type { VrrpGroupRunner } from '../protocols/vrrp/vrrp-group-runner.ts';"), ['../protocols/vrrp/vrrp-group-runner.ts']);
  assert.deepEqual(protocolFolderImports('src/sim/x.ts', "import { moduleOf } from '../protocols/index.ts';\nimport type { SimGroupSpec } from '../protocols/protocol-sim-part.ts';"), []);
});
