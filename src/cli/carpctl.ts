/**
 * carpctl: asks a running carpd over its control socket (docs/control-api.md). Returns the exit
 * status instead of exiting, so tests can call it in-process: 0 ok, 1 the daemon refused,
 * 2 usage error, 3 the daemon cannot be reached.
 */
import { parseArgs } from 'node:util';
import { ControlClientError, isUnreachable, request, streamEvents } from '../control/control-client.ts';
import type { CommandResult, ControlRequest, GroupStatus, StatusReport } from '../control/control-types.ts';
import { DEFAULT_PROTOCOL, protocolModule } from '../protocols/index.ts';
import { HANDOVER_DEFAULT_TIMEOUT_SECONDS, runHandover } from './handover.ts';

/** Where carpd listens unless --control says otherwise. */
export const DEFAULT_CONTROL_PATH = '/run/carpd/carpd.sock';

/** carpctl's exit statuses. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

const USAGE = `usage: carpctl [--control PATH] <command>

commands:
  status [--json]          groups, states, demotion, counters and checks (--json: the raw StatusReport)
  demote GROUP|all [N]     add N (default 1) to a group's manual demotion
  promote GROUP|all [N]    take N (default 1) off a group's manual demotion
  maintenance on|off GROUP demote a group fully for maintenance, or end it
  handover GROUP [--timeout S]
                           maintenance on, then wait (default 30 s) until another node is
                           master: exit 0; else maintenance off again and exit 1
  reload                   re-read the configuration (as SIGHUP)
  events                   stream events as JSON lines until Ctrl-C

options:
  --control PATH           the control socket (default ${DEFAULT_CONTROL_PATH})
  -h, --help               show this help

exit status: 0 ok, 1 refused by carpd, 2 usage error, 3 carpd cannot be reached
`;

/** Where carpctl writes, and the bits of its environment it reads. */
export interface CarpctlIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The current time (for "3m12s ago"). */
  readonly now: () => Date;
  /** Aborted on Ctrl-C: ends `events`. */
  readonly interrupt?: AbortSignal;
  /** Waits between polls (handover); default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Timeout for one-shot requests; reload waits longer (it may resolve names, restart checks). */
const REQUEST_TIMEOUT_MS = 10_000;
const RELOAD_TIMEOUT_MS = 60_000;

class UsageError extends Error {}

