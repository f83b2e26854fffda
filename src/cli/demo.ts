/**
 * `carpd demo [--sim] [--protocol NAME [--vrrp-version N]]`: the live failover demo. As root, with
 * network namespaces available, it runs real daemons in a namespace lab (src/demo/lab-demo.ts);
 * otherwise, with --sim, or in another protocol than the lab's, it runs the same scenario on the
 * simulated LAN (src/demo/sim-demo.ts) in any protocol of the registry (protocols/index.ts).
 */
import { runSimDemo, type SimDemoOptions } from '../demo/sim-demo.ts';
import { SystemClock } from '../linux/system-clock.ts';
import { Lab } from '../lab/lab.ts';
import { PROTOCOL_MODULES, protocolModule, type ProtocolName } from '../protocols/index.ts';

const USAGE = 'usage: carpd demo [--sim] [--protocol carp|vrrp [--vrrp-version 3|2]]';
/** The namespace lab demo runs real daemons of this protocol only (src/demo/lab-demo.ts). */
const LAB_DEMO_PROTOCOL: ProtocolName = 'carp';

/** The demo's arguments. */
export interface DemoArgs extends SimDemoOptions {
  readonly sim: boolean;
}

/** Parses the demo's arguments; a usage error is returned, not thrown. */
export function parseDemoArgs(args: readonly string[]): DemoArgs | { readonly error: string } {
  let sim = false;
  let protocol: ProtocolName | undefined;
  let version: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = args[i + 1];
    if (arg === '--sim') sim = true;
    else if (arg === '--protocol' && value !== undefined) {
      const found = PROTOCOL_MODULES.find((module) => module.name === value);
      if (found === undefined) return { error: `--protocol ${JSON.stringify(value)}: one of ${PROTOCOL_MODULES.map((m) => m.name).join(', ')}` };
      protocol = found.name;
      i++;
    } else if (arg === '--vrrp-version' && value !== undefined) {
      if (!/^[0-9]+$/.test(value)) return { error: `--vrrp-version ${JSON.stringify(value)}: a version number` };
      version = Number(value);
      i++;
    } else return { error: `unexpected argument ${JSON.stringify(arg)}` };
  }
  if (version !== undefined) {
    const name = protocol ?? LAB_DEMO_PROTOCOL;
    const versions = protocolModule(name).sim.versions;
    if (versions === undefined || !versions.includes(version)) return { error: `--vrrp-version ${version}: protocol ${name} has ${versions === undefined ? 'one version' : `versions ${versions.join(', ')}`}${protocol === undefined ? ' (give --protocol)' : ''}` };
  }
  return { sim, ...(protocol === undefined ? {} : { protocol }), ...(version === undefined ? {} : { version }) };
}

/** Runs the demo in real time; exit status 0 when it ends with exactly one master. */
export async function runDemo(args: string[]): Promise<number> {
  const parsed = parseDemoArgs(args);
  if ('error' in parsed) {
    process.stderr.write(`carpd demo: ${parsed.error} (${USAGE})\n`);
    return 2;
  }
  const print = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const why = parsed.sim
    ? 'the simulated LAN was asked for (--sim)'
    : (parsed.protocol ?? LAB_DEMO_PROTOCOL) !== LAB_DEMO_PROTOCOL
      ? `the namespace lab demo runs ${LAB_DEMO_PROTOCOL} daemons only`
      : await labUnavailable();
  if (why === undefined) {
    // Imported lazily: the lab demo pulls in the namespace lab, which the simulated demo does not need.
    const { runLabDemo } = await import('../demo/lab-demo.ts');
    return (await runLabDemo(print)) ? 0 : 1;
  }
  print(`carpd demo: ${why}: running the demo on the simulated LAN instead`);
  const clock = new SystemClock();
  const waitUntil = (at: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, (at - clock.nowMicros()) / 1000)));
  const { sim: _sim, ...options } = parsed;
  const result = await runSimDemo(clock, waitUntil, print, options);
  return result.ok ? 0 : 1;
}

/** Why the namespace lab cannot run here, or undefined when it can. */
async function labUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root';
  return Lab.available();
}
