/**
 * carpd's layer rules (docs/development.md "Code principles"; README, Design) as a checker:
 * reads a file's imports (static `import … from`, `export … from`, `import x = require()`,
 * dynamic `import('…')`, and `import('…')` in types) with the TypeScript parser, and the uses of
 * the real clock in daemon/, and returns every breach, naming the file and what it imports or
 * uses. layers.test.ts runs it on src/ and on synthetic files, so that it is seen to fail.
 *
 * The rules, one line each with why:
 * - wire/ and fsm/ are pure: they import only wire/ and fsm/ (ports/ type-only), and no
 *   node: builtin but node:crypto and node:buffer, which a codec needs for the HMAC and its bytes
 *   (protocols/carp/carp-hmac.ts) — computing a digest is no I/O and no timer.
 * - protocols/ are as pure, and may also import types (only) of config/ and control/: a protocol's
 *   runtime part maps its group's config and renders its status fields (protocols/protocol-runtime-part.ts).
 * - quorum/ is pure like fsm/: only quorum/ and wire/, node:crypto and node:buffer (the beacon
 *   HMAC), and no timers: the vote runs on an injected clock so that it is proved on virtual time
 *   (docs/partitions.md).
 * - ports/ imports only ports/, and types of wire/ and fsm/: a port is a contract in the
 *   domain's terms (an address, a phase), with no implementation to pull in, and no node:.
 * - engine/ imports only engine/, ports/, wire/ and fsm/, and no node: builtin: it runs the
 *   state machines through ports, so that sim/ and the unit tests run it on fakes (today it
 *   does; this is stricter than "no linux/, daemon/, config/, cli/, control/").
 * - a protocol's config part (protocols/protocol-config-part.ts, protocols/<name>/<name>-config*.ts)
 *   may also import config/: it works in the config layer's terms (raw groups, coded problems).
 * - outside protocols/, a protocol is reached only through the top-level protocols/*.ts files
 *   (the registry and the part interfaces), and no protocols/<a>/ file imports protocols/<b>/:
 *   adding a protocol is its folder and the registry (KNOWN_DEEP_IMPORTS lists what remains, why).
 * - linux/ imports no engine/, daemon/ or cli/: adapters implement ports, they do not reach into
 *   what runs on top of them.
 * - sim/ imports no linux/, daemon/, config/ or cli/: the simulator runs the engine on virtual
 *   time and a virtual LAN only, so every run is repeatable.
 * - only cli/ imports daemon/, and nothing imports cli/: cli/ holds the entry points, daemon/ the
 *   composition root under them.
 * - daemon/ reads time and arms timers only through the Clock port (ports/clock.ts): no
 *   Date.now(), argument-less new Date(), performance.now(), setTimeout or setInterval, and no
 *   node:timers or node:perf_hooks, so that daemon/ runs on the VirtualClock in tests; waits that
 *   must stay real time (the outside world's) go through Clock.setRealTimeout. The composition
 *   root (COMPOSITION_ROOTS) builds the real clock and may keep real timers.
 */
import { isBuiltin } from 'node:module';
import ts from 'typescript';

/** A source file: its path relative to the repository (`src/engine/x.ts`) and its text. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** One breach of a rule. */
export interface LayerBreach {
  readonly file: string;
  /** What the file imports (the specifier as written) or uses (`setTimeout`). */
  readonly what: string;
  readonly rule: string;
}

/** An import of a file: what it names, and whether only types come through it. */
export interface ImportUse {
  readonly specifier: string;
  readonly typeOnly: boolean;
}

/** daemon/ files allowed the real clock: they build the real adapters (SystemClock) and run the process. */
export const COMPOSITION_ROOTS: ReadonlySet<string> = new Set(['src/daemon/run-daemon.ts']);

/** The node: builtins a pure layer may use: a codec's HMAC and bytes, no I/O. */
const PURE_BUILTINS: ReadonlySet<string> = new Set(['node:crypto', 'node:buffer']);

/** The globals of real time that daemon/ must take from the Clock port instead. */
const REAL_TIME_CALLS: ReadonlySet<string> = new Set(['setTimeout', 'setInterval']);
const REAL_TIME_MODULES: ReadonlySet<string> = new Set(['node:timers', 'node:timers/promises', 'node:perf_hooks', 'timers', 'timers/promises', 'perf_hooks']);

