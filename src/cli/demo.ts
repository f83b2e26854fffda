/**
 * `carpd demo [--sim]`: the live failover demo. As root, with network namespaces available, it
 * runs real daemons in a namespace lab (src/demo/lab-demo.ts); otherwise, or with --sim, it runs
 * the same scenario on the simulated LAN (src/demo/sim-demo.ts).
 */
import { runSimDemo } from '../demo/sim-demo.ts';
import { SystemClock } from '../linux/system-clock.ts';
import { Lab } from '../lab/lab.ts';

/** Runs the demo in real time; exit status 0 when it ends with exactly one master. */
export async function runDemo(args: string[]): Promise<number> {
  const sim = args.includes('--sim');
  const unexpected = args.filter((a) => a !== '--sim');
  if (unexpected.length > 0) {
    process.stderr.write(`carpd demo: unexpected arguments ${JSON.stringify(unexpected)} (usage: carpd demo [--sim])\n`);
    return 2;
  }
  const print = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const why = sim ? 'the simulated LAN was asked for (--sim)' : await labUnavailable();
  if (why === undefined) {
    // Imported lazily: the lab demo pulls in the namespace lab, which the simulated demo does not need.
    const { runLabDemo } = await import('../demo/lab-demo.ts');
    return (await runLabDemo(print)) ? 0 : 1;
  }
  print(`carpd demo: ${why}: running the demo on the simulated LAN instead`);
  const clock = new SystemClock();
  const waitUntil = (at: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, (at - clock.nowMicros()) / 1000)));
  const result = await runSimDemo(clock, waitUntil, print);
  return result.ok ? 0 : 1;
}

/** Why the namespace lab cannot run here, or undefined when it can. */
async function labUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root';
  return Lab.available();
}
