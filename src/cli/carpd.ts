/**
 * carpd's command line: dispatches to subcommands. Returns the exit status instead of exiting,
 * so tests can call it in-process. Each command's code is imported only when that command runs:
 * `carpd --version` or `--help` loads nothing else, `inspect` no daemon, the daemon no demo.
 */
import { CARPD_VERSION } from '../version.ts';

const USAGE = `usage: carpd --config FILE [--control PATH] [--metrics ADDR:PORT]      run every group of a config file
       carpd --check --config FILE                                      validate and print the normalised config
       carpd --init                                                     print a commented starter config
       carpd --interface IF --vhid N (--pass S | --passfile F) --addr IP[/PREFIX] ...   one group from flags (carpd --help-daemon)
       carpd --protocol vrrp --interface IF --vrid N --addr IP[/PREFIX] ...            one VRRPv3 group from flags
       carpd ucarp <ucarp's own flags>                                  ucarp 1.5.2's command line, verbatim
       carpd cleanup (--config FILE | <flags> | ucarp <flags>)          remove what an unclean stop left (ExecStopPost)
       carpd --from-keepalived FILE [--secrets-dir DIR] [--write-secrets]   convert keepalived.conf's vrrp_instances to carpd.yaml (stdout)
       carpd <command> [options]

commands:
  inspect [--pass SECRET] [--addr IP ...] (--hex HEX | FILE.pcap)
                 decode and verify captured CARP advertisements (one JSON object per packet)
  demo [--sim]   run a live 3-node failover demo: real daemons in network namespaces as
                 root, else (or with --sim) on a simulated LAN (about 20 s)
     [--protocol carp|vrrp [--vrrp-version 3|2]]
                 the same with VRRP groups (version 3, or 2) on the simulated LAN
  witness --listen ADDR:PORT --passfile FILE
                 run the quorum witness for many groups (UDP; carpd witness --help)

options:
  -h, --help     show this help
  -V, --version  print the version
`;

/**
 * The daemon command's code. Run from the build, it is dist/daemon-command.cjs compiled with V8's
 * code cache (code-cache.ts: it spares most of the compile at every start); from the sources, or
 * when that file is missing, the module itself.
 */
async function daemonCommand(): Promise<typeof import('./daemon-command.ts')> {
  if (import.meta.url.endsWith('.js')) {
    const [{ existsSync }, { join }] = await Promise.all([import('node:fs'), import('node:path')]);
    const file = join(import.meta.dirname, 'daemon-command.cjs');
    if (existsSync(file)) return (await import('./code-cache.ts')).loadWithCodeCache<typeof import('./daemon-command.ts')>(file).exports;
  }
  return import('./daemon-command.ts');
}

/** Runs carpd with the given arguments (without "node" and the script path). */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  // `carpd inspect FILE | head -1`: a reader that went away ends the output quietly (the daemon
  // itself never writes to stdout; it logs to stderr).
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    process.stderr.write(`carpd: stdout: ${error.message}\n`);
  });
  try {
    // `carpd --from-keepalived FILE` (or `carpd from-keepalived FILE`): its options may come first.
    if (command === 'from-keepalived' || args.includes('--from-keepalived')) {
      const { runFromKeepalived } = await import('./from-keepalived.ts');
      return runFromKeepalived(command === 'from-keepalived' ? rest : args.filter((a) => a !== '--from-keepalived'));
    }
    switch (command) {
      case 'inspect': {
        const [{ runInspect }, { readFile }] = await Promise.all([import('./inspect.ts'), import('node:fs/promises')]);
        return await runInspect(rest, {
          stdout: (line) => process.stdout.write(`${line}\n`),
          stderr: (line) => process.stderr.write(`${line}\n`),
          readFile: async (path) => new Uint8Array(await readFile(path)),
        });
      }
      case 'demo':
        return await (await import('./demo.ts')).runDemo(rest);
      case 'witness':
        return await (await import('./witness.ts')).runWitness(rest);
      case 'ucarp':
        return await (await daemonCommand()).runUcarpCommand(rest);
      case 'cleanup':
        return await (await daemonCommand()).runCleanupCommand(rest);
      case '--help-daemon':
        return await (await daemonCommand()).runDaemonCommand(['--help']);
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return 0;
      case '-V':
      case '--version':
        process.stdout.write(`carpd ${CARPD_VERSION}\n`);
        return 0;
      case undefined:
        process.stderr.write(USAGE);
        return 2;
      default:
        if (command.startsWith('-')) return await (await daemonCommand()).runDaemonCommand(args);
        process.stderr.write(`carpd: unknown command ${JSON.stringify(command)}; see carpd --help\n`);
        return 2;
    }
  } catch (error) {
    process.stderr.write(`carpd: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
