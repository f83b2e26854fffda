/**
 * A group's Linux side, built at its start: the announcer (gratuitous ARP / unsolicited NA from
 * the virtual MAC or the parent's), the effects of its transitions (linux-group-effects.ts) on
 * its own macvlan or on the parent, and the advert transport (framed from the virtual MAC when
 * the group has a macvlan). The group's engine runs on what this returns.
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { Clock } from '../ports/clock.ts';
import type { HostNetlink } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import type { PacketTransport } from '../ports/packet-transport.ts';
import { Announcer } from '../linux/announcer.ts';
import type { ScriptRunner } from '../linux/script-runner.ts';
import { VirtualMacAdvertTransport } from '../linux/virtual-mac-advert-transport.ts';
import type { MacAddress } from '../wire/mac-address.ts';
import type { InterfaceHost } from './interface-host.ts';
import { LinuxGroupEffects, type ResolvedAddress } from './linux-group-effects.ts';
import { isAddressOwner } from './protocol-settings.ts';
import type { ProtocolName } from '../protocols/index.ts';
import type { VirtualInterface } from './virtual-interface.ts';

/** What the wiring is made from. */
export interface GroupWiringInput {
  readonly config: GroupConfig;
  readonly protocol: ProtocolName;
  readonly host: InterfaceHost;
  readonly netlink: HostNetlink;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly scripts: Pick<ScriptRunner, 'run'>;
  readonly addresses: readonly ResolvedAddress[];
  /** The group's macvlan, when it has one (vmac and managed addresses). */
  readonly virtualInterface: VirtualInterface | undefined;
  readonly virtualMac: MacAddress;
  readonly claimRetryDelaysMs?: readonly number[];
  readonly onClaimFailed: (error: Error) => void;
  readonly onClaimed: () => void;
  readonly onRepaired: () => void;
}

/** The group's effects and the transport its adverts go out on. */
export interface GroupWiring {
  readonly effects: LinuxGroupEffects;
  readonly transport: PacketTransport;
}

/** Builds a group's effects and advert transport. */
export function wireGroupEffects(input: GroupWiringInput): GroupWiring {
  const { config, host, netlink, logger, addresses, virtualMac } = input;
  const vif = input.virtualInterface;
  const manageAddresses = config.manageAddresses !== false;
  const announcer = new Announcer({
    ifname: host.name,
    sourceMac: vif !== undefined ? virtualMac : host.mac,
    router: config.announce.router,
    openPacketSocket: () => host.sharedPacketSocket(),
    logger,
  });
  const effects = new LinuxGroupEffects({
    group: config.name,
    vhid: config.vhid,
    protocol: input.protocol,
    interfaceName: host.name,
    target:
      vif !== undefined
        ? {
            name: config.virtualInterface,
            index: () => vif.index ?? -1,
            ensure: () => vif.ensure(),
            isUp: () => vif.isUp(),
          }
        : { name: host.name, index: () => host.link.index, ensure: async () => false, isUp: async () => true },
    ownsInterface: vif !== undefined,
    ownedAddresses: isAddressOwner(config),
    addresses,
    netlink,
    announcer,
    scripts: input.scripts,
    scriptsConfig: config.scripts,
    manageAddresses,
    announceIntervalMs: config.announce.intervalSeconds * 1000,
    logger,
    clock: input.clock,
    onClaimFailed: input.onClaimFailed,
    onClaimed: input.onClaimed,
    onRepaired: input.onRepaired,
    ...(input.claimRetryDelaysMs === undefined ? {} : { retryDelaysMs: input.claimRetryDelaysMs }),
  });
  const transport =
    vif !== undefined ? new VirtualMacAdvertTransport(host.transport, { ifname: host.name, sourceMac: virtualMac, openPacketSocket: () => host.sharedPacketSocket() }) : host.transport;
  return { effects, transport };
}
