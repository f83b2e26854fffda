/**
 * `carpd witness --listen ADDR:PORT --passfile FILE`: the quorum witness (docs/partitions.md
 * "Running the witness"). The composition root of the witness: it checks the flags and the
 * passphrase file, builds the real clock, UDP socket and logger, and runs cli/witness-server.ts
 * until SIGTERM or SIGINT. Bad flags, a bad listen address or passphrase file: exit status 2.
 */
import { randomBytes } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { isIP } from 'node:net';
import type { Stats } from 'node:fs';
import { formatConfigProblem, type ConfigErrorCode } from '../config/error-codes.ts';

export const WITNESS_USAGE = `usage: carpd witness --listen ADDR:PORT --passfile FILE

Runs the quorum witness: grants time-limited leases, one holder per quorum group at a time,
to the members of many groups (docs: partitions.md, "Running the witness"). No state on disk:
after every start it grants nothing until the longest lease it could have granted has run out.

options:
  --listen ADDR:PORT   the UDP address to answer on (IPv6 as [ADDR]:PORT)
  --passfile FILE      the groups' quorum passphrase (first line); mode 0600 or 0400, not empty
  -h, --help           show this help
`;

export interface WitnessArgs {
  readonly address: string;
  readonly port: number;
  readonly listen: string;
  readonly passfile: string;
}

/** A refusal to start: its code and message (printed as `carpd witness: message [CODE]`). */
export class WitnessStartError extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** ADDR:PORT or [IPv6]:PORT, port 1..65535; undefined when it is neither. */
export function parseListen(value: string): { address: string; port: number } | undefined {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(value) ?? /^([^:[\]]+):(\d{1,5})$/.exec(value);
  if (match === null) return undefined;
  const address = match[1] as string;
  const port = Number(match[2]);
  if (isIP(address) === 0 || port < 1 || port > 65535) return undefined;
  if (value.startsWith('[') !== (isIP(address) === 6)) return undefined;
  return { address, port };
}

/** The flags, or a usage error (CARPD_USAGE, CARPD_WITNESS_LISTEN). `help` when asked for help. */
export function parseWitnessArgs(args: readonly string[]): WitnessArgs | 'help' {
  let listen: string | undefined;
  let passfile: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const flag = args[i] as string;
    if (flag === '-h' || flag === '--help') return 'help';
    const value = args[i + 1];
    if ((flag !== '--listen' && flag !== '--passfile') || value === undefined) {
      throw new WitnessStartError('CARPD_USAGE', `${flag}: ${value === undefined && flag.startsWith('--') ? 'needs a value' : 'unknown option'}; see carpd witness --help`);
    }
    if (flag === '--listen') listen = value;
    else passfile = value;
    i += 1;
  }
  if (listen === undefined || passfile === undefined) throw new WitnessStartError('CARPD_USAGE', `${listen === undefined ? '--listen' : '--passfile'} is required; see carpd witness --help`);
  const parsed = parseListen(listen);
  if (parsed === undefined) throw new WitnessStartError('CARPD_WITNESS_LISTEN', `--listen ${listen}: not ADDR:PORT (an IP address, IPv6 in brackets, and a port 1..65535)`);
  return { ...parsed, listen, passfile };
}

/** The passphrase from the file: refused unless a regular file of mode 0600 or 0400 whose first line is not empty. */
export function passphraseOf(path: string, stats: Pick<Stats, 'mode' | 'isFile'>, text: string): Buffer {
  const mode = stats.mode & 0o777;
  if (!stats.isFile()) throw new WitnessStartError('CARPD_WITNESS_PASSFILE', `--passfile ${path}: not a regular file`);
  if (mode !== 0o600 && mode !== 0o400) throw new WitnessStartError('CARPD_WITNESS_PASSFILE', `--passfile ${path}: mode ${mode.toString(8).padStart(4, '0')}; must be 0600 or 0400 (chmod 600 ${path})`);
  const first = text.split('\n', 1)[0]?.replace(/\r$/, '') ?? '';
  if (first.length === 0) throw new WitnessStartError('CARPD_WITNESS_PASSFILE', `--passfile ${path}: empty; its first line is the passphrase`);
  return Buffer.from(first, 'utf8');
}

function refuse(error: WitnessStartError): number {
  process.stderr.write(`carpd witness: ${formatConfigProblem({ code: error.code, message: error.message })}\n`);
  return 2;
}

/** Runs the witness until SIGTERM or SIGINT; the exit status. */
export async function runWitness(args: readonly string[]): Promise<number> {
  let options: WitnessArgs;
  let passphrase: Buffer;
  try {
    const parsed = parseWitnessArgs(args);
    if (parsed === 'help') {
      process.stdout.write(WITNESS_USAGE);
      return 0;
    }
    options = parsed;
    const { readFileSync, statSync } = await import('node:fs');
    let stats: Stats;
    let text: string;
    try {
      stats = statSync(options.passfile);
      text = stats.isFile() ? readFileSync(options.passfile, 'utf8') : '';
    } catch (error) {
      throw new WitnessStartError('CARPD_WITNESS_PASSFILE', `--passfile ${options.passfile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    passphrase = passphraseOf(options.passfile, stats, text);
  } catch (error) {
    if (error instanceof WitnessStartError) return refuse(error);
    throw error;
  }
  const [{ SystemClock }, { ConsoleLogger }, { UdpDatagramSocket }, { WitnessTable }, { startHoldOffUs }, { WitnessServer }] = await Promise.all([
    import('../linux/system-clock.ts'),
    import('../linux/console-logger.ts'),
    import('../linux/udp-datagram-socket.ts'),
    import('../quorum/witness-table.ts'),
    import('../quorum/quorum-timing.ts'),
    import('./witness-server.ts'),
  ]);
  let socket: Awaited<ReturnType<typeof UdpDatagramSocket.bind>>;
  try {
    socket = await UdpDatagramSocket.bind(options.address, options.port);
  } catch (error) {
    return refuse(new WitnessStartError('CARPD_WITNESS_LISTEN', `--listen ${options.listen}: cannot bind: ${(error as NodeJS.ErrnoException).code ?? String(error)}`));
  }
  const clock = new SystemClock();
  const startedAt = clock.nowMicros();
  const table = new WitnessTable({ passphrase, startedAt, incarnation: randomBytes(8).readBigUInt64BE() });
  const server = new WitnessServer({ socket, clock, logger: new ConsoleLogger(), table, startedAt, holdOffUs: startHoldOffUs(), listen: options.listen });
  server.start();
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  await server.stop();
  void signal;
  return 0;
}
