/**
 * Every carpd / carpctl command line shown in README.md and docs/*.md (in fenced code blocks)
 * goes through the real argument parsers, so a renamed flag or command breaks the build
 * (issue 11). carpctl lines run against a socket that does not exist: parsed means exit 3
 * (unreachable), a usage error exit 2. carpd lines: --check, --init, --version, --help and
 * inspect run as they are (inspect on the committed fixtures); daemon and ucarp command lines
 * are parsed in-process by parseDaemonOptions / parseUcarpFlags (starting a daemon is not the
 * point here, and the lab suites do that).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDaemonOptions } from '../../src/config/daemon-options.ts';
import { parseUcarpFlags } from '../../src/config/ucarp-flags.ts';
import { parseWitnessArgs } from '../../src/cli/witness.ts';
import { parseArgs as parseFromKeepalivedArgs } from '../../src/cli/from-keepalived.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const skip = existsSync(join(ROOT, 'dist', 'carpd.js')) ? false : 'dist/ not built (npm run build)';

interface Shown {
  readonly where: string;
  readonly program: 'carpd' | 'carpctl';
  readonly args: string[];
  /** From an inline code span in prose: often a command named, not a whole command line. */
  readonly inline: boolean;
}

/**
 * Command lines in fenced code blocks (continuation lines joined, comments and redirections cut;
 * systemd's ExecStart= and friends included) and in inline code spans of the prose.
 */
function shownCommands(): Shown[] {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const out: Shown[] = [];
  for (const file of files) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    let fenced = false;
    for (let i = 0; i < lines.length; i++) {
      if (/^\s*```/.test(lines[i] as string)) {
        fenced = !fenced;
        continue;
      }
      const at = `${file}:${i + 1}`;
      if (!fenced) {
        for (const span of (lines[i] as string).matchAll(/`((?:bin\/|\/usr\/bin\/|\/usr\/local\/bin\/)?carp(?:d|ctl) [^`]+)`/g)) add(out, at, span[1] as string, true);
        continue;
      }
      let line = (lines[i] as string).trim().replace(/^(?:ExecStart|ExecStartPre|ExecStopPost|ExecReload)=/, '');
      while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++i] as string).trim()}`;
      add(out, at, line, false);
    }
  }
  return out;
}

function add(out: Shown[], at: string, line: string, inline: boolean): void {
  const m = /^(?:sudo\s+)?(?:bin\/|\/usr\/bin\/|\/usr\/local\/bin\/)?(carpd|carpctl)\s+(.*)$/.exec(line);
  if (m === null) return;
  const rest = (m[2] as string).replace(/\s+#.*$/, '').replace(/\s*>\s*\S+$/, '').trim();
  // Synopses ("[--control PATH]", "GROUP|all", "...", "<flags>") are not whole commands, and output
  // samples are none: only their flags are checked (as inline spans are).
  if (/^\d+\.\d+\.\d+,/.test(rest)) return;
  // "carpd --from-keepalived: 1 group(s); ...": a message of carpd's shown as output, not a command.
  if (/^\S+:\s/.test(rest)) return;
  if (/\[|\.\.\.|GROUP|PATH\b|<|\bFILE\b|\bIF\b/.test(rest)) inline = true;
  // "carpctl demote web 50 | promote web 50 | ...": one carpctl command per piece.
  const pieces = m[1] === 'carpctl' ? rest.split(/\s+\|\s+/) : [rest];
  for (const piece of pieces) out.push({ where: at, program: m[1] as 'carpd' | 'carpctl', args: piece.split(/\s+/).filter((a) => a !== ''), inline });
}

const shown = shownCommands();

test('the docs show carpd and carpctl command lines (the extraction works)', () => {
  assert.ok(shown.filter((s) => s.program === 'carpctl').length >= 8, JSON.stringify(shown));
  assert.ok(shown.filter((s) => s.program === 'carpd').length >= 6, JSON.stringify(shown));
});

/** What the programs' own help texts list: their flags, and carpctl's and carpd's command words. */
function helpOf(...argv: string[]): string {
  return spawnSync(process.execPath, argv, { encoding: 'utf8', timeout: 20_000 }).stdout;
}

test('every flag and command named in the docs\' prose exists in the help of its program', { skip }, () => {
  const carpdHelp = [helpOf(join(ROOT, 'bin/carpd'), '--help'), helpOf(join(ROOT, 'bin/carpd'), '--help-daemon'), helpOf(join(ROOT, 'bin/carpd'), 'ucarp', '--help')].join('\n');
  const carpctlHelp = helpOf(join(ROOT, 'bin/carpctl'), '--help');
  const flags = (help: string) => new Set([...help.matchAll(/(?<![\w-])(--?[a-zA-Z][\w-]*)/g)].map((m) => m[1] as string));
  const known = { carpd: flags(carpdHelp), carpctl: flags(carpctlHelp) };
  const words = { carpd: new Set(['inspect', 'demo', 'ucarp', 'cleanup', 'help', 'witness']), carpctl: new Set([...carpctlHelp.matchAll(/^  ([a-z]+) /gm)].map((m) => m[1] as string)) };
  assert.ok(words.carpctl.has('handover') && known.carpd.has('--preempt-delay'), 'the help texts were read');
  for (const s of shown.filter((x) => x.inline)) {
    for (const raw of s.args) {
      const token = raw.replace(/^[[(]+/, '').replace(/[\])|,.;:]+$/, '');
      if (!token.startsWith('-') || token === '-') continue;
      const flag = token.split('=')[0] as string;
      assert.ok(known[s.program].has(flag), `${s.where}: ${s.program} ${s.args.join(' ')}: ${flag} is not in ${s.program}'s help`);
    }
    const first = s.args[0]?.replace(/^[[(]+/, '');
    // A first word that is not a command of the program is prose quoting a message ("carpd was ...").
    if (s.program === 'carpctl' && first !== undefined && !first.startsWith('-')) assert.ok(words.carpctl.has(first), `${s.where}: carpctl ${first} is not a carpctl command`);
  }
});