/** Runs carpctl with the given arguments (without "node" and the script path). */
export async function runCarpctl(args: string[], io: CarpctlIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    io.stderr(`carpctl: ${usageMessage(error)}; see carpctl --help\n`);
    return EXIT.usage;
  }
  if (parsed === 'help') {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  const { path, json, req } = parsed;
  try {
    if (parsed.handover !== undefined) {
      const { group, timeoutMs } = parsed.handover;
      return await runHandover(path, group, timeoutMs, {
        stdout: io.stdout,
        stderr: io.stderr,
        sleep: io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        nowMs: () => io.now().getTime(),
        ...(io.interrupt === undefined ? {} : { interrupt: io.interrupt }),
      });
    }
    if (req.command === 'events') {
      await streamEvents(path, (event) => io.stdout(`${JSON.stringify(event)}\n`), io.interrupt);
      if (io.interrupt?.aborted) return EXIT.ok;
      io.stderr(`carpctl: carpd stopped: it closed the event stream on ${path}\n`);
      return EXIT.unreachable;
    }
    const answer = await request(path, req, req.command === 'reload' ? RELOAD_TIMEOUT_MS : REQUEST_TIMEOUT_MS);
    if (req.command === 'status' && isStatusAnswer(answer)) {
      io.stdout(json ? `${JSON.stringify(answer.status, null, 2)}\n` : formatStatus(answer.status, io.now()));
      return EXIT.ok;
    }
    if (!isCommandResult(answer)) {
      io.stderr(`carpctl: unexpected answer from carpd: ${JSON.stringify(answer).slice(0, 200)}\n`);
      return EXIT.refused;
    }
    if (!answer.ok) {
      io.stderr(`carpctl: ${answer.message} (${answer.code})\n`);
      return EXIT.refused;
    }
    if (answer.message !== '') io.stdout(`${answer.message}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ControlClientError && error.code === 'ENOENT') {
      io.stderr(`carpctl: is carpd running? no socket at ${path}\n`);
      return EXIT.unreachable;
    }
    if (isUnreachable(error)) {
      io.stderr(`carpctl: cannot reach carpd on ${path}: ${(error as Error).message}${(error as ControlClientError).code === 'EACCES' ? ' (the socket is root-only)' : ''}\n`);
      return EXIT.unreachable;
    }
    io.stderr(`carpctl: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.refused;
  }
}

/** Turns the command line into a request, or throws UsageError. */
function parse(args: string[]): 'help' | { path: string; json: boolean; req: ControlRequest; handover?: { group: string; timeoutMs: number } } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      control: { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const path = values.control ?? DEFAULT_CONTROL_PATH;
  if (path === '') throw new UsageError('--control needs a path');
  const json = values.json === true;
  const [command, ...rest] = positionals;
  if (json && command !== 'status') throw new UsageError('--json goes with status only');
  if (values.timeout !== undefined && command !== 'handover') throw new UsageError('--timeout goes with handover only');
  const arity = (min: number, max: number): void => {
    if (rest.length < min || rest.length > max) throw new UsageError(`wrong number of arguments for ${command}`);
  };
  switch (command) {
    case 'status':
    case 'reload':
    case 'events':
      arity(0, 0);
      return { path, json, req: { command } };
    case 'demote':
    case 'promote': {
      arity(1, 2);
      const [group = '', n] = rest;
      if (n === undefined) return { path, json, req: { command, group } };
      const amount = Number(n);
      if (!/^[0-9]+$/.test(n) || amount < 1 || amount > 255) throw new UsageError(`${command}: N must be an integer from 1 to 255, not ${JSON.stringify(n)}`);
      return { path, json, req: { command, group, amount } };
    }
    case 'maintenance': {
      arity(2, 2);
      const [mode, group = ''] = rest;
      if (mode !== 'on' && mode !== 'off') throw new UsageError(`maintenance: expected on or off, not ${JSON.stringify(mode)}`);
      return { path, json, req: { command, group, on: mode === 'on' } };
    }
    case 'handover': {
      arity(1, 1);
      const [group = ''] = rest;
      const seconds = values.timeout === undefined ? HANDOVER_DEFAULT_TIMEOUT_SECONDS : Number(values.timeout);
      if (!/^[0-9]+(\.[0-9]+)?$/.test(values.timeout ?? '30') || !(seconds > 0 && seconds <= 3600)) throw new UsageError(`handover: --timeout must be seconds from 0 to 3600, not ${JSON.stringify(values.timeout)}`);
      return { path, json, req: { command: 'status' }, handover: { group, timeoutMs: Math.round(seconds * 1000) } };
    }
    case undefined:
      throw new UsageError('missing command');
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

/** A usage error in carpctl's own words: Node's parseArgs messages are long and about Node. */
function usageMessage(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? message}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${option?.split(' ')[0] ?? 'an option'} needs a value`;
  return message.split('\n')[0] ?? message;
}

function isStatusAnswer(value: unknown): value is { ok: true; status: StatusReport } {
  const fields = value as Record<string, unknown> | null;
  return typeof fields === 'object' && fields !== null && fields['ok'] === true && typeof fields['status'] === 'object' && fields['status'] !== null;
}

function isCommandResult(value: unknown): value is CommandResult {
  const fields = value as Record<string, unknown> | null;
  return typeof fields === 'object' && fields !== null && typeof fields['ok'] === 'boolean' && typeof fields['message'] === 'string';
}

/** "3m12s ago", "2h05m ago", "1d3h ago": the time since `iso`. */
export function ago(iso: string, now: Date): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const total = Math.round((now.getTime() - then) / 1000);
  const span = Math.abs(total);
  const d = Math.floor(span / 86_400);
  const h = Math.floor((span % 86_400) / 3_600);
  const m = Math.floor((span % 3_600) / 60);
  const s = span % 60;
  const text = d > 0 ? `${d}d${h}h` : h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
  return total < 0 ? `in ${text}` : `${text} ago`;
}

/** Left-aligned columns, two spaces apart. */
function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/** Non-zero counts as "reason N, reason N", or "none". */
function nonZero(counts: Readonly<Record<string, number>>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n !== 0)
    .map(([reason, n]) => `${reason} ${n}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** The human-readable status: a summary table, then one block per group. */
export function formatStatus(report: StatusReport, now: Date): string {
  const out: string[] = [];
  out.push(`carpd ${report.version}, pid ${report.pid}, started ${ago(report.startedAt, now)}${report.configFile === undefined ? '' : `, config ${report.configFile}`}`);
  out.push('');
  if (report.groups.length === 0) out.push('no groups');
  else {
    // The protocol column only when a group of another protocol than the default (CARP) runs: a CARP-only daemon prints what it always did.
    const mixed = report.groups.some((g) => g.protocol !== DEFAULT_PROTOCOL);
    const rows = [['GROUP', 'INTERFACE', ...(mixed ? ['PROTOCOL'] : []), 'VHID', 'STATE', 'SINCE', 'WHY']];
    for (const g of report.groups) rows.push([g.name, g.interface, ...(mixed ? [g.protocol] : []), String(g.vhid), g.state, ago(g.since, now), g.reason]);
    out.push(columns(rows));
  }
  for (const g of report.groups) out.push('', formatGroup(g, now));
  const unattributed = Object.entries(report.unattributedDrops).filter(([, counts]) => nonZero(counts) !== 'none');
  if (unattributed.length > 0) {
    out.push('', 'drops no group claimed:');
    out.push(columns(unattributed.map(([iface, counts]) => [`  ${iface}`, nonZero(counts)])));
  }
  return `${out.join('\n')}\n`;
}

/** What to change, per kind of foreign master (protocols/foreign-advert.ts). */
const FOREIGN_HINTS: Readonly<Record<string, string>> = {
  'vrrp-v2': 'a VRRPv2 router on this VRID: set `vrrp_version 3` on it',
  'vrrp-v3': 'a VRRPv3 router on this VRRPv2 group\'s VRID: set `vrrp_version 2` on it',
  carp: 'a CARP node on this VRID: give one of them another id',
  vrrp: 'a VRRP router on this vhid: give one of them another id',
  'other-vhid': 'this passphrase and these addresses under another vhid: the vhid differs on one side',
  'bad-auth': 'fails authentication',
};

/** The foreign-master row: who was heard last, what to change, and how often we re-announced. */
function foreignRow(foreign: GroupStatus['foreign'], now: Date): string | undefined {
  if (foreign === undefined || foreign.adverts === 0 || foreign.last === null) return undefined;
  const { peer, kind, heardAt } = foreign.last;
  return `${peer}, ${FOREIGN_HINTS[kind] ?? kind}; ${foreign.adverts} advert(s), last ${ago(heardAt, now)}; re-announced ${foreign.reannouncements} time(s)`;
}

function formatGroup(g: GroupStatus, now: Date): string {
  const d = g.demotion;
  const parts = [`manual ${d.manual}`, `health ${d.health}`];
  if (d.maintenance) parts.push('maintenance');
  if (d.syncSet !== undefined) parts.push(`sync set ${d.syncSet.name} ${d.syncSet.demotion}`);
  if (d.fault === true) parts.push('fault');
  if (d.linkDown === true) parts.push('link down');
  // The protocol's own lines are its runtime part's (protocols/protocol-runtime-part.ts statusLines).
  const protocol = protocolModule(g.protocol).runtime.statusLines(g, (iso) => ago(iso, now));
  const c = g.counters;
  const rows: (readonly string[])[] = [
    ['addresses', g.addresses.length === 0 ? '-' : g.addresses.join(' ')],
    ['advertised', protocol.advertised],
    ['demotion', `${d.total} (${parts.join(', ')})`],
    ['master', protocol.master],
    ['counters', `adverts sent ${c.advertsSent}, received ${c.advertsReceived}, send errors ${c.sendErrors}, transitions ${c.transitions}`],
    ['drops', nonZero(c.drops)],
    ...protocol.extra,
    ...protocol.heard,
  ];
  if (g.fault !== undefined && g.fault !== null) {
    rows.push(['FAULT', `${g.fault.reason}; fully demoted until ${g.fault.until} (${g.fault.failures} failed claim(s) in a row)`]);
  }
  if (g.effects !== undefined && (g.effects.claimFailures > 0 || g.effects.repairs > 0 || g.effects.conflicts > 0)) {
    rows.push(['effects', `failed claims ${g.effects.claimFailures}, repairs ${g.effects.repairs}, address conflicts ${g.effects.conflicts}`]);
  }
  if (g.familyLoss != null) {
    // docs/state-machine.md "Dual-stack groups": the master is alive, one family's adverts are lost.
    const { family, since, heardIn } = g.familyLoss;
    const label = (f: 'ipv4' | 'ipv6'): string => (f === 'ipv4' ? 'IPv4' : 'IPv6');
    rows.push(['FAMILY LOSS', `the master's ${label(family)} adverts stopped ${ago(since, now)}, its ${heardIn.map(label).join(' and ')} adverts arrive: not taking over (something drops ${label(family)} protocol 112)`]);
  }
  const foreign = foreignRow(g.foreign, now);
  if (foreign !== undefined) rows.push(['FOREIGN', foreign]);
  if (g.keyChange !== undefined) rows.push(['key change', `also signing with the previous key and addresses (${g.keyChange.previousAddresses.join(' ')}) until ${g.keyChange.until}`]);
  if (g.peers.length > 0) rows.push(['peers', g.peers.join(' ')]);
  if (g.vmac !== undefined) rows.push(['vmac', g.vmac]);
  rows.push(['scripts', `runs ${g.scripts.runs}, failures ${g.scripts.failures}, timeouts ${g.scripts.timeouts}, superseded ${g.scripts.superseded}${g.scripts.lastDurationMs === undefined ? '' : `, last ${g.scripts.lastDurationMs} ms`}`]);
  if (g.checks.length === 0) rows.push(['checks', 'none']);
  g.checks.forEach((check, i) => {
    const since = check.lastChangeAt === undefined ? '' : `, since ${ago(check.lastChangeAt, now)}`;
    rows.push([i === 0 ? 'checks' : '', `${check.name} (${check.kind}) ${check.healthy ? 'healthy' : 'FAILING'}, weight ${check.weight}: ${check.lastResult}${since}`]);
  });
  return `${g.name} (${g.interface} ${protocol.id}): ${g.state}\n${columns(rows.map(([k = '', v = '']) => [`  ${k}`, v]))}`;
}

/** The process entry point used by bin/carpctl: wires stdout, stderr, the clock and Ctrl-C. */
export async function main(args: string[]): Promise<number> {
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // `carpctl events | head`: a closed pipe ends the stream quietly.
  process.stdout.on('error', () => interrupt.abort());
  try {
    return await runCarpctl(args, {
      stdout: (text) => void process.stdout.write(text),
      stderr: (text) => void process.stderr.write(text),
      now: () => new Date(),
      interrupt: interrupt.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
