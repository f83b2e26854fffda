/**
 * The composition root: builds the real adapters around a Daemon and runs its lifecycle as a
 * transaction (docs/development.md "Code principles", 11b; docs/fail-safe.md):
 *
 *   1. validate    every passphrase source read, the metrics address parsed,     (nothing touched)
 *                  scripts and checks safe and runnable as their user; core dumps off
 *   2. lock        flock per group in the state directory (instance-lock.ts)     (a second carpd stops here)
 *   3. listen      control socket, metrics listener; the netlink socket opened   (no interface, address, sysctl)
 *   4. start       leftovers of an earlier run removed, carp<vhid>, groups BACKUP
 *   5. READY=1
 *
 * Every step registers its undo; a failure runs them in reverse and the error (with its code)
 * ends the process. A failure in step 4 stops the groups already started the graceful way. A
 * SIGTERM at any moment stops cleanly; an uncaught error after start is fatal: every group is
 * stopped gracefully (bow-out when MASTER) and carpd exits 1.
 */
import type { CarpdConfig } from '../config/config-types.ts';
import { ControlServer } from '../control/control-server.ts';
import { kernelKeepsAddressMarks } from '../linux/address-marks.ts';
import { FileGroupStateStore } from '../linux/file-state-store.ts';
import type { ConsoleLogger } from '../linux/console-logger.ts';
import { RouteNetlink } from '../linux/netlink/route-netlink.ts';
import { ScriptRunner } from '../linux/script-runner.ts';
import { sdNotify } from '../linux/sd-notify.ts';
import { loadNativeBinding } from '../linux/native-binding.ts';
import { preciseWakeup } from '../linux/precise-wakeup.ts';
import { SystemClock } from '../linux/system-clock.ts';
import { parseListenAddress, startMetricsServer } from '../metrics/metrics-server.ts';
import { Daemon, prepareGroups, type DaemonDependencies } from './daemon.ts';
import { linuxPlatform, type DaemonPlatform } from './daemon-platform.ts';
import { InstanceLocks, realCause } from './instance-lock.ts';
import { Lifecycle } from './lifecycle.ts';
import { describeErrno, StartupError } from './startup-error.ts';
import { release } from 'node:os';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { scriptPolicyProblems } from '../config/script-security.ts';
import { processCredentials } from '../linux/credentials.ts';
import { runProbe } from '../health/probes.ts';

/** How the configuration was obtained, for reloads. */
export interface RunOptions {
  readonly configFile?: string;
  readonly loadConfig?: DaemonDependencies['loadConfig'];
  /** The host side (default: the real Linux one). */
  readonly platform?: DaemonPlatform;
  /** Without a configuration file: why reload is not possible (DaemonDependencies.reloadUnsupported). */
  readonly reloadUnsupported?: string;
}

/** How long a fatal error's graceful stop may take before the process exits regardless. */
const FATAL_STOP_LIMIT_MS = 15_000;

/**
 * The daemon's clock, woken by the addon's timerfd (exact to the microsecond: adverts keep their
 * cadence); by Node's setTimeout, with a warning, when the timer cannot be had.
 */
function daemonClock(logger: ConsoleLogger): SystemClock {
  const fellBack = (error: unknown) => logger.warn('precise timer unavailable: timers run on setTimeout (about 1 ms of jitter)', { error: String(error) });
  try {
    return new SystemClock(preciseWakeup(loadNativeBinding(), fellBack));
  } catch (error) {
    fellBack(error);
    return new SystemClock();
  }
}

