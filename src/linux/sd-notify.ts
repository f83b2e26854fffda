/**
 * sd_notify(3) without libsystemd: one AF_UNIX datagram to $NOTIFY_SOCKET (Node has no
 * SOCK_DGRAM for AF_UNIX, so the addon's sendUnixDatagram sends it). Used with the unit's
 * Type=notify: READY=1 once every group runs, RELOADING=1 + MONOTONIC_USEC around SIGHUP,
 * STOPPING=1 on shutdown, STATUS=... for `systemctl status`. See docs/systemd.md.
 */
import type { UnixDatagramBinding } from './native-binding.ts';
import { loadNativeBinding } from './native-binding.ts';

/** Where the notification goes and how it is sent (tests pass their own). */
export interface SdNotifyOptions {
  /** Default: process.env.NOTIFY_SOCKET. */
  readonly socketPath?: string | undefined;
  /** Default: the native addon. */
  readonly binding?: UnixDatagramBinding;
}

/**
 * Sends `state` (newline-separated KEY=VALUE lines). Returns false when not under systemd
 * (no NOTIFY_SOCKET) or when sending failed; never throws and logs nothing: a daemon must not
 * stop because its supervisor went away.
 */
export function sdNotify(state: string, options: SdNotifyOptions = {}): boolean {
  const path = 'socketPath' in options ? options.socketPath : process.env['NOTIFY_SOCKET'];
  if (path === undefined || path === '') return false;
  // sd_notify accepts only absolute paths and abstract names ('@...').
  if (!path.startsWith('/') && !path.startsWith('@')) return false;
  try {
    (options.binding ?? loadNativeBinding()).sendUnixDatagram(path, Buffer.from(state, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

/** `RELOADING=1` with the CLOCK_MONOTONIC time in µs, as Type=notify-reload requires (systemd ≥ 253). */
export function reloadingState(): string {
  return `RELOADING=1\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`;
}

/** The notification states carpd sends, for one place to read them. */
export const SD_READY = 'READY=1';
/** Sent on SIGTERM before bowing out. */
export const SD_STOPPING = 'STOPPING=1';

/** A one-line `STATUS=` (newlines would end the field, so they become spaces). */
export function statusState(text: string): string {
  return `STATUS=${text.replace(/[\r\n]+/g, ' ')}`;
}
