/**
 * The ARP sysctls carpd changed for virtual-MAC groups (arp_ignore/arp_announce on the parent and
 * the macvlan; linux/sysctl.ts), and what to put back: set once per parent/macvlan pair when its
 * first group starts, set again when the macvlan is re-created, restored on the parent when its
 * last group stops. Through DaemonPlatform, so tests record the calls.
 */
import type { GroupConfig } from '../config/config-types.ts';
import type { Logger } from '../ports/logger.ts';
import type { SysctlChange } from '../linux/sysctl.ts';
import type { DaemonPlatform } from './daemon-platform.ts';

/** The daemon's sysctl changes, by `<parent>/<virtual interface>`. */
export class SysctlBook {
  private readonly sysctls = new Map<string, SysctlChange[]>();

  constructor(
    private readonly platform: Pick<DaemonPlatform, 'prepareSysctls' | 'restoreSysctls'>,
    private readonly logger: Logger,
  ) {}

  /** A group started on `parent`: a managed virtual-MAC group's settings are made, once per pair. */
  groupStarted(parent: string, config: GroupConfig): void {
    const sysctlKey = `${parent}/${config.virtualInterface}`;
    if (config.vmac && config.manageAddresses !== false && !this.sysctls.has(sysctlKey)) {
      this.sysctls.set(sysctlKey, this.platform.prepareSysctls(parent, config.virtualInterface, this.logger));
    }
  }

  /**
   * carp<vhid> was re-created (drift repair, a claim): its arp_ignore/arp_announce went with the
   * old link, and without them it answers ARP for the host's own addresses with the virtual MAC
   * (issue 19). Set again before the claim adds the VIPs (ensure() calls back synchronously).
   * At start-up there is nothing recorded yet: groupStarted prepares them once start() is done.
   * `kernelName` is the parent's name now (renamed parents keep their settings under the new name).
   */
  reapply(groupName: string, config: Pick<GroupConfig, 'interface' | 'virtualInterface'>, kernelName: string): void {
    const { interface: parent, virtualInterface } = config;
    const key = `${parent}/${virtualInterface}`;
    const recorded = this.sysctls.get(key);
    if (recorded === undefined) return;
    try {
      const changes = this.platform.prepareSysctls(kernelName, virtualInterface, this.logger);
      // The first values read are the ones to put back: a path already recorded keeps its entry.
      this.sysctls.set(key, [...recorded, ...changes.filter((c) => !recorded.some((r) => r.path === c.path))]);
    } catch (error) {
      // The claim goes on: a VIP answered with two MACs beats no VIP; said at error level.
      this.logger.error(`${groupName}: could not set the ARP settings of the re-created ${virtualInterface}`, { group: groupName, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** A group stopped: its pair's settings are put back, or handed to another group on the parent. */
  groupStopped(config: Pick<GroupConfig, 'interface' | 'virtualInterface'>, kernelName: string): void {
    const key = `${config.interface}/${config.virtualInterface}`;
    const changes = this.sysctls.get(key);
    if (changes === undefined) return;
    this.sysctls.delete(key);
    // The macvlan's own settings went with it; put the parent's back once no group needs them.
    // Only the first group on a parent changed (and so can restore) the parent's settings:
    // while another group still needs them, hand them over to it.
    // A renamed parent's settings moved with it (/proc/sys/net/ipv4/conf/<new name>/): restored there.
    const parentChanges = changes
      .filter((c) => c.path.includes(`/conf/${config.interface}/`))
      .map((c) => ({ ...c, path: c.path.replace(`/conf/${config.interface}/`, `/conf/${kernelName}/`) }));
    const heir = [...this.sysctls.keys()].find((k) => k.startsWith(`${config.interface}/`));
    if (heir === undefined) this.platform.restoreSysctls(parentChanges, this.logger);
    else this.sysctls.set(heir, [...parentChanges, ...(this.sysctls.get(heir) ?? [])]);
  }
}
