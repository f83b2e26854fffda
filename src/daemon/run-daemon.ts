/**
 * The composition root: builds the real adapters around a Daemon, serves the control socket and
 * metrics, talks to systemd, and maps signals: SIGHUP reloads, SIGTERM/SIGINT hand over and stop.
 */
import type { CarpdConfig } from '../config/config-types.ts';
import { ControlServer } from '../control/control-server.ts';
import { FileGroupStateStore } from '../linux/file-state-store.ts';
import type { ConsoleLogger } from '../linux/console-logger.ts';
import { RouteNetlink } from '../linux/netlink/route-netlink.ts';
import { ScriptRunner } from '../linux/script-runner.ts';
import { sdNotify } from '../linux/sd-notify.ts';
import { SystemClock } from '../linux/system-clock.ts';
import { startMetricsServer } from '../metrics/metrics-server.ts';
import { Daemon, type DaemonDependencies } from './daemon.ts';

/** How the configuration was obtained, for reloads. */
export interface RunOptions {
  readonly configFile?: string;
  readonly loadConfig?: DaemonDependencies['loadConfig'];
}

/** Runs until SIGTERM/SIGINT; resolves with the exit status. Throws StartupError for operator errors. */
export async function runDaemon(config: CarpdConfig, logger: ConsoleLogger, options: RunOptions = {}): Promise<number> {
  const netlink = RouteNetlink.open(logger);
  const clock = new SystemClock();
  const store = new FileGroupStateStore(config.stateDirectory, logger);
  const scripts = new ScriptRunner({ logger });
  const daemon = new Daemon(config, {
    logger,
    netlink,
    clock,
    store,
    scripts,
    ...(options.loadConfig === undefined ? {} : { loadConfig: options.loadConfig }),
    ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
  });
  const closers: (() => Promise<void> | void)[] = [() => netlink.close(), () => store.flush()];
  // Handlers go in before the groups start: a SIGTERM that arrives while they start (a node is
  // already BACKUP and logging) must still lead to a clean stop, not the default kill.
  const stopSignal = serveSignals(daemon, logger);
  try {
    await daemon.start();
    const control = await ControlServer.listen(config.controlSocket, daemon, logger);
    closers.unshift(() => control.close());
    if (config.metricsListen !== undefined) {
      const metrics = await startMetricsServer(config.metricsListen, () => daemon.status(), logger);
      closers.unshift(() => metrics.close());
    }
    logger.info('carpd started', { groups: config.groups.map((g) => g.name), control: config.controlSocket, ...(config.metricsListen === undefined ? {} : { metrics: config.metricsListen }) });
    sdNotify(`READY=1\nSTATUS=${config.groups.length} group(s)`);
    const signal = await stopSignal;
    logger.info(`${signal}: handing over and stopping`);
    sdNotify('STOPPING=1');
    await daemon.stop();
    return 0;
  } finally {
    for (const close of closers) {
      try {
        await close();
      } catch (error) {
        logger.warn('cleanup step failed', { error: String(error) });
      }
    }
  }
}

/** Reloads on SIGHUP until SIGTERM or SIGINT arrives; resolves with that signal's name. */
function serveSignals(daemon: Daemon, logger: ConsoleLogger): Promise<string> {
  return new Promise((resolve) => {
    const onHangup = () => {
      sdNotify(`RELOADING=1\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`);
      void daemon.reload().then((result) => {
        if (result.ok) logger.info(result.message);
        sdNotify('READY=1');
      });
    };
    const onStop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onHangup);
      // A second signal during the handover ends the process at once.
      process.once('SIGTERM', () => process.exit(1));
      process.once('SIGINT', () => process.exit(1));
      resolve(signal);
    };
    process.on('SIGHUP', onHangup);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
  });
}
