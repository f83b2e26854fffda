/**
 * carpctl: asks a running carpd over its control socket (docs/control-api.md). Returns the exit
 * status instead of exiting, so tests can call it in-process: 0 ok, 1 the daemon refused,
 * 2 usage error, 3 the daemon cannot be reached.
 */
import { parseArgs } from 'node:util';
import { ControlClientError, isUnreachable, request, streamEvents } from '../control/control-client.ts';
import type { CommandResult, ControlRequest, StatusReport } from '../control/control-types.ts';
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
      // The human form is loaded only here: it reaches every protocol's status lines through the
      // registry, which the other commands (and --help) need not load (test/cli/entry-points.test.ts).
      io.stdout(json ? `${JSON.stringify(answer.status, null, 2)}\n` : (await import('./carpctl-status.ts')).formatStatus(answer.status, io.now()));
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
