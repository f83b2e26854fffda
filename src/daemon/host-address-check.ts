/**
 * Checks a configuration's virtual addresses against the addresses this host already has
 * (issue 18, docs/fail-safe.md "Addresses carpd owns"). Pure: the caller lists links and
 * addresses (netlink at `carpd --check`, start and reload; the fake in tests), so all three
 * share one rule.
 *
 * - A VIP that is an address of the host, on any interface, is an error (CARPD_HOST_ADDRESS):
 *   carpd would remove it on becoming BACKUP or stopping, and the host would lose its own
 *   address. Addresses carpd added itself carry its mark (CARPD_ADDRESS_PROTOCOL) and are not the
 *   host's: a running master's VIPs at a reload, or a VIP a killed run left behind at start.
 *   Exempt: a VRRP address owner (priority 255, docs/vrrp.md), whose VIPs must be the
 *   interface's own, and groups whose scripts manage the addresses (ucarp mode: carpd never adds
 *   or removes them, and the scripts' addresses carry no mark). Addresses on a group's own
 *   carp<vhid> (a macvlan on its interface with its virtual MAC: one a killed run left) are
 *   carpd's by construction, marked or not (a kernel before 6.1 drops the mark); start-up
 *   deletes that interface with them.
 * - A VIP outside every subnet configured on its interface is a warning (CARPD_VIP_OUTSIDE_SUBNET):
 *   neighbours on the link have no route to it through this interface; BSD carp refuses it.
 */
import type { CarpdConfig } from '../config/config-types.ts';
import { configProblem, type ConfigProblem } from '../config/error-codes.ts';
import { isCarpdAddress, type InterfaceAddress, type LinkInfo } from '../ports/host-netlink.ts';
import { isIpv6LinkLocal } from '../wire/ip-address.ts';
import { runtimeOf } from '../protocols/index.ts';
import { isAddressOwner, virtualMacOf } from './protocol-settings.ts';
import { inSubnet } from './resolve-prefixes.ts';

/** The host as the check sees it: its links (names; kind, parent and MAC tell carpd's macvlans) and every address of every link. */
export interface HostAddresses {
  readonly links: readonly (Pick<LinkInfo, 'index' | 'name'> & Partial<Pick<LinkInfo, 'kind' | 'parentIndex' | 'mac'>>)[];
  readonly addresses: readonly InterfaceAddress[];
}

/** What the check found: errors refuse the configuration, warnings are printed or logged. */
export interface HostAddressProblems {
  readonly errors: ConfigProblem[];
  readonly warnings: ConfigProblem[];
}

/** Checks every group's virtual addresses against the host's (see the file comment). */
export function checkHostAddresses(config: Pick<CarpdConfig, 'groups'>, host: HostAddresses): HostAddressProblems {
  const names = new Map(host.links.map((l) => [l.index, l.name] as const));
  const carpdLinks = carpdVirtualInterfaces(config, host.links);
  const hostOwn = host.addresses.filter((a) => !isCarpdAddress(a) && !carpdLinks.has(a.ifindex));
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  config.groups.forEach((group, i) => {
    if (group.manageAddresses === false || isAddressOwner(group)) return;
    const link = host.links.find((l) => l.name === group.interface);
    group.addresses.forEach(({ address }, j) => {
      const where = ['groups', i, 'addresses', j];
      const own = hostOwn.filter((a) => a.address.family === address.family && a.address.text === address.text);
      if (own.length > 0) {
        const on = [...new Set(own.map((a) => names.get(a.ifindex) ?? `ifindex ${a.ifindex}`))].join(', ');
        const owner = runtimeOf(group).hostAddressHint;
        errors.push(
          configProblem(
            'CARPD_HOST_ADDRESS',
            where,
            `${address.text} is an address of this host (on ${on}): carpd would take it away whenever this node is not master; use a free address${owner}`,
          ),
        );
        return;
      }
      if (link === undefined) return;
      const subnets = hostOwn.filter((a) => a.ifindex === link.index && a.address.family === address.family && !isIpv6LinkLocal(a.address));
      if (!subnets.some((s) => inSubnet(address, s.address, s.prefixLength))) {
        const list = subnets.map((s) => `${s.address.text}/${s.prefixLength}`).join(', ') || `no IPv${address.family} subnet`;
        warnings.push(configProblem('CARPD_VIP_OUTSIDE_SUBNET', where, `${address.text} is outside every subnet of ${group.interface} (${list}): hosts on that link have no route to it`));
      }
    });
  });
  return { errors, warnings };
}

/** The ifindexes of links that are the configured groups' own carp<vhid> (macvlan, parent, virtual MAC). */
function carpdVirtualInterfaces(config: Pick<CarpdConfig, 'groups'>, links: HostAddresses['links']): Set<number> {
  const found = new Set<number>();
  for (const group of config.groups) {
    if (group === undefined || !group.vmac || group.manageAddresses === false) continue;
    const parent = links.find((l) => l.name === group.interface);
    const link = links.find((l) => l.name === group.virtualInterface);
    if (parent !== undefined && link !== undefined && link.kind === 'macvlan' && link.parentIndex === parent.index && link.mac === virtualMacOf(group).text) found.add(link.index);
  }
  return found;
}
