/** `carpd demo`: the live failover demo (simulated LAN; a later version runs it in namespaces). */
import { runSimDemo } from '../demo/sim-demo.ts';
import { SystemClock } from '../linux/system-clock.ts';

/** Runs the demo in real time; exit status 0 when it ends with exactly one master. */
export async function runDemo(args: string[]): Promise<number> {
  if (args.length > 0) {
    process.stderr.write(`carpd demo: unexpected arguments ${JSON.stringify(args)}\n`);
    return 2;
  }
  const clock = new SystemClock();
  const waitUntil = (at: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, (at - clock.nowMicros()) / 1000)));
  const result = await runSimDemo(clock, waitUntil, (line) => process.stdout.write(`${line}\n`));
  return result.ok ? 0 : 1;
}