test('every carpctl command line in the docs parses (exit 3 against a missing socket, never a usage error)', { skip }, () => {
  for (const s of shown.filter((x) => x.program === 'carpctl' && !x.inline)) {
    const args = s.args.includes('--control') ? s.args.map((a, i) => (s.args[i - 1] === '--control' ? '/nonexistent/carpd.sock' : a)) : ['--control', '/nonexistent/carpd.sock', ...s.args];
    const run = spawnSync(process.execPath, [join(ROOT, 'bin/carpctl'), ...args], { encoding: 'utf8', timeout: 20_000 });
    assert.ok(run.status === 3 || run.status === 0, `${s.where}: carpctl ${s.args.join(' ')}: exit ${run.status}: ${run.stderr}`);
  }
});

test('every carpd command line in the docs parses', { skip }, () => {
  for (const s of shown.filter((x) => x.program === 'carpd' && !x.inline)) {
    const [first] = s.args;
    const what = `${s.where}: carpd ${s.args.join(' ')}`;
    if (first === 'ucarp' && !s.args.includes('--help')) {
      const parsed = parseUcarpFlags(s.args.slice(1));
      assert.ok(parsed.ok, `${what}: ${JSON.stringify(parsed)}`);
      continue;
    }
    if (first === 'inspect' || first === 'ucarp' || ['--init', '--version', '-V', '--help', '--help-daemon'].includes(first ?? '')) {
      const run = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), ...s.args], { encoding: 'utf8', timeout: 20_000, cwd: ROOT });
      assert.equal(run.status, 0, `${what}: ${run.stderr}`);
      continue;
    }
    if (first === 'witness') {
      // Parsed only: run, it would serve until stopped (its passphrase file need not exist here).
      assert.doesNotThrow(() => parseWitnessArgs(s.args.slice(1)), what);
      continue;
    }
    if (first === 'from-keepalived' || s.args.includes('--from-keepalived')) {
      // Parsed only: run, it would read the file shown and could write passphrase files.
      const parsed = parseFromKeepalivedArgs(first === 'from-keepalived' ? s.args.slice(1) : s.args.filter((a) => a !== '--from-keepalived'));
      assert.ok(!('error' in parsed), `${what}: ${JSON.stringify(parsed)}`);
      continue;
    }
    if (s.args.includes('--config')) {
      // Run as --check: the file shown need not exist here, but no flag may be a usage error.
      const args = s.args.includes('--check') ? s.args : ['--check', ...s.args];
      const run = spawnSync(process.execPath, [join(ROOT, 'bin/carpd'), ...args], { encoding: 'utf8', timeout: 20_000 });
      assert.doesNotMatch(run.stderr, /CARPD_USAGE|unknown (command|option)/, what);
      continue;
    }
    const parsed = parseDaemonOptions(s.args);
    // The passphrase file shown need not exist; everything else must parse.
    assert.ok(parsed.ok || parsed.errors.every((e) => /passfile/.test(e)), `${what}: ${JSON.stringify(parsed)}`);
  }
});
