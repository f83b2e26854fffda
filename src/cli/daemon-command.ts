/**
 * The daemon's entry points: `carpd --config FILE`, `carpd --check --config FILE`, `carpd --init`,
 * the one-group flags (`carpd --interface ... --vhid ...`) and `carpd ucarp <ucarp flags>`.
 * All of them become a CarpdConfig; operator errors exit 2 with a message and no stack trace.
 */
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import type { CarpdConfig, GroupConfig } from '../config/config-types.ts';
import { configFileLoader, loadConfigFile } from '../config/config-file.ts';
import { formatConfigProblem, type ConfigProblem } from '../config/error-codes.ts';
import { renderNormalisedConfig, starterConfig } from '../config/config-render.ts';
import { DAEMON_USAGE, parseDaemonOptions } from '../config/daemon-options.ts';
import { configFromDaemonOptions } from '../config/flags-to-config.ts';
import { checkInterfaces } from '../config/interface-check.ts';
import { parseHostPort, warnStopBudget, type ProblemSink } from '../config/build-group.ts';
import { parseUcarpFlags, UCARP_USAGE } from '../config/ucarp-flags.ts';
import { cleanUpAfter } from '../daemon/cleanup-command.ts';
import { checkHostAddresses, type HostAddresses } from '../daemon/host-address-check.ts';
import { StartupError } from '../daemon/daemon.ts';
import { runDaemon, type RunOptions } from '../daemon/run-daemon.ts';
import { ConsoleLogger } from '../linux/console-logger.ts';
import { RouteNetlink } from '../linux/netlink/route-netlink.ts';
import { silentLogger } from '../ports/logger.ts';

const GLOBAL_FLAGS = {
  config: { type: 'string', short: 'c' },
  check: { type: 'boolean' },
  init: { type: 'boolean' },
  control: { type: 'string' },
  metrics: { type: 'string' },
} as const;

/**
 * V8's young generation starts at 1 MiB per semi-space and doubles, up to 16 MiB, while a
 * process allocates steadily; a daemon's short-lived garbage (adverts, log lines) never needs
 * more. Kept at its start size, 255 groups take 70 MiB of RSS rather than 81 (bench/footprint.ts),
 * for scavenges that are more frequent but as cheap (few objects survive one). The growth factor
 * is read whenever the space would grow, so setting it now (rather than a flag on node's command
 * line, which `node bin/carpd` would not have) takes effect.
 */
const YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1';

/** `carpd ...` with daemon flags: exit 0 after a clean stop, 1 on a runtime failure, 2 on operator errors. */
export async function runDaemonCommand(args: string[]): Promise<number> {
  setFlagsFromString(YOUNG_GENERATION_FLAG);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(DAEMON_USAGE);
    return 0;
  }
  const { globals, rest } = splitGlobalFlags(args);
  if (typeof globals.metrics === 'string') {
    // The same rule as the file's metrics.listen: an IP address and a port, nothing to resolve.
    const sink: ProblemSink = { errors: [], warnings: [] };
    parseHostPort(globals.metrics, ['--metrics'], sink, true);
    if (sink.errors.length > 0) return reportProblems(sink.errors);
  }
  if (globals.init === true) {
    process.stdout.write(starterConfig());
    return 0;
  }
  let config: CarpdConfig;
  const runOptions: { configFile?: string; loadConfig?: RunOptions['loadConfig'] } = {};
  const host = new HostView();
  if (typeof globals.config === 'string') {
    if (rest.length > 0) return usage(`--config: other flags are not allowed with a config file (${rest.join(' ')})`);
    const path = globals.config;
    // --check: every stage's problems in one run, in file order (the host's checks included).
    const loaded = await loadConfigFile(path, process.env, globals.check === true ? { missingPassphraseFileIsError: true, hostChecks: (groups) => host.check(groups) } : {});
    if (!loaded.ok) return reportProblems(loaded.errors, path);
    for (const warning of loaded.warnings) process.stderr.write(`carpd: warning: ${formatConfigProblem(warning, path)}\n`);
    config = loaded.config;
    runOptions.configFile = path;
    runOptions.loadConfig = configFileLoader(path, process.env, (next) => withOverrides(next, globals));
  } else {
    if (globals.check === true) return usage('--check needs --config FILE');
    const parsed = parseDaemonOptions(rest);
    if (!parsed.ok) {
      for (const error of parsed.errors) process.stderr.write(`carpd: ${error}\n`);
      process.stderr.write('carpd: see carpd --help-daemon [CARPD_USAGE]\n');
      return 2;
    }
    config = configFromDaemonOptions(parsed.options);
    const budget: ProblemSink = { errors: [], warnings: [] };
    warnStopBudget(parsed.options.scriptTimeoutSeconds, ['--script-timeout'], budget);
    for (const warning of budget.warnings) process.stderr.write(`carpd: warning: ${formatConfigProblem(warning)}\n`);
  }
  config = withOverrides(config, globals);
  if (globals.check === true) return checkOnly(config, host);
  return run(config, runOptions);
}

