// Bounded command execution and `ip -j` parsing shared by the lab.

import { execFile } from 'node:child_process';

const DEFAULT_EXEC_TIMEOUT_MS = 10_000;

/** Result of a bounded command. */
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell, killing it (SIGKILL) after timeoutMs. Never rejects. */
export function run(argv: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  const [command, ...args] = argv;
  if (command === undefined) return Promise.resolve({ code: null, stdout: '', stderr: 'empty argv' });
  return new Promise<ExecResult>((resolve) => {
    const child = execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        const code = typeof error.code === 'number' ? error.code : null;
        const extra = typeof error.code === 'string' ? `${error.code}: ${error.message}` : error.killed === true ? `killed after timeout` : '';
        resolve({ code, stdout, stderr: extra === '' ? stderr : `${stderr}${extra}\n` });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Runs a command and throws with its stderr unless it exits 0. */
export async function must(argv: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const result = await run(argv, options);
  if (result.code !== 0) {
    throw new Error(`lab: \`${argv.join(' ')}\` failed (${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Every address in the current (host) namespace as `addr/prefix`. */
export async function hostNamespaceAddresses(): Promise<string[]> {
  return parseAddresses(await must(['ip', '-j', 'addr', 'show']));
}

export interface IpAddrJson {
  ifname?: string;
  address?: string;
  operstate?: string;
  flags?: string[];
  addr_info?: { local?: string; prefixlen?: number }[];
}

export function parseAddresses(json: string): string[] {
  const links = JSON.parse(json) as IpAddrJson[];
  return links.flatMap((link) =>
    (link.addr_info ?? []).filter((info) => info.local !== undefined).map((info) => `${info.local}/${info.prefixlen ?? ''}`),
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Names of existing network namespaces. */
export async function namespaces(): Promise<string[]> {
  const out = await must(['ip', 'netns', 'list']);
  return out.split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name !== '');
}
