/** `ip -ts monitor` output: each event line starts with a local-time stamp in brackets. */

/** `[2026-01-01T12:00:00.123456] [Deleted ]3: eth0 inet …` → the time (ms since the epoch) and the event text. */
export function parseIpMonitorLine(line: string): { atMs: number; event: string } | undefined {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\]\s*(.*)$/.exec(line);
  if (m === null) return undefined;
  // No zone suffix: local time, as ip prints it.
  const atMs = new Date(m[1] ?? '').getTime() + Number(`0.${m[2] ?? '0'}`) * 1000;
  return { atMs, event: m[3] ?? '' };
}
