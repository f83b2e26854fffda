import { cpus, hostname, release, totalmem } from 'node:os';

/** What a result was measured on, recorded next to every committed benchmark result. */
export interface MachineDescription {
  hostname: string;
  kernel: string;
  cpu: string;
  cpus: number;
  memoryGiB: number;
  node: string;
}

export function describeMachine(): MachineDescription {
  return {
    hostname: hostname(),
    kernel: release(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}

export function machineLine(machine: MachineDescription = describeMachine()): string {
  return `${machine.cpus} × ${machine.cpu}, ${machine.memoryGiB} GiB, kernel ${machine.kernel}, node ${machine.node}`;
}
