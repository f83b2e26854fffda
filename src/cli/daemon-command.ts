/** `carpd --interface ... --vhid ...`: validates the flags and runs the daemon. */
import { DAEMON_USAGE, parseDaemonOptions } from '../config/daemon-options.ts';
import { runDaemon, StartupError } from '../daemon/daemon.ts';
import { ConsoleLogger } from '../linux/console-logger.ts';

/** Exit status 2 for bad flags or a missing interface, 1 for a runtime failure, 0 after a clean stop. */
export async function runDaemonCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(DAEMON_USAGE);
    return 0;
  }
  const parsed = parseDaemonOptions(args);
  if (!parsed.ok) {
    for (const error of parsed.errors) process.stderr.write(`carpd: ${error}\n`);
    process.stderr.write('carpd: see carpd --help-daemon\n');
    return 2;
  }
  const logger = new ConsoleLogger(parsed.options.logLevel);
  try {
    return await runDaemon(parsed.options, logger);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof StartupError) {
      logger.error(message);
      return 2;
    }
    const code = (error as NodeJS.ErrnoException).code;
    logger.error(code === 'EPERM' || code === 'EACCES' ? `${message} (carpd needs root, or CAP_NET_RAW and CAP_NET_ADMIN)` : message);
    return 1;
  }
}
