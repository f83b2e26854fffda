/**
 * A group's own virtual interface (carp<vhid>, vrrp<vrid>): a macvlan with the group's virtual
 * MAC on the parent. Created at start (a leftover of a killed run removed first, anyone else's
 * link of that name refused), made sure of before a claim (re-created when deleted: drift
 * repair), and deleted at stop. All through the HostNetlink port.
 */
import type { HostNetlink, LinkInfo } from '../ports/host-netlink.ts';
import type { Logger } from '../ports/logger.ts';
import type { MacAddress } from '../wire/mac-address.ts';
import type { InterfaceHost } from './interface-host.ts';
import { StartupError } from './startup-error.ts';

/** What a virtual interface needs. */
export interface VirtualInterfaceDependencies {
  readonly netlink: HostNetlink;
  readonly host: Pick<InterfaceHost, 'link' | 'name'>;
  readonly logger: Logger;
  /** The group's name, as it is now. */
  readonly group: () => string;
  /** The interface's name (virtual_interface), as it is now. */
  readonly name: () => string;
  /** The group's virtual MAC. */
  readonly mac: () => MacAddress;
  /** The macvlan was created or re-created (the cleanup guard must learn its ifindex). */
  readonly onChanged?: () => void;
}

/** One group's macvlan. */
export class VirtualInterface {
  private ifindex: number | undefined;

  constructor(private readonly deps: VirtualInterfaceDependencies) {}

  /** Its ifindex, while carpd has one. */
  get index(): number | undefined {
    return this.ifindex;
  }

  /** True for an event about our macvlan (by ifindex, or by name: a re-created one). */
  isOurs(link: Pick<LinkInfo, 'index' | 'name'>): boolean {
    return this.ifindex !== undefined && (link.index === this.ifindex || link.name === this.deps.name());
  }

  /** Creates it at start; a leftover of a killed run (exactly what carpd makes) is deleted first. */
  async create(): Promise<void> {
    const { netlink, host, logger } = this.deps;
    const name = this.deps.name();
    const virtualMac = this.deps.mac();
    const leftover = await netlink.linkByName(name);
    if (leftover !== undefined) {
      // Only what carpd makes (a macvlan with the group's virtual MAC on this parent) is a
      // leftover of a killed run: any other link of that name is someone else's, never deleted.
      if (leftover.kind !== 'macvlan' || leftover.parentIndex !== host.link.index || leftover.mac !== virtualMac.text) {
        throw new StartupError(
          `group ${this.deps.group()}: an interface named ${leftover.name} exists and carpd did not create it (not a macvlan on ${host.name} with MAC ${virtualMac.text}): left in place; set virtual_interface to a free name, or remove it`,
          'CARPD_VIRTUAL_INTERFACE_TAKEN',
        );
      }
      logger.warn('deleting a virtual interface left by a previous run', { group: this.deps.group(), interface: leftover.name });
      await netlink.deleteLink(leftover.index);
    }
    this.ifindex = await netlink.createMacvlan({ name, parentIndex: host.link.index, mac: virtualMac.text });
    this.deps.onChanged?.();
  }

  /** Makes sure it exists; re-creates it (new ifindex) when it was deleted. True when it changed. */
  async ensure(): Promise<boolean> {
    const { netlink, host, logger } = this.deps;
    const name = this.deps.name();
    const link = await netlink.linkByName(name);
    if (link !== undefined && link.index === this.ifindex) return false;
    const mac = this.deps.mac().text;
    if (link !== undefined) {
      // Someone made an interface of that name; take it over only if it is exactly ours.
      if (link.kind !== 'macvlan' || link.parentIndex !== host.link.index || link.mac !== mac) {
        throw Object.assign(new Error(`${name} exists and is not carpd's macvlan (${mac} on ${host.name})`), { code: 'EEXIST' });
      }
      this.ifindex = link.index;
    } else {
      logger.warn(`${this.deps.group()}: ${name} was deleted; re-creating it`, { group: this.deps.group(), interface: name });
      this.ifindex = await netlink.createMacvlan({ name, parentIndex: host.link.index, mac });
    }
    this.deps.onChanged?.();
    return true;
  }

  /** True when it is there and up (the effects' check before a claim). */
  async isUp(): Promise<boolean> {
    return (await this.deps.netlink.linkByName(this.deps.name()))?.up === true;
  }

  /** Deletes it at stop; one already gone (ENODEV) is no error. */
  async delete(): Promise<void> {
    if (this.ifindex === undefined) return;
    await this.deps.netlink.deleteLink(this.ifindex).catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'ENODEV') this.deps.logger.warn('could not delete the virtual interface', { group: this.deps.group(), error: String(error) });
    });
    this.ifindex = undefined;
  }
}
