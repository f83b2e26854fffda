/**
 * A lab's process stopped by a signal (a CI timeout's SIGTERM, Ctrl-C's SIGINT) must not leave its
 * namespaces or its processes behind, and must still die by that signal.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { Lab } from '../../src/lab/lab.ts';
import { namespaces } from '../../src/lab/run.ts';

const skip = await Lab.available();
const LAB_MODULE = resolve(import.meta.dirname, '../../src/lab/lab.ts');

/** A child process that builds a one-host lab, starts `sleep` in it, reports, and waits. */
const CHILD = `
import { Lab } from ${JSON.stringify(LAB_MODULE)};
const lab = await Lab.create({ hosts: ['a'] });
const sleeper = lab.spawn('a', ['sleep', '60']);
console.log(JSON.stringify({ prefix: lab.prefix, sleeper: sleeper.pid }));
setInterval(() => undefined, 1000);
`;

/** Running, not a zombie waiting for its new parent to reap it. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`lab: ${signal} to the lab's process tears the lab down and still ends the process`, { skip: skip ?? false, timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, sig) => done({ code, signal: sig })));
    let prefix: string | undefined;
    try {
      const report = await new Promise<{ prefix: string; sleeper: number }>((done, fail) => {
        let buffered = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const line = buffered.split('\n')[0];
          if (buffered.includes('\n') && line !== undefined) done(JSON.parse(line) as { prefix: string; sleeper: number });
        });
        setTimeout(() => fail(new Error('the child did not report its lab within 20 s')), 20_000).unref();
      });
      prefix = report.prefix;
      assert.ok((await namespaces()).some((name) => name.startsWith(report.prefix)), 'the lab exists before the signal');
      child.kill(signal);
      const exit = await exited;
      assert.deepEqual(exit, { code: null, signal }, 'the process still dies by the signal');
      assert.deepEqual((await namespaces()).filter((name) => name.startsWith(report.prefix)), [], 'no namespace left');
      assert.equal(running(report.sleeper), false, 'the lab process is gone');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (prefix !== undefined) {
        for (const name of (await namespaces()).filter((n) => n.startsWith(prefix ?? '\0'))) spawn('ip', ['netns', 'del', name]);
      }
    }
  });
}