/** `carpd cleanup (--config FILE | <daemon flags> | ucarp <ucarp flags>)`: removes leftovers of an unclean stop. */
export async function runCleanupCommand(args: string[]): Promise<number> {
  let config: CarpdConfig;
  if (args[0] === 'ucarp') {
    const parsed = parseUcarpFlags(args.slice(1));
    if (!parsed.ok) return reportProblems(parsed.errors.map((message) => ({ code: 'CARPD_USAGE', message })));
    config = parsed.config;
  } else {
    const { globals, rest } = splitGlobalFlags(args);
    if (typeof globals.config === 'string') {
      // Leftovers are removed whatever the scripts' state; an unsafe down script is skipped there.
      const loaded = await loadConfigFile(globals.config, process.env, { checkScripts: false });
      if (!loaded.ok) return reportProblems(loaded.errors);
      config = loaded.config;
    } else {
      const parsed = parseDaemonOptions(rest);
      if (!parsed.ok) return reportProblems(parsed.errors.map((message) => ({ code: 'CARPD_USAGE', message })));
      config = configFromDaemonOptions(parsed.options);
    }
  }
  const logger = new ConsoleLogger(config.logLevel);
  try {
    const actions = await cleanUpAfter(config, logger);
    if (actions === 0) logger.info('nothing to clean up');
    return 0;
  } catch (error) {
    logger.error(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/** `carpd ucarp <ucarp's flags>`: ucarp's command line, verbatim. */
export async function runUcarpCommand(args: string[]): Promise<number> {
  const parsed = parseUcarpFlags(args);
  if (!parsed.ok && parsed.help === true) {
    process.stdout.write(UCARP_USAGE);
    return 0;
  }
  if (!parsed.ok) {
    for (const error of parsed.errors) process.stderr.write(`carpd ucarp: ${error}\n`);
    return 2;
  }
  for (const note of parsed.notes) process.stderr.write(`carpd ucarp: note: ${note}\n`);
  // ucarp has no flags for these; the environment can move them (several instances on one host).
  const env = process.env;
  const config: CarpdConfig = {
    ...parsed.config,
    ...(env['CARPD_CONTROL'] ? { controlSocket: env['CARPD_CONTROL'] } : {}),
    ...(env['CARPD_STATE_DIRECTORY'] ? { stateDirectory: env['CARPD_STATE_DIRECTORY'] } : {}),
  };
  return run(config, { reloadUnsupported: UCARP_RELOAD_UNSUPPORTED });
}

/** What SIGHUP (or carpctl reload) logs in ucarp mode: ucarp has no reload either (docs/migration.md). */
export const UCARP_RELOAD_UNSUPPORTED =
  'reload is not supported in ucarp mode (the flags are read once, as ucarp does): restart carpd ucarp with the new flags (systemctl restart carpd-ucarp@NAME), or move to a configuration file (carpd --config, docs/migration.md), which reloads';


async function run(config: CarpdConfig, options: RunOptions): Promise<number> {
  const logger = new ConsoleLogger(config.logLevel);
  try {
    return exitSoon(await runDaemon(config, logger, options));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof StartupError) {
      logger.error(message, { code: error.code });
      return exitSoon(2);
    }
    const code = (error as NodeJS.ErrnoException).code;
    logger.error(code === 'EPERM' || code === 'EACCES' ? `${message} (carpd needs root, or CAP_NET_RAW and CAP_NET_ADMIN)` : message, code === undefined ? {} : { code });
    return exitSoon(1);
  }
}

/**
 * The daemon has stopped (or never started): whatever handle might still be open (a socket of
 * a half-built interface, a script's pipe) must not keep a process alive that answers nothing.
 * The timer is unref'd, so a clean exit comes first.
 */
function exitSoon(status: number): number {
  setTimeout(() => process.exit(status), 1_000).unref();
  return status;
}

/**
 * The host as `carpd --check` sees it: links and addresses read once through netlink (no
 * privileges needed), or unavailable (not Linux, no netlink), in which case the host checks are
 * skipped and the output says so.
 */
class HostView {
  private host: HostAddresses | undefined;
  private read = false;

  /** Whether the host could be read (after check() ran). */
  get available(): boolean {
    return this.host !== undefined;
  }

  /** Interface and host-address problems of the groups (sparse, at their index in the file). */
  async check(groups: readonly GroupConfig[]): Promise<{ errors: ConfigProblem[]; warnings: ConfigProblem[] }> {
    const host = await this.load();
    if (host === undefined) return { errors: [], warnings: [] };
    const addresses = checkHostAddresses({ groups }, host);
    return { errors: [...checkInterfaces({ groups }, host.links.map((l) => l.name)), ...addresses.errors], warnings: addresses.warnings };
  }

  private async load(): Promise<HostAddresses | undefined> {
    if (this.read) return this.host;
    this.read = true;
    try {
      // RTM_GETLINK and RTM_GETADDR dumps need no privileges.
      const netlink = RouteNetlink.open(silentLogger);
      try {
        this.host = { links: await netlink.listLinks(), addresses: await netlink.listAddresses() };
      } finally {
        netlink.close();
      }
    } catch {
      // Without netlink (not Linux, no permission) the host checks are skipped, and said so.
    }
    return this.host;
  }
}

/** --check of a valid configuration (its warnings, the host's included, were printed): the normalised config and "configuration OK". */
function checkOnly(config: CarpdConfig, host: HostView): number {
  process.stdout.write(renderNormalisedConfig(config));
  process.stderr.write(`configuration OK${host.available ? '' : ' (interfaces and host addresses not checked: netlink unavailable)'}\n`);
  return 0;
}

/** Every problem, one line each, with FILE:LINE in front when the line is known (as compilers do). */
function reportProblems(problems: readonly Pick<ConfigProblem, 'code' | 'message' | 'line' | 'column'>[], file?: string): number {
  for (const problem of problems) process.stderr.write(`carpd: ${formatConfigProblem(problem, file)}\n`);
  return 2;
}

function usage(message: string): number {
  process.stderr.write(`carpd: ${message} [CARPD_USAGE]\n`);
  return 2;
}

function splitGlobalFlags(args: string[]): { globals: Record<string, string | boolean | undefined>; rest: string[] } {
  const { values, tokens } = parseArgs({ args, options: GLOBAL_FLAGS, strict: false, allowPositionals: true, tokens: true });
  const consumed = new Set<number>();
  for (const token of tokens ?? []) {
    if (token.kind !== 'option' || !(token.name in GLOBAL_FLAGS)) continue;
    consumed.add(token.index);
    if (token.value !== undefined && !token.inlineValue) consumed.add(token.index + 1);
  }
  return { globals: values as Record<string, string | boolean | undefined>, rest: args.filter((_, i) => !consumed.has(i)) };
}

function withOverrides(config: CarpdConfig, globals: Record<string, string | boolean | undefined>): CarpdConfig {
  return {
    ...config,
    ...(typeof globals.control === 'string' ? { controlSocket: globals.control } : {}),
    ...(typeof globals.metrics === 'string' ? { metricsListen: globals.metrics } : {}),
  };
}
