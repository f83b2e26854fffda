/**
 * Run by test/linux/script-runner.test.ts in a child process under a low `ulimit -n`: opens
 * /dev/null until the process is out of descriptors, runs a script (which cannot start), closes
 * the descriptors, runs it again, and prints one JSON line with what the runner counted. The
 * child is a separate process so that exhausting descriptors cannot disturb the test runner.
 */
import { closeSync, openSync } from 'node:fs';
import { ScriptRunner } from '../../src/linux/script-runner.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

/** Bound on the descriptors opened, so a high limit cannot make this loop run away. */
const MAX_OPEN = 4096;

const script = process.argv[2] ?? '/bin/true';
const logger = new MemoryLogger();
const runner = new ScriptRunner({ logger, timeoutMs: 5000 });
const job = { group: 'g', path: script, phase: 'master' as const, env: {}, args: [] };

const held: number[] = [];
let openError: string | undefined;
while (held.length < MAX_OPEN) {
  try {
    held.push(openSync('/dev/null', 'r'));
  } catch (error) {
    openError = (error as NodeJS.ErrnoException).code;
    break;
  }
}
runner.run(job);
await runner.whenIdle();
const whileExhausted = runner.stats('g');
for (const fd of held) closeSync(fd);
runner.run(job);
await runner.whenIdle();
const notStarted = logger.records.filter((r) => r.message === 'script could not be started');
process.stdout.write(
  `${JSON.stringify({
    opened: held.length,
    openError,
    whileExhausted,
    after: runner.stats('g'),
    codes: notStarted.map((r) => r.fields.code),
    finished: logger.records.filter((r) => r.message === 'script finished').length,
  })}\n`,
);
