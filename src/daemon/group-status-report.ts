/**
 * A group's status for carpctl and metrics, rendered from its parts: the runner's state and
 * counters, the protocol's own fields (its runtime part's status, through protocol-runner.ts), foreign masters (group-status.ts), the demotion parts
 * (group-demotion.ts), the fault (fault-hold-down.ts) and the effects' counts. Pure: the times
 * come in as `now`, read from the Clock port by the caller.
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { CheckStatus, DemotionStatus, GroupStatus, StateName } from '../control/control-types.ts';
import { foreignStatus } from './group-status.ts';
import type { ResolvedAddress } from './linux-group-effects.ts';
import { protocolStatusOf, type ProtocolRunner } from './protocol-runner.ts';

/** The clock's two times at one instant: monotonic µs (the runner's) and calendar ms. */
export interface StatusNow {
  readonly monotonicMicros: number;
  readonly wallclockMs: number;
}

/** What a group's status is made of. */
export interface GroupStatusParts {
  readonly name: string;
  readonly interfaceName: string;
  readonly config: GroupConfig;
  readonly runner: ProtocolRunner | undefined;
  readonly addresses: readonly ResolvedAddress[];
  readonly demotion: DemotionStatus;
  readonly checks: readonly CheckStatus[];
  readonly fault: GroupStatus['fault'];
  readonly effects: GroupStatus['effects'];
  /** `<interface> <mac>` while the group has its own macvlan. */
  readonly vmac: string | undefined;
  readonly scripts: GroupStatus['scripts'];
}

/** Renders one group's status. */
export function renderGroupStatus(parts: GroupStatusParts, now: StatusNow): GroupStatus {
  const { runner, config } = parts;
  const state = runner?.state;
  const toIso = (micros: number) => new Date(now.wallclockMs - (now.monotonicMicros - micros) / 1000).toISOString();
  const { protocol, keyChange } = protocolStatusOf(config, runner, toIso);
  return {
    name: parts.name,
    interface: parts.interfaceName,
    protocol: protocol.protocol,
    vhid: config.vhid,
    state: (state?.phase.toUpperCase() ?? 'INIT') as StateName,
    since: toIso(state?.since ?? now.monotonicMicros),
    reason: state?.reason ?? 'started',
    addresses: parts.addresses.map((a) => `${a.address.text}/${a.prefixLength}`),
    ...(protocol.advbase === undefined ? {} : { advbase: protocol.advbase }),
    ...(protocol.advskew === undefined ? {} : { advskew: protocol.advskew }),
    ...(protocol.advertisedAdvskew === undefined ? {} : { advertisedAdvskew: protocol.advertisedAdvskew }),
    ...(protocol.demoteByte === undefined ? {} : { demoteByte: protocol.demoteByte }),
    demotion: parts.demotion,
    preempt: config.preempt,
    ...(parts.vmac === undefined ? {} : { vmac: parts.vmac }),
    ...(protocol.replayMode === undefined ? {} : { replayMode: protocol.replayMode }),
    peers: config.peers.map((p) => p.text),
    ...(protocol.vrrp === undefined ? {} : { vrrp: protocol.vrrp }),
    master: protocol.master,
    heard: protocol.heard,
    ...(protocol.familyLoss === undefined ? {} : { familyLoss: protocol.familyLoss }),
    foreign: foreignStatus(runner, toIso),
    counters: {
      advertsSent: runner?.stats.advertsSent ?? 0,
      advertsReceived: runner?.stats.advertsReceived ?? 0,
      sendErrors: runner?.stats.sendErrors ?? 0,
      transitions: runner?.stats.transitions ?? 0,
      drops: { ...(runner?.stats.drops ?? {}) } as GroupStatus['counters']['drops'],
    },
    scripts: parts.scripts,
    checks: parts.checks,
    fault: parts.fault,
    effects: parts.effects,
    ...(keyChange === undefined ? {} : { keyChange }),
  };
}
