/** Runs the native cleanup guard (build/Release/carpd-guard) as a real process, optionally inside a network namespace. */
import { spawn } from 'node:child_process';
import { guardExecutable } from '../../src/daemon/cleanup-guard.ts';

/** How a guard run ended, with its stderr. */
export interface GuardExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Starts the guard, writes `input` (protocol text), ends stdin if asked; resolves when it exits (SIGKILLed after 20 s). */
export function runGuardProcess(input: string, options: { endStdin: boolean; netns?: string }): Promise<GuardExit> {
  const argv = [guardExecutable()];
  const [command, ...args] = options.netns === undefined ? argv : ['ip', 'netns', 'exec', options.netns, ...argv];
  const child = spawn(command as string, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => {});
  child.stdin.write(input);
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
