/**
 * A reload caught in flight, for the lab tests of what happens meanwhile (issue 19 items 6 and
 * 12): one carpd as a separate machine (machine.ts) starts with one group, its file is rewritten
 * with `count` groups (vmac: one carp<vhid> each) and `carpctl reload` is sent; this resolves
 * once the reload has started `startedAtLeast` of them, while it is still adding the rest.
 */
import type { ExecResult, Lab } from '../../src/lab/lab.ts';
import { records, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';
import { carpctlOn, machine, startCarpdOn, writeConfig, writePassphrase, type GroupSpec, type Machine } from './machine.ts';

/** `count` groups g1..gN, vhid i, VIP 203.0.113.i/32, one passphrase file. */
export function numberedGroups(m: Machine, count: number): GroupSpec[] {
  const passphraseFile = writePassphrase(m, 'reload.pass', 'lab-reload-flight');
  return Array.from({ length: count }, (_, i) => ({ name: `g${i + 1}`, vhid: i + 1, addresses: [`203.0.113.${i + 1}/32`], advskew: 0, passphraseFile }));
}

/** Groups the daemon has started (logged a transition to BACKUP). */
export function groupsStarted(node: CarpdNode): number {
  return records(node).filter((r) => typeof r['group'] === 'string' && r['to'] === 'backup').length;
}

export interface ReloadInFlight {
  readonly machine: Machine;
  readonly node: CarpdNode;
  /** The `carpctl reload` answer. */
  readonly reload: Promise<ExecResult>;
}

export async function reloadInFlight(lab: Lab, host: string, count: number, startedAtLeast: number): Promise<ReloadInFlight> {
  const m = machine(lab.host(host));
  const node = startCarpdOn(lab, m, ['--config', writeConfig(m, 'carpd.yaml', numberedGroups(m, 1))]);
  await waitForPhase(node, 'master', 8_000);
  writeConfig(m, 'carpd.yaml', numberedGroups(m, count));
  const reload = carpctlOn(lab, m, ['reload']);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && groupsStarted(node) < startedAtLeast) await new Promise((r) => setTimeout(r, 5));
  return { machine: m, node, reload };
}