/** Every import of one file. */
export function importsOf(path: string, text: string): ImportUse[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const uses: ImportUse[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      uses.push({ specifier: node.moduleSpecifier.text, typeOnly: importIsTypeOnly(node) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      uses.push({ specifier: node.moduleSpecifier.text, typeOnly: exportIsTypeOnly(node) });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      uses.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const argument = node.arguments[0];
      // A computed dynamic import cannot be read: the layers with an allowlist (wire/, fsm/, protocols/,
      // ports/, engine/) refuse it.
      uses.push({ specifier: argument !== undefined && ts.isStringLiteralLike(argument) ? argument.text : '<computed>', typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      uses.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return uses;
}

function importIsTypeOnly(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (clause === undefined) return false; // `import './x.ts'` runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name !== undefined) return false;
  const bindings = clause.namedBindings;
  if (bindings === undefined || ts.isNamespaceImport(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

function exportIsTypeOnly(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((element) => element.isTypeOnly);
}

/** The uses of real time in one file (`Date.now`, `new Date()`, `performance.now`, `setTimeout`, `setInterval`). */
export function realTimeUses(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.name.text === 'now' && ['Date', 'performance'].includes(node.expression.text)) {
      found.push(`${node.expression.text}.now`);
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Date' && (node.arguments === undefined || node.arguments.length === 0)) {
      found.push('new Date()');
    } else if (ts.isIdentifier(node) && REAL_TIME_CALLS.has(node.text) && !isDeclarationOrMemberName(node)) {
      found.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `x.setTimeout` (a member of something else), `{ setTimeout: … }` or a declaration's own name is not the global. */
function isDeclarationOrMemberName(node: ts.Identifier): boolean {
  const parent = node.parent;
  // An import of node:timers names setTimeout too: the import rule reports that one.
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) return true;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return !(ts.isIdentifier(parent.expression) && parent.expression.text === 'globalThis');
  if ((ts.isPropertyAssignment(parent) || ts.isMethodDeclaration(parent) || ts.isPropertySignature(parent) || ts.isMethodSignature(parent) || ts.isPropertyDeclaration(parent)) && parent.name === node) return true;
  return false;
}

/** The layer of a path under src/: its first directory (`engine`), or '' for a file at the top. */
export function layerOf(path: string): string {
  const parts = path.split('/');
  return parts[0] === 'src' && parts.length > 2 ? (parts[1] as string) : '';
}

/** What an import points to: `node:x`, a layer of src/, `<top>` for a file at src/'s top, or `<package>`. */
function targetOf(fromPath: string, specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  if (!specifier.startsWith('.')) return isBuiltin(specifier) ? `node:${specifier}` : '<package>';
  const parts = fromPath.split('/').slice(0, -1);
  for (const part of specifier.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  return parts[0] === 'src' && parts.length > 2 ? (parts[1] as string) : parts[0] === 'src' ? '<top>' : '<outside src>';
}

interface ImportRule {
  readonly name: string;
  /** Whether the rule covers a file of this layer. */
  readonly appliesTo: (layer: string) => boolean;
  /** Whether an import from that layer to `target` (a layer, node:x or <package>) is allowed. */
  readonly allows: (target: string, typeOnly: boolean, layer: string, file: string) => boolean;
}

/**
 * A protocol's config part (protocols/protocol-config-part.ts, protocols/<name>/<name>-config*.ts):
 * it builds and checks the protocol's part of a group in the config layer's terms (the raw group,
 * coded ConfigProblems, the common fields), so it alone in protocols/ may import config/.
 */
export function isProtocolConfigPart(file: string): boolean {
  return file === 'src/protocols/protocol-config-part.ts' || /^src\/protocols\/[^/]+\/[^/]+-config[^/]*\.ts$/.test(file);
}

const PURE = new Set(['wire', 'fsm']);

export const IMPORT_RULES: readonly ImportRule[] = [
  {
    name: 'wire/ and fsm/ are pure: only wire/, fsm/, types of ports/, node:crypto and node:buffer',
    appliesTo: (layer) => PURE.has(layer),
    allows: (target, typeOnly) => PURE.has(target) || (target === 'ports' && typeOnly) || PURE_BUILTINS.has(target),
  },
  {
    name: 'quorum/ is pure: only quorum/, wire/, node:crypto and node:buffer',
    appliesTo: (layer) => layer === 'quorum',
    allows: (target) => target === 'quorum' || target === 'wire' || PURE_BUILTINS.has(target),
  },
  {
    name: 'ports/ imports only ports/ and types of wire/ and fsm/',
    appliesTo: (layer) => layer === 'ports',
    allows: (target, typeOnly) => target === 'ports' || (PURE.has(target) && typeOnly),
  },
  {
    name: 'engine/ imports only engine/, ports/, wire/ and fsm/ (no node: builtin)',
    appliesTo: (layer) => layer === 'engine',
    allows: (target) => ['engine', 'ports', 'wire', 'fsm'].includes(target),
  },
  {
    name: 'protocols/ are pure: only protocols/, wire/, fsm/, engine/, ports/, node:crypto and node:buffer (types of config/ and control/; config/ itself from a config part)',
    appliesTo: (layer) => layer === 'protocols',
    // Types only from config/ and control/: a protocol's runtime part maps its group's config to its
    // engine's settings and its runner's state to its status fields (protocols/protocol-runtime-part.ts),
    // and runs no code of either layer. A config part (protocols/protocol-config-part.ts) works in the
    // config layer's terms (raw groups, coded problems) and may import config/.
    allows: (target, typeOnly, _layer, file) =>
      ['protocols', 'wire', 'fsm', 'engine', 'ports'].includes(target) ||
      PURE_BUILTINS.has(target) ||
      (typeOnly && ['config', 'control'].includes(target)) ||
      (target === 'config' && isProtocolConfigPart(file)),
  },
  {
    name: 'linux/ imports no engine/, daemon/ or cli/',
    appliesTo: (layer) => layer === 'linux',
    allows: (target) => !['engine', 'daemon', 'cli'].includes(target),
  },
  {
    name: 'sim/ imports no linux/, daemon/, config/ or cli/',
    appliesTo: (layer) => layer === 'sim',
    allows: (target) => !['linux', 'daemon', 'config', 'cli'].includes(target),
  },
  {
    name: 'only cli/ imports daemon/, and nothing imports cli/',
    appliesTo: (layer) => layer !== 'cli',
    allows: (target, _typeOnly, layer) => target !== 'cli' && (target !== 'daemon' || layer === 'daemon'),
  },
  {
    name: 'daemon/ takes time from the Clock port: no node:timers or node:perf_hooks outside the composition root',
    appliesTo: (layer) => layer === 'daemon',
    allows: (target) => !REAL_TIME_MODULES.has(target),
  },
];

const DEEP_IMPORT_RULE = 'a protocol is reached through the registry: outside src/protocols/ only src/protocols/*.ts, and no protocols/<a>/ file imports protocols/<b>/';

/**
 * The deep imports (file → import as written) that remain, each with why; each is allowed here and
 * nowhere else, a deep import not in the list fails layers.test.ts, and an entry no file makes
 * any more fails it too (so the list only shrinks).
 */
export const KNOWN_DEEP_IMPORTS: ReadonlySet<string> = new Set([
  // `carpd inspect` is CARP's own capture reader: it decodes CARP headers, verifies the HMAC with a
  // key and reads the counter (docs/protocol-carp.md); no other protocol has an equivalent.
  'src/cli/inspect-report.ts -> ../protocols/carp/send-counter.ts',
  'src/cli/inspect-report.ts -> ../protocols/carp/carp-header.ts',
  'src/cli/inspect.ts -> ../protocols/carp/carp-hmac.ts',
  'src/cli/inspect.ts -> ../protocols/carp/carp-key.ts',
  // ucarp's command line is CARP by definition (its passphrase limit is CARP's key's).
  'src/config/ucarp-flags.ts -> ../protocols/carp/carp-key.ts',
]);

/** The protocol folder a file path is in (`src/protocols/carp/x.ts` → carp), else undefined. */
function protocolFolderOf(path: string): string | undefined {
  const parts = path.split('/');
  return parts[0] === 'src' && parts[1] === 'protocols' && parts.length > 3 ? parts[2] : undefined;
}

/** The repository path an import names (`src/protocols/carp/carp-node.ts`), or undefined for a package or node: builtin. */
function resolvedPath(fromPath: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const parts = fromPath.split('/').slice(0, -1);
  for (const part of specifier.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  return parts.join('/');
}

/** Every deep import the files make, as `file -> import` (listed or not): the known list must be a subset. */
export function deepImportsOf(files: readonly SourceFile[]): Set<string> {
  const found = new Set<string>();
  for (const file of files) {
    for (const use of importsOf(file.path, file.text)) if (isForbiddenDeepImport(file.path, use.specifier)) found.add(`${file.path} -> ${use.specifier}`);
  }
  return found;
}

/** Whether an import from `fromPath` reaches into a protocol's folder it may not. */
function isForbiddenDeepImport(fromPath: string, specifier: string): boolean {
  const target = resolvedPath(fromPath, specifier);
  const targetFolder = target === undefined ? undefined : protocolFolderOf(target);
  if (targetFolder === undefined) return false;
  if (fromPath.startsWith('src/protocols/')) {
    const ownFolder = protocolFolderOf(fromPath);
    // A top-level protocols/*.ts file (the registry, the interfaces) may reach every folder.
    return ownFolder !== undefined && ownFolder !== targetFolder;
  }
  return true;
}

const REAL_TIME_RULE = 'daemon/ takes time from the Clock port: no Date.now(), new Date(), performance.now(), setTimeout or setInterval outside the composition root';

/** Every breach of the rules in these files. */
export function checkLayers(files: readonly SourceFile[]): LayerBreach[] {
  const breaches: LayerBreach[] = [];
  for (const file of files) {
    const layer = layerOf(file.path);
    const root = COMPOSITION_ROOTS.has(file.path);
    for (const use of importsOf(file.path, file.text)) {
      const target = use.specifier === '<computed>' ? '<computed>' : targetOf(file.path, use.specifier);
      for (const rule of IMPORT_RULES) {
        if (root && rule.name.startsWith('daemon/ takes time')) continue;
        if (rule.appliesTo(layer) && !rule.allows(target, use.typeOnly, layer, file.path)) breaches.push({ file: file.path, what: use.specifier, rule: rule.name });
      }
      if (isForbiddenDeepImport(file.path, use.specifier) && !KNOWN_DEEP_IMPORTS.has(`${file.path} -> ${use.specifier}`)) {
        breaches.push({ file: file.path, what: use.specifier, rule: DEEP_IMPORT_RULE });
      }
    }
    if (layer === 'daemon' && !root) {
      for (const what of realTimeUses(file.path, file.text)) breaches.push({ file: file.path, what, rule: REAL_TIME_RULE });
    }
  }
  return breaches;
}
