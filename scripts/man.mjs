// The man pages carpd(8), carpctl(8) and carpd.yaml(5), rendered at package time from their
// markdown sources in docs/man/ with marked-man (README, "Dependencies and why"). Two small
// additions to the markdown marked-man knows, for what man pages need:
//   * a definition, for options and the like: a line (the term) followed by lines starting
//     with ": " (the first) or two spaces (the rest), rendered as .TP;
//   * `{{include FILE}}` alone on a line: FILE's text from its first "## " section on, with its
//     "## " section titles in capitals and its links to other docs shown as their installed
//     paths (carpd.yaml(5) is docs/configuration.md inside a man page's frame).
// HTML comments are dropped, <br> is a line break, and a table becomes definitions (its first
// column the term, the others "header: cell"), which read better in a terminal than tbl boxes.
//
//   node scripts/man.mjs docs/man/carpd.8.md > carpd.8     (a check: man -l carpd.8)
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Marked } from 'marked';
import markedMan from 'marked-man';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the package installs docs/*.md (scripts/package.mjs). */
export const DOC_DIR = '/usr/share/doc/carpd';

const MANUALS = { 1: 'General Commands Manual', 5: 'File Formats Manual', 8: 'System Manager\'s Manual' };

/** The page's date: SOURCE_DATE_EPOCH, else the last commit's, else now (reproducible in a checkout). */
export function manDate() {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return Number(epoch) * 1000;
  try {
    const out = execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (/^\d+$/.test(out)) return Number(out) * 1000;
  } catch {
    // Not a git checkout: today.
  }
  return Date.now();
}

/** A definition: a term line, then ": text" and any lines indented by two spaces. */
const definition = {
  name: 'definition',
  level: 'block',
  start(src) {
    return src.match(/^[^\n]+\n: /m)?.index;
  },
  tokenizer(src) {
    const match = /^([^\n]+)\n: ([^\n]*(?:\n {2}[^\n]*\S[^\n]*)*)(?:\n+|$)/.exec(src);
    if (match === null || /^\s*([#>*+-]|\d+\.|```)/.test(match[1])) return undefined;
    const description = match[2].replace(/\n {2}/g, '\n');
    return {
      type: 'definition',
      raw: match[0],
      term: this.lexer.inlineTokens(match[1].trim()),
      description: this.lexer.inlineTokens(description),
    };
  },
  renderer(token) {
    this.parser.renderer.jumps = true;
    const term = this.parser.parseInline(token.term).trim();
    this.parser.renderer.jumps = true;
    const description = this.parser.parseInline(token.description).trim();
    return `.TP\n${term}\n${description}\n`;
  },
};

/** Inlines `{{include FILE}}` lines, drops HTML comments and turns tables into definitions. */
export function preprocess(markdown, sourcePath) {
  const withoutComments = markdown.replace(/<!--[\s\S]*?-->\n?/g, '');
  const expanded = withoutComments.replace(/^\{\{include ([^}]+)\}\}$/gm, (_, file) => included(readFileSync(resolve(dirname(sourcePath), file.trim()), 'utf8')));
  return tablesToDefinitions(expanded);
}

/** The cells of a table row `| a | b \| c |`: split at unescaped bars. */
function cells(row) {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

function tablesToDefinitions(markdown) {
  const lines = markdown.split('\n');
  const out = [];
  let inCode = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*```/.test(line)) inCode = !inCode;
    if (inCode || !line.startsWith('|') || !/^\|[\s:|-]+\|$/.test(lines[i + 1] ?? '')) {
      out.push(line);
      continue;
    }
    const header = cells(line);
    i += 2;
    if (out.length > 0 && out.at(-1) !== '') out.push('');
    for (; i < lines.length && lines[i].startsWith('|'); i++) {
      const row = cells(lines[i]);
      const parts = [];
      for (let c = 1; c < header.length; c++) {
        const value = row[c] ?? '';
        if (value === '' || value === '—') continue;
        const name = header[c].toLowerCase();
        parts.push(/notes|meaning|why/.test(name) ? value : `${name}: ${value}`);
      }
      const description = parts.join('; ');
      out.push(row[0] ?? '', `: ${description === '' ? ' ' : description[0].toUpperCase() + description.slice(1)}`, '');
    }
    i -= 1;
  }
  return out.join('\n');
}

function included(text) {
  const start = text.search(/^## /m);
  const body = start < 0 ? text : text.slice(start);
  let inCode = false;
  return body
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) inCode = !inCode;
      if (inCode) return line;
      if (line.startsWith('## ')) return `## ${line.slice(3).toUpperCase()}`;
      // [text](other.md#anchor) → text (/usr/share/doc/carpd/other.md), or the path alone when the text is the file name.
      return line.replace(/\[([^\]]+)\]\(([^)#:\s]+\.md)(#[^)\s]*)?\)/g, (_, text, file) => {
        const path = `${DOC_DIR}/${basename(file)}`;
        return text === basename(file) || text === `\`${basename(file)}\`` ? `\`${path}\`` : `${text} (\`${path}\`)`;
      });
    })
    .join('\n');
}

/** The roff text of one page; section and name come from its first line, `# name(section) -- summary`. */
export function renderManPage(markdown, options) {
  const source = preprocess(markdown, options.sourcePath);
  const section = /^# \S+\((\d)\)/.exec(source)?.[1];
  if (section === undefined) throw new Error(`${options.sourcePath}: the first line must be "# name(section) -- summary"`);
  const marked = new Marked();
  marked.use(markedMan);
  marked.use({
    extensions: [definition],
    renderer: {
      html(html) {
        return /^<br\s*\/?>$/i.test(String(html).trim()) ? '\n.br\n' : false;
      },
    },
  });
  const roff = marked.parse(source, {
    breaks: false,
    date: options.date,
    manVersion: `carpd ${options.version}`,
    manual: MANUALS[section] ?? '',
  });
  // A blank line is vertical space in roff: keep them only in code (.nf ... .fi). Tables need
  // tbl, which the first line asks for.
  let fill = true;
  const lines = roff.split('\n').filter((line) => {
    if (line === '.nf') fill = false;
    if (line === '.fi') fill = true;
    return line !== '' || !fill;
  });
  // No hyphenation (a flag broken across two lines cannot be copied) and a ragged right margin
  // (long paths would stretch a justified line), as asciidoctor's pages have.
  const th = lines.findIndex((line) => line.startsWith('.TH '));
  if (th >= 0) lines.splice(th + 1, 0, '.nh', '.ad l');
  const tidy = `${lines.join('\n')}\n`;
  return (tidy.includes('\n.TS\n') ? '\'\\" t\n' : '') + tidy;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node scripts/man.mjs docs/man/PAGE.md > PAGE\n');
    process.exit(2);
  }
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  process.stdout.write(renderManPage(readFileSync(file, 'utf8'), { sourcePath: file, version, date: manDate() }));
}
