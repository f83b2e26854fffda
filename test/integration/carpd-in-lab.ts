/** Running real carpd daemons inside lab hosts, and reading their state from their JSON logs. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Lab, LabHost, LabProcess } from '../../src/lab/lab.ts';

/** The carpd executable in this checkout. */
export const CARPD = resolve(import.meta.dirname, '../../bin/carpd');

/** A daemon in a lab host. */
export interface CarpdNode {
  readonly host: LabHost;
  readonly process: LabProcess;
  readonly stateDirectory: string;
}

/** Starts `carpd <flags>` in a host with its own state directory and JSON logs. */
export function startCarpd(lab: Lab, host: LabHost, flags: readonly string[], stateDirectory?: string, launcher: readonly string[] = []): CarpdNode {
  const directory = stateDirectory ?? mkdtempSync(join(tmpdir(), `carpd-${host.name}-`));
  // launcher, e.g. ['nice', '-n', '-10']: applied before Node starts, so every thread inherits it, as with systemd's Nice=.
  const process = lab.spawn(host, [...launcher, globalThis.process.execPath, CARPD, ...flags, '--state-dir', directory, '--control', join(directory, 'carpd.sock'), '--log-level', 'debug']);
  return { host, process, stateDirectory: directory };
}

/** The common flags of a test group. */
export function groupFlags(options: { vhid: number; vip: string; advskew: number; extra?: readonly string[] }): string[] {
  return ['--interface', 'eth0', '--vhid', String(options.vhid), '--pass', 'lab-secret', '--addr', options.vip, '--advskew', String(options.advskew), ...(options.extra ?? [])];
}

/** Parsed JSON log records of a node. */
export function records(node: CarpdNode): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of node.process.lines) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A partial line; ignore.
    }
  }
  return out;
}

/** Transitions logged so far, in order. */
export function transitions(node: CarpdNode): { from: string; to: string; reason: string; time: string }[] {
  return records(node)
    .filter((r) => typeof r['to'] === 'string' && typeof r['reason'] === 'string')
    .map((r) => ({ from: String(r['from']), to: String(r['to']), reason: String(r['reason']), time: String(r['time']) }));
}

/** The node's current phase as last logged ('init' before its first transition). */
export function phaseOf(node: CarpdNode): string {
  return transitions(node).at(-1)?.to ?? 'init';
}

/** Waits until the node logs a transition to `phase` after `afterCount` transitions. */
export async function waitForPhase(node: CarpdNode, phase: 'master' | 'backup' | 'init', timeoutMs: number, afterCount = 0): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (transitions(node).slice(afterCount).some((t) => t.to === phase)) return;
    if (node.process.done) throw new Error(`${node.host.name}: carpd exited before ${phase}:\n${node.process.lines.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${node.host.name}: no transition to ${phase} within ${timeoutMs} ms:\n${node.process.lines.slice(-20).join('\n')}`);
}

/** Whether a host has the address configured (any interface). */
export async function holds(lab: Lab, host: LabHost, address: string): Promise<boolean> {
  return (await lab.addresses(host)).some((a) => a.split('/')[0] === address);
}

/** Sends SIGTERM and waits for the exit status. */
export async function stopCarpd(node: CarpdNode, timeoutMs = 10_000): Promise<number | null> {
  node.process.signal('SIGTERM');
  const exit = await Promise.race([node.process.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs))]);
  return exit === undefined ? null : exit.code;
}
