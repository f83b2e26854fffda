/**
 * The control API's event stream (carpctl events): listeners subscribe, the daemon's parts emit.
 * A listener that throws is logged and the others still hear the event. Timestamps come from the
 * Clock port (clock-time.ts).
 */
import type { ControlEvent } from '../control/control-types.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import { calendarIso } from './clock-time.ts';

/** The daemon's event listeners. */
export class DaemonEvents {
  private readonly listeners = new Set<(event: ControlEvent) => void>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** The clock's calendar time now, as events carry it. */
  at(): string {
    return calendarIso(this.clock);
  }

  /** Subscribes; returns the unsubscribe. */
  onEvent(listener: (event: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ControlEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn('event listener failed', { error: String(error) });
      }
    }
  }

  /** A group's advertised demotion changed. */
  demotion(group: string, demotion: number): void {
    this.emit({ type: 'demotion', at: this.at(), group, demotion });
  }
}
