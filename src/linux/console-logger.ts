/**
 * The daemon's logger: one JSON object per line when stderr is not a terminal (journald,
 * files, log shippers), a readable line on a terminal. Levels below the threshold are dropped.
 */
import type { LogFields, Logger } from '../ports/logger.ts';

/** Log levels in order. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** One log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A logger writing to a stream (stderr by default). */
export class ConsoleLogger implements Logger {
  constructor(
    private readonly threshold: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
    private readonly json: boolean = !process.stderr.isTTY,
    private readonly now: () => Date = () => new Date(),
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }

  private log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(this.threshold)) return;
    const time = this.now().toISOString();
    if (this.json) {
      this.write(`${JSON.stringify({ time, level, msg: message, ...fields }, bigintToString)}\n`);
      return;
    }
    const extras = Object.entries(fields)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value, bigintToString)}`)
      .join(' ');
    this.write(`${time} ${level.toUpperCase().padEnd(5)} ${message}${extras === '' ? '' : `  ${extras}`}\n`);
  }
}

function bigintToString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
