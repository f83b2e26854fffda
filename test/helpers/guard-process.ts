/** Runs `carpd __guard SPEC` as a real process (optionally inside a network namespace), for the guard's tests. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CARPD = fileURLToPath(new URL('../../bin/carpd', import.meta.url));

/** How a guard run ended, with its stderr (JSON log lines). */
export interface GuardExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Starts the guard, writes these lines, ends stdin if asked; resolves when it exits (SIGKILLed after 20 s). */
export function runGuardProcess(spec: string, lines: readonly string[], options: { endStdin: boolean; netns?: string }): Promise<GuardExit> {
  const argv = [process.execPath, CARPD, '__guard', spec];
  const [command, ...args] = options.netns === undefined ? argv : ['ip', 'netns', 'exec', options.netns, ...argv];
  const child = spawn(command as string, args, { cwd: ROOT, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  for (const line of lines) child.stdin.write(`${line}\n`);
  if (options.endStdin) child.stdin.end();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the guard did not exit within 20 s; stderr: ${stderr}`));
    }, 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, signal, stderr });
    });
  });
}
