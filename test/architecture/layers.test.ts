/**
 * The layer rules of test/architecture/layer-rules.ts (listed, with why, in its header) hold for
 * every file of src/; and the checker finds each kind of breach in synthetic files, so that this
 * test can fail.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkLayers, deepImportsOf, importsOf, KNOWN_DEEP_IMPORTS, realTimeUses, type SourceFile } from './layer-rules.ts';

const repository = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(directory: string): SourceFile[] {
  const files: SourceFile[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) files.push({ path: relative(repository, path).split('\\').join('/'), text: readFileSync(path, 'utf8') });
  }
  return files;
}

const breachesOf = (path: string, text: string) => checkLayers([{ path, text }]).map((b) => `${b.file}: ${b.what}`);

test('every file of src/ keeps to the layer rules', () => {
  const files = sourceFiles(join(repository, 'src'));
  assert.ok(files.length > 150, `read ${files.length} files of src/`);
  const breaches = checkLayers(files).map((b) => `${b.file} imports/uses ${b.what} (${b.rule})`);
  assert.deepEqual(breaches, []);
});

test('imports: static, re-exports, dynamic and type imports are all read, type-only ones marked', () => {
  const text = [
    "import { a } from './a.ts';",
    "import type { B } from './b.ts';",
    "import { type C, type D } from './c.ts';",
    "import { type E, f } from './e.ts';",
    "import './side-effect.ts';",
    "export { g } from './g.ts';",
    "export type { H } from './h.ts';",
    "export * from './star.ts';",
    "const lazy = () => import('./lazy.ts');",
    "let t: import('./typed.ts').T;",
    '// import { x } from "./commented.ts";',
    "const s = \"import { y } from './in-a-string.ts'\";",
  ].join('\n');
  assert.deepEqual(importsOf('src/x/y.ts', text), [
    { specifier: './a.ts', typeOnly: false },
    { specifier: './b.ts', typeOnly: true },
    { specifier: './c.ts', typeOnly: true },
    { specifier: './e.ts', typeOnly: false },
    { specifier: './side-effect.ts', typeOnly: false },
    { specifier: './g.ts', typeOnly: false },
    { specifier: './h.ts', typeOnly: true },
    { specifier: './star.ts', typeOnly: false },
    { specifier: './lazy.ts', typeOnly: false },
    { specifier: './typed.ts', typeOnly: true },
  ]);
});

test('breaches: each rule fails a file that breaks it, naming the file and the import', () => {
  const cases: [string, string, string[]][] = [
    ['src/wire/p.ts', "import { readFileSync } from 'node:fs';", ['src/wire/p.ts: node:fs']],
    ['src/wire/p.ts', "import { createHmac } from 'node:crypto';", []],
    ['src/wire/p.ts', "import { readFileSync } from 'fs';", ['src/wire/p.ts: fs']],
    ['src/engine/e.ts', "import { parse } from 'yaml';", ['src/engine/e.ts: yaml']],
    ['src/fsm/s.ts', "import { GroupRunner } from '../engine/group-runner.ts';", ['src/fsm/s.ts: ../engine/group-runner.ts']],
    ['src/fsm/s.ts', "import type { Clock } from '../ports/clock.ts';", []],
    ['src/fsm/s.ts', "import { SystemClock } from '../linux/system-clock.ts';", ['src/fsm/s.ts: ../linux/system-clock.ts']],
    ['src/fsm/s.ts', "const m = await import('../linux/sysctl.ts');", ['src/fsm/s.ts: ../linux/sysctl.ts']],
    ['src/protocols/carp/r.ts', "import type { GroupConfig } from '../../config/config-types.ts';", []],
    ['src/protocols/carp/r.ts', "import type { GroupStatus } from '../../control/control-types.ts';", []],
    ['src/protocols/carp/r.ts', "import { loadConfig } from '../../config/config-file.ts';", ['src/protocols/carp/r.ts: ../../config/config-file.ts']],
    ['src/protocols/carp/r.ts', "import { request } from '../../control/control-client.ts';", ['src/protocols/carp/r.ts: ../../control/control-client.ts']],
    ['src/protocols/r.ts', "import type { RawSocket } from '../linux/raw-socket.ts';", ['src/protocols/r.ts: ../linux/raw-socket.ts']],
    ['src/quorum/v.ts', "import { createHmac } from 'node:crypto';", []],
    ['src/quorum/v.ts', "import { socket } from 'node:dgram';", ['src/quorum/v.ts: node:dgram']],
    ['src/quorum/v.ts', "import { GroupRunner } from '../engine/group-runner.ts';", ['src/quorum/v.ts: ../engine/group-runner.ts']],
    ['src/ports/q.ts', "import { parseIpAddress } from '../wire/ip-address.ts';", ['src/ports/q.ts: ../wire/ip-address.ts']],
    ['src/ports/q.ts', "import type { IpAddress } from '../wire/ip-address.ts';", []],
    ['src/engine/e.ts', "export { loadConfig } from '../config/config-file.ts';", ['src/engine/e.ts: ../config/config-file.ts']],
    ['src/engine/e.ts', "import type { ControlStatus } from '../control/control-types.ts';", ['src/engine/e.ts: ../control/control-types.ts']],
    ['src/engine/e.ts', "import { EventEmitter } from 'node:events';", ['src/engine/e.ts: node:events']],
    ['src/linux/l.ts', "import type { ScriptJob } from '../engine/script-job.ts';", ['src/linux/l.ts: ../engine/script-job.ts']],
    ['src/linux/l.ts', "import { socket } from 'node:dgram';", []],
    ['src/sim/v.ts', "import { SystemClock } from '../linux/system-clock.ts';", ['src/sim/v.ts: ../linux/system-clock.ts']],
    ['src/config/c.ts', "import { Daemon } from '../daemon/daemon.ts';", ['src/config/c.ts: ../daemon/daemon.ts']],
    ['src/daemon/d.ts', "import { main } from '../cli/carpd.ts';", ['src/daemon/d.ts: ../cli/carpd.ts']],
    ['src/daemon/d.ts', "import { setTimeout as sleep } from 'node:timers/promises';", ['src/daemon/d.ts: node:timers/promises']],
    ['src/engine/e.ts', "import type { ProtocolName } from '../protocols/protocol-module.ts';", ['src/engine/e.ts: ../protocols/protocol-module.ts']],
    ['src/engine/e.ts', "import { CarpNode } from '../protocols/carp/carp-node.ts';", ['src/engine/e.ts: ../protocols/carp/carp-node.ts', 'src/engine/e.ts: ../protocols/carp/carp-node.ts']],
    // Only a protocol's config part may import config/ (layer-rules.ts isProtocolConfigPart).
    ['src/protocols/carp/carp-step.ts', "import { CONFIG_DEFAULTS } from '../../config/config-types.ts';", ['src/protocols/carp/carp-step.ts: ../../config/config-types.ts']],
    ['src/protocols/index.ts', "import { CONFIG_DEFAULTS } from '../config/config-types.ts';", ['src/protocols/index.ts: ../config/config-types.ts']],
    ['src/protocols/carp/carp-config-part.ts', "import { configProblem } from '../../config/error-codes.ts';", []],
    ['src/protocols/protocol-config-part.ts', "import type { RawGroup } from '../config/config-schema.ts';", []],
    ['src/protocols/carp/carp-config-part.ts', "import { readFileSync } from 'node:fs';", ['src/protocols/carp/carp-config-part.ts: node:fs']],
  ];
  for (const [path, text, expected] of cases) assert.deepEqual(breachesOf(path, text), expected, `${path}: ${text}`);
});

test('real time in daemon/: each global use fails, the Clock port and the composition root do not', () => {
  const text = [
    'const a = Date.now();',
    'const b = new Date();',
    'const c = performance.now();',
    'setTimeout(() => {}, 10);',
    'const d = setInterval(tick, 1000);',
    'const e = globalThis.setTimeout(f, 1);',
    'const ok1 = new Date(Number(clock.wallclockMicros() / 1000n));',
    'clock.setTimer(clock.nowMicros() + 1000, fire);',
    'const ok2 = { setTimeout: 1 }; ok2.setTimeout;',
  ].join('\n');
  assert.deepEqual(realTimeUses('src/daemon/d.ts', text), ['Date.now', 'new Date()', 'performance.now', 'setTimeout', 'setInterval', 'setTimeout']);
  assert.equal(checkLayers([{ path: 'src/daemon/d.ts', text }]).length, 6);
  assert.deepEqual(checkLayers([{ path: 'src/daemon/run-daemon.ts', text }]), []);
  assert.deepEqual(checkLayers([{ path: 'src/engine/e.ts', text }]), []);
});

test('protocols are reached through the registry: a deep import fails outside protocols/ and across protocol folders', () => {
  const cases: [string, string, string[]][] = [
    // Outside protocols/: the registry and the part interfaces only.
    ['src/daemon/d.ts', "import { PROTOCOL_MODULES } from '../protocols/index.ts';", []],
    ['src/metrics/m.ts', "import type { ProtocolWirePart } from '../protocols/protocol-wire-part.ts';", []],
    ['src/daemon/d.ts', "import { CarpNode } from '../protocols/carp/carp-node.ts';", ['src/daemon/d.ts: ../protocols/carp/carp-node.ts']],
    ['src/config/c.ts', "import type { VrrpVersion } from '../protocols/vrrp/vrrp-version.ts';", ['src/config/c.ts: ../protocols/vrrp/vrrp-version.ts']],
    ['src/control/k.ts', "export { carpModule } from '../protocols/carp/carp-module.ts';", ['src/control/k.ts: ../protocols/carp/carp-module.ts']],
    ['src/sim/v.ts', "const m = await import('../protocols/vrrp/vrrp-node.ts');", ['src/sim/v.ts: ../protocols/vrrp/vrrp-node.ts']],
    ['src/cli/x.ts', "import { decodeCarpHeader } from '../protocols/carp/carp-header.ts';", ['src/cli/x.ts: ../protocols/carp/carp-header.ts']],
    // Inside protocols/: a folder keeps to itself; the top-level files may reach every folder.
    ['src/protocols/vrrp/v.ts', "import { stepCarp } from '../carp/carp-step.ts';", ['src/protocols/vrrp/v.ts: ../carp/carp-step.ts']],
    ['src/protocols/carp/c.ts', "import type { VrrpHeader } from '../vrrp/vrrp-header.ts';", ['src/protocols/carp/c.ts: ../vrrp/vrrp-header.ts']],
    ['src/protocols/carp/c.ts', "import { CARP_DROP_REASONS } from './carp-wire-reasons.ts';", []],
    ['src/protocols/carp/c.ts', "import { classifyProtocol112 } from '../protocol-112.ts';", []],
    ['src/protocols/x.ts', "import { vrrpWire } from './vrrp/vrrp-wire.ts';", []],
  ];
  for (const [path, text, expected] of cases) assert.deepEqual(breachesOf(path, text), expected, `${path}: ${text}`);
});

test('the known deep imports are allowed for their file only, and only while listed', () => {
  const known = 'src/config/ucarp-flags.ts -> ../protocols/carp/carp-key.ts';
  assert.ok(KNOWN_DEEP_IMPORTS.has(known));
  assert.deepEqual(breachesOf('src/config/ucarp-flags.ts', "import { x } from '../protocols/carp/carp-key.ts';"), []);
  // The same import from another file of the same folder is not known.
  assert.deepEqual(breachesOf('src/config/ucarp-other.ts', "import { x } from '../protocols/carp/carp-key.ts';"), ['src/config/ucarp-other.ts: ../protocols/carp/carp-key.ts']);
  // One protocol's folder never reaches into another's.
  assert.deepEqual(breachesOf('src/protocols/vrrp/vrrp-step.ts', "import { x } from '../carp/carp-step.ts';"), ['src/protocols/vrrp/vrrp-step.ts: ../carp/carp-step.ts']);
  // Every entry names a file of src/ and a deep import of a protocol folder.
  for (const entry of KNOWN_DEEP_IMPORTS) assert.match(entry, /^src\/[a-z-]+\/[a-z0-9/-]+\.ts -> (\.\.\/protocols\/|\.\.\/)[a-z0-9]+\/[a-z0-9-]+\.ts$/, entry);
});

test('no known deep import is stale: every listed one is still made, so the list only shrinks', () => {
  const made = deepImportsOf(sourceFiles(join(repository, 'src')));
  assert.deepEqual([...KNOWN_DEEP_IMPORTS].filter((entry) => !made.has(entry)), []);
  assert.deepEqual(deepImportsOf([{ path: 'src/cli/x.ts', text: "import { a } from '../protocols/carp/carp-key.ts';\nimport { b } from '../protocols/index.ts';" }]), new Set(['src/cli/x.ts -> ../protocols/carp/carp-key.ts']));
});
