/**
 * keepalived.conf → carpd.yaml (docs/migration.md "The converter"), as a pure function: the
 * file's text and an IncludeReader in, the carpd configuration (as a plain object), the
 * passphrase files it refers to and every note out. The CLI (src/cli/from-keepalived.ts) reads
 * the files and prints.
 *
 * Only VRRP is converted: global_defs' VRRP settings, vrrp_script, vrrp_instance and
 * vrrp_sync_group. Everything else is named with its line: LVS and BFD as out of scope, the rest
 * as having no equivalent.
 */
import { NoteSink, type KeepalivedNote } from './notes.ts';
import { parseKeepalived, type IncludeReader, type Statement } from './parse.ts';
import { convertInstance, type GroupOut, type Secret } from './instance.ts';
import { readScript, type ScriptDefinition } from './tracking.ts';
import { carpdName, describe, numberArg } from './values.ts';

/** The converter's options. */
export interface ConvertOptions {
  /** Where passphrase files go (`--secrets-dir`, default /etc/carpd). */
  readonly secretsDir: string;
}

/** The converter's result. `ok` is false when a note is an error: then nothing should be written. */
export interface Conversion {
  readonly ok: boolean;
  /** carpd.yaml's content: script_user (when keepalived sets one) and groups. */
  readonly config: { script_user?: string; groups: GroupOut[] };
  /** For each group, the vrrp_instance it comes from. */
  readonly origins: readonly { readonly file: string; readonly line: number; readonly instance: string }[];
  readonly secrets: readonly Secret[];
  readonly notes: readonly KeepalivedNote[];
}

const OUT_OF_SCOPE: Readonly<Record<string, string>> = {
  virtual_server: 'LVS is out of scope for carpd: keep keepalived (without VRRP) or another load balancer for it',
  virtual_server_group: 'LVS is out of scope for carpd',
  bfd_instance: 'BFD is out of scope for carpd',
};

/** Converts one keepalived.conf (with its includes). */
export function convertKeepalived(file: string, text: string, reader: IncludeReader, options: ConvertOptions): Conversion {
  const sink = new NoteSink();
  const tree = parseKeepalived(file, text, reader, sink);
  const globals = readGlobals(tree.filter((s) => s.keyword === 'global_defs'), sink);
  const scripts = new Map<string, ScriptDefinition>();
  for (const block of tree.filter((s) => s.keyword === 'vrrp_script')) {
    const script = readScript(block, sink);
    if (script !== undefined) scripts.set(script.name, script);
  }
  const instances = tree.filter((s) => s.keyword === 'vrrp_instance');
  const syncSetOf = readSyncGroups(tree.filter((s) => s.keyword === 'vrrp_sync_group'), new Set(instances.map((i) => i.args[0]?.text ?? '')), sink);
  const context = { globalVersion: globals.version, globalStrict: globals.strict, scripts, syncSetOf, secretsDir: options.secretsDir };
  const groups: GroupOut[] = [];
  const origins: { file: string; line: number; instance: string }[] = [];
  const secrets: Secret[] = [];
  for (const statement of tree) {
    if (statement.keyword === 'vrrp_instance') {
      const converted = convertInstance(statement, context, sink);
      for (const group of converted.groups) {
        uniqueName(group, groups, statement, sink);
        groups.push(group);
        origins.push({ file: statement.file, line: statement.line, instance: statement.args[0]?.text ?? '' });
      }
      secrets.push(...converted.secrets);
    } else if (!['global_defs', 'vrrp_script', 'vrrp_sync_group'].includes(statement.keyword)) {
      const what = describe(statement) + (statement.children === undefined ? '' : ' { … }');
      const scope = OUT_OF_SCOPE[statement.keyword];
      if (scope !== undefined) sink.add('left-out', 'CARPD_KEEPALIVED_OUT_OF_SCOPE', statement, what, scope);
      else sink.leftOut(statement, what, 'no equivalent in carpd');
    }
  }
  if (groups.length === 0 && !sink.notes.some((n) => n.kind === 'error')) sink.leftOut({ file, line: 1 }, file, 'no vrrp_instance converted: carpd needs at least one group');
  const notes = inFileOrder(sink.all());
  const config = { ...(globals.scriptUser === undefined ? {} : { script_user: globals.scriptUser }), groups };
  return { ok: !notes.some((n) => n.kind === 'error'), config, origins, secrets, notes };
}

/** The global_defs keywords carpd uses; the others named. */
function readGlobals(blocks: readonly Statement[], sink: NoteSink): { version: 2 | 3; strict: boolean; scriptUser?: string } {
  // keepalived's default (docs/protocol-vrrp.md "keepalived").
  let version: 2 | 3 = 2;
  let strict = false;
  let scriptUser: string | undefined;
  for (const line of blocks.flatMap((b) => b.children ?? [])) {
    switch (line.keyword) {
      case 'vrrp_version':
        version = (numberArg(line, sink, 2, 3, true) ?? version) as 2 | 3;
        break;
      case 'vrrp_strict':
        strict = true;
        break;
      case 'script_user':
        scriptUser = line.args[0]?.text;
        if (line.args.length > 1) sink.leftOut(line, describe(line), 'the group: carpd runs scripts with the user\'s own group');
        break;
      case 'enable_script_security':
        sink.differs(line, 'enable_script_security', 'carpd always checks who can change its scripts (scripts.md in the carpd documentation)');
        break;
      default:
        sink.leftOut(line, describe(line) + (line.children === undefined ? '' : ' { … }'), /garp|gna/.test(line.keyword) ? 'carpd has no such setting: it announces on becoming master and at announce.interval_seconds' : 'no equivalent in carpd');
    }
  }
  return { version, strict, ...(scriptUser === undefined ? {} : { scriptUser }) };
}

/** vrrp_sync_group NAME { group { a b } … }: instance name → the sync set's name. */
function readSyncGroups(blocks: readonly Statement[], instances: ReadonlySet<string>, sink: NoteSink): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of blocks) {
    const name = carpdName(block.args[0]?.text ?? 'unnamed');
    for (const line of block.children ?? []) {
      if (line.keyword !== 'group') {
        sink.leftOut(line, describe(line) + (line.children === undefined ? '' : ' { … }'), `no equivalent for a sync set in carpd (vrrp_sync_group ${name}): put it on each instance`);
        continue;
      }
      for (const member of line.children ?? []) {
        if (!instances.has(member.keyword)) sink.leftOut(member, `group ${member.keyword}`, 'names no vrrp_instance');
        else if (out.has(member.keyword)) sink.leftOut(member, `group ${member.keyword}`, `already in sync group ${out.get(member.keyword) ?? ''}`);
        else out.set(member.keyword, name);
      }
    }
  }
  return out;
}

/** Notes by file (in the order the files were first named) and line; stable within a line. */
function inFileOrder(notes: readonly KeepalivedNote[]): KeepalivedNote[] {
  const files = [...new Set(notes.map((n) => n.file))];
  return [...notes].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line);
}

/** Two instances whose names differ only in characters carpd does not allow ("VI 1", "VI_1") would share a name: the later gets a suffix. */
function uniqueName(group: GroupOut, taken: readonly GroupOut[], at: Statement, sink: NoteSink): void {
  if (!taken.some((g) => g.name === group.name)) return;
  let n = 2;
  while (taken.some((g) => g.name === `${group.name}-${n}`)) n++;
  sink.differs(at, `vrrp_instance ${at.args[0]?.text ?? ''}`, `named ${group.name}-${n}: ${group.name} is taken`);
  group.name = `${group.name}-${n}`;
}
