/**
 * Runs one benchmark script (bench/*.ts) as the smoke tests do: a child process from the project
 * root, results into a fresh temporary directory, bounded in time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface BenchRun {
  code: number | null;
  output: string;
  /** The results directory (removed by `cleanup`). */
  out: string;
  readJson<T>(name: string): T;
  readText(name: string): string;
  cleanup(): void;
}

/** `script` relative to the project root; `args` get `--out <temporary directory>` appended. */
export async function runBench(script: string, args: readonly string[], timeoutMs: number): Promise<BenchRun> {
  const out = mkdtempSync(join(tmpdir(), 'carpd-bench-smoke-'));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args, '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // SIGINT first so the bench tears its lab down; SIGKILL if it does not stop.
  const interrupt = setTimeout(() => child.kill('SIGINT'), timeoutMs);
  const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 30_000);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  clearTimeout(interrupt);
  clearTimeout(kill);
  return {
    code,
    output,
    out,
    readJson: <T>(name: string) => JSON.parse(readFileSync(join(out, name), 'utf8')) as T,
    readText: (name: string) => readFileSync(join(out, name), 'utf8'),
    cleanup: () => rmSync(out, { recursive: true, force: true }),
  };
}
