/**
 * `carpd cleanup (--config FILE | <daemon flags> | ucarp <ucarp flags>)`: removes what a carpd
 * that did not stop cleanly may have left on this host (systemd's ExecStopPost runs it after
 * every stop, when the cleanup guard may have been killed with the daemon): the carp<vhid>
 * virtual interfaces it created and virtual addresses on the parents that carry carpd's mark
 * (CARPD_ADDRESS_PROTOCOL; an unmarked one is the host's own and stays). In ucarp mode carpd never
 * added the address itself, so when the address is still there the down script runs, as ucarp's
 * own --shutdown would have (cleanup-script.ts: the cleanup guard runs the same one). Does
 * nothing when there is nothing to clean.
 */
import { spawnSync } from 'node:child_process';
import type { CarpdConfig } from '../config/config-types.ts';
import { carpVirtualMac } from '../wire/mac-address.ts';
import type { Logger } from '../ports/logger.ts';
import { RouteNetlink } from '../linux/netlink/route-netlink.ts';
import { isCarpdAddress } from '../ports/host-netlink.ts';
import { cleanupDownScript } from './cleanup-script.ts';
import { resolvePrefixes } from './resolve-prefixes.ts';
import { firstUnsafe, realFileSystem } from '../config/script-security.ts';

/** Cleans up after every group of the configuration; returns how many things were removed or run. */
export async function cleanUpAfter(config: CarpdConfig, logger: Logger): Promise<number> {
  const netlink = RouteNetlink.open(logger);
  let actions = 0;
  try {
    for (const group of config.groups) {
      const parent = await netlink.linkByName(group.interface);
      if (parent === undefined) continue;
      const present = await netlink.listAddresses();
      if (group.manageAddresses) {
        const vif = await netlink.linkByName(group.virtualInterface);
        // Only a macvlan with our virtual MAC on this parent: never someone else's interface.
        if (vif !== undefined && vif.kind === 'macvlan' && vif.parentIndex === parent.index && vif.mac === carpVirtualMac(group.vhid).text) {
          await netlink.deleteLink(vif.index);
          logger.info('removed a leftover virtual interface', { group: group.name, interface: vif.name });
          actions++;
        }
        const resolved = resolvePrefixes(group.addresses, present.filter((a) => a.ifindex === parent.index));
        for (const { address } of resolved) {
          // Only an address carrying carpd's mark: never the host's own (CARPD_HOST_ADDRESS).
          for (const leftover of present.filter((p) => p.ifindex === parent.index && p.address.text === address.text && isCarpdAddress(p))) {
            await netlink.removeAddress(parent.index, leftover.address, leftover.prefixLength);
            logger.info('removed a leftover virtual address', { group: group.name, address: `${leftover.address.text}/${leftover.prefixLength}` });
            actions++;
          }
        }
      } else {
        // The same script, arguments and environment as the cleanup guard's (cleanup-script.ts).
        const down = cleanupDownScript(group);
        if (down === undefined) continue;
        if (!present.some((p) => p.ifindex === parent.index && p.address.text === down.address.text)) continue;
        // The same rules as the daemon's runs (docs/scripts.md): never a script others could change.
        const user = down.user;
        const unsafe = firstUnsafe(down.path, user?.uid ?? process.geteuid?.() ?? 0, realFileSystem);
        if (unsafe !== undefined) {
          logger.error('not running the down script: others could change it', { group: group.name, script: down.path, component: unsafe.component, why: unsafe.why, code: 'CARPD_CONFIG_SCRIPT_UNSAFE' });
          continue;
        }
        const result = spawnSync(down.path, [...down.args], {
          stdio: ['ignore', 'inherit', 'inherit'],
          env: down.env,
          cwd: '/',
          timeout: down.timeoutMs,
          ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
        });
        logger.info('ran the down script for an address left by a crashed run', { group: group.name, script: down.path, status: result.status, error: result.error?.message });
        actions++;
      }
    }
  } finally {
    netlink.close();
  }
  return actions;
}