/** Runs until SIGTERM/SIGINT; resolves with the exit status. Throws StartupError for operator errors. */
export async function runDaemon(config: CarpdConfig, logger: ConsoleLogger, options: RunOptions = {}): Promise<number> {
  // Handlers go in first: a SIGTERM at any moment of start-up must lead to a clean stop.
  const lifecycle = new Lifecycle(logger, { onReload: sdNotifyReload });
  const undo: (() => Promise<void> | void)[] = [];
  /** Set once a started daemon is asked to stop: the final log line says why, after every undo. */
  let ended: { reason: string; exitStatus: number; startedAt: number } | undefined;
  let startedAt = 0;
  try {
    // 1. Validate: nothing on the host is touched, so a failure here has changed nothing.
    const platform = options.platform ?? linuxPlatform();
    const prepared = prepareGroups(config.groups, platform, logger);
    checkScriptPolicy(config);
    warnScriptsAsRoot(config, logger);
    disableCoreDumps(logger);
    if (config.metricsListen !== undefined && parseListenAddress(config.metricsListen) === undefined) {
      throw new StartupError(`metrics listen address ${JSON.stringify(config.metricsListen)} is not IP:PORT or [IPv6]:PORT`, 'CARPD_METRICS_LISTEN');
    }
    // 2. Lock, before anything that could disturb another instance's groups.
    const locks = new InstanceLocks(config.stateDirectory, loadNativeBinding(), logger);
    await locks.hold(config.groups);
    undo.push(() => locks.releaseAll());
    const store = new FileGroupStateStore(config.stateDirectory, logger);
    undo.push(() => store.flush());
    // 3. Listeners and sockets. Opening a netlink socket changes nothing on the host.
    const netlink = RouteNetlink.open(logger);
    undo.push(() => netlink.close());
    const scripts = new ScriptRunner({ logger });
    const daemon = new Daemon(config, {
      logger,
      netlink,
      platform,
      clock: daemonClock(logger),
      store,
      scripts,
      probe: runProbe,
      locks,
      ...(options.loadConfig === undefined ? {} : { loadConfig: options.loadConfig }),
      ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
      ...(options.reloadUnsupported === undefined ? {} : { reloadUnsupported: options.reloadUnsupported }),
    });
    const control = await listenControl(config.controlSocket, daemon, logger);
    undo.push(() => control.close());
    if (config.metricsListen !== undefined) {
      const metrics = startMetricsServer(config.metricsListen, () => daemon.status(), logger);
      undo.push(() => metrics.close());
      await metrics.listening.catch((error: unknown) => {
        throw new StartupError(`metrics listener ${config.metricsListen}: ${describeErrno(error)}`, 'CARPD_METRICS_LISTEN');
      });
    }
    if (lifecycle.stopRequested !== undefined) return 0;
    // 4. Groups. On failure the daemon has already stopped what it started.
    lifecycle.serveReloads(daemon);
    try {
      await daemon.start(prepared, lifecycle.abort.signal);
    } catch (error) {
      if (lifecycle.stopRequested !== undefined) return 0;
      throw error;
    }
    lifecycle.catchFatalErrors();
    startedAt = performance.now();
    if (!kernelKeepsAddressMarks(release())) {
      logger.warn('this kernel (before Linux 6.1) does not keep address marks: a VIP left by a killed carpd is not removed by the guard, and the next start refuses it until it is removed by hand (fail-safe.md, "Addresses carpd owns")', { kernel: release() });
    }
    logger.info('carpd started', { groups: config.groups.map((g) => g.name), control: config.controlSocket, ...(config.metricsListen === undefined ? {} : { metrics: config.metricsListen }) });
    sdNotify(`READY=1\nSTATUS=${config.groups.length} group(s)`);
    const reason = await lifecycle.stopped;
    sdNotify('STOPPING=1');
    if (reason.kind === 'fatal') {
      logger.error('fatal error: handing over and stopping', { error: reason.error instanceof Error ? (reason.error.stack ?? reason.error.message) : String(reason.error) });
      setTimeout(() => process.exit(1), FATAL_STOP_LIMIT_MS).unref();
    } else {
      logger.info(`${reason.signal}: handing over and stopping`);
    }
    await daemon.stop();
    ended = { reason: reason.kind === 'fatal' ? 'fatal error' : reason.signal, exitStatus: reason.kind === 'fatal' ? 1 : 0, startedAt };
    return ended.exitStatus;
  } finally {
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch (error) {
        logger.warn('cleanup step failed', { error: String(error) });
      }
    }
    lifecycle.dispose();
    // The last line of a run that started: the operator (and journald) sees it ended, and how.
    if (ended !== undefined) {
      const fields = { reason: ended.reason, exitStatus: ended.exitStatus, uptimeSeconds: Math.round((performance.now() - ended.startedAt) / 1000), groups: config.groups.length };
      if (ended.exitStatus === 0) logger.info('carpd stopped', fields);
      else logger.error('carpd stopped', fields);
    }
  }
}

/**
 * Scripts and checks nobody else can change, and a script_user this process can switch to
 * (config/script-security.ts). A file was checked when it was read; flags and `carpd ucarp`
 * come here only, and the check is cheap.
 */
function checkScriptPolicy(config: CarpdConfig): void {
  const [first, ...rest] = scriptPolicyProblems(config, processCredentials());
  if (first === undefined) return;
  throw new StartupError([first, ...rest].map((p) => p.message).join('; '), first.code);
}

/**
 * Root runs scripts only when configured so (docs/scripts.md, "Who a script runs as"): carpd
 * itself run as root with script_user unset gets a warning naming the groups concerned.
 */
function warnScriptsAsRoot(config: CarpdConfig, logger: ConsoleLogger): void {
  if (process.geteuid?.() !== 0) return;
  const groups = config.groups
    .filter((g) => g.scripts.user === undefined && (g.scripts.master !== undefined || g.scripts.backup !== undefined || g.track.checks.some((c) => c.kind === 'command')))
    .map((g) => g.name);
  if (groups.length > 0) logger.warn('scripts and command checks run as root: carpd runs as root and script_user is not set (script_user: root says it is meant)', { groups });
}

/**
 * No core dumps: the process holds every group's key (docs/systemd.md, "Privileges and sandbox").
 * PR_SET_DUMPABLE 0 also keeps other processes of carpd's user from ptrace-attaching to it.
 */
function disableCoreDumps(logger: ConsoleLogger): void {
  try {
    loadNativeBinding().disableCoreDumps();
  } catch (error) {
    logger.warn('could not turn core dumps off', { error: String(error) });
  }
}

/** systemd's view of a reload (Type=notify-reload): RELOADING=1 before, READY=1 after. */
const sdNotifyReload = {
  started: (): void => void sdNotify(`RELOADING=1\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`),
  finished: (): void => void sdNotify('READY=1'),
};

/** Binds the control socket, naming the real cause of a failure. */
async function listenControl(path: string, daemon: Daemon, logger: ConsoleLogger): Promise<ControlServer> {
  try {
    return await ControlServer.listen(path, daemon, logger);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`control socket ${path}: another carpd is running and answering on it`, 'CARPD_ALREADY_RUNNING');
    // Node's recursive mkdir says EEXIST where a path component is a regular file: find the real cause.
    const cause = code === 'ENOENT' || code === 'EEXIST' || code === 'ENOTDIR' ? realCause(dirname(path), error) : error;
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') throw new StartupError(`control socket ${path}: exists and is not a socket; not removing it`, 'CARPD_CONTROL_SOCKET');
    throw new StartupError(`control socket ${path}: ${describeErrno(cause)}`, 'CARPD_CONTROL_SOCKET');
  }
}
