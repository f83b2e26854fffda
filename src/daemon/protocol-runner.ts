/**
 * The one place in a group's life that asks which protocol it speaks: which runner to build
 * (CARP's GroupRunner or VRRPv3's VrrpGroupRunner), the check before anything on the host
 * changes, how a reload reaches the runner, and the protocol's part of the status. GroupInstance
 * holds a runner and never looks at `protocol` itself; a protocol registry (issue 21 item 1) can
 * replace this switch without touching the group.
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { GroupStatus } from '../control/control-types.ts';
import { GroupRunner, type GroupPorts } from '../protocols/carp/carp-group-runner.ts';
import { VrrpGroupRunner, vrrpSourceAddress } from '../protocols/vrrp/vrrp-group-runner.ts';
import type { VrrpGroupSettings } from '../protocols/vrrp/vrrp-group-settings.ts';
import { isIpv6LinkLocal } from '../wire/ip-address.ts';
import type { GroupStateStore } from '../ports/group-state-store.ts';
import type { Logger } from '../ports/logger.ts';
import { carpStatus, vrrpStatus, type ProtocolStatus, type ToIso } from './group-status.ts';
import type { InterfaceHost } from './interface-host.ts';
import type { ResolvedAddress } from './linux-group-effects.ts';
import { carpSettingsFor, isAddressOwner, isVrrpGroup, vrrpSettingsFor } from './protocol-settings.ts';
import { StartupError } from './startup-error.ts';

/** A group's engine, whichever protocol. */
export type AnyGroupRunner = GroupRunner | VrrpGroupRunner;

/** What both runners are built on (the CARP one also keeps its counters in the state store). */
export type RunnerPorts = Omit<GroupPorts, 'stateStore'>;

/** A runner checked and ready to build, once the group's effects and transport exist. */
export interface RunnerPlan {
  readonly protocol: 'carp' | 'vrrp';
  build(ports: RunnerPorts): AnyGroupRunner;
}

/** How long a reload's old key or address list stays valid (signed and accepted). */
export const DEFAULT_KEY_CHANGE_WINDOW_SECONDS = 600;

/**
 * Plans a group's runner. Runs before anything on the host changes, so that a VRRP group with no
 * address to send from is refused first (CARPD_VRRP_NO_SOURCE).
 */
export function planRunner(config: GroupConfig, key: Uint8Array, addresses: readonly ResolvedAddress[], host: InterfaceHost, store: GroupStateStore, logger: Logger): RunnerPlan {
  if (!isVrrpGroup(config)) {
    return { protocol: 'carp', build: (ports) => new GroupRunner(carpSettingsFor(config, key, addresses), { ...ports, stateStore: store }) };
  }
  const vrrpSettings = vrrpSettingsFor(config, addresses, key);
  checkVrrpSource(config, vrrpSettings, host);
  return {
    protocol: 'vrrp',
    build: (ports) => {
      const runner = new VrrpGroupRunner(vrrpSettings, ports);
      if (!vrrpSettings.acceptMode && !isAddressOwner(config)) {
        // Said once, so nobody relies on it: carpd installs no packet filter (docs/vrrp.md, Accept_Mode).
        logger.info(`${config.name}: accept_mode false is not enforced: as MASTER this host accepts packets for the virtual addresses (carpd installs no packet filter)`, { group: config.name });
      }
      return runner;
    },
  };
}

/** A reload's in-place changes, handed to the runner in its protocol's terms. */
export function reconfigureRunner(runner: AnyGroupRunner | undefined, config: GroupConfig, key: Uint8Array, addresses: readonly ResolvedAddress[]): void {
  if (runner?.protocol === 'vrrp') {
    if (isVrrpGroup(config)) runner.reconfigure(vrrpSettingsFor(config, addresses, key));
  } else if (!isVrrpGroup(config)) runner?.reconfigure(carpSettingsFor(config, key, addresses), (config.keyChangeWindowSeconds ?? DEFAULT_KEY_CHANGE_WINDOW_SECONDS) * 1_000_000);
}

/** The protocol's part of a group's status, and CARP's key change window while one is open. */
export function protocolStatusOf(config: GroupConfig, runner: AnyGroupRunner | undefined, toIso: ToIso): { protocol: ProtocolStatus; keyChange?: GroupStatus['keyChange'] } {
  const keyChange = runner?.protocol === 'carp' ? runner.keyChange : undefined;
  const protocol = isVrrpGroup(config)
    ? vrrpStatus(config, runner?.protocol === 'vrrp' ? runner : undefined, toIso)
    : carpStatus(config, runner?.protocol === 'carp' ? runner : undefined, toIso);
  return { protocol, ...(keyChange === undefined ? {} : { keyChange: { previousAddresses: keyChange.previousAddresses.map((a) => a.text), until: toIso(keyChange.until) } }) };
}

/**
 * Before anything on the host changes: a VRRP advert's checksum covers its real source, which
 * over IPv6 is the link-local address (RFC 5798 §5.1.2.1) unless source_address says otherwise.
 */
function checkVrrpSource(config: GroupConfig, settings: VrrpGroupSettings, host: InterfaceHost): void {
  const source = vrrpSourceAddress(host.transport, settings);
  const usable = source !== undefined && (settings.family === 4 || isIpv6LinkLocal(source) || config.sourceAddress !== undefined);
  if (usable) return;
  throw new StartupError(
    `group ${config.name}: interface ${host.name} has no ${settings.family === 4 ? 'IPv4 address' : 'IPv6 link-local address'} to send VRRP adverts from (RFC 5798 §5.1)`,
    'CARPD_VRRP_NO_SOURCE',
  );
}
