/**
 * Checks a configuration against the links that exist on this system: a group's parent
 * interface or a tracked interface that is missing is an error. Pure: the caller lists the links
 * (netlink in the daemon, a fake in tests), so `carpd --check` and start share one rule.
 */
import type { CarpdConfig } from './config-types.ts';
import { configProblem, type ConfigProblem } from './error-codes.ts';

/** Problems (code CARPD_CONFIG_NO_INTERFACE) for every configured interface not in `existingLinks`. */
export function checkInterfaces(config: Pick<CarpdConfig, 'groups'>, existingLinks: readonly string[]): ConfigProblem[] {
  const links = new Set(existingLinks);
  const known = [...links].sort().join(', ') || 'none';
  const problems: ConfigProblem[] = [];
  config.groups.forEach((group, i) => {
    if (!links.has(group.interface)) {
      problems.push(configProblem('CARPD_CONFIG_NO_INTERFACE', ['groups', i, 'interface'], `${group.interface} does not exist on this system (links: ${known})`));
    }
    group.track.interfaces.forEach((tracked, j) => {
      if (!links.has(tracked.interface)) {
        problems.push(configProblem('CARPD_CONFIG_NO_INTERFACE', ['groups', i, 'track', 'interfaces', j, 'interface'], `${tracked.interface} does not exist on this system (links: ${known})`));
      }
    });
  });
  return problems;
}
