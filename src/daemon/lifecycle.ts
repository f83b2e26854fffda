/**
 * The daemon's lifecycle events, from the first line of start-up to the end: SIGTERM/SIGINT stop
 * (a second one during the handover exits at once), SIGHUP reloads once the groups run (before
 * that it is logged, never fatal), and after start an uncaught exception or unhandled rejection
 * is fatal: `stopped` resolves with it, so the caller stops every group the graceful way and
 * exits 1 instead of dying with the VIP configured or staying up half-broken.
 */
import type { Logger } from '../ports/logger.ts';

/** Why the daemon stops. */
export type StopReason = { readonly kind: 'signal'; readonly signal: string } | { readonly kind: 'fatal'; readonly error: unknown };

/** What can be reloaded (the Daemon). */
export interface Reloadable {
  reload(): Promise<{ readonly ok: boolean; readonly message: string }>;
}

/** Where the events come from: the process, or an EventEmitter in tests. */
export interface EventSource {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- process.on's own listener type
  on(event: string, listener: (...args: any[]) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- process.off's own listener type
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** Options of Lifecycle. */
export interface LifecycleOptions {
  readonly events?: EventSource;
  /** Ends the process (a second stop signal); process.exit by default. */
  readonly exit?: (status: number) => void;
  /** Told when a reload starts and ends (systemd's RELOADING=1 / READY=1). */
  readonly onReload?: { started(): void; finished(): void };
}

/** Signals and fatal errors of one daemon run. */
export class Lifecycle {
  /** Aborted when a stop is requested: start-up stops between groups. */
  readonly abort = new AbortController();
  /** Resolves with the first stop request. */
  readonly stopped: Promise<StopReason>;
  /** The stop request, once there is one. */
  stopRequested: StopReason | undefined;
  private resolveStopped!: (reason: StopReason) => void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- process.on's own listener type
  private readonly handlers: [string, (...args: any[]) => void][] = [];
  private readonly events: EventSource;

  constructor(
    private readonly logger: Logger,
    private readonly options: LifecycleOptions = {},
  ) {
    this.events = options.events ?? process;
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    const onStop = (signal: string): void => {
      // A second signal during the handover ends the process at once.
      if (this.stopRequested !== undefined) return (options.exit ?? process.exit)(1);
      this.request({ kind: 'signal', signal });
    };
    this.on('SIGTERM', onStop);
    this.on('SIGINT', onStop);
    this.on('SIGHUP', () => this.logger.info('SIGHUP during start-up: nothing to reload yet'));
  }

  /** SIGHUP reloads from now on. */
  serveReloads(daemon: Reloadable): void {
    this.off('SIGHUP');
    this.on('SIGHUP', () => {
      this.options.onReload?.started();
      void daemon.reload().then(
        (result) => {
          if (result.ok) this.logger.info(result.message);
          this.options.onReload?.finished();
        },
        (error: unknown) => {
          this.logger.error('reload failed', { error: String(error) });
          this.options.onReload?.finished();
        },
      );
    });
  }

  /** After start, an uncaught error stops the daemon the graceful way instead of killing it. */
  catchFatalErrors(): void {
    const fatal = (error: unknown): void => {
      if (this.stopRequested === undefined) this.request({ kind: 'fatal', error });
      else this.logger.error('error while stopping', { error: String(error) });
    };
    this.on('uncaughtException', fatal);
    this.on('unhandledRejection', fatal);
  }

  /** Removes every handler (the run is over). */
  dispose(): void {
    for (const [event, handler] of this.handlers.splice(0)) this.events.off(event, handler);
  }

  private request(reason: StopReason): void {
    this.stopRequested = reason;
    this.abort.abort();
    this.resolveStopped(reason);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- process.on's own listener type
  private on(event: string, handler: (...args: any[]) => void): void {
    this.handlers.push([event, handler]);
    this.events.on(event, handler);
  }

  private off(event: string): void {
    for (const [name, handler] of this.handlers.filter(([name]) => name === event)) this.events.off(name, handler);
    this.handlers.splice(0, this.handlers.length, ...this.handlers.filter(([name]) => name !== event));
  }
}
