/**
 * Reload queueing (docs/reload.md, "Reloads requested during a reload"): one reload at a time; a
 * request while one runs queues one follow-up that reads the file again once the running one is
 * done, and later requests join that follow-up. Each reload re-reads the configuration, applies
 * it as a transaction, logs and emits the outcome, and answers with a coded result.
 */
import type { CarpdConfig } from '../config/config-types.ts';
import type { CommandResult } from '../control/control-types.ts';
import type { Logger } from '../ports/logger.ts';
import type { DaemonEvents } from './daemon-events.ts';
import type { ApplyResult } from './group-supervisor.ts';
import { StartupError } from './startup-error.ts';

/** What reloads need. */
export interface ReloadQueueDependencies {
  readonly logger: Logger;
  readonly events: DaemonEvents;
  /** Re-reads the configuration; undefined when it came from flags. */
  readonly loadConfig?: () => Promise<{ ok: true; config: CarpdConfig } | { ok: false; errors: readonly string[] }>;
  /** Without loadConfig: why there is nothing to reload, and what to do instead. */
  readonly reloadUnsupported?: string;
  /** Applies a configuration (Daemon.apply). */
  readonly apply: (next: CarpdConfig) => Promise<ApplyResult>;
  /** True once the daemon is stopping: reloads are refused then. */
  readonly stopping: () => boolean;
  /** How many groups run now (for the reply's "unchanged"). */
  readonly groupCount: () => number;
}

/** The daemon's reloads. */
export class ReloadQueue {
  /** The reload running now, if any. */
  private reloading: Promise<CommandResult> | undefined;
  /** The one reload queued behind it: it re-reads the file once the running one is done (docs/reload.md). */
  private queuedReload: Promise<CommandResult> | undefined;

  constructor(private readonly deps: ReloadQueueDependencies) {}

  /** The reload running now (a stop waits for it), if any. */
  get running(): Promise<CommandResult> | undefined {
    return this.reloading;
  }

  /**
   * One reload at a time. A request while one runs must not share its reply: the running one may
   * have read the file before the change this request is about. So it queues one follow-up that
   * reads the file again once the running one is done; later requests join that follow-up
   * (docs/reload.md, "Reloads requested during a reload").
   */
  reload(): Promise<CommandResult> {
    if (this.queuedReload !== undefined) return this.queuedReload;
    const running = this.reloading;
    if (running === undefined) return this.startReload();
    const next = (): Promise<CommandResult> => {
      this.queuedReload = undefined;
      return this.startReload();
    };
    this.queuedReload = running.then(next, next);
    return this.queuedReload;
  }

  private startReload(): Promise<CommandResult> {
    const run: Promise<CommandResult> = this.doReload().finally(() => {
      if (this.reloading === run) this.reloading = undefined;
    });
    this.reloading = run;
    return run;
  }

  private async doReload(): Promise<CommandResult> {
    const load = this.deps.loadConfig;
    if (load === undefined) {
      // Logged here, whether SIGHUP or carpctl asked: a reload that does nothing must say so.
      const message = this.deps.reloadUnsupported ?? 'carpd was started from flags: there is no file to reload';
      this.deps.logger.warn(`reload not possible: ${message}`, { code: 'CARPD_NO_CONFIG_FILE' });
      return { ok: false, code: 'CARPD_NO_CONFIG_FILE', message };
    }
    if (this.deps.stopping()) return { ok: false, code: 'CARPD_RELOAD_FAILED', message: 'carpd is stopping' };
    const loaded = await load();
    if (this.deps.stopping()) return { ok: false, code: 'CARPD_RELOAD_FAILED', message: 'carpd is stopping' };
    if (!loaded.ok) {
      this.deps.logger.error('reload refused: the new configuration is invalid; the running one stays', { errors: loaded.errors });
      this.deps.events.emit({ type: 'reload', at: this.deps.events.at(), ok: false, added: [], removed: [], changed: [], errors: loaded.errors });
      return { ok: false, code: 'CARPD_RELOAD_INVALID', message: loaded.errors.join('\n') };
    }
    try {
      const result = await this.deps.apply(loaded.config);
      this.deps.logger.info('configuration reloaded', { ...result });
      this.deps.events.emit({ type: 'reload', at: this.deps.events.at(), ok: true, added: result.added, removed: result.removed, changed: result.changed });
      const unchanged = this.deps.groupCount() - result.added.length - result.changed.length;
      return {
        ok: true,
        message: `reloaded: ${result.added.length} added, ${result.removed.length} removed, ${result.changed.length} changed (${result.inPlace.length} in place), ${unchanged} unchanged`,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.deps.logger.error('reload failed; the running groups are as before', { error: message });
      this.deps.events.emit({ type: 'reload', at: this.deps.events.at(), ok: false, added: [], removed: [], changed: [], errors: [message] });
      return { ok: false, code: error instanceof StartupError ? error.code : 'CARPD_RELOAD_FAILED', message: `reload failed, nothing changed: ${message}` };
    }
  }
}
