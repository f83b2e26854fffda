/**
 * A group's runner through its protocol's runtime part (protocols/protocol-runtime-part.ts, via
 * the registry): the check before anything on the host changes (a refusal becomes a
 * StartupError with its code), the plan, a reload reaching the runner, and the protocol's part of
 * the status. Nothing here knows which protocol a group speaks.
 */
import type { GroupConfig } from '../config/config-types.ts';
import { moduleOf, runtimeOf, type ProtocolRunner, type ProtocolRuntimePart, type ProtocolStatusReport, type RegisteredRunner, type RunnerPlan, type ToIso } from '../protocols/index.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';
import type { Logger } from '../ports/logger.ts';
import type { InterfaceHost } from './interface-host.ts';
import type { ResolvedAddress } from './linux-group-effects.ts';
import { StartupError } from './startup-error.ts';

export type { ProtocolRunner, RunnerPorts } from '../protocols/index.ts';

/**
 * Plans a group's runner. Runs before anything on the host changes, so that a group that cannot
 * run on its interface (a VRRP group with no address to send from: CARPD_VRRP_NO_SOURCE) is
 * refused first.
 */
export function planRunner(config: GroupConfig, key: Uint8Array, addresses: readonly ResolvedAddress[], host: InterfaceHost, store: GroupStateStore, logger: Logger): RunnerPlan<RegisteredRunner> {
  const context = { key, addresses, host, store, logger };
  const refusal = runtimeOf(config).preStartCheck(config, context);
  if (refusal !== undefined) throw new StartupError(refusal.message, refusal.code);
  // Through the module itself rather than the neutral part, so the plan's runner keeps its
  // registered type (RegisteredRunner); the daemon holds it as a ProtocolRunner.
  return (moduleOf(config).runtime as ProtocolRuntimePart<GroupConfig, RegisteredRunner>).planRunner(config, context);
}

/** A reload's in-place changes, handed to the runner in its protocol's terms. */
export function reconfigureRunner(runner: ProtocolRunner | undefined, config: GroupConfig, key: Uint8Array, addresses: readonly ResolvedAddress[]): void {
  if (runner !== undefined) runtimeOf(config).reconfigure(runner, config, key, addresses);
}

/** The protocol's part of a group's status, and a rolling key change while one is open. */
export function protocolStatusOf(config: GroupConfig, runner: ProtocolRunner | undefined, toIso: ToIso): ProtocolStatusReport {
  return runtimeOf(config).status(config, runner, toIso);
}
