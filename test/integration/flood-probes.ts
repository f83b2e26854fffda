/**
 * What the flood test (flood.test.ts) reads of a running lab: a process's CPU time and RSS from
 * /proc, the client's pings, and transition log lines in short.
 */
import { readFileSync } from 'node:fs';
import type { Lab, LabProcess, PingResult } from '../../src/lab/lab.ts';
import { parsePingOutput } from '../../src/lab/ping.ts';

/** CPU time (user + system) the process has used, in ms (/proc/PID/stat, 100 ticks a second). */
export function cpuMs(process: LabProcess): number {
  const fields = readFileSync(`/proc/${process.pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  // After "pid (comm) ", utime and stime are the 12th and 13th fields.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident set size of the process in KiB (/proc/PID/status VmRSS). */
export function rssKib(process: LabProcess): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${process.pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN);
}

/** Pings `vip` from `host` every intervalMs until stop() (SIGINT: ping prints its summary), for at most deadlineS. */
export function startPing(lab: Lab, host: string, vip: string, intervalMs: number, deadlineS: number): { stop(): Promise<PingResult> } {
  const ping = lab.spawn(host, ['ping', '-D', '-n', '-i', (intervalMs / 1000).toFixed(3), '-W', '1', '-w', String(deadlineS), vip]);
  return {
    async stop() {
      ping.signal('SIGINT');
      const exited = await Promise.race([ping.exited, sleep(3_000).then(() => undefined)]);
      if (exited === undefined) await ping.kill();
      return parsePingOutput(ping.lines.join('\n'));
    },
  };
}

/** A transition log record as one short line. */
export function transitionText(line: string): string {
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    return `${String(r['time'])} ${String(r['from'])}->${String(r['to'])} (${String(r['reason'])}${r['peer'] === undefined ? '' : ` ${String(r['peer'])}`})`;
  } catch {
    return line.slice(0, 200);
  }
}

/** Resolves after ms. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
